import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { PALETTE } from '@rfm/charts';

describe('segment colours', () => {
  it("the page's swatches and segment accents use the charts' palette, cluster by cluster", () => {
    const css = readFileSync(new URL('../../assets/rfm.css', import.meta.url), 'utf8');
    const swatch = [...css.matchAll(/\.swatch-(\d+) \{\s*background: (#[0-9a-f]{6});/g)].map((m) => [
      Number(m[1]),
      m[2],
    ]);
    const seg = [...css.matchAll(/\.seg-(\d+) \{\s*--seg: (#[0-9a-f]{6});/g)].map((m) => [Number(m[1]), m[2]]);
    const expected = PALETTE.map((c, i) => [i, c]);
    expect(swatch).to.deep.equal(expected);
    expect(seg).to.deep.equal(expected);
  });
});
