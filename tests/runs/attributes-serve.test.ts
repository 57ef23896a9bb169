/**
 * Customer attributes through a real `rfm serve` process (issue 18): a Shopify-shaped export is
 * scored by POST /api/v1/runs; the customers API, the web downloads and the run page leave out
 * people without consent by default and include them on request, saying which list each file is;
 * and the server's whole log output (debug level), /metrics and every error of the run are searched
 * for the export's e-mail addresses and names, finding none.
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
import { makeArtifact } from '@rfm/shared/testing';
import { adminSignIn } from '../../serving/src/test-support/fixtures.js';
import { startServerProcess, tempDir, waitFor } from '../support.js';

const TOKEN = 'attrs-serve-admin-token-0123456789-abcdef';
const auth = { authorization: `Bearer ${TOKEN}` };

const rowsOf = (csv: string) => csv.trim().split('\n').slice(1);
const col = (csv: string, name: string) => {
  const [head, ...rows] = csv.trim().split('\n');
  const i = head!.split(',').indexOf(name);
  return rows.map((r) => r.split(',')[i]);
};

describe('customer attributes and consent lists in rfm serve (process, debug log searched)', function () {
  this.timeout(240_000);
  const t = tempDir('rfm-attrs-serve-');
  const ps = people();
  const consented = ps.filter((p) => expectedAttributes(p).consent === true);
  const secrets = [...allEmails(ps), 'ann.jones@example.com', 'Ann Jones', 'Bob Brown', 'Cara White'];
  let server: Awaited<ReturnType<typeof startServerProcess>>;
  let log = '';
  let runId: string;
  let cookie: string;

  async function runExport(file: string, query = ''): Promise<{ id: string; state: string; error: any; facts: any }> {
    const r = await fetch(`${server.url}/api/v1/runs${query}`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'text/csv' },
      body: readFileSync(file),
    });
    const text = await r.text();
    expect(r.status, text).to.equal(202);
    const { id } = JSON.parse(text) as { id: string };
    const done = await waitFor(
      async () => {
        const j = (await (await fetch(`${server.url}/api/v1/runs/${id}`, { headers: auth })).json()) as any;
        return ['succeeded', 'failed', 'cancelled'].includes(j.state) ? j : undefined;
      },
      120_000,
      100,
    );
    return done.value;
  }

  before(async () => {
    const file = join(t.dir, 'registry.db');
    const reg = await Registry.open(file);
    await reg.register({ modelName: 'customer-segments', artifact: makeArtifact(), actor: 'test' });
    await reg.close();
    server = await startServerProcess(['--registry', file], {
      RFM_ADMIN_TOKEN: TOKEN,
      RFM_LOG_LEVEL: 'debug',
      RFM_POLL_MS: '50',
    });
    server.child.stdout!.on('data', (d) => (log += d));
    server.child.stderr!.on('data', (d) => (log += d));
    const run = await runExport(writeShopifyPeople(t.dir, ps));
    expect(run.state, JSON.stringify(run.error)).to.equal('succeeded');
    runId = run.id;
    expect(run.facts.attributes.consent.yes).to.equal(consented.length);
    cookie = await adminSignIn(server.url, TOKEN, 'tester');
  });
  after(async () => {
    await server?.stop();
    t.cleanup();
  });

  it('GET /api/v1/runs/:id/customers: consented only by default; include_unconsented=true lists everyone; the file says which', async () => {
    const a = await fetch(`${server.url}/api/v1/runs/${runId}/customers`, { headers: auth });
    const csv = await a.text();
    expect(a.status, csv).to.equal(200);
    expect(a.headers.get('x-rfm-list')).to.equal('consented_only');
    expect(a.headers.get('content-disposition')).to.equal(`attachment; filename="${runId}-customers-consented.csv"`);
    expect(rowsOf(csv)).to.have.length(consented.length);
    expect(col(csv, 'consent').every((v) => v === 'yes')).to.equal(true);
    expect(col(csv, 'consent_filter').every((v) => v === 'consented_only')).to.equal(true);
    expect(col(csv, 'email').sort()).to.deep.equal(consented.map((p) => expectedAttributes(p).email).sort());

    const b = await fetch(`${server.url}/api/v1/runs/${runId}/customers?include_unconsented=true`, { headers: auth });
    const all = await b.text();
    expect(b.headers.get('content-disposition')).to.match(/-customers-incl-unconsented\.csv"$/);
    expect(rowsOf(all)).to.have.length(ps.length);
    expect(col(all, 'consent_filter').every((v) => v === 'all_customers')).to.equal(true);

    const nd = await fetch(`${server.url}/api/v1/runs/${runId}/customers?include_unconsented=1`, {
      headers: { ...auth, accept: 'application/x-ndjson' },
    });
    const lines = (await nd.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).to.have.length(ps.length);
    const ann = lines.find((l) => l.cid === 'ann.smith@example.com');
    expect([ann.email, ann.name, ann.consent, ann.consent_filter]).to.deep.equal([
      'ann.smith@example.com',
      'Ann Jones',
      false,
      'all_customers',
    ]);
    expect(lines.find((l) => l.cid === 'cara.white@example.net').consent).to.equal(null);
    const bad = await fetch(`${server.url}/api/v1/runs/${runId}/customers?include_unconsented=maybe`, {
      headers: auth,
    });
    expect(bad.status).to.equal(400);
  });

  it('the run page states how many consented and toggles the lists; the web downloads follow it', async () => {
    const page = await (await fetch(`${server.url}/runs/${runId}`, { headers: { cookie } })).text();
    expect(page).to.match(
      new RegExp(`id="fact-consent"><strong>${consented.length}</strong> of ${ps.length} customers consented`),
    );
    expect(page).to.include('consented customers only');
    expect(page).to.include(`href="/runs/${runId}?include_unconsented=true" id="consent-toggle"`);
    const toggled = await (
      await fetch(`${server.url}/runs/${runId}?include_unconsented=true`, { headers: { cookie } })
    ).text();
    expect(toggled).to.include('include customers without consent');
    expect(toggled).to.match(/customers\.csv\?segment=[^"]+&amp;include_unconsented=true/);

    const d = await fetch(`${server.url}/runs/${runId}/customers.csv`, { headers: { cookie } });
    expect(d.headers.get('content-disposition')).to.equal(`attachment; filename="${runId}-customers-consented.csv"`);
    expect(rowsOf(await d.text())).to.have.length(consented.length);
    const e = await fetch(`${server.url}/runs/${runId}/customers.csv?include_unconsented=true`, {
      headers: { cookie },
    });
    expect(e.headers.get('content-disposition')).to.match(/-customers-incl-unconsented\.csv"$/);
    expect(rowsOf(await e.text())).to.have.length(ps.length);
  });

  it('the runs API maps attributes on unusual headers; a bad consent column fails the run naming column and line only', async () => {
    const odd = writeOddPeople(t.dir, peopleWithNewEmail());
    const cols = `columns=${encodeURIComponent('customer=Ref,invoice=Order No,date=Ordered,amount=Paid')}`;
    const ok = await runExport(
      odd,
      `?${cols}&attributes=${encodeURIComponent('email=Contact,name=Person,consent=OK to mail')}`,
    );
    expect(ok.state, JSON.stringify(ok.error)).to.equal('succeeded');
    const csv = await (
      await fetch(`${server.url}/api/v1/runs/${ok.id}/customers?include_unconsented=true`, { headers: auth })
    ).text();
    const p1 = csv.split('\n').find((l) => l.startsWith('P001,'))!;
    expect(p1).to.match(/^P001,ann\.jones@example\.com,Ann Jones,no,all_customers,/);

    const bad = await runExport(odd, `?${cols}&attributes=${encodeURIComponent('consent=Contact')}`);
    expect(bad.state).to.equal('failed');
    expect(bad.error.message).to.match(/column "Contact", line 2: consent value a value of \d+ characters \(not shown/);
    expect(JSON.stringify(bad)).not.to.include('@example.');
  });

  it('the web upload: unknown headers get the mapping form with attribute guesses; the chosen columns are kept', async () => {
    const odd = writeOddPeople(t.dir, peopleWithNewEmail(), 'web_odd.csv');
    const newPage = await (await fetch(`${server.url}/runs/new`, { headers: { cookie } })).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(newPage)![1]!;
    const form = new FormData();
    form.set('csrf', csrf);
    form.set('file', new Blob([readFileSync(odd)], { type: 'text/csv' }), 'web_odd.csv');
    const up = await fetch(`${server.url}/runs/new`, { method: 'POST', headers: { cookie }, body: form });
    const mappingPage = await up.text();
    expect(up.status, mappingPage.slice(0, 300)).to.equal(200);
    expect(mappingPage).to.include('id="attribute-columns"');
    // the guesses from the header words: Contact → e-mail, OK to mail → consent, Person → name
    for (const [a, c] of [
      ['email', 'Contact'],
      ['name', 'Person'],
      ['consent', 'OK to mail'],
    ])
      expect(mappingPage, a).to.match(new RegExp(`<select id="attr-${a}"[^]*?<option value="${c}" selected>`));
    const run = /name="run" value="([^"]+)"/.exec(mappingPage)![1]!;
    const body = new URLSearchParams({
      csrf,
      run,
      name: 'web_odd.csv',
      customer: 'Ref',
      invoice: 'Order No',
      date: 'Ordered',
      amount: 'Paid',
      attr_email: 'Contact',
      attr_name: '',
      attr_consent: 'OK to mail',
    });
    const go = await fetch(`${server.url}/runs/new/columns`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: body.toString(),
    });
    expect(go.status, await go.text()).to.equal(303);
    const done = await waitFor(
      async () => {
        const j = (await (await fetch(`${server.url}/api/v1/runs/${run}`, { headers: auth })).json()) as any;
        return ['succeeded', 'failed'].includes(j.state) ? j : undefined;
      },
      120_000,
      100,
    );
    expect(done.value.state, JSON.stringify(done.value.error)).to.equal('succeeded');
    // name left at "— none —": not kept, although "Person" would be guessed
    expect(done.value.facts.attributes.present).to.deep.equal(['email', 'consent']);
  });

  it('no e-mail address or name of the export is in the server log (debug level) or /metrics', async () => {
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics.length).to.be.above(100);
    expect(log).to.include('scoring run succeeded'); // the log was captured, and the runs are in it
    expect(log.split('\n').length).to.be.above(20);
    for (const s of secrets) {
      expect(log, `log holds ${s}`).not.to.include(s);
      expect(metrics, `metrics hold ${s}`).not.to.include(s);
    }
  });
});
