import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '@rfm/shared';
import { makeArtifact } from '@rfm/shared/testing';
import { Registry } from '@rfm/registry';
import { serveUntilSignal } from './serve.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

describe('rfm serve', function () {
  this.timeout(30_000);
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rfm-serve-'));
    file = join(dir, 'registry.db');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('serveUntilSignal prints the model and URL, serves, and stops cleanly when told to', async () => {
    const reg = await Registry.open(file);
    await reg.register({ modelName: 'customer-segments', artifact: makeArtifact(), actor: 'test' });
    await reg.close();
    const lines: string[] = [];
    const stop = new AbortController();
    let listening!: (url: string) => void;
    const urlP = new Promise<string>((r) => (listening = r));
    const done = serveUntilSignal(loadConfig({}, { registry: file, port: 0, logLevel: 'silent' }), {
      out: (l) => lines.push(l),
      signal: stop.signal,
      onListening: (s) => listening(s.url),
    });
    const url = await urlP;
    expect(lines[0]).to.match(/^rfm serving customer-segments v1 at http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${url}/readyz`)).status).to.equal(200);
    stop.abort();
    await done;
    expect(lines.at(-1)).to.equal('rfm: server stopped');
  });

  it('as a process: flags override env, an empty registry is announced, SIGTERM shuts down with exit 0', async () => {
    // The command alone on a fresh program, so this test does not depend on the other commands.
    const code = `import { Command } from 'commander'; import { registerServeCommands } from './cli/src/commands/serve.ts';
      const p = new Command('rfm'); registerServeCommands(p); await p.parseAsync(${JSON.stringify(['serve', '--registry', file, '--port', '0', '--poll-ms', '100'])}, { from: 'user' });`;
    const child = spawn(
      process.execPath,
      ['--conditions=rfm-source', '--import', 'tsx', '--input-type=module', '-e', code],
      {
        cwd: ROOT,
        env: { ...process.env, RFM_LOG_LEVEL: 'silent', RFM_PORT: '1', RFM_HOST: '127.0.0.1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const url = await new Promise<string>((resolve, reject) => {
      const t = setInterval(() => {
        const m = /at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m) {
          clearInterval(t);
          resolve(m[1]!);
        }
      }, 20);
      child.once('close', (c) => reject(new Error(`exited ${c}: ${out}`)));
    });
    expect(out).to.match(/no model "customer-segments" is active yet/);
    expect((await fetch(`${url}/readyz`)).status).to.equal(503);
    const exit = new Promise<number | null>((r) => child.once('close', r));
    child.kill('SIGTERM');
    expect(await exit).to.equal(0);
    expect(out).to.match(/SIGTERM received[\s\S]*server stopped/);
  });
});
