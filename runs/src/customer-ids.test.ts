import { expect } from 'chai';
import { CustomerIds, StringCodes } from './customer-ids.js';

/** Deterministic ids over awkward code units: ASCII, Latin-1, BMP above U+E000, surrogate pairs, prefixes of each other. */
function awkwardIds(count: number, seed: number): string[] {
  let s = seed >>> 0;
  const rnd = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  const pieces = ['a', 'B', 'z', '0', '9', 'é', 'ß', '\uE000', '\uFFFD', '😀', '\u{10FFFF}', '-'];
  const out = new Set<string>();
  while (out.size < count) {
    let id = '';
    const len = 1 + Math.floor(rnd() * 6);
    for (let j = 0; j < len; j++) id += pieces[Math.floor(rnd() * pieces.length)];
    out.add(id);
  }
  return [...out];
}

describe('CustomerIds: ids as one code-unit table', () => {
  const ids = awkwardIds(2000, 7);
  const sorted = [...ids].sort(); // JavaScript's default sort: by UTF-16 code unit, as ingest sorts
  const absent = awkwardIds(3000, 99).filter((x) => !ids.includes(x));

  it('finds every id of a sorted column at its position, and no absent one', () => {
    const t = CustomerIds.from(sorted);
    expect(t.size).to.equal(2000);
    for (const [i, id] of sorted.entries()) expect(t.indexOf(id), id).to.equal(i);
    expect(absent.length).to.be.greaterThan(500);
    for (const id of absent) expect(t.indexOf(id), id).to.equal(-1);
    // a prefix of a present id, and a present id with one more code unit, are not that id
    expect(t.indexOf(`${sorted[10]}\u0000`)).to.equal(-1);
  });

  it('finds ids of an unsorted column at their given positions (surrogate halves compare as code units)', () => {
    const t = CustomerIds.from(ids);
    for (const [i, id] of ids.entries()) expect(t.indexOf(id), id).to.equal(i);
    for (const id of absent) expect(t.indexOf(id), id).to.equal(-1);
    // U+E000 sorts after a surrogate pair's high half by code unit, though before it by code point
    const pair = CustomerIds.from(['x😀', 'x\uE000']);
    expect(pair.indexOf('x\uE000')).to.equal(1);
    expect(pair.indexOf('x😀')).to.equal(0);
  });

  it('answers -1 for anything when empty', () => {
    expect(CustomerIds.from([]).indexOf('a')).to.equal(-1);
    expect(CustomerIds.from([]).size).to.equal(0);
  });
});

describe('StringCodes: a column of few distinct strings', () => {
  it('gives back every value, null included', () => {
    const values = ['Champions', null, 'At risk', 'Champions', null, '2026-02-28', 'At risk'];
    const c = StringCodes.from(values);
    expect(values.map((_, i) => c.at(i))).to.deep.equal(values);
  });
});
