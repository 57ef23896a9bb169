import { expect } from 'chai';
import { BatchRequestSchema, CustomerFeaturesSchema, LIMITS, MAX_BATCH } from './schemas.js';
import { fastCustomer, fastPredictRequest } from './fast-parse.js';
import { parsePredictRequest } from './validate.js';
import { RfmError } from './errors.js';
import { mulberry32 } from './random.js';

const prng = mulberry32;

const EDGE_VALUES: unknown[] = [
  0,
  1,
  -1,
  0.5,
  1.5,
  2,
  36_500,
  36_500.0001,
  36_501,
  10_000_000,
  10_000_001,
  1e12,
  1e12 + 1,
  1e300,
  -0,
  Number.MAX_SAFE_INTEGER,
  2 ** 53 + 2,
  '1',
  ' 2 ',
  '',
  'x',
  '1e3',
  null,
  undefined,
  true,
  [],
  {},
  LIMITS.recency.min,
  LIMITS.monetary.max,
];
const CIDS: unknown[] = [
  undefined,
  null,
  '',
  '   ',
  '12346',
  ' 12346 ',
  'a'.repeat(64),
  ` ${'a'.repeat(64)} `,
  'a'.repeat(65),
  12346,
  0,
  -1,
  1.5,
  2 ** 53,
  true,
  {},
];
const KEYS = [
  ['cid', 'recency', 'frequency', 'monetary'],
  ['CID', 'Recency', 'Frequency', 'Monetary'],
];

function randomCustomer(rand: () => number): Record<string, unknown> {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const o: Record<string, unknown> = {};
  const fields = [0, 1, 2, 3];
  // random order, random spelling, sometimes both spellings, sometimes a missing or an extra field
  fields.sort(() => rand() - 0.5);
  for (const i of fields) {
    if (rand() < 0.03) continue;
    const value =
      i === 0
        ? pick(CIDS)
        : rand() < 0.6
          ? Math.round(rand() * 10 ** Math.floor(rand() * 6)) / (rand() < 0.5 ? 1 : 100)
          : pick(EDGE_VALUES);
    const name = KEYS[rand() < 0.5 ? 0 : 1]![i]!;
    if (value !== undefined || rand() < 0.5) o[name] = value;
    if (rand() < 0.05) o[KEYS[name === KEYS[0]![i] ? 1 : 0]![i]!] = pick(EDGE_VALUES);
  }
  if (rand() < 0.03) o[pick(['extra', '__proto__', 'Cid', 'recencY'])] = 1;
  return o;
}

describe('fast predict parsing', () => {
  it('agrees with the zod schema: whatever it accepts, zod accepts with the same output', () => {
    const rand = prng(7);
    let accepted = 0;
    for (let n = 0; n < 20_000; n++) {
      const input = JSON.parse(JSON.stringify(randomCustomer(rand)) ?? 'null');
      const fast = fastCustomer(input);
      if (fast === null) continue;
      accepted++;
      const z = CustomerFeaturesSchema.safeParse(input);
      expect(z.success, JSON.stringify(input)).to.equal(true);
      expect(fast, JSON.stringify(input)).to.deep.equal(z.data);
      expect(Object.keys(fast)).to.deep.equal(Object.keys(z.data!)); // same key order in the response
    }
    expect(accepted).to.be.greaterThan(1_000); // the fast path is actually taken for plain input
  });

  it('with strings allowed (CSV, forms) it still agrees with the schema', () => {
    const rand = prng(11);
    let accepted = 0;
    const texts = [
      '1',
      ' 2 ',
      '3.5',
      '+4',
      '-1',
      '1e3',
      '1e5',
      '.5',
      '5.',
      '0x10',
      '1_000',
      ' ',
      'NaN',
      'Infinity',
      '36500',
      '36500.5',
      '10000001',
      '7',
    ];
    for (let n = 0; n < 20_000; n++) {
      const input: Record<string, unknown> = JSON.parse(JSON.stringify(randomCustomer(rand)) ?? 'null') ?? {};
      for (const k of Object.keys(input))
        if (k.toLowerCase() !== 'cid' && rand() < 0.7)
          input[k] = rand() < 0.5 ? String(input[k]) : texts[Math.floor(rand() * texts.length)];
      const fast = fastCustomer(input, true);
      if (fast === null) continue;
      accepted++;
      const z = CustomerFeaturesSchema.safeParse(input);
      expect(z.success, JSON.stringify(input)).to.equal(true);
      expect(fast, JSON.stringify(input)).to.deep.equal(z.data);
    }
    expect(accepted).to.be.greaterThan(1_000);
  });

  it('takes the fast path for plain bodies and batches', () => {
    expect(fastPredictRequest({ CID: 12346, Recency: 325, Monetary: 77183.6, Frequency: 1 })).to.deep.equal({
      batch: false,
      instances: [{ cid: '12346', recency: 325, frequency: 1, monetary: 77183.6 }],
    });
    const many = Array.from({ length: MAX_BATCH }, (_, i) => ({
      cid: `c${i}`,
      recency: i % 400,
      frequency: 1 + (i % 9),
      monetary: i * 1.5,
    }));
    const r = fastPredictRequest({ instances: many });
    expect(r?.batch).to.equal(true);
    expect(r?.instances).to.deep.equal(BatchRequestSchema.parse({ instances: many }).instances);
  });

  it('defers everything unusual to zod, so errors keep zod’s messages', () => {
    for (const body of [
      { instances: [] },
      { instances: Array.from({ length: MAX_BATCH + 1 }, () => ({ recency: 1, frequency: 1, monetary: 1 })) },
      { instances: [{ recency: 1, frequency: 1, monetary: 1 }], extra: 1 },
      { instances: 'x' },
      { recency: '1', frequency: 1, monetary: 1 },
      { recency: 1, frequency: 1.5, monetary: 1 },
      [],
      null,
    ])
      expect(fastPredictRequest(body), JSON.stringify(body)?.slice(0, 80)).to.equal(null);
    try {
      parsePredictRequest({
        instances: [
          { recency: 1, frequency: 1, monetary: 1 },
          { recency: 1, frequency: 2.5, monetary: 1 },
        ],
      });
      expect.fail('should throw');
    } catch (e) {
      expect(e).to.be.instanceOf(RfmError);
      expect((e as RfmError).message).to.equal(
        'invalid request: instances.1.frequency: frequency must be a whole number',
      );
    }
  });
});
