/**
 * Customer attributes and ids are personal data (issue 18): no logging call anywhere in the
 * packages' sources may pass a customer's id, e-mail, name or consent. A static check over every
 * logger / console call (the log of a whole run is also searched, in tests/runs/attributes-serve).
 */
import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT } from '../support.js';

const PACKAGES = ['shared', 'ingest', 'charts', 'registry', 'runs', 'training', 'serving', 'cli'];
const CALL =
  /\b(?:log|logger|console|this\.log|this\.o\.logger)\s*\.\s*(?:trace|debug|info|warn|error|fatal|log)\s*\(/g;
/** what a call must not mention: attribute fields, customer ids, and the columns holding them */
const PERSONAL = /\b(?:email|emails|consent|customerName|cid|cids)\b|\.name\s*\[|\.customers\.(?:cid|email|name)/;

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) {
      if (e !== 'node_modules' && e !== 'dist' && e !== 'test-support') out.push(...sources(p));
    } else if (p.endsWith('.ts') && !p.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

/** The text of the call starting at `at` up to its closing parenthesis (strings are not parsed: a bound of 600 characters). */
function callText(src: string, at: number): string {
  let depth = 0;
  for (let i = src.indexOf('(', at); i < src.length && i < at + 600; i++) {
    if (src[i] === '(') depth++;
    else if (src[i] === ')' && --depth === 0) return src.slice(at, i + 1);
  }
  return src.slice(at, at + 600);
}

describe('no logging call passes personal data (static check of every package)', () => {
  it('finds logging calls, and none mentions a customer id, e-mail, name or consent', () => {
    let calls = 0;
    const bad: string[] = [];
    for (const pkg of PACKAGES)
      for (const file of sources(join(ROOT, pkg, 'src'))) {
        const src = readFileSync(file, 'utf8');
        for (const m of src.matchAll(CALL)) {
          calls++;
          const text = callText(src, m.index);
          if (PERSONAL.test(text)) bad.push(`${relative(ROOT, file)}: ${text.replace(/\s+/g, ' ').slice(0, 160)}`);
        }
      }
    expect(calls, 'logging calls found').to.be.above(20);
    expect(bad, bad.join('\n')).to.deep.equal([]);
  });
});
