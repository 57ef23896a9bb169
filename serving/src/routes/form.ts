import express, { Router, type Request } from 'express';
import { CustomerFeaturesSchema, RfmError, zodIssues } from '@rfm/shared';
import type { ModelHolder } from '../model-holder.js';
import { renderFormPage, type FieldName, type FormErrors, type FormValues } from '../views/form-page.js';
import type { SessionKeeper } from '../ui/session.js';
import { hasBody } from '../middleware/json-body.js';
import type { ServingMetrics } from '../metrics.js';
import { scoreCustomer } from '../scoring.js';

const FIELD_NAMES: readonly FieldName[] = ['cid', 'recency', 'frequency', 'monetary'];

/** The typed text of the known fields, to put back into the inputs. */
function typedValues(body: unknown): FormValues {
  const out: FormValues = {};
  if (typeof body !== 'object' || body === null) return out;
  const b = body as Record<string, unknown>;
  for (const name of FIELD_NAMES) {
    const v = b[name];
    if (typeof v === 'string') out[name] = v.slice(0, 200);
  }
  return out;
}

function noBodyOrForm(req: Request): boolean {
  return !hasBody(req) || req.is('application/x-www-form-urlencoded') !== false;
}

/** GET / and POST /: the staff form, validated by the same schema as the JSON API. */
export function formRoutes(holder: ModelHolder, session?: SessionKeeper, metrics?: ServingMetrics): Router {
  const router = Router();
  const adminOf = (req: Request) => {
    const s = session?.read(req);
    return s ? `${s.actor} (${s.role})` : null;
  };

  router.get('/', (req, res) => {
    const model = holder.current;
    res
      .status(model ? 200 : 503)
      .type('html')
      .set('cache-control', 'no-store');
    if (model) res.set('x-model-version', String(model.version));
    res.send(renderFormPage({ model, noModelReason: model ? undefined : holder.notReadyReason, admin: adminOf(req) }));
  });

  // Browsers ask for it on every page; answer quietly instead of logging a 404.
  router.get('/favicon.ico', (_req, res) => {
    res.status(204).set('cache-control', 'public, max-age=86400').end();
  });

  router.post(
    '/',
    (req, _res, next) =>
      next(
        noBodyOrForm(req)
          ? undefined
          : new RfmError('UNSUPPORTED', 'the form must be posted as application/x-www-form-urlencoded'),
      ),
    express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 }),
    (req, res) => {
      const model = holder.current; // captured once for this request
      const values = typedValues(req.body);
      res.type('html').set('cache-control', 'no-store');
      const parsed = CustomerFeaturesSchema.safeParse(req.body ?? {});
      if (!parsed.success) {
        const errors: FormErrors = {};
        for (const issue of zodIssues(parsed.error)) {
          const key = (FIELD_NAMES as readonly string[]).includes(issue.path) ? (issue.path as FieldName) : 'form';
          errors[key] ??= issue.message; // the first problem per field is the one to fix first
        }
        res
          .status(400)
          .send(renderFormPage({ model, noModelReason: holder.notReadyReason, values, errors, admin: adminOf(req) }));
        return;
      }
      if (!model) {
        res
          .status(503)
          .send(renderFormPage({ model, noModelReason: holder.notReadyReason, values, admin: adminOf(req) }));
        return;
      }
      const c = parsed.data;
      const { cluster, segment, outlier } = scoreCustomer(model, c, metrics);
      res.set('x-model-version', String(model.version));
      res.send(
        renderFormPage({
          model,
          values,
          result: {
            cid: c.cid,
            cluster,
            segment,
            outlier,
            features: { recency: c.recency, frequency: c.frequency, monetary: c.monetary },
          },
          admin: adminOf(req),
        }),
      );
    },
  );
  return router;
}
