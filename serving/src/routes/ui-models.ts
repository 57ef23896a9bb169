import { createHash } from 'node:crypto';
import express, { Router, type Request, type Response } from 'express';
import {
  CustomerFeaturesSchema,
  isRfmError,
  MODEL_NAME_PATTERN,
  RfmError,
  VERSION_PATTERN,
  zodIssues,
} from '@rfm/shared';
import type { z } from 'zod';
import { PRODUCTION, type Registry } from '@rfm/registry';
import type { ModelHolder } from '../model-holder.js';
import { COMPARE_RETRY_AFTER_S, type CompareService } from '../compare-service.js';
import { renderComparePage } from '../views/compare-page.js';
import type { RegistryWriter } from '../registry-writer.js';
import { FormReason, RelabelForm } from './admin.js';
import { sameOrigin, type AdminSession, type SessionKeeper } from '../ui/session.js';
import { logRefusal, UNKNOWN_TOKEN } from '../middleware/people.js';
import type { Logger } from '../logger.js';
import { CHART_NAMES, chartFor, colorOf, flowChart, segmentMapChart, type ChartName } from '@rfm/charts';
import {
  renderAdminPage,
  renderModelsPage,
  renderVersionPage,
  versionHref,
  type AdminView,
  type Notice,
  type VersionPageOptions,
} from '../views/models-page.js';

/**
 * The browser side of the registry: /models (every version), /models/<name>/<v> (one version with
 * its segment profile and charts), its charts as SVG, its stored training report, and the admin
 * actions (sign in, promote, roll back, relabel) as plain HTML forms. Writes go through the same
 * Registry calls as the JSON admin API and the CLI, so policy checks and audit events are the same.
 */
export interface UiDeps {
  holder: ModelHolder;
  writer: RegistryWriter;
  session: SessionKeeper;
  /** version comparisons off the event loop (the same service as GET /api/v1/models/:name/compare) */
  compare: CompareService;
}

function target(req: Request): { name: string; version: number } {
  const name = String(req.params.name ?? '');
  const v = String(req.params.v ?? '');
  if (!MODEL_NAME_PATTERN.test(name) || !VERSION_PATTERN.test(v))
    throw new RfmError('NOT_FOUND', 'no such model version');
  return { name, version: Number(v) };
}

function modelName(req: Request): string {
  const name = String(req.params.name ?? '');
  if (!MODEL_NAME_PATTERN.test(name)) throw new RfmError('NOT_FOUND', 'no such model');
  return name;
}

const shortRev = (revision: string) => createHash('sha256').update(revision).digest('hex').slice(0, 12);
const adminView = (s: AdminSession | null): AdminView | null =>
  s ? { actor: s.actor, role: s.role, csrf: s.csrf } : null;
const actorOf = (s: AdminSession) => `web:${s.actor}`;

/** A local path to return to after signing in (never another site). */
function safeNext(v: unknown): string {
  return typeof v === 'string' && /^\/(?!\/)[A-Za-z0-9/_.%-]{0,300}$/.test(v) ? v : '/models';
}

/** A form's fields through the API's schema; the page shows the first problem as it is worded there. */
function formFields<S extends z.ZodType>(schema: S, value: unknown, prefix = ''): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issues = zodIssues(r.error, prefix);
  throw new RfmError('INVALID_INPUT', issues[0]?.message ?? 'the form is not valid', { issues });
}

/** A reason is required for every admin action from the UI (it is what the audit trail is for). */
function reasonOf(body: Record<string, unknown>): string {
  return formFields(FormReason, body.reason, 'reason');
}

const DONE: Record<string, (q: Record<string, unknown>, v?: number) => string> = {
  promoted: (_q, v) => `v${v} is now in production. Every server switches to it within a second.`,
  relabelled: () => 'Segment renamed. Predictions use the new name within a second.',
  'rolled-back': (q) =>
    typeof q.to === 'string' && VERSION_PATTERN.test(q.to)
      ? `Production rolled back to v${q.to}.`
      : 'Production rolled back.',
  'signed-in': () => 'Signed in. Admin actions are now shown on each version.',
  'signed-in-viewer': () =>
    'Signed in as a viewer: runs and their customer lists are open to you; changing models needs the admin role.',
};

/** Why a rollback passed over versions (the registry's SkippedTarget reasons), carried in the redirect. */
const SKIPPED_ITEM = /^(\d{1,9}):(archived|deleted|artifact damaged)$/;

function skippedParam(skipped: readonly { version: number; why: string }[]): string {
  return skipped.length ? `&skipped=${encodeURIComponent(skipped.map((s) => `${s.version}:${s.why}`).join(','))}` : '';
}

/** `skipped=3:archived,2:deleted` → one line per version; anything else in the parameter is ignored. */
function skippedItems(q: Record<string, unknown>): string[] {
  if (typeof q.skipped !== 'string') return [];
  return q.skipped
    .split(',')
    .slice(0, 50)
    .flatMap((item) => {
      const m = SKIPPED_ITEM.exec(item);
      return m ? [`Skipped v${m[1]}: ${m[2]}.`] : [];
    });
}

function doneNotice(req: Request, version?: number): Notice | undefined {
  const d = typeof req.query.done === 'string' ? DONE[req.query.done] : undefined;
  if (!d) return undefined;
  const q = req.query as Record<string, unknown>;
  const items = req.query.done === 'rolled-back' ? skippedItems(q) : [];
  return { kind: items.length ? 'warn' : 'ok', text: d(q, version), ...(items.length ? { items } : {}) };
}

/** ?a=&b= of the compare page: two version numbers, or what is wrong with them in words (400). */
function comparePair(q: Record<string, unknown>): { a: number; b: number } {
  const one = (k: 'a' | 'b') => {
    const v = q[k];
    if (v === undefined || v === '')
      throw new RfmError(
        'INVALID_INPUT',
        `choose two versions to compare: ?a= (before) and ?b= (after) are both needed; ${k} is missing`,
        {
          issues: [{ path: k, message: 'required' }],
        },
      );
    if (typeof v !== 'string' || !VERSION_PATTERN.test(v))
      throw new RfmError('INVALID_INPUT', `${k} must be a version number such as 3, not "${String(v).slice(0, 40)}"`, {
        issues: [{ path: k, message: 'not a version number', found: String(v).slice(0, 40) }],
      });
    return Number(v);
  };
  return { a: one('a'), b: one('b') };
}

export function uiModelRoutes({ holder, writer, session, compare }: UiDeps): Router {
  const router = Router();
  const reg = (): Promise<Registry> => writer.get();
  const rd = (): Promise<Registry> => writer.reader(); // public pages never open the registry read-write
  const form = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 });
  const html = (res: Response) => res.type('html').set('cache-control', 'no-store');

  async function modelsPage(req: Request, res: Response, status = 200, n?: Notice): Promise<void> {
    const r = await rd();
    const models = [];
    for (const m of await r.models())
      models.push({
        name: m.name,
        versions: await r.list(m.name),
        production: m.aliases[PRODUCTION] ?? null,
        history: await r.history(m.name, { limit: 200 }),
      });
    const cur = holder.current;
    html(res)
      .status(status)
      .send(
        renderModelsPage({
          models,
          serving: cur ? { modelName: cur.modelName, version: cur.version } : null,
          admin: adminView(session.read(req)),
          adminEnabled: session.enabled,
          notice: n ?? doneNotice(req),
        }),
      );
  }

  async function versionPage(
    req: Request,
    res: Response,
    extra: Partial<VersionPageOptions> & { status?: number } = {},
  ): Promise<void> {
    const { name, version } = target(req);
    const r = await rd();
    const record = await r.get(name, version); // NOT_FOUND → 404 page
    let artifact = null;
    let revision = record.artifact.sha256;
    let loadError: string | undefined;
    try {
      const m = await r.loadModel(name, version);
      artifact = m.artifact;
      revision = m.revision;
    } catch (e) {
      loadError = e instanceof Error ? e.message : String(e);
    }
    const history = (await r.history(name, { limit: 500 })).filter(
      (e) =>
        (e.alias !== null && (e.fromVersion === version || e.toVersion === version)) ||
        (e.action === 'relabel' && e.toVersion === version),
    );
    const hasReport = (await r.report(name, version)) !== null;
    const policy = await r.checkPolicy(name, version);
    const production = await r.resolveAlias(name, PRODUCTION);
    const runs = (await r.listRuns({ model: name })).filter((x) => x.version === version);
    html(res)
      .status(extra.status ?? 200)
      .send(
        renderVersionPage({
          record,
          artifact,
          ...(loadError ? { loadError } : {}),
          revision: shortRev(revision),
          hasReport,
          policy,
          history,
          production,
          admin: adminView(session.read(req)),
          adminEnabled: session.enabled,
          notice: extra.notice ?? doneNotice(req, version),
          ...(extra.offerForce ? { offerForce: extra.offerForce } : {}),
          runs,
        }),
      );
  }

  router.get('/models', (req, res) => modelsPage(req, res));

  /** The comparison from the worker (cached there); a busy worker is a 503 with Retry-After. */
  async function comparison(name: string, a: number, b: number) {
    try {
      return JSON.parse(await compare.compare(name, a, b)) as Awaited<ReturnType<Registry['compare']>>;
    } catch (e) {
      if (isRfmError(e) && e.code === 'MODEL_UNAVAILABLE')
        throw new RfmError(e.code, e.message, { details: { retry_after_s: COMPARE_RETRY_AFTER_S } });
      throw e;
    }
  }

  // before /models/:name/:v, which would take "compare" for a version
  router.get('/models/:name/compare', async (req, res) => {
    const name = modelName(req);
    const r = await rd();
    const versions = (await r.list(name)).map((v) => v.version);
    if (!versions.length) throw new RfmError('NOT_FOUND', `no model "${name}" in the registry`);
    const production = await r.resolveAlias(name, PRODUCTION);
    const q = req.query as Record<string, unknown>;
    const picked = {
      a: typeof q.a === 'string' ? q.a : String(production ?? versions.at(-2) ?? ''),
      b: typeof q.b === 'string' ? q.b : String(versions.at(-1) ?? ''),
    };
    const base = { model: name, versions, production, picked, admin: adminView(session.read(req)) };
    let status = 200;
    let text = '';
    let result = null;
    try {
      const { a, b } = comparePair(q);
      result = await comparison(name, a, b);
    } catch (e) {
      if (!isRfmError(e) || !['INVALID_INPUT', 'NOT_FOUND'].includes(e.code)) throw e;
      status = e.httpStatus;
      text = e.message;
    }
    html(res)
      .status(status)
      .send(renderComparePage({ ...base, comparison: result, ...(text ? { notice: { kind: 'err', text } } : {}) }));
  });
  router.get('/models/:name/:v', (req, res) => versionPage(req, res));

  // Charts: SVG images rendered by ECharts on the server. They carry inline style attributes, which
  // the page CSP forbids; an image document has its own (no script can run in an <img> anyway).
  const svg = (res: Response, body: string, cache: string) =>
    res
      .status(200)
      .type('image/svg+xml')
      .set('cache-control', cache)
      .set('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
      .send(body);

  router.get('/models/:name/compare/flows.svg', async (req, res) => {
    const name = modelName(req);
    const { a, b } = comparePair(req.query as Record<string, unknown>);
    const c = await comparison(name, a, b);
    if (!c.assignments) throw new RfmError('NOT_FOUND', 'these versions were not compared on customers');
    // segments in their version's cluster colour, as on the version pages (b's where a name is in both)
    const colours: Record<string, string> = {};
    for (const side of [c.a, c.b])
      for (const [cluster, name] of side.segments.entries()) colours[name] = colorOf(cluster);
    svg(
      res,
      flowChart(c.assignments.transitions, { before: `v${a}`, after: `v${b}`, colours }),
      'no-cache', // the registry may change (a relabel renames a node)
    );
  });

  router.get('/models/:name/:v/charts/placement.svg', async (req, res) => {
    const { name, version } = target(req);
    const parsed = CustomerFeaturesSchema.safeParse({
      recency: req.query.recency,
      frequency: req.query.frequency ?? '1',
      monetary: req.query.monetary,
    });
    if (!parsed.success)
      throw new RfmError(
        'INVALID_INPUT',
        'placement chart: recency, frequency and monetary must be valid customer values',
      );
    const m = await (await rd()).loadModel(name, version);
    svg(
      res,
      segmentMapChart(
        m.artifact,
        { recency: parsed.data.recency, monetary: parsed.data.monetary },
        { width: 480, height: 360 },
      ),
      'private, max-age=300',
    );
  });

  router.get('/models/:name/:v/charts/:chart.svg', async (req, res) => {
    const { name, version } = target(req);
    const chart = String(req.params.chart);
    if (!(CHART_NAMES as readonly string[]).includes(chart))
      throw new RfmError('NOT_FOUND', `no chart "${chart.slice(0, 40)}"`);
    const m = await (await rd()).loadModel(name, version);
    const fresh = req.query.rev === shortRev(m.revision);
    svg(res, chartFor(chart as ChartName, m.artifact), fresh ? 'public, max-age=86400' : 'no-cache');
  });

  // The training report stored with the version: a self-contained HTML document made by training.
  // It may use inline styles and SVG but never runs a script here.
  router.get('/models/:name/:v/report', async (req, res) => {
    const { name, version } = target(req);
    const report = await (await rd()).report(name, version);
    if (report === null) throw new RfmError('NOT_FOUND', `no training report was stored with ${name} v${version}`);
    res
      .status(200)
      .type('html')
      .set('cache-control', 'no-cache')
      .set(
        'content-security-policy',
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
      )
      .send(report);
  });

  // ---- admin: sign in / out ------------------------------------------------------------------

  router.get('/admin', (req, res) => {
    html(res).send(
      renderAdminPage({
        enabled: session.enabled,
        admin: adminView(session.read(req)),
        next: safeNext(req.query.next),
      }),
    );
  });

  // the person is whoever the token belongs to (users file or env token): never a name typed here
  router.post('/admin/login', form, (req, res) => {
    const b = (req.body ?? {}) as Record<string, unknown>;
    const next = safeNext(b.next);
    const fail = (status: number, error: string) =>
      html(res)
        .status(status)
        .send(renderAdminPage({ enabled: session.enabled, admin: null, next, error }));
    if (!session.enabled) return fail(403, 'Sign-in is off on this server.');
    if (!sameOrigin(req)) return fail(403, 'This sign-in form did not come from this site.');
    const token = typeof b.token === 'string' ? b.token.trim() : '';
    const person = token && token.length <= 200 ? session.personFor(token) : null;
    if (!person) {
      logRefusal(req, res, UNKNOWN_TOKEN);
      return fail(401, 'That token is not valid.');
    }
    session.start(req, res, person);
    (res.locals.log as Logger | undefined)?.info({ who: person.name, role: person.role }, `signed in: ${person.name}`);
    const done = person.role === 'admin' ? 'signed-in' : 'signed-in-viewer';
    res.redirect(303, next === '/models' ? `/models?done=${done}` : next);
  });

  router.post('/admin/logout', form, (req, res) => {
    const s = session.read(req);
    if (s && (!sameOrigin(req) || !session.csrfOk(s, (req.body as Record<string, unknown> | undefined)?.csrf)))
      throw new RfmError('FORBIDDEN', 'this form did not come from this site; reload the page and try again');
    session.end(req, res);
    res.redirect(303, '/');
  });

  // "sign out everyone": a new session epoch, relayed to every worker; each session's cookie is void
  router.post('/admin/logout-all', form, (req, res) => {
    requireAdminForm(req); // an admin action: a viewer gets 403 naming the role
    session.signOutEveryone();
    session.end(req, res);
    res.redirect(303, '/');
  });

  // ---- admin actions ---------------------------------------------------------------------------

  /** The signed-in admin posting a form from this site, or an error page (403 naming the role for a viewer). */
  function requireAdminForm(req: Request): AdminSession {
    if (!session.enabled)
      throw new RfmError(
        'FORBIDDEN',
        'admin actions are off on this server: start it with RFM_USERS or RFM_ADMIN_TOKEN set',
      );
    const s = session.read(req);
    if (!s) throw new RfmError('UNAUTHORIZED', 'your session has ended: sign in again at /admin');
    if (!sameOrigin(req) || !session.csrfOk(s, (req.body as Record<string, unknown> | undefined)?.csrf))
      throw new RfmError(
        'FORBIDDEN',
        'this form did not come from this site or has expired; reload the page and try again',
      );
    if (s.role !== 'admin') {
      if (req.res) {
        req.res.locals.person = { name: s.actor, role: s.role }; // a refusal by role, not a failed sign-in
        logRefusal(req, req.res, s.actor, { role: s.role, need: 'admin' });
      }
      throw new RfmError('FORBIDDEN', `this needs the admin role; ${s.actor} is a ${s.role}: nothing was changed`, {
        details: { need: 'admin', role: s.role },
      });
    }
    return s;
  }

  /** Registry refusals become a notice on the page the person was on; anything else propagates. */
  const refusal = (e: unknown): Notice | null =>
    isRfmError(e) && ['INVALID_INPUT', 'CONFLICT', 'POLICY_REFUSED', 'NOT_FOUND'].includes(e.code)
      ? { kind: 'err', text: e.message }
      : null;

  router.post('/models/:name/:v/promote', form, async (req, res) => {
    const s = requireAdminForm(req);
    const { name, version } = target(req);
    const b = req.body as Record<string, unknown>;
    const force = b.force === 'on';
    let reason = '';
    try {
      reason = reasonOf(b);
      await (await reg()).promote(name, version, { actor: actorOf(s), reason, force });
    } catch (e) {
      if (isRfmError(e) && e.code === 'POLICY_REFUSED') {
        return versionPage(req, res, {
          status: 422,
          notice: {
            kind: 'err',
            text: `The promotion policy refused v${version}:`,
            items: e.issues.map((i) => i.message),
          },
          offerForce: { reason },
        });
      }
      const n = refusal(e);
      if (!n) throw e;
      return versionPage(req, res, {
        status: isRfmError(e) ? e.httpStatus : 400,
        notice: n,
        ...(force ? { offerForce: { reason } } : {}),
      });
    }
    res.redirect(303, `${versionHref(name, version)}?done=promoted`);
  });

  router.post('/models/:name/rollback', form, async (req, res) => {
    const s = requireAdminForm(req);
    const name = modelName(req);
    let move: Awaited<ReturnType<Registry['rollback']>>;
    try {
      move = await (await reg()).rollback(name, {
        actor: actorOf(s),
        reason: reasonOf(req.body as Record<string, unknown>),
        alias: PRODUCTION,
      });
    } catch (e) {
      const n = refusal(e);
      if (!n) throw e;
      return modelsPage(req, res, isRfmError(e) ? e.httpStatus : 400, n);
    }
    // the versions it passed over (archived, deleted, damaged) are shown, as `rfm models rollback` prints them
    res.redirect(303, `/models?done=rolled-back&to=${move.to}${skippedParam(move.skipped)}`);
  });

  router.post('/models/:name/:v/relabel', form, async (req, res) => {
    const s = requireAdminForm(req);
    const { name, version } = target(req);
    const b = req.body as Record<string, unknown>;
    try {
      const f = formFields(RelabelForm, { ...b, name: typeof b.name === 'string' ? b.name : '' });
      await (await reg()).relabel(name, version, f.cluster, f.name, { actor: actorOf(s), reason: f.reason });
    } catch (e) {
      const n = refusal(e);
      if (!n) throw e;
      return versionPage(req, res, { status: isRfmError(e) ? e.httpStatus : 400, notice: n });
    }
    res.redirect(303, `${versionHref(name, version)}?done=relabelled`);
  });

  return router;
}
