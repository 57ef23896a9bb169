import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConsent, RfmError } from '@rfm/shared';
import { parseAttributeMapping } from './attributes.js';
import { readExport } from './export-reader.js';
import { CONSENT_NO, CONSENT_UNKNOWN, CONSENT_YES, type RfmTable } from './rfm-table.js';
import {
  allEmails,
  expectedAttributes,
  people,
  peopleWithNewEmail,
  writeOddPeople,
  writeShopifyPeople,
  writeUci,
} from './test-support/fixtures.js';

async function rejects(p: Promise<unknown>): Promise<RfmError> {
  try {
    await p;
  } catch (e) {
    expect(e).to.be.instanceOf(RfmError);
    return e as RfmError;
  }
  throw new Error('expected a rejection');
}

const consentOf = (b: boolean | null) => (b === null ? CONSENT_UNKNOWN : b ? CONSENT_YES : CONSENT_NO);

function row(t: RfmTable, cid: string) {
  const i = t.cids.indexOf(cid);
  expect(i, cid).to.be.at.least(0);
  const a = t.attributes!;
  return { email: a.email?.[i], name: a.name?.[i], consent: a.consent?.[i] };
}

describe('customer attributes (e-mail, name, consent) from exports', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rfm-attrs-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('Shopify: Email, Billing Name and Accepts Marketing, the latest non-empty value per customer', async () => {
    const ps = people();
    const r = await readExport(writeShopifyPeople(dir, ps), { attributes: {} });
    expect(r.summary.reader?.notes.join(' ')).to.include(
      'customer attributes: email = Email, name = Billing Name, consent = Accepts Marketing',
    );
    expect(r.table.cids).to.have.length(ps.length);
    expect(row(r.table, 'ann.smith@example.com')).to.deep.equal({
      email: 'ann.smith@example.com',
      name: 'Ann Jones',
      consent: CONSENT_NO,
    });
    expect(row(r.table, 'bob.brown@example.org')).to.deep.equal({
      email: 'bob.brown@example.org',
      name: 'Bob Brown',
      consent: CONSENT_YES,
    });
    expect(row(r.table, 'cara.white@example.net').consent).to.equal(CONSENT_UNKNOWN);
    expect(row(r.table, 'dan.green@example.com').consent).to.equal(CONSENT_YES);
    for (const p of ps) {
      const want = expectedAttributes(p);
      expect(row(r.table, want.email), p.ref).to.deep.equal({
        email: want.email,
        name: want.name,
        consent: consentOf(want.consent),
      });
    }
    const yes = r.table.attributes!.consent!.filter((c) => c === CONSENT_YES).length;
    expect(yes).to.equal(ps.filter((p) => expectedAttributes(p).consent === true).length);
  });

  it('reads no attributes unless asked (training and rfm features pay nothing), nor with --attributes none', async () => {
    const file = writeShopifyPeople(dir);
    expect((await readExport(file)).table.attributes).to.equal(undefined);
    expect((await readExport(file, { attributes: 'none' })).table.attributes).to.equal(undefined);
    // an export without attribute columns: asked, none found
    expect((await readExport(writeUci(dir), { attributes: {} })).table.attributes).to.equal(undefined);
  });

  it('--attributes maps unusual headers; a changed e-mail is the latest one', async () => {
    const ps = peopleWithNewEmail();
    const file = writeOddPeople(dir, ps);
    const r = await readExport(file, {
      columns: { customer: 'Ref', invoice: 'Order No', date: 'Ordered', amount: 'Paid' },
      attributes: parseAttributeMapping('email=Contact,name=Person,consent=OK to mail') as object,
    });
    expect(row(r.table, 'P001')).to.deep.equal({
      email: 'ann.jones@example.com',
      name: 'Ann Jones',
      consent: CONSENT_NO,
    });
    expect(row(r.table, 'P002')).to.deep.equal({
      email: 'bob.brown@example.org',
      name: 'Bob Brown',
      consent: CONSENT_YES,
    });
    expect(row(r.table, 'P003').consent).to.equal(CONSENT_UNKNOWN);
    // without the mapping, none of these headers is recognised
    const plain = await readExport(file, {
      columns: { customer: 'Ref', invoice: 'Order No', date: 'Ordered', amount: 'Paid' },
      attributes: {},
    });
    expect(plain.table.attributes).to.equal(undefined);
  });

  it('recognises common spellings: e-mail, first + last name, marketing consent written true/false', async () => {
    const f = join(dir, 'spellings.csv');
    writeFileSync(
      f,
      'Invoice,Customer ID,Date,Amount,E-mail,First Name,Last Name,Marketing Consent\n' +
        'A1,7,2011-01-02,10,x7@example.com,Eve,Stone,TRUE\n' +
        'A2,7,2011-02-02,10,,Eve,Hill,false\n' +
        'A3,8,2011-02-03,10,x8@example.com,,,Subscribed\n',
    );
    const r = await readExport(f, { attributes: {} });
    expect(row(r.table, '7')).to.deep.equal({ email: 'x7@example.com', name: 'Eve Hill', consent: CONSENT_NO });
    expect(row(r.table, '8')).to.deep.equal({ email: 'x8@example.com', name: '', consent: CONSENT_YES });
  });

  it('a consent value that is neither yes nor no: an error naming column and line, never an address', async () => {
    const f = join(dir, 'bad-consent.csv');
    writeFileSync(
      f,
      'Invoice,Customer ID,Date,Amount,Email,Accepts Marketing\n' +
        'A1,7,2011-01-02,10,x7@example.com,yes\n' +
        'A2,8,2011-02-02,10,x8@example.com,maybe\n',
    );
    const e = await rejects(readExport(f, { attributes: {} }));
    expect(e.code).to.equal('INVALID_INPUT');
    expect(e.message).to.match(/column "Accepts Marketing", line 3: consent value "maybe" is neither yes nor no/);
    // a consent column mapped onto the e-mails: the value is not shown
    const e2 = await rejects(readExport(f, { attributes: { consent: 'Email' } }));
    expect(e2.message).to.match(/column "Email", line 2: consent value a value of 14 characters \(not shown/);
    expect(JSON.stringify({ m: e2.message, d: e2.details, i: e2.issues })).not.to.include('@example.com');
  });

  it('a mapped attribute column that is not in the file is named, with the columns found', async () => {
    const e = await rejects(readExport(writeShopifyPeople(dir), { attributes: { email: 'Mail' } }));
    expect(e.message).to.match(/column "Mail" given for email is not in the file/);
    expect(() => parseAttributeMapping('phone=Tel')).to.throw(/unknown attribute "phone"/);
    expect(parseAttributeMapping('none')).to.equal('none');
  });

  it('consent words', () => {
    for (const w of ['yes', 'Y', 'TRUE', '1', 'opt-in', 'Subscribed', 'opted in'])
      expect(parseConsent(w), w).to.equal(true);
    for (const w of ['no', 'N', 'false', '0', 'opt-out', 'unsubscribed', 'not_subscribed', 'pending'])
      expect(parseConsent(w), w).to.equal(false);
    expect(parseConsent('  ')).to.equal(null);
    expect(parseConsent('maybe')).to.equal(undefined);
    expect(allEmails(people(2))).to.include('ann.smith@example.com');
  });
});
