/**
 * `rfm serve --workers 2`: two worker processes on one port, each following the registry on its
 * own; a crashed worker is replaced; metrics are summed over workers; SIGTERM drains in-flight
 * requests before the processes exit.
 */
import { expect } from 'chai';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import { makeArtifact } from '@rfm/shared/testing';
import { Registry } from '@rfm/registry';
import { ROOT, tempDir, waitFor } from './support.js';
import { builtCli } from '../cli/src/test-support/built-cli.js';

const MODEL = 'customer-segments';

function workerPids(primary: number): number[] {
  try {
    // the primary's children running the serve command (workers), nothing else it may have started
    return execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(primary)], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => / serve /.test(l))
      .map((l) => Number(l.trim().split(/\s+/)[0]))
      .filter((n) => n > 0);
  } catch {
    return [];
  }
}

async function metric(url: string, line: RegExp): Promise<number | undefined> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const hit = text.split('\n').find((l) => line.test(l));
  return hit === undefined ? undefined : Number(hit.split(' ').pop());
}

describe('rfm serve --workers', function () {
  this.timeout(180_000);
  let t: { dir: string; cleanup: () => void };
  let file: string;
  let child: ChildProcess;
  let url: string;
  let output = '';

  before(async () => {
    t = tempDir('rfm-workers-');
    file = join(t.dir, 'registry.db');
    const reg = await Registry.open(file);
    await reg.register({ modelName: MODEL, artifact: makeArtifact(), actor: 'test' });
    await reg.register({
      modelName: MODEL,
      artifact: makeArtifact({
        centroids: [
          [-1, 1, 1],
          [1, -1, -1],
        ],
      }),
      actor: 'test',
    });
    await reg.close();
    child = spawn(
      process.execPath,
      [
        ...builtCli(), // the built CLI, as installed (tsx would add ~2 s of CPU per process)
        'serve',
        '--registry',
        file,
        '--port',
        '0',
        '--workers',
        '2',
      ],
      {
        cwd: ROOT,
        env: { ...process.env, RFM_LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    const { value } = await waitFor(
      async () => /rfm serving v1 at (http:\/\/127\.0\.0\.1:\d+) with 2 workers/.exec(output)?.[1] ?? undefined,
      120_000,
      100,
    );
    url = value;
    // both workers up (the line comes with the first)
    await waitFor(
      async () => ((await metric(url, /^rfm_model_serving\{model_version="1"\}/)) === 2 ? true : undefined),
      120_000,
      200,
    );
  });
  after(async () => {
    if (child.exitCode === null) {
      child.kill('SIGKILL');
      for (const pid of workerPids(child.pid!)) process.kill(pid, 'SIGKILL');
    }
    t.cleanup();
  });

  it('two workers answer on one port, and /metrics sums them', async () => {
    await waitFor(async () => (workerPids(child.pid!).length === 2 ? true : undefined), 30_000, 100);
    for (let i = 0; i < 20; i++) {
      const r = await fetch(`${url}/api/v1/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', connection: 'close' },
        body: '{"recency":3,"frequency":2,"monetary":100}',
      });
      expect(r.status).to.equal(200);
    }
    const total = await metric(
      url,
      /^rfm_http_requests_total\{method="POST",route="\/api\/v1\/predict",status="200"\}/,
    );
    expect(total).to.equal(20); // whichever worker answered the scrape, the count covers both
  });

  it('each worker follows a promote on its own, within a second', async () => {
    const reg = await Registry.open(file);
    await reg.promote(MODEL, 2, { actor: 'test', reason: 'workers', force: true });
    await reg.close();
    const { elapsedMs } = await waitFor(
      async () => ((await metric(url, /^rfm_model_serving\{model_version="2"\}/)) === 2 ? true : undefined),
      3000,
      50,
    );
    expect(elapsedMs).to.be.lessThan(1500);
  });

  it('a crashed worker is replaced', async () => {
    const before = workerPids(child.pid!);
    expect(before).to.have.length(2);
    process.kill(before[0]!, 'SIGKILL');
    const { value: after } = await waitFor(
      async () => {
        const now = workerPids(child.pid!);
        return now.length === 2 && !now.includes(before[0]!) ? now : undefined;
      },
      120_000,
      200,
    );
    expect(after).to.include(before[1]!);
    // right after a SIGKILL a poll may meet a connection the dead worker held: "not yet", not a failure
    await waitFor(
      async () =>
        (await metric(url, /^rfm_model_serving\{model_version="2"\}/).catch(() => undefined)) === 2 ? true : undefined,
      120_000,
      200,
    );
    expect(output).to.match(/exited \(SIGKILL\); starting a new one/);
  });

  it('SIGTERM: in-flight requests finish, then every process exits', async () => {
    // a CSV upload still being sent when the signal arrives
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        `${url}/api/v1/predict/csv`,
        { method: 'POST', headers: { 'content-type': 'text/csv' } },
        (r) => {
          let body = '';
          r.on('data', (d) => (body += d));
          r.on('end', () => resolve({ status: r.statusCode!, body }));
        },
      );
      req.on('error', reject);
      req.write('recency,frequency,monetary\n1,1,10\n');
      setTimeout(() => {
        child.kill('SIGTERM');
        setTimeout(() => req.end('2,2,20\n'), 500);
      }, 300);
    });
    const workers = workerPids(child.pid!);
    const res = await answer;
    expect(res.status).to.equal(200);
    expect(res.body.trim().split('\n')).to.have.length(3);
    const code = await new Promise<number | null>((r) =>
      child.exitCode !== null ? r(child.exitCode) : child.once('exit', (c) => r(c)),
    );
    expect(code).to.equal(0);
    expect(output).to.match(/all workers stopped/);
    for (const pid of workers) expect(() => process.kill(pid, 0), `worker ${pid} still running`).to.throw();
  });
});
