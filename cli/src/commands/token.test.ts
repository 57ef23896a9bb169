import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtCli } from '../test-support/built-cli.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function rfm(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...builtCli(), ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    setTimeout(() => child.kill('SIGKILL'), 60_000).unref();
  });
}

/** A short admin token is refused at start-up, and rfm says how to make a good one. */
describe('rfm token and the admin token length', function () {
  this.timeout(90_000);

  it('rfm token prints a new 43-character base64url token (256 bits) each time', async () => {
    const [a, b] = await Promise.all([rfm(['token']), rfm(['token'])]);
    expect(a.code, a.stderr).to.equal(0);
    expect(a.stdout).to.match(/^[A-Za-z0-9_-]{43}\n$/);
    expect(a.stdout).not.to.equal(b.stdout);
  });

  it('rfm serve refuses a 31-character token at start-up, naming rfm token; nothing listens', async () => {
    const r = await rfm(['serve', '--port', '0', '--registry', join(ROOT, 'no-such-dir-for-token-test', 'r.db')], {
      RFM_ADMIN_TOKEN: 'x'.repeat(31),
    });
    expect(r.code).to.equal(65);
    expect(r.stderr).to.include('RFM_ADMIN_TOKEN');
    expect(r.stderr).to.include('at least 32 characters');
    expect(r.stderr).to.include('rfm token');
    expect(r.stdout).not.to.include('listening');
  });
});
