/**
 * Promotions and rollbacks under load: a real `rfm serve` process, a real second process moving
 * the alias 20 times, and concurrent clients checking every answer against the Predictor of the
 * version that answer names. Zero failed requests, zero mixed answers, each new version served
 * within 1 s of its move.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { extent, Predictor, type ArtifactV1 } from '@rfm/shared';
import { makeArtifact } from '@rfm/shared/testing';
import { Registry } from '@rfm/registry';
import { ROOT, startServerProcess, stress, tempDir } from './support.js';

const MODEL = 'customer-segments';
const CENTROIDS: [number, number, number][][] = [
  [
    [-1.2, 1.1, 1.2],
    [1.3, -0.9, -1.0],
    [-0.6, -0.5, -0.4],
    [0.6, 0.4, 0.5],
  ],
  [
    [-1.0, 1.0, 1.0],
    [1.0, -1.0, -1.0],
  ],
  [
    [0.1, 0.9, -0.8],
    [-0.9, -0.2, 0.7],
    [1.1, 0.3, 0.2],
  ],
];
/** Customers spread over the space, so the three versions disagree on many of them. */
const CUSTOMERS = Array.from({ length: 24 }, (_, i) => ({
  cid: `c${i}`,
  recency: [1, 5, 20, 60, 150, 400][i % 6]!,
  frequency: [1, 2, 4, 9][i % 4]!,
  monetary: [15, 120, 600, 3000, 20000][i % 5]!,
}));

interface Answer {
  start: number;
  end: number;
  status: number;
  version: number | null;
  error?: string;
}

function mover(
  file: string,
  gapMs: number,
  moves: string[],
): Promise<{ i: number; from: number | null; to: number; at: number }[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--conditions=rfm-source',
        '--import',
        'tsx',
        join(ROOT, 'tests', 'swap', 'mover.ts'),
        file,
        MODEL,
        String(gapMs),
        ...moves,
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(
            out
              .trim()
              .split('\n')
              .map((l) => JSON.parse(l)),
          )
        : reject(new Error(`mover exited ${code}: ${err}`)),
    );
  });
}

describe('swaps under load', function () {
  this.timeout(180_000);
  let t: { dir: string; cleanup: () => void };
  let server: Awaited<ReturnType<typeof startServerProcess>>;
  const artifacts: ArtifactV1[] = CENTROIDS.map((centroids, i) => makeArtifact({ centroids, seed: 40 + i }));
  let file: string;

  before(async () => {
    t = tempDir('rfm-swap-');
    file = join(t.dir, 'registry.db');
    const reg = await Registry.open(file);
    for (const a of artifacts) await reg.register({ modelName: MODEL, artifact: a, actor: 'test' }); // v1 production, v2 and v3 candidates
    await reg.close();
    server = await startServerProcess(['--registry', file]);
  });
  after(async () => {
    await server?.stop();
    t.cleanup();
  });

  const MOVES = stress(20, 10);
  it(`${MOVES} promotions and rollbacks in a row: no failed or mixed answer, each new version served within 1 s`, async () => {
    // what each version must answer for CUSTOMERS
    const expected = new Map<number, string>();
    artifacts.forEach((a, i) => {
      const p = new Predictor(a);
      const name = (c: number) => a.segments.find((s) => s.cluster === c)!.name;
      expected.set(
        i + 1,
        JSON.stringify(
          CUSTOMERS.map((c) => {
            const k = p.predict(c.recency, c.frequency, c.monetary);
            return {
              cid: c.cid,
              cluster: k,
              segment: name(k),
              outlier: p.outlier(c.recency, c.frequency, c.monetary, k),
            };
          }),
        ),
      );
    });
    expect(new Set(expected.values()).size).to.equal(3); // the versions are distinguishable

    const answers: Answer[] = [];
    const mixed: string[] = [];
    let running = true;
    const body = JSON.stringify({ instances: CUSTOMERS });
    const client = async () => {
      while (running) {
        const start = Date.now();
        try {
          const r = await fetch(`${server.url}/api/v1/predict`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body,
          });
          const json = (await r.json()) as { model_version: number; predictions: unknown[] };
          const end = Date.now();
          const header = Number(r.headers.get('x-model-version'));
          answers.push({ start, end, status: r.status, version: json.model_version });
          if (
            r.status === 200 &&
            (header !== json.model_version || JSON.stringify(json.predictions) !== expected.get(json.model_version))
          )
            mixed.push(`v${json.model_version} (header ${header}) at ${end}`);
        } catch (e) {
          answers.push({ start, end: Date.now(), status: 0, version: null, error: String(e) });
        }
      }
    };
    const clients = Array.from({ length: 8 }, client);
    await new Promise((r) => setTimeout(r, 500)); // load running before the first move
    const moves = Array.from({ length: MOVES }, (_, i) => (i % 2 === 1 ? 'rollback' : String(i % 4 === 0 ? 2 : 3)));
    const done = await mover(file, 700, moves);
    await new Promise((r) => setTimeout(r, 1000));
    running = false;
    await Promise.all(clients);

    expect(done).to.have.length(MOVES);
    const failed = answers.filter((a) => a.status !== 200);
    expect(failed, JSON.stringify(failed.slice(0, 3))).to.have.length(0);
    expect(mixed, mixed.slice(0, 3).join('; ')).to.have.length(0);

    const delays: number[] = [];
    for (const [i, m] of done.entries()) {
      const next = done[i + 1]?.at ?? Infinity;
      const first = answers.filter((a) => a.end >= m.at && a.version === m.to).sort((x, y) => x.end - y.end)[0];
      expect(first, `move ${i} to v${m.to}`).to.not.equal(undefined);
      const delay = first!.end - m.at;
      delays.push(delay);
      expect(delay, `move ${i} to v${m.to}`).to.be.lessThan(1000);
      // once switched, requests started a second after the move never see the old version
      const stale = answers.filter((a) => a.start >= m.at + 1000 && a.end < next && a.version !== m.to);
      expect(stale, `stale answers after move ${i}`).to.have.length(0);
    }
    const maxLatency = extent(answers.map((a) => a.end - a.start)).max;
    console.log(
      `      ${answers.length} requests (${CUSTOMERS.length} customers each), 0 errors, 0 mixed; move → new version served: max ${Math.max(...delays)} ms, median ${delays.sort((a, b) => a - b)[10]} ms; max request latency ${maxLatency} ms`,
    );
    expect(answers.length).to.be.greaterThan(500);
  });
});
