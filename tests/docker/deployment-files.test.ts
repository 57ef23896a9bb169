import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENV_VARS, ERROR_CODES } from '@rfm/shared';

/**
 * Cheap guards on the deployment files (the images themselves are built and run by
 * tests/docker/check-images.sh, which needs podman and minutes): they keep the Dockerfiles, compose
 * file and README in step with the code as packages and environment variables are added.
 */
const ROOT = join(import.meta.dirname, '..', '..');
const read = (f: string) => readFileSync(join(ROOT, f), 'utf8');
const DOCKERFILES = ['Dockerfile.serve', 'Dockerfile.train'];
/** Set by rfm for its own forked server processes, not by users. */
const INTERNAL = new Set(['RFM_WORKER']);

describe('deployment files', () => {
  const workspaces = (JSON.parse(read('package.json')) as { workspaces: string[] }).workspaces;

  for (const file of DOCKERFILES) {
    describe(file, () => {
      const text = read(file);
      it('copies every workspace package: manifest before npm ci, the whole package after', () => {
        for (const ws of workspaces) {
          expect(text, `${file}: ${ws}/package.json`).to.match(new RegExp(`^COPY ${ws}/package\\.json\\b`, 'm'));
          expect(text, `${file}: ${ws}`).to.match(new RegExp(`^COPY ${ws} ${ws}$`, 'm'));
        }
      });
      it('builds on an official Node 20 slim image, runs as a non-root user, sets the registry on the volume', () => {
        const froms = [...text.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
        expect(froms.length).to.be.greaterThanOrEqual(2);
        for (const f of froms) expect(f).to.match(/^node:20(\.\d+)*-(bookworm-)?slim$/);
        expect(text).to.match(/^USER node$/m);
        expect(text).to.match(/RFM_REGISTRY=\/data\/registry\/registry\.db/);
        expect(text).to.match(/^VOLUME \["\/data\/registry"\]$/m);
      });
      it('installs production dependencies only, never adds tfjs-node to package.json', () => {
        expect(text).to.match(/npm prune --omit=dev/);
        expect(read('package.json')).not.to.include('tfjs-node');
        for (const ws of workspaces) expect(read(`${ws}/package.json`), ws).not.to.include('tfjs-node');
      });
    });
  }

  it('Dockerfile.train installs tfjs-node at build time, required unless TFJS_NODE=0', () => {
    const text = read('Dockerfile.train');
    expect(text).to.match(/^ARG TFJS_NODE=1$/m);
    expect(text).to.match(/npm install --no-save --omit=dev "@tensorflow\/tfjs-node@/);
    expect(text).to.match(/^ENTRYPOINT \["node", "\/app\/cli\/bin\/rfm\.js", "train"\]$/m);
  });

  it('Dockerfile.serve serves on 8080 with a HEALTHCHECK on /healthz', () => {
    const text = read('Dockerfile.serve');
    expect(text).to.match(/^EXPOSE 8080$/m);
    expect(text).to.match(/^HEALTHCHECK [^\n]*\\\n[^\n]*\/healthz/m);
    expect(text).to.match(/^ENTRYPOINT \["node", "\/app\/cli\/bin\/rfm\.js", "serve"\]$/m);
  });

  it('.dockerignore keeps node_modules, build output, registries and data out of the context', () => {
    const lines = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim());
    for (const p of ['**/node_modules', '**/dist', 'data/', '**/*.db', '**/*.db-wal', '**/*.db-shm', '.git'])
      expect(lines, p).to.include(p);
  });

  it('every RFM_* variable in compose.yaml and the Dockerfiles is one rfm reads', () => {
    for (const f of ['compose.yaml', ...DOCKERFILES]) {
      for (const [name] of read(f).matchAll(/\bRFM_[A-Z_]+\b/g)) {
        if (
          ['RFM_TAG', 'RFM_PUBLISH', 'RFM_EXPORTS', 'RFM_PG_PASSWORD', 'RFM_PUBLISH_FLEET'].includes(name) &&
          f === 'compose.yaml'
        )
          continue; // compose's own knobs
        expect(Object.keys(ENV_VARS), `${f}: ${name}`).to.include(name);
      }
    }
  });

  it('the README deployment section has every environment variable rfm reads in its table', () => {
    const readme = read('README.md');
    const start = readme.indexOf('## Deployment');
    expect(start, 'README has a "## Deployment" section').to.be.greaterThan(-1);
    const next = readme.indexOf('\n## ', start + 1);
    const section = readme.slice(start, next === -1 ? undefined : next);
    const rows = new Set([...section.matchAll(/^\| `(RFM_[A-Z_]+)` \|/gm)].map((m) => m[1]));
    for (const name of Object.keys(ENV_VARS)) if (!INTERNAL.has(name)) expect([...rows], name).to.include(name);
  });

  it("the README's error table lists every error code with its HTTP status and exit code", () => {
    const readme = read('README.md');
    const rows = new Map(
      [...readme.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \| (\d+) \|/gm)].map((m) => [m[1], `${m[2]} / ${m[3]}`]),
    );
    for (const [code, { http, exit }] of Object.entries(ERROR_CODES))
      expect(rows.get(code), `README error table: ${code}`).to.equal(`${http} / ${exit}`);
  });
});
