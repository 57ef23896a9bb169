/**
 * Training a new version from a run page inside a real `rfm serve` process: the CLI gives the
 * server its own `rfm train` command (serving never imports training), the run's upload is kept,
 * the training job's progress comes from the child's --progress-json lines, and the finished job
 * leads to the compare page of the new version with the one the run used.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashToken, writeUsersFile } from '@rfm/shared';
import { makeArtifact } from '@rfm/shared/testing';
import { Registry } from '@rfm/registry';
import { SAMPLE, startServerProcess, tempDir, waitFor } from './support.js';

const MODEL = 'customer-segments';
const TOKEN = 'retrain-serve-admin-token-0123456789-abcdef';

describe('rfm serve: train a new version from a run page (rfm train as a child process)', function () {
  this.timeout(240_000);
  const tmp = tempDir('rfm-retrain-serve-');
  const registry = join(tmp.dir, 'registry.db');
  let server: Awaited<ReturnType<typeof startServerProcess>> | undefined;

  before(async () => {
    const reg = await Registry.open(registry);
    await reg.register({ modelName: MODEL, artifact: makeArtifact(), actor: 'analyst@example' });
    await reg.promote(MODEL, 1, { actor: 'analyst@example', reason: 'first', force: true });
    await reg.close();
    // a named admin of the users file: the trained version and its event carry her name
    const users = join(tmp.dir, 'users.json');
    const at = new Date().toISOString();
    writeUsersFile(users, [
      { name: 'grace', role: 'admin', token_sha256: hashToken(TOKEN), created: at, rotated: null },
    ]);
    server = await startServerProcess(['--registry', registry, '--poll-ms', '100'], {
      RFM_USERS: users,
      TMPDIR: tmp.dir,
    });
  });
  /** grace's web session cookie */
  const signIn = async (url: string): Promise<string> => {
    const login = await fetch(`${url}/admin/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: TOKEN, next: '/runs' }).toString(),
    });
    return /^(rfm_admin=[^;]+)/.exec(login.headers.get('set-cookie') ?? '')![1]!;
  };
  after(async () => {
    await server?.stop();
    tmp.cleanup();
  });

  it('a saved run’s upload trains v2 under the signed-in name, with progress, then the compare page', async () => {
    const url = server!.url;
    const started = await fetch(`${url}/api/v1/runs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/gzip' },
      body: readFileSync(SAMPLE),
    });
    expect(started.status).to.equal(202);
    const { id } = (await started.json()) as { id: string };
    await waitFor(async () => {
      const r = await fetch(`${url}/api/v1/runs/${id}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      return ((await r.json()) as { state: string }).state === 'succeeded' || undefined;
    }, 120_000);

    const cookie = await signIn(url);
    const runPage = await (await fetch(`${url}/runs/${id}`, { headers: { cookie } })).text();
    expect(runPage).to.include('id="retrain-until"');
    const csrf =
      /<form method="post" action="\/runs\/[^"]+\/retrain" id="retrain-form"><input type="hidden" name="csrf" value="([^"]+)">/.exec(
        runPage,
      )![1]!;
    const post = await fetch(`${url}/runs/${id}/retrain`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', origin: url },
      body: new URLSearchParams({ csrf, k: '3' }).toString(),
    });
    expect(post.status).to.equal(303);
    const job = /^\/runs\/(r-\d{8}-[0-9a-f]+)$/.exec(post.headers.get('location') ?? '')![1]!;
    const seen: { state: string; phase: string | null; percent: number }[] = [];
    await waitFor(
      async () => {
        const p = (await (await fetch(`${url}/runs/${job}/progress.json`, { headers: { cookie } })).json()) as {
          state: string;
          phase: string | null;
          percent: number;
        };
        seen.push(p);
        return p.state !== 'queued' && p.state !== 'running' ? p : undefined;
      },
      180_000,
      100,
    );
    expect(seen.at(-1)!.state, JSON.stringify(seen.slice(-3))).to.equal('succeeded');
    const running = seen.filter((p) => p.state === 'running' && p.percent > 0 && p.percent < 100);
    expect(running.length, 'progress from rfm train while it ran').to.be.greaterThan(0);
    for (let i = 1; i < running.length; i++) expect(running[i]!.percent).to.be.at.least(running[i - 1]!.percent);
    const done = await fetch(`${url}/runs/${job}`, { headers: { cookie }, redirect: 'manual' });
    expect(done.status).to.equal(303);
    expect(done.headers.get('location')).to.equal(`/models/${MODEL}/compare?a=1&b=2`);
    const reg = await Registry.openReadOnly(registry);
    try {
      const v2 = await reg.get(MODEL, 2);
      expect(v2.createdBy).to.equal('web:grace');
      expect(v2.params.k).to.equal(3);
      expect(v2.aliases, 'a candidate: promotion is a separate step').to.deep.equal([]);
      expect(await reg.resolveAlias(MODEL, 'production')).to.equal(1);
    } finally {
      await reg.close();
    }
    const compare = await fetch(`${url}/models/${MODEL}/compare?a=1&b=2`, { headers: { accept: 'text/html' } });
    expect(compare.status).to.equal(200);
    expect(await compare.text()).to.include('id="changed-count"');
  });

  it('training is cancellable from its page: the job reads cancelled and no version is registered', async () => {
    const url = server!.url;
    const cookie = await signIn(url);
    const reg0 = await Registry.openReadOnly(registry);
    const runs = await reg0.listRuns({});
    const versions = (await reg0.list(MODEL)).length;
    await reg0.close();
    const id = runs[0]!.id;
    const csrfOf = (page: string) => /name="csrf" value="([^"]+)"/.exec(page)![1]!;
    const csrf = csrfOf(await (await fetch(`${url}/runs/${id}`, { headers: { cookie } })).text());
    const form = { cookie, 'content-type': 'application/x-www-form-urlencoded', origin: url };
    const post = await fetch(`${url}/runs/${id}/retrain`, {
      method: 'POST',
      redirect: 'manual',
      headers: form,
      body: new URLSearchParams({ csrf, k: 'auto' }).toString(),
    });
    const job = /^\/runs\/(r-\d{8}-[0-9a-f]+)$/.exec(post.headers.get('location') ?? '')![1]!;
    const progress = async () =>
      (await (await fetch(`${url}/runs/${job}/progress.json`, { headers: { cookie } })).json()) as { state: string };
    await waitFor(async () => ((await progress()).state === 'running' ? true : undefined), 60_000, 50);
    const cancel = await fetch(`${url}/runs/${job}/cancel`, {
      method: 'POST',
      redirect: 'manual',
      headers: form,
      body: new URLSearchParams({ csrf }).toString(),
    });
    expect(cancel.status).to.equal(303);
    const end = await waitFor(async () => {
      const p = await progress();
      return p.state === 'running' || p.state === 'queued' ? undefined : p.state;
    }, 30_000);
    expect(end.value).to.equal('cancelled');
    const page = await (await fetch(`${url}/runs/${job}`, { headers: { cookie } })).text();
    expect(page).to.include('Training was cancelled; no version was registered.');
    const reg = await Registry.openReadOnly(registry);
    try {
      expect((await reg.list(MODEL)).length).to.equal(versions);
    } finally {
      await reg.close();
    }
  });
});
