/**
 * Production dependencies have no known high or critical vulnerability.
 *
 * First `npm audit --omit=dev`. Where the registry's audit endpoint cannot be reached (here it
 * answers "405 Method Not Allowed" to npm's POST, through this workplace's proxy), that is said
 * and the fallback decides: every package of `npm ls --omit=dev --all` (name and installed
 * version) is checked against tests/security/advisories.json, a list of high/critical advisories
 * for packages of this tree with their vulnerable ranges. The fallback only knows what it lists.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../support.js';

interface Range {
  introduced?: string;
  fixed: string;
}
interface Advisory {
  package: string;
  id: string;
  severity: string;
  ranges: Range[];
}

/** x.y.z[-pre] → comparable tuple; a prerelease sorts before its release. */
function parse(v: string): [number, number, number, number] {
  const m = /^(\d+)\.(\d+)\.(\d+)(-.*)?$/.exec(v);
  if (!m) throw new Error(`not a version: ${v}`);
  return [Number(m[1]), Number(m[2]), Number(m[3]), m[4] ? 0 : 1];
}
function cmp(a: string, b: string): number {
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < 4; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return 0;
}
const inRange = (v: string, r: Range) =>
  (r.introduced === undefined || cmp(v, r.introduced) >= 0) && cmp(v, r.fixed) < 0;

interface LsNode {
  version?: string;
  dependencies?: Record<string, LsNode>;
  problems?: string[];
}

describe('production dependencies: no high or critical advisories', function () {
  this.timeout(120_000);

  it('npm audit --omit=dev, or (its endpoint unreachable) the installed tree against the advisory list', () => {
    const audit = spawnSync('npm', ['audit', '--omit=dev', '--json'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    let report: { metadata?: { vulnerabilities?: Record<string, number> }; statusCode?: number; message?: string } = {};
    try {
      report = JSON.parse(audit.stdout || '{}');
    } catch {
      report = { message: (audit.stderr || audit.stdout || 'no output').slice(0, 200) };
    }
    const v = report.metadata?.vulnerabilities;
    if (v) {
      console.log(
        `      npm audit --omit=dev: ${Object.entries(v)
          .map(([k, n]) => `${k} ${n}`)
          .join(', ')}`,
      );
      expect((v.high ?? 0) + (v.critical ?? 0), 'high + critical').to.equal(0);
    } else {
      console.log(
        `      npm audit --omit=dev could not reach the audit endpoint (${report.statusCode ?? ''} ${String(report.message ?? audit.error ?? '').slice(0, 120)}); using the offline advisory list`,
      );
    }

    // the fallback runs every time (also when audit worked): it is cheap and checks the same thing
    const ls = spawnSync('npm', ['ls', '--omit=dev', '--all', '--json'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    const tree = JSON.parse(ls.stdout) as LsNode;
    expect(tree.problems ?? [], 'npm ls: missing or invalid packages').to.deep.equal([]);
    const installed = new Map<string, Set<string>>();
    const walk = (n: LsNode) => {
      for (const [name, d] of Object.entries(n.dependencies ?? {})) {
        if (d.version && !name.startsWith('@rfm/'))
          installed.set(name, (installed.get(name) ?? new Set()).add(d.version));
        walk(d);
      }
    };
    walk(tree);
    const list = (
      JSON.parse(readFileSync(join(ROOT, 'tests', 'security', 'advisories.json'), 'utf8')) as { advisories: Advisory[] }
    ).advisories;
    const hits: string[] = [];
    let checked = 0;
    for (const a of list)
      for (const version of installed.get(a.package) ?? []) {
        checked++;
        if (a.ranges.some((r) => inRange(version, r))) hits.push(`${a.package}@${version}: ${a.id} (${a.severity})`);
      }
    const packages = [...installed.values()].reduce((n, s) => n + s.size, 0);
    console.log(
      `      ${packages} production packages installed; ${checked} of them covered by ${list.length} advisories: ${hits.length} vulnerable`,
    );
    expect(packages, 'the production tree was read').to.be.greaterThan(50);
    expect(hits).to.deep.equal([]);
    // the range check itself
    expect(inRange('2.1.3', { introduced: '2.0.0', fixed: '2.1.4' })).to.equal(true);
    expect(inRange('2.1.4', { introduced: '2.0.0', fixed: '2.1.4' })).to.equal(false);
    expect(inRange('8.4.0-rc.1', { introduced: '7.0.0', fixed: '8.4.0' })).to.equal(true);
  });
});
