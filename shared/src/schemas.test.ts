import { expect } from 'chai';
import { CustomerFeaturesSchema, PredictRequestSchema } from './schemas.js';
import { parseOrThrow, parsePredictRequest } from './validate.js';
import { RfmError } from './errors.js';
import { makeArtifact } from './testing/index.js';
import { parseArtifact, serializeArtifact } from './artifact.js';

describe('schemas', () => {
  it('accepts the capitalised names and the lowercase names, coercing numeric strings from forms', () => {
    expect(
      CustomerFeaturesSchema.parse({ CID: 12346, Recency: '325', Monetary: '77183.6', Frequency: '1' }),
    ).to.deep.equal({
      cid: '12346',
      recency: 325,
      frequency: 1,
      monetary: 77183.6,
    });
    expect(CustomerFeaturesSchema.parse({ recency: 3, frequency: 2, monetary: 10 })).to.deep.equal({
      cid: null,
      recency: 3,
      frequency: 2,
      monetary: 10,
    });
    expect(CustomerFeaturesSchema.parse({ cid: '', recency: 0, frequency: 1, monetary: 0 }).cid).to.equal(null);
  });

  const bad: [unknown, RegExp][] = [
    [{ recency: -1, frequency: 1, monetary: 1 }, /recency: recency must be at least 0/],
    [{ recency: 1, frequency: 1.5, monetary: 1 }, /frequency: frequency must be a whole number/],
    [{ recency: 1, frequency: 0, monetary: 1 }, /frequency must be at least 1/],
    [{ recency: 'NaN', frequency: 1, monetary: 1 }, /recency must be a number, got "NaN"/],
    [{ recency: 'Infinity', frequency: 1, monetary: 1 }, /recency must be a number/],
    [{ recency: 1e300, frequency: 1, monetary: 1 }, /recency must be at most 36500/],
    [{ recency: 1, frequency: 1 }, /monetary/],
    [{ recency: 1, frequency: 1, monetary: 1, frecuency: 2 }, /unknown field\(s\): frecuency/],
    [{ recency: true, frequency: 1, monetary: 1 }, /recency must be a number/],
    [[1, 2, 3], /expected an object|Invalid/],
  ];
  for (const [input, msg] of bad)
    it(`rejects ${JSON.stringify(input)} naming the field`, () => {
      expect(() => parseOrThrow(CustomerFeaturesSchema, input, 'customer')).to.throw(RfmError, msg);
    });

  it('batch errors name the instance index; batches are capped at 10,000', () => {
    try {
      parsePredictRequest({
        instances: [
          { recency: 1, frequency: 1, monetary: 1 },
          { recency: 1, frequency: 'x', monetary: 1 },
        ],
      });
      expect.fail('should throw');
    } catch (e) {
      expect((e as RfmError).issues.map((i) => i.path)).to.include('instances.1.frequency');
    }
    const many = Array.from({ length: 10_001 }, () => ({ recency: 1, frequency: 1, monetary: 1 }));
    expect(() => parsePredictRequest({ instances: many })).to.throw(RfmError, /at most 10000/);
    expect(parsePredictRequest({ Recency: 1, Frequency: 2, Monetary: 3 })).to.deep.equal({
      batch: false,
      instances: [{ cid: null, recency: 1, frequency: 2, monetary: 3 }],
    });
    expect(PredictRequestSchema.safeParse({ instances: [{ recency: 1, frequency: 1, monetary: 1 }] }).success).to.equal(
      true,
    );
  });

  it('artifact round-trips through bytes; tampering, unknown formats and broken contracts are refused', () => {
    const a = makeArtifact();
    const { bytes, sha256 } = serializeArtifact(a);
    expect(parseArtifact(bytes, sha256)).to.deep.equal(a);
    const tampered = Buffer.from(bytes.toString().replace('"k":4', '"k":5'));
    expect(() => parseArtifact(tampered, sha256)).to.throw(RfmError, /checksum mismatch/);
    expect(() => parseArtifact(Buffer.from(JSON.stringify({ ...a, schema_version: 2 })))).to.throw(
      RfmError,
      /unknown artifact format.*v2/,
    );
    expect(() => parseArtifact(Buffer.from(JSON.stringify({ ...a, k: 3 })))).to.throw(
      RfmError,
      /expected 3 centroids, found 4/,
    );
    expect(() => parseArtifact(Buffer.from('{nope'))).to.throw(RfmError, /not valid JSON/);
  });

  it('artifact v1 grew only optional fields: one stored without them still parses, one with them keeps them', () => {
    const old = makeArtifact();
    for (const s of old.segments) delete (s as { median?: unknown }).median;
    const { sweep: _s, k_selection: _k, ...bare } = old;
    const { algorithm: _a, restart_sample: _r, ...params } = bare.params;
    const stored = { ...bare, params };
    expect(parseArtifact(Buffer.from(JSON.stringify(stored)))).to.deep.equal(stored);
    const grown = {
      ...stored,
      params: { ...params, algorithm: 'lloyd-sampled-restarts', restart_sample: 100000 },
      segments: stored.segments.map((s) => ({ ...s, median: { recency: 10, frequency: 2, monetary: 300 } })),
      sweep: [
        { k: 2, inertia: 10, silhouette: 0.4 },
        { k: 3, inertia: 7, silhouette: null, davies_bouldin: 0.9, calinski_harabasz: 100 },
      ],
      k_selection: { method: 'silhouette', k_min: 2, k_max: 3, sample: 300 },
    };
    expect(parseArtifact(Buffer.from(JSON.stringify(grown)))).to.deep.equal(grown);
    expect(() =>
      parseArtifact(
        Buffer.from(JSON.stringify({ ...grown, k_selection: { method: 'elbow', k_min: 2, k_max: 3, sample: 1 } })),
      ),
    ).to.throw(RfmError);
  });
});
