/**
 * Customer attributes through the built CLI (issue 18, "lists an email tool can use"): a
 * Shopify-shaped export with Email / Billing Name / Accepts Marketing → `rfm score --save` → the
 * saved run's customers carry the latest values; lists leave out people without consent unless
 * --include-unconsented; `--attributes` maps unusual headers; `rfm runs show` counts consent.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  allEmails,
  expectedAttributes,
  people,
  peopleWithNewEmail,
  writeOddPeople,
  writeShopifyPeople,
} from '@rfm/ingest/testing';
import { Registry } from '@rfm/registry';
import { decodeCustomers } from '@rfm/runs';
import { makeArtifact } from '@rfm/shared/testing';
import { rfmDist, tempDir } from '../support.js';

const MODEL = 'customer-segments';

/** RFC 4180 enough for these files: quoted fields with commas and doubled quotes. */
function parseCsv(text: string): Record<string, string>[] {
  const rows: string[][] = [];
  for (const line of text.trim().split('\n')) {
    const cells: string[] = [];
    let cur = '';
    let q = false;
    for (let i = 0; i < line.length; i++) {
      const ch = line[i]!;
      if (q && ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') q = !q;
      else if (ch === ',' && !q) {
        cells.push(cur);
        cur = '';
      } else cur += ch;
    }
    cells.push(cur);
    rows.push(cells);
  }
  const [head, ...body] = rows;
  return body.map((r) => Object.fromEntries(r.map((v, i) => [head![i]!, v])));
}

describe('customer attributes and consent lists (built CLI processes)', function () {
  this.timeout(300_000);
  const tmp = tempDir('rfm-attrs-cli-');
  const registry = join(tmp.dir, 'registry.db');
  const reg = ['--registry', registry];
  const ps = people();
  const consented = ps.filter((p) => expectedAttributes(p).consent === true);
  let shopify: string;
  let runId: string;
  after(() => tmp.cleanup());

  async function ok(args: string[]): Promise<any> {
    const r = await rfmDist([...args, '--json'], { RFM_ACTOR: 'tester' });
    if (r.code !== 0) throw new Error(`rfm ${args.join(' ')} exited ${r.code}\n${r.stderr}`);
    // nothing the CLI says on stderr (progress, warnings) may carry an address
    for (const e of allEmails(ps)) expect(r.stderr, 'stderr').not.to.include(e);
    return JSON.parse(r.stdout);
  }

  before(async () => {
    const r = await Registry.open(registry);
    await r.register({ modelName: MODEL, artifact: makeArtifact(), actor: 'test' });
    await r.close();
    shopify = writeShopifyPeople(tmp.dir, ps);
  });

  it('rfm score --save: the run keeps the latest e-mail, name and consent; the file lists consented people only', async () => {
    const out = join(tmp.dir, 'scored.csv');
    const s = await ok(['score', shopify, ...reg, '--out', out, '--save']);
    runId = s.run_id;
    expect(s.customers).to.equal(ps.length);
    expect(s.attributes).to.deep.equal(['email', 'name', 'consent']);
    expect(s.consent).to.deep.equal({
      yes: consented.length,
      no: ps.filter((p) => expectedAttributes(p).consent === false).length,
      unknown: 1,
    });
    expect(s.list).to.equal('consented_only');
    expect(s.customers_written).to.equal(consented.length);
    const rows = parseCsv(readFileSync(out, 'utf8'));
    expect(rows.map((r) => r.email).sort()).to.deep.equal(consented.map((p) => expectedAttributes(p).email).sort());
    expect(rows.every((r) => r.consent === 'yes' && r.consent_filter === 'consented_only')).to.equal(true);
    const bob = rows.find((r) => r.cid === 'bob.brown@example.org')!;
    expect([bob.email, bob.name, bob.consent]).to.deep.equal(['bob.brown@example.org', 'Bob Brown', 'yes']);
    // the saved run's customers, decoded: every customer with the latest values
    const r = await Registry.openReadOnly(registry);
    const saved = decodeCustomers(await r.runCustomers(runId));
    const run = await r.getRun(runId);
    await r.close();
    expect(run.customersEncoding).to.equal('rfm-customers-v2');
    for (const p of ps) {
      const want = expectedAttributes(p);
      const i = saved.cid.indexOf(want.email);
      expect([saved.email![i], saved.name![i], saved.consent![i]], p.ref).to.deep.equal([
        want.email,
        want.name,
        want.consent === null ? 2 : want.consent ? 1 : 0,
      ]);
    }
  });

  it('rfm runs show states how many consented; rfm runs customers leaves the others out unless --include-unconsented', async () => {
    const show = await rfmDist(['runs', 'show', runId, ...reg]);
    expect(show.code, show.stderr).to.equal(0);
    expect(show.stdout).to.include(
      `consent: ${consented.length} of ${ps.length} customers consented, ${ps.length - consented.length - 1} did not, 1 not known`,
    );
    const only = join(tmp.dir, 'only.csv');
    const a = await ok(['runs', 'customers', runId, ...reg, '--out', only]);
    expect([a.customers, a.list]).to.deep.equal([consented.length, 'consented_only']);
    expect(parseCsv(readFileSync(only, 'utf8'))).to.have.length(consented.length);
    const all = join(tmp.dir, 'all.csv');
    const b = await ok(['runs', 'customers', runId, ...reg, '--out', all, '--include-unconsented']);
    expect([b.customers, b.list]).to.deep.equal([ps.length, 'all_customers']);
    const rows = parseCsv(readFileSync(all, 'utf8'));
    expect(rows).to.have.length(ps.length);
    expect(rows.every((r) => r.consent_filter === 'all_customers')).to.equal(true);
    const ann = rows.find((r) => r.cid === 'ann.smith@example.com')!;
    expect([ann.name, ann.consent]).to.deep.equal(['Ann Jones', 'no']);
    expect(rows.find((r) => r.cid === 'cara.white@example.net')!.consent).to.equal('');
  });

  it('transition lists (rfm runs diff --from --to --out) follow the newer run’s consent', async () => {
    const again = await ok(['score', shopify, ...reg, '--out', join(tmp.dir, 'again.csv'), '--save']);
    const out = join(tmp.dir, 'moves.csv');
    // the same export twice: everyone stays, so "to the largest segment" lists that whole segment
    const largest = again.summary.reduce((x: any, y: any) => (y.customers > x.customers ? y : x));
    const d = await ok(['runs', 'diff', runId, again.run_id, ...reg, '--to', largest.key, '--out', out]);
    const rows = parseCsv(readFileSync(out, 'utf8'));
    expect(rows.length).to.equal(d.customers.length);
    expect(rows.length).to.be.above(0);
    expect(rows.every((r) => r.consent === 'yes')).to.equal(true);
    expect(d.left_out_without_consent).to.be.above(0);
  });

  it('--attributes maps unusual headers (and a changed e-mail is the latest); a wrong mapping names the column', async () => {
    const odd = writeOddPeople(tmp.dir, peopleWithNewEmail());
    const cols = ['--columns', 'customer=Ref,invoice=Order No,date=Ordered,amount=Paid'];
    const out = join(tmp.dir, 'odd.csv');
    const s = await ok([
      'score',
      odd,
      ...reg,
      ...cols,
      '--attributes',
      'email=Contact,name=Person,consent=OK to mail',
      '--out',
      out,
      '--include-unconsented',
    ]);
    expect(s.attributes).to.deep.equal(['email', 'name', 'consent']);
    const p1 = parseCsv(readFileSync(out, 'utf8')).find((r) => r.cid === 'P001')!;
    expect([p1.email, p1.name, p1.consent]).to.deep.equal(['ann.jones@example.com', 'Ann Jones', 'no']);
    const bad = await rfmDist(['score', odd, ...reg, ...cols, '--attributes', 'consent=Contact', '--out', out]);
    expect(bad.code).to.equal(65);
    expect(bad.stderr).to.match(/column "Contact", line 2: consent value a value of \d+ characters \(not shown/);
    expect(bad.stderr).not.to.include('@example.');
  });
});
