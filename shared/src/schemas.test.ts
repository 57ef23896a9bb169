import { expect } from 'chai';
import { CustomerFeaturesSchema, PredictRequestSchema } from './schemas.js';
import { parseOrThrow, parsePredictRequest } from './validate.js';
import { RfmError } from './errors.js';
import { makeArtifact, parseArtifactV1Release } from './test-support/index.js';
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
    expect(a.schema_version).to.equal(2);
    const { bytes, sha256 } = serializeArtifact(a);
    expect(parseArtifact(bytes, sha256)).to.deep.equal(a);
    const tampered = Buffer.from(bytes.toString().replace('"k":4', '"k":5'));
    expect(() => parseArtifact(tampered, sha256)).to.throw(RfmError, /checksum mismatch/);
    expect(() => parseArtifact(Buffer.from(JSON.stringify({ ...a, schema_version: 3 })))).to.throw(
      RfmError,
      /unknown artifact format: expected rfm\.kmeans v1 or v2, found rfm\.kmeans v3/,
    );
    expect(() => parseArtifact(Buffer.from(JSON.stringify({ ...a, k: 3 })))).to.throw(
      RfmError,
      /does not match schema v2: .*expected 3 centroids, found 4/,
    );
    expect(() => parseArtifact(Buffer.from('{nope'))).to.throw(RfmError, /not valid JSON/);
  });

  /** The same model written as artifact v1 was: no naming record, one catalogue name per cluster. */
  function asV1(a: ReturnType<typeof makeArtifact>) {
    const { naming: _n, ...rest } = a;
    return { ...rest, schema_version: 1, segments: a.segments.map(({ naming: _s, ...seg }) => seg) };
  }

  it('artifact v1 still loads (as stored before v2 and before its optional fields); v2 fields are not v1', () => {
    const old = asV1(makeArtifact());
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
    // v2's fields in a v1 file, or a v2 file without them: refused, naming the field
    const v2 = makeArtifact();
    expect(() => parseArtifact(Buffer.from(JSON.stringify({ ...grown, naming: v2.naming })))).to.throw(
      RfmError,
      /schema v1: artifact\.naming: not part of schema v1/,
    );
    const { naming: _n, ...noNaming } = v2;
    expect(() => parseArtifact(Buffer.from(JSON.stringify(noNaming)))).to.throw(
      RfmError,
      /schema v2: artifact\.naming: required from schema v2/,
    );
    expect(() =>
      parseArtifact(Buffer.from(JSON.stringify({ ...v2, segments: v2.segments.map(({ naming: _x, ...seg }) => seg) }))),
    ).to.throw(RfmError, /artifact\.segments\.0\.naming: required from schema v2/);
  });

  it('an old server (the released v1 loader) refuses a v2 artifact cleanly by its version, and reads v1', () => {
    const v2 = makeArtifact();
    const { bytes, sha256 } = serializeArtifact(v2);
    let err: unknown;
    try {
      parseArtifactV1Release(bytes, sha256);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(RfmError);
    expect((err as RfmError).code).to.equal('INVALID_INPUT');
    expect((err as RfmError).message).to.equal('unknown artifact format: expected rfm.kmeans v1, found rfm.kmeans v2');
    // what v2 writes, stamped v1, would not even pass the old contract's checks — hence the bump
    const stamped = {
      ...v2,
      schema_version: 1,
      k_selection: { method: 'knee+silhouette+min-share', k_min: 3, k_max: 8, sample: 10 },
    };
    expect(() => parseArtifactV1Release(Buffer.from(JSON.stringify(stamped)))).to.throw(RfmError, /schema v1/);
    const v1 = asV1(v2);
    expect(parseArtifactV1Release(Buffer.from(JSON.stringify(v1))).segments.map((s) => s.name)).to.deep.equal(
      v2.segments.map((s) => s.name),
    );
  });
});
