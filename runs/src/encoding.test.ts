import { expect } from 'chai';
import { mulberry32 } from '@rfm/shared';
import { decodeCustomers, encodeCustomers, selectCustomers } from './encoding.js';
import type { ScoredCustomers } from './types.js';

function synthetic(n: number, seed: number): ScoredCustomers {
  const rnd = mulberry32(seed);
  const cid = Array.from({ length: n }, (_, i) => String(10_000_000 + i * 7));
  return {
    cid,
    recency: Float64Array.from(cid, () => Math.floor(rnd() * 700)),
    frequency: Float64Array.from(cid, () => 1 + Math.floor(rnd() * rnd() * 60)),
    monetary: Float64Array.from(cid, () => Math.round(rnd() * rnd() * 1e6) / 100),
    rScore: Uint8Array.from(cid, () => 1 + Math.floor(rnd() * 5)),
    fScore: Uint8Array.from(cid, () => 1 + Math.floor(rnd() * 5)),
    mScore: Uint8Array.from(cid, () => 1 + Math.floor(rnd() * 5)),
    cluster: Uint16Array.from(cid, () => Math.floor(rnd() * 6)),
    distance: Float64Array.from(cid, () => rnd() * 4),
    outlier: Uint8Array.from(cid, () => (rnd() < 0.01 ? 1 : 0)),
  };
}

describe('customers encoding', () => {
  it('round-trips every column exactly (distance to float32 precision), odd ids included', () => {
    const c = synthetic(1000, 3);
    c.cid[0] = 'ünïcode, "quoted"';
    c.cid[1] = '';
    const back = decodeCustomers(encodeCustomers(c));
    expect(back.cid).to.deep.equal(c.cid);
    for (const k of ['recency', 'frequency', 'monetary', 'rScore', 'fScore', 'mScore', 'cluster', 'outlier'] as const)
      expect(Array.from(back[k]), k).to.deep.equal(Array.from(c[k]));
    for (let i = 0; i < 1000; i++) expect(back.distance[i]).to.be.closeTo(c.distance[i]!, 1e-6);
    expect(decodeCustomers(encodeCustomers(synthetic(0, 1))).cid).to.deep.equal([]);
  });

  it('keeps values that do not narrow (fractional days, sub-cent spend, huge counts) exact as f64', () => {
    const c = synthetic(50, 6);
    c.recency[3] = 12.5;
    c.frequency[4] = 2 ** 40;
    c.monetary[5] = 0.1 + 0.2; // 0.30000000000000004: not a whole number of cents
    const back = decodeCustomers(encodeCustomers(c));
    expect(back.recency[3]).to.equal(12.5);
    expect(back.frequency[4]).to.equal(2 ** 40);
    expect(back.monetary[5]).to.equal(0.1 + 0.2);
    expect(Array.from(back.monetary)).to.deep.equal(Array.from(c.monetary));
  });

  it('keeps 1M customers under 25 MB', function () {
    this.timeout(60_000);
    const bytes = encodeCustomers(synthetic(1_000_000, 4));
    expect(bytes.byteLength).to.be.below(25 * 1024 * 1024);
  });

  it('refuses damaged bytes as a registry error', () => {
    const bytes = encodeCustomers(synthetic(10, 5));
    expect(() => decodeCustomers(bytes.subarray(0, 8))).to.throw(/damaged: too short/);
    const bad = Uint8Array.from(bytes);
    bad[0] = 0;
    expect(() => decodeCustomers(bad)).to.throw(/not an rfm customers blob/);
    expect(() => decodeCustomers(bytes.subarray(0, bytes.length - 5))).to.throw(/damaged/);
  });

  it('round-trips the customer attributes (e-mail, name, consent), each present or absent on its own', () => {
    const c = synthetic(500, 8);
    c.email = c.cid.map((id, i) => (i % 7 === 0 ? '' : `p${id}@example.com`));
    c.name = c.cid.map((_, i) => (i % 5 === 0 ? '' : `Näme ${i}, "x"`));
    c.consent = Uint8Array.from(c.cid, (_, i) => i % 3);
    const back = decodeCustomers(encodeCustomers(c));
    expect(back.email).to.deep.equal(c.email);
    expect(back.name).to.deep.equal(c.name);
    expect(Array.from(back.consent!)).to.deep.equal(Array.from(c.consent));
    expect(back.cid).to.deep.equal(c.cid);
    expect(Array.from(back.outlier)).to.deep.equal(Array.from(c.outlier));
    const onlyName = decodeCustomers(
      encodeCustomers({ ...synthetic(20, 9), name: Array.from({ length: 20 }, (_, i) => `n${i}`) }),
    );
    expect(onlyName.name).to.have.length(20);
    expect(onlyName.name![19]).to.equal('n19');
    expect(onlyName).not.to.have.property('email');
    expect(onlyName).not.to.have.property('consent');
    const none = decodeCustomers(encodeCustomers(synthetic(20, 9)));
    expect(none).not.to.have.any.keys('email', 'name', 'consent');
    const empty = decodeCustomers(encodeCustomers({ ...synthetic(0, 1), email: [], consent: new Uint8Array(0) }));
    expect(empty.email).to.deep.equal([]);
  });

  it('reads a run saved by the v1 encoding (before attributes) with no attributes', () => {
    // written by the format-2 encoder as it was before attributes (git history of this file)
    const v1 = Buffer.from(
      'UkZNQwIAAAADAAAAIQMAAC3BsRGCQBAAwL33fzAjtwFihCHFXsiNLccObICMTqjE4WG3+GgQyEhOj0zbcd/DZeY746VKAiWyQ+TkELeiClX/HMbJtr63n2X4Aw==',
      'base64',
    );
    const c = decodeCustomers(v1);
    expect(c.cid).to.deep.equal(['12346', 'ünï', 'c3']);
    expect(Array.from(c.monetary)).to.deep.equal([10.5, 99.99, 1234]);
    expect(Array.from(c.cluster)).to.deep.equal([0, 2, 1]);
    expect(Array.from(c.outlier)).to.deep.equal([0, 1, 0]);
    expect(c).not.to.have.any.keys('email', 'name', 'consent');
  });

  it('selectCustomers keeps every column of the chosen customers, attributes included (what erasure re-encodes)', () => {
    const c = synthetic(10, 2);
    c.email = c.cid.map((id) => `${id}@example.com`);
    c.consent = Uint8Array.from(c.cid, (_, i) => i % 2);
    const s = selectCustomers(c, [0, 3, 9]);
    const back = decodeCustomers(encodeCustomers(s));
    expect(back.cid).to.deep.equal([c.cid[0], c.cid[3], c.cid[9]]);
    expect(back.email).to.deep.equal([c.email[0], c.email[3], c.email[9]]);
    expect(Array.from(back.consent!)).to.deep.equal([0, 1, 1]);
    expect(Array.from(back.monetary)).to.deep.equal([c.monetary[0], c.monetary[3], c.monetary[9]]);
  });
});
