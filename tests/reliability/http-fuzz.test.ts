/**
 * Property-based fuzzing of every JSON route (and the CSV route) of a real server in its own
 * process. fast-check generates (CI defaults): 10,000 requests for POST /api/v1/predict, 10,000 for
 * POST /api/v1/predict/transactions, 3,000 shared by the six admin JSON routes (promote, rollback,
 * alias set/delete, relabel, archive; with the admin token, so bodies reach validation) and 1,000
 * for the CSV route: valid bodies with fields dropped, retyped or added; huge, negative and non-finite numbers (also as
 * strings and as raw JSON tokens like 1e999); unicode and lone surrogates; prototype keys; deep
 * nesting (up to 100,000 levels); oversized arrays and bodies; invalid JSON; invalid UTF-8; wrong,
 * missing and odd content types; empty and chunked bodies; hostile path parameters.
 *
 * What must hold for every single request:
 *   - no 5xx, no dropped connection;
 *   - every 4xx is our JSON error shape with a code and a message that names the problem (at least
 *     the field path for validation errors, "JSON" for unparsable bodies, "content-type"/"charset"
 *     for wrong types, the limit for oversized bodies, "empty" for empty ones);
 *   - 2xx answers are well-formed (one prediction per customer sent).
 * And for the run as a whole, measured inside the server process after a warm-up of the same
 * traffic: after a full GC its JS heap grows by at most HEAP_TOLERANCE_MB and its Buffer memory
 * (external) by at most EXTERNAL_TOLERANCE_MB — the sharp tests: keeping 1 kB per request would
 * add 24 MB — and its RSS by at most RSS_TOLERANCE_MB (loose: the allocator keeps the arenas that
 * 4 MB bodies needed; seen from -15% to +17% over runs).
 *
 * Bounded for CI (24,000 requests; the server spends ~2.5 ms of CPU on each under tsx, the
 * generator about as much, so ~60 s on two cores): targets run concurrently, one keep-alive
 * connection each. Knobs: RFM_FUZZ_RUNS (per scoring route), RFM_FUZZ_ADMIN_RUNS (60000 = 10,000
 * per admin route), RFM_FUZZ_CSV_RUNS, RFM_FUZZ_SEED to replay a run, RFM_FUZZ_TIMING=1 for the
 * time per kind of case.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { Registry } from '@rfm/registry';
import { ERROR_CODES, MAX_BATCH } from '@rfm/shared';
import { makeArtifact } from '@rfm/shared/testing';
import { stress, tempDir } from '../support.js';
import { keepAliveAgent, mb, rawRequest, startServeChild, type RawResponse, type ServeChild } from './helpers.js';

/** generated requests per target: each scoring route, the admin routes together, the CSV route */
const RUNS = Number(process.env.RFM_FUZZ_RUNS ?? stress(10_000, 3_000));
const ADMIN_RUNS = Number(process.env.RFM_FUZZ_ADMIN_RUNS ?? 3_000);
const CSV_RUNS = Number(process.env.RFM_FUZZ_CSV_RUNS ?? 1_000);
/** Fewer runs than this (0, or a typo that reads as NaN) would pass without testing anything: refused. */
const MIN_RUNS = 100;
const WARMUP = 200;
const SEED = process.env.RFM_FUZZ_SEED === undefined ? Date.now() % 2 ** 31 : Number(process.env.RFM_FUZZ_SEED);
/** Heap after full GC may grow this much over the whole run (a leak of 1 kB/request would be 10 MB). */
const HEAP_TOLERANCE_MB = 8;
const EXTERNAL_TOLERANCE_MB = 16;
/** RSS may grow this much (allocator arenas and JIT code are not returned to the OS at once). */
const RSS_TOLERANCE_MB = 96;

const MODEL = 'customer-segments';
const TOKEN = 'fuzz-admin-token-0123456789abcdef';

// ---------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------

/** A JSON token written as is (numbers JSON.stringify cannot produce, or invalid ones). */
class Raw {
  constructor(
    readonly text: string,
    /** whether the token is valid JSON (1e999 is; NaN is not) */
    readonly valid = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(text),
  ) {}
}

function toJson(v: unknown): string {
  if (v instanceof Raw) return v.text;
  if (Array.isArray(v)) return `[${v.map(toJson).join(',')}]`;
  if (typeof v === 'bigint') return v.toString();
  if (v !== null && typeof v === 'object')
    return `{${Object.keys(v)
      .map((k) => `${JSON.stringify(k)}:${toJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

/** Whether the body text contains a token that is not valid JSON (NaN, 01, …). */
const invalidToken = (v: unknown): boolean => {
  if (v instanceof Raw) return !v.valid;
  if (Array.isArray(v)) return v.some(invalidToken);
  if (v !== null && typeof v === 'object') return Object.values(v).some(invalidToken);
  return false;
};

const RAW_NUMBERS = [
  '1e999',
  '-1e999',
  '1' + '0'.repeat(400),
  '-0',
  '4.9e-324',
  '1E+308',
  '123456789012345678901234567890',
  '0.0000000000000000000001',
  'NaN',
  'Infinity',
  '-Infinity',
  '01',
  '1.',
  '.5',
  '+1',
  '0x10',
];
const SPECIAL_STRINGS = [
  'NaN',
  'Infinity',
  '-Infinity',
  '1e309',
  '-1e309',
  '1e999',
  '0x1F',
  '1_000',
  '',
  ' ',
  '  12  ',
  '-0',
  '-1',
  '-0.01',
  '1e-400',
  '٣',
  '１２',
  'null',
  'true',
  '[]',
  '{}',
  '9'.repeat(400),
  '1; DROP TABLE versions',
  "'; DROP TABLE models; --",
  '../../etc/passwd',
  '..\\..\\windows',
  '\u0000',
  '\ud800',
  '\udfff',
  '𝟙𝟚',
  '12\u200b',
  '1,5',
  '1 000',
  '12e',
  'e12',
  '<script>alert(1)</script>',
  '%00',
  '${7*7}',
  '__proto__',
  'constructor',
];

const rawNumber = fc.constantFrom(...RAW_NUMBERS).map((t) => new Raw(t));
const hostileNumber = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.integer({ min: -1_000_000, max: -1 }),
  fc.constantFrom(
    Number.MAX_VALUE,
    -Number.MAX_VALUE,
    Number.MIN_VALUE,
    Number.MAX_SAFE_INTEGER + 2,
    -(2 ** 63),
    2 ** 64,
    1e12 + 1,
    36_501,
    10_000_001,
    0.5,
    -0,
  ),
);
const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom(...SPECIAL_STRINGS),
);
const leaf = fc.oneof(
  hostileNumber,
  text,
  rawNumber,
  fc.boolean(),
  fc.constant(null),
  fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }),
);
const { anyValue } = fc.letrec((tie) => ({
  anyValue: fc.oneof(
    { depthSize: 'small', maxDepth: 4 },
    leaf,
    fc.array(tie('anyValue'), { maxLength: 4 }),
    fc.dictionary(text, tie('anyValue'), { maxKeys: 4 }),
  ),
}));

/** Very deep nesting as raw JSON text (built as a string: no recursion in the generator). */
const depth = fc.oneof(
  { weight: 20, arbitrary: fc.integer({ min: 1, max: 100 }) },
  { weight: 4, arbitrary: fc.integer({ min: 101, max: 5_000 }) },
  { weight: 1, arbitrary: fc.integer({ min: 5_001, max: 100_000 }) },
);
const deepField = fc
  .tuple(fc.integer({ min: 1, max: 1_000 }), fc.boolean())
  .map(
    ([d, arr]) => new Raw(arr ? `${'['.repeat(d)}1${']'.repeat(d)}` : `${'{"a":'.repeat(d)}1${'}'.repeat(d)}`, true),
  );
const deep = fc
  .tuple(depth, fc.boolean())
  .map(
    ([d, arr]) => new Raw(arr ? `${'['.repeat(d)}1${']'.repeat(d)}` : `${'{"a":'.repeat(d)}1${'}'.repeat(d)}`, true),
  );

const MISSING = Symbol('missing');
const KEY_VARIANTS = (k: string) =>
  fc.oneof(
    { weight: 12, arbitrary: fc.constant(k) },
    { weight: 1, arbitrary: fc.constantFrom(k.toUpperCase(), k[0]!.toUpperCase() + k.slice(1), ` ${k}`, `${k}\u0000`) },
  );

/**
 * A body built from a valid template: each field kept valid (mostly), replaced by anything,
 * replaced by something deep, or dropped; its key sometimes spelled differently; extra fields.
 */
function mutated(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Record<string, unknown>> {
  const entries = Object.entries(fields).map(([k, valid]) =>
    fc.tuple(
      KEY_VARIANTS(k),
      fc.oneof(
        { weight: 24, arbitrary: valid },
        { weight: 2, arbitrary: anyValue },
        { weight: 1, arbitrary: deepField },
        { weight: 1, arbitrary: fc.constant(MISSING) },
      ),
    ),
  );
  // extra fields in about one body in eight
  const extra = fc.oneof(
    { weight: 7, arbitrary: fc.constant(null) },
    {
      weight: 1,
      arbitrary: fc.dictionary(
        fc.oneof(text, fc.constantFrom('__proto__', 'constructor', 'prototype', 'instances', 'toString')),
        anyValue,
        { minKeys: 1, maxKeys: 3 },
      ),
    },
  );
  return fc.tuple(fc.tuple(...entries), extra).map(([kv, ex]) => {
    const o: Record<string, unknown> = {};
    for (const [k, v] of kv)
      if (v !== MISSING)
        Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
    for (const k of Object.keys(ex ?? {}))
      Object.defineProperty(o, k, {
        value: (ex as Record<string, unknown>)[k],
        enumerable: true,
        writable: true,
        configurable: true,
      });
    return o;
  });
}

const validCustomer = () =>
  mutated({
    cid: fc.oneof(fc.string({ maxLength: 64 }), fc.nat(), fc.constant(null)),
    recency: fc.oneof(fc.integer({ min: 0, max: 36_500 }), fc.integer({ min: 0, max: 36_500 }).map(String)),
    frequency: fc.oneof(fc.integer({ min: 1, max: 10_000_000 }), fc.integer({ min: 1, max: 999 }).map(String)),
    monetary: fc.oneof(
      fc.double({ min: 0, max: 1e12, noNaN: true }),
      fc.integer({ min: 0, max: 100_000 }).map((n) => `${n}.50`),
    ),
  });

const day = fc.date({
  min: new Date('2009-01-01T00:00:00Z'),
  max: new Date('2012-12-31T00:00:00Z'),
  noInvalidDate: true,
});
const txLine = () =>
  mutated({
    InvoiceNo: fc.oneof(fc.integer({ min: 500_000, max: 600_000 }).map(String), fc.constantFrom('C536379', 'A1')),
    InvoiceDate: fc.oneof(
      day.map((d) => `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()} 8:26`),
      day.map((d) => d.toISOString().slice(0, 19).replace('T', ' ')),
    ),
    Quantity: fc.oneof(
      { weight: 8, arbitrary: fc.integer({ min: 1, max: 100 }) },
      { weight: 1, arbitrary: fc.integer({ min: 1, max: 100 }).map(String) },
      { weight: 1, arbitrary: fc.integer({ min: -5, max: 0 }) },
    ),
    UnitPrice: fc.oneof(
      { weight: 8, arbitrary: fc.double({ min: 0.01, max: 100, noNaN: true }) },
      { weight: 1, arbitrary: fc.constantFrom('2.55', '0', '-1') },
    ),
    CustomerID: fc.constantFrom('17850', '17850.0', 17850),
  });

interface Case {
  kind: string;
  body?: string | Buffer;
  contentType?: string;
  chunked?: boolean;
  /** what a 4xx must say, when the case decides it */
  expect?: { status: number[]; message: RegExp };
  /** customers sent (predict), to check the answer */
  customers?: number;
}

const JSON_TYPES = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'Application/JSON',
  'application/vnd.rfm+json',
  'application/json;charset="UTF-8"',
);
const WRONG_TYPES = fc.constantFrom(
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'application/xml',
  'text/csv',
  'application/octet-stream',
  'image/png',
  'json',
  '*/*',
  'application/jsonx',
  ';;;',
);

function jsonCase(kind: string, v: unknown, contentType: string, sizeLimit: number, customers?: number): Case {
  const body = toJson(v);
  const c: Case = { kind, body, contentType };
  if (Buffer.byteLength(body) > sizeLimit) c.expect = { status: [413], message: /larger than/ };
  else if (invalidToken(v)) c.expect = { status: [400], message: /JSON/ };
  if (customers !== undefined && !c.expect) c.customers = customers;
  return c;
}

/** Cases every JSON route gets, around a route-specific valid-ish body generator. */
function jsonRouteCases(
  body: fc.Arbitrary<{ v: unknown; customers?: number }>,
  sizeLimit: number,
  opts: { bodyOptional?: boolean } = {},
): fc.Arbitrary<Case> {
  return fc.oneof(
    {
      weight: 40,
      arbitrary: fc.tuple(body, JSON_TYPES).map(([b, t]) => jsonCase('mutated', b.v, t, sizeLimit, b.customers)),
    },
    { weight: 8, arbitrary: fc.tuple(anyValue, JSON_TYPES).map(([v, t]) => jsonCase('any-json', v, t, sizeLimit)) },
    { weight: 3, arbitrary: fc.tuple(deep, JSON_TYPES).map(([v, t]) => jsonCase('deep', v, t, sizeLimit)) },
    {
      weight: 6,
      arbitrary: fc
        .tuple(
          fc.oneof(
            fc.string({ maxLength: 60 }),
            body.map((b) => toJson(b.v).slice(0, -1)),
            fc.constantFrom(
              '{',
              '}',
              '{"a":}',
              "{'a':1}",
              '{"a":1,}',
              '[1,]',
              'undefined',
              'NaN',
              '{"recency":NaN}',
              '{"x":Infinity}',
              '\uFEFF{}',
            ),
          ),
          JSON_TYPES,
        )
        .map(([s, t]) => {
          let ok = true;
          try {
            const p = JSON.parse(s.replace(/^\uFEFF/, '')) as unknown; // the body parser drops a BOM
            ok = typeof p === 'object' && p !== null;
          } catch {
            ok = false;
          }
          const c: Case = { kind: 'invalid-json', body: s, contentType: t };
          if (Buffer.byteLength(s) > sizeLimit) c.expect = { status: [413], message: /larger than/ };
          else if (!ok && s.trim() !== '') c.expect = { status: [400], message: /JSON/ };
          return c;
        }),
    },
    {
      weight: 4,
      arbitrary: fc.tuple(body, WRONG_TYPES).map(([b, t]) => ({
        kind: 'wrong-type',
        body: toJson(b.v),
        contentType: t,
        expect: { status: [415], message: /content-type/ },
      })),
    },
    {
      weight: 1,
      arbitrary: body.map((b) => ({
        kind: 'no-type',
        body: toJson(b.v),
        expect: { status: [415], message: /content-type/ },
      })),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(body, fc.constantFrom('latin1', 'koi8-r', 'x-unknown', 'iso-8859-1', 'windows-1252'))
        .map(([b, cs]) => ({
          kind: 'charset',
          body: toJson(b.v),
          contentType: `application/json; charset=${cs}`,
          expect: { status: [415], message: /charset|content-type/ },
        })),
    },
    // UTF-16 is a charset the JSON parser decodes: sent as such it must be read like UTF-8
    {
      weight: 1,
      arbitrary: body.map((b) => ({
        kind: 'utf-16',
        body: Buffer.from(toJson(b.v), 'utf16le'),
        contentType: 'application/json; charset=utf-16le',
      })),
    },
    // an empty body: refused as such where one is required; read as {} where it is optional (admin)
    {
      weight: 2,
      arbitrary: JSON_TYPES.map(
        (t): Case =>
          opts.bodyOptional
            ? { kind: 'empty', body: '', contentType: t }
            : { kind: 'empty', body: '', contentType: t, expect: { status: [400], message: /empty/ } },
      ),
    },
    {
      weight: 3,
      arbitrary: fc.tuple(body, fc.uint8Array({ minLength: 1, maxLength: 16 }), JSON_TYPES).map(([b, bytes, t]) => {
        const s = toJson(b.v);
        const at = Math.max(1, s.indexOf('"') + 1);
        return {
          kind: 'bad-utf8',
          body: Buffer.concat([
            Buffer.from(s.slice(0, at)),
            Buffer.from(bytes.map((x) => x | 0x80)),
            Buffer.from(s.slice(at)),
          ]),
          contentType: t,
        };
      }),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(body, JSON_TYPES)
        .map(([b, t]) => ({ kind: 'chunked', body: toJson(b.v), contentType: t, chunked: true })),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.integer({ min: 1, max: 3 }), JSON_TYPES).map(([n, t]) => ({
        kind: 'oversized-body',
        body: `{"pad":"${'x'.repeat(sizeLimit + n * 1024)}"}`,
        contentType: t,
        expect: { status: [413], message: /larger than/ },
      })),
    },
  );
}

// route-specific bodies ------------------------------------------------------------------------

const predictBody: fc.Arbitrary<{ v: unknown; customers?: number }> = fc.oneof(
  { weight: 125, arbitrary: validCustomer().map((v) => ({ v, customers: 1 })) },
  {
    weight: 100,
    arbitrary: fc
      .array(validCustomer(), { minLength: 0, maxLength: 8 })
      .map((a) => ({ v: { instances: a }, customers: a.length })),
  },
  { weight: 24, arbitrary: fc.tuple(anyValue, mutated({})).map(([x, extra]) => ({ v: { instances: x, ...extra } })) },
  {
    // oversized array: MAX_BATCH + 1… customers (about 400 kB), must be refused naming the limit
    weight: 1,
    arbitrary: fc.integer({ min: 1, max: 50 }).map((extra) => ({
      v: { instances: Array.from({ length: MAX_BATCH + extra }, () => ({ recency: 1, frequency: 1, monetary: 1 })) },
    })),
  },
);

const transactionsBody: fc.Arbitrary<{ v: unknown }> = fc.oneof(
  {
    weight: 249,
    arbitrary: mutated({
      cid: fc.constantFrom('17850', 17850),
      as_of: fc.oneof(
        { weight: 8, arbitrary: fc.constant(MISSING) },
        { weight: 1, arbitrary: fc.constant('2013-01-01') },
        {
          weight: 1,
          arbitrary: fc.oneof(
            day.map((d) => d.toISOString().slice(0, 10)),
            fc.constantFrom('2011-02-30', '2011-13-01', '11/12/2011', 'tomorrow'),
          ),
        },
      ),
      transactions: fc.oneof(
        { weight: 9, arbitrary: fc.array(txLine(), { minLength: 1, maxLength: 4 }) },
        { weight: 1, arbitrary: fc.array(txLine(), { maxLength: 8 }) },
      ),
    }).map((v) => ({ v })),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 1, max: 3 }).map((n) => ({
      v: {
        transactions: Array.from({ length: 20_000 + n }, () => ({
          InvoiceNo: '1',
          InvoiceDate: '2011-01-01 10:00:00',
          Quantity: 1,
          UnitPrice: 1,
          CustomerID: '1',
        })),
      },
    })),
  },
);

const reason = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ minLength: 501, maxLength: 600 }));
const actor = fc.oneof(
  fc.string({ minLength: 1, maxLength: 20 }),
  fc.constant(''),
  fc.string({ minLength: 129, maxLength: 140 }),
);
const adminBodies: Record<string, fc.Arbitrary<{ v: unknown }>> = {
  promote: mutated({ reason, force: fc.boolean(), actor }).map((v) => ({ v })),
  rollback: mutated({
    reason,
    alias: fc.constantFrom('production', 'staging', 'Prod', '1; DROP TABLE aliases'),
    actor,
  }).map((v) => ({ v })),
  alias: mutated({ version: fc.integer({ min: -2, max: 6 }), reason, actor }).map((v) => ({ v })),
  unalias: mutated({ reason, actor }).map((v) => ({ v })),
  relabel: mutated({
    cluster: fc.integer({ min: -1, max: 5 }),
    name: fc.oneof(
      fc.string({ minLength: 1, maxLength: 64 }),
      fc.constantFrom('VIP', "x'); DROP TABLE versions; --", '<b>'),
    ),
    reason,
    actor,
  }).map((v) => ({ v })),
  archive: mutated({ reason, actor }).map((v) => ({ v })),
};

/** Path parameters: mostly real ones, sometimes hostile (encoded, so they arrive as values). */
const nameParam = fc.oneof(
  { weight: 8, arbitrary: fc.constant(MODEL) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(...SPECIAL_STRINGS.filter((s) => s !== ''), 'other-model', MODEL.toUpperCase()),
  },
);
const versionParam = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 1, max: 4 }).map(String) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '0',
      '-1',
      '99',
      '1e3',
      '1.5',
      '99999999999999999999',
      '1; DROP TABLE versions',
      '../../etc/passwd',
      ' 1',
      'NaN',
    ),
  },
);
const aliasParam = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('staging', 'challenger', 'production') },
  { weight: 2, arbitrary: fc.constantFrom('Staging', '../x', 'a'.repeat(40), "x'; --") },
);
/** Percent-encode every byte but the unreserved ones (lone surrogates become U+FFFD, as a client would send). */
const enc = (s: string) =>
  [...Buffer.from(s, 'utf8')]
    .map((b) =>
      /[A-Za-z0-9._~-]/.test(String.fromCharCode(b))
        ? String.fromCharCode(b)
        : `%${b.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');
const rawPath = fc.constantFrom('%E0%A4%A', '%', '%%', '%ZZ'); // malformed escapes

interface Route {
  name: string;
  method: string;
  path: fc.Arbitrary<string>;
  cases: fc.Arbitrary<Case>;
  admin?: boolean;
  csv?: boolean;
}

const ADMIN_LIMIT = 64 * 1024;
const JSON_ROUTES: Route[] = [
  {
    name: 'POST /api/v1/predict',
    method: 'POST',
    path: fc.constant('/api/v1/predict'),
    cases: jsonRouteCases(predictBody, 2 * 1024 * 1024),
  },
  {
    name: 'POST /api/v1/predict/transactions',
    method: 'POST',
    path: fc.constant('/api/v1/predict/transactions'),
    cases: jsonRouteCases(transactionsBody, 4 * 1024 * 1024),
  },
  {
    name: 'POST …/versions/:v/promote',
    method: 'POST',
    admin: true,
    path: fc.oneof(
      {
        weight: 9,
        arbitrary: fc
          .tuple(nameParam, versionParam)
          .map(([n, v]) => `/api/v1/models/${enc(n)}/versions/${enc(v)}/promote`),
      },
      { weight: 1, arbitrary: rawPath.map((p) => `/api/v1/models/${p}/versions/1/promote`) },
    ),
    cases: jsonRouteCases(adminBodies.promote!, ADMIN_LIMIT, { bodyOptional: true }),
  },
  {
    name: 'POST …/rollback',
    method: 'POST',
    admin: true,
    path: nameParam.map((n) => `/api/v1/models/${enc(n)}/rollback`),
    cases: jsonRouteCases(adminBodies.rollback!, ADMIN_LIMIT, { bodyOptional: true }),
  },
  {
    name: 'PUT …/aliases/:alias',
    method: 'PUT',
    admin: true,
    path: fc.tuple(nameParam, aliasParam).map(([n, a]) => `/api/v1/models/${enc(n)}/aliases/${enc(a)}`),
    cases: jsonRouteCases(adminBodies.alias!, ADMIN_LIMIT, { bodyOptional: true }),
  },
  {
    name: 'DELETE …/aliases/:alias',
    method: 'DELETE',
    admin: true,
    path: fc.tuple(nameParam, aliasParam).map(([n, a]) => `/api/v1/models/${enc(n)}/aliases/${enc(a)}`),
    cases: jsonRouteCases(adminBodies.unalias!, ADMIN_LIMIT, { bodyOptional: true }),
  },
  {
    name: 'POST …/versions/:v/relabel',
    method: 'POST',
    admin: true,
    path: fc.tuple(nameParam, versionParam).map(([n, v]) => `/api/v1/models/${enc(n)}/versions/${enc(v)}/relabel`),
    cases: jsonRouteCases(adminBodies.relabel!, ADMIN_LIMIT, { bodyOptional: true }),
  },
  {
    name: 'POST …/versions/:v/archive',
    method: 'POST',
    admin: true,
    path: fc.tuple(nameParam, versionParam).map(([n, v]) => `/api/v1/models/${enc(n)}/versions/${enc(v)}/archive`),
    cases: jsonRouteCases(adminBodies.archive!, ADMIN_LIMIT, { bodyOptional: true }),
  },
];

// The CSV route: header variants, rows of anything, quotes, random bytes, wrong types.
const csvCell = fc.oneof(
  fc.integer({ min: -5, max: 500 }).map(String),
  fc.constantFrom(...SPECIAL_STRINGS),
  fc.string({ maxLength: 12 }),
  fc.constant('"quoted, with comma"'),
  fc.constant('"unclosed'),
);
const csvHeader = fc.shuffledSubarray(
  ['cid', 'recency', 'frequency', 'monetary', 'Recency', 'CustomerID', 'extra', 'error', 'cluster'],
  { minLength: 0, maxLength: 6 },
);
const csvCases: fc.Arbitrary<Case> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .tuple(
        csvHeader,
        fc.array(fc.array(csvCell, { maxLength: 7 }), { maxLength: 12 }),
        fc.constantFrom('\n', '\r\n'),
        fc.constantFrom('text/csv', 'text/csv; charset=utf-8', 'text/plain', 'application/csv'),
        fc.boolean(),
      )
      .map(([h, rows, eol, t, bom]) => ({
        kind: 'csv',
        body: `${bom ? '\uFEFF' : ''}${[h.join(','), ...rows.map((r) => r.join(','))].join(eol)}`,
        contentType: t,
      })),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(fc.uint8Array({ maxLength: 200 }), fc.constantFrom('text/csv')).map(([b, t]) => ({
      kind: 'csv-bytes',
      body: Buffer.concat([Buffer.from('recency,frequency,monetary\n'), Buffer.from(b)]),
      contentType: t,
    })),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom('application/json', 'multipart/form-data; boundary=x', 'text/csv; charset=latin1')
      .map((t) => ({
        kind: 'csv-wrong-type',
        body: 'recency,frequency,monetary\n1,1,1',
        contentType: t,
        expect: { status: [415], message: /content-type|charset/ },
      })),
  },
  {
    weight: 1,
    arbitrary: fc.constant({
      kind: 'csv-empty',
      body: '',
      contentType: 'text/csv',
      expect: { status: [400], message: /empty/ },
    }),
  },
  {
    weight: 1,
    arbitrary: fc.array(csvCell, { maxLength: 4 }).map((r) => ({
      kind: 'csv-chunked',
      body: `recency,frequency,monetary\n${r.join(',')}`,
      contentType: 'text/csv',
      chunked: true,
    })),
  },
);
const CSV_ROUTE: Route = {
  name: 'POST /api/v1/predict/csv',
  method: 'POST',
  path: fc.constant('/api/v1/predict/csv'),
  cases: csvCases,
  csv: true,
};

/**
 * What runs concurrently, one keep-alive connection each: each scoring route on its own, the six
 * admin routes as one target (they share one router, body parser and auth; each case picks its
 * route), the CSV route. RFM_FUZZ_ADMIN_RUNS=60000 gives each admin route 10,000 on average.
 */
interface Target {
  name: string;
  runs: number;
  routes: Route[];
}
const TARGETS: Target[] = [
  ...JSON_ROUTES.filter((r) => !r.admin).map((r) => ({ name: r.name, runs: RUNS, routes: [r] })),
  { name: 'admin routes', runs: ADMIN_RUNS, routes: JSON_ROUTES.filter((r) => r.admin) },
  { name: CSV_ROUTE.name, runs: CSV_RUNS, routes: [CSV_ROUTE] },
];

// ---------------------------------------------------------------------------------------------
// The oracle
// ---------------------------------------------------------------------------------------------

const GENERIC = /^(bad request|internal error|error|invalid)$/i;

/** Throws (with the case) when the answer breaks a rule; returns the status for the tally. */
function check(route: Route, c: Case, r: RawResponse): void {
  const where = `${route.name} [${c.kind}] → ${r.status} ${r.text.slice(0, 300)}`;
  expect(r.status, `5xx: ${where}`).to.be.below(500);
  if (r.status >= 400) {
    expect(r.headers['content-type'] ?? '', where).to.match(/^application\/json/);
    const e = (
      JSON.parse(r.text) as { error: { code: string; message: string; issues?: { path: string; message: string }[] } }
    ).error;
    expect(Object.keys(ERROR_CODES), where).to.include(e.code);
    expect(e.message, where).to.be.a('string');
    expect(e.message.length, where).to.be.at.least(10);
    expect(e.message, where).to.not.match(GENERIC);
    for (const i of e.issues ?? []) {
      expect(i.path, where).to.be.a('string').and.not.equal('');
      expect(i.message, where).to.be.a('string').and.not.equal('');
    }
    // a validation error says where: the message carries the first issue's path
    if (/^invalid /.test(e.message) && e.issues?.length) expect(e.message, where).to.include(e.issues[0]!.path);
    if (c.expect) {
      expect(c.expect.status, where).to.include(r.status);
      expect(e.message, where).to.match(c.expect.message);
    }
    return;
  }
  if (c.expect && !(c.kind === 'invalid-json')) expect.fail(`expected ${c.expect.status.join('/')}, got ${where}`);
  expect(r.status, where).to.be.within(200, 299);
  if (route.csv) {
    expect(r.headers['content-type'], where).to.match(/^text\/csv/);
    return;
  }
  const json = JSON.parse(r.text) as { predictions?: unknown[]; cluster?: unknown };
  if (route.name === 'POST /api/v1/predict' && c.customers !== undefined)
    expect(json.predictions, where).to.have.length(c.customers);
  if (route.name === 'POST /api/v1/predict/transactions') expect(json.cluster, where).to.be.a('number');
}

// ---------------------------------------------------------------------------------------------

async function seedRegistry(file: string): Promise<void> {
  const reg = await Registry.open(file);
  try {
    for (let i = 0; i < 4; i++) {
      const a = makeArtifact({
        seed: i,
        centroids:
          i % 2
            ? [
                [-1, 1, 1],
                [1, -1, -1],
              ]
            : undefined,
      });
      await reg.register({
        modelName: MODEL,
        artifact: { ...a, metrics: { ...a.metrics, silhouette: 0.4 + i / 100 } },
        actor: 'fuzz',
      });
    }
  } finally {
    await reg.close();
  }
}

const timing = new Map<string, { n: number; ms: number; bytes: number }>();

describe('fuzzed HTTP input (fast-check) against a real server process', function () {
  this.timeout(600_000);
  let tmp: ReturnType<typeof tempDir>;
  let server: ServeChild;

  before(async () => {
    tmp = tempDir('rfm-fuzz-');
    await seedRegistry(`${tmp.dir}/r.db`);
    server = await startServeChild(`${tmp.dir}/r.db`, { env: { RFM_ADMIN_TOKEN: TOKEN } });
  });
  after(async () => {
    await server?.stop();
    tmp?.cleanup();
  });

  async function fuzz(target: Target, numRuns: number, seed: number, tally: Map<string, number>): Promise<void> {
    const agent = keepAliveAgent(1);
    const arb = fc.oneof(...target.routes.map((r) => fc.tuple(fc.constant(r), r.path, r.cases)));
    let last = performance.now();
    try {
      const out = await fc.check(
        fc.asyncProperty(arb, async ([route, path, c]) => {
          const g = timing.get('(between requests)') ?? { n: 0, ms: 0, bytes: 0 };
          timing.set('(between requests)', { n: g.n + 1, ms: g.ms + performance.now() - last, bytes: 0 });
          const headers: Record<string, string> = {};
          if (c.contentType !== undefined) headers['content-type'] = c.contentType;
          if (route.admin) headers.authorization = `Bearer ${TOKEN}`;
          if (c.chunked) headers['transfer-encoding'] = 'chunked';
          const t0 = performance.now();
          const r = await rawRequest(`${server.url}${path}`, {
            method: route.method,
            headers,
            body: c.body,
            chunked: c.chunked,
            agent,
          });
          const cur = timing.get(c.kind) ?? { n: 0, ms: 0, bytes: 0 };
          timing.set(c.kind, {
            n: cur.n + 1,
            ms: cur.ms + performance.now() - t0,
            bytes: cur.bytes + (c.body?.length ?? 0),
          });
          tally.set(`${route.name} ${r.status}`, (tally.get(`${route.name} ${r.status}`) ?? 0) + 1);
          check(route, c, r);
          last = performance.now();
        }),
        { numRuns, seed },
      );
      if (out.failed) {
        // fast-check's own report prints the whole counterexample (bodies of up to 4 MB): cut it
        const seen = new WeakSet<object>();
        const short = (x: unknown) =>
          JSON.stringify(x, (_k, v: unknown) => {
            if (typeof v === 'bigint') return `${v}n`; // generated values may be BigInt or circular
            if (typeof v === 'object' && v !== null) {
              if (seen.has(v)) return '<circular>';
              seen.add(v);
            }
            return typeof v === 'string' && v.length > 300
              ? `${v.slice(0, 300)}…(${v.length} chars)`
              : Buffer.isBuffer(v)
                ? `<${v.length} bytes>`
                : v;
          });
        const err = out.errorInstance as Error | undefined;
        const [route, path, c] = (out.counterexample?.[0] ?? []) as [Route?, string?, Case?];
        const serverErrors = server
          .output()
          .split('\n')
          .filter((l) => /"level":(50|60)/.test(l))
          .slice(-3)
          .join('\n');
        throw new Error(
          `${target.name}: property failed after ${out.numRuns} runs (seed ${out.seed}, path "${out.counterexamplePath}", replay with RFM_FUZZ_SEED=${out.seed})\n` +
            `counterexample: ${route?.method} ${path} ${short(c).slice(0, 3000)}\n${String(err?.message ?? err).slice(0, 2000)}${serverErrors ? `\nserver log:\n${serverErrors.slice(0, 3000)}` : ''}`,
        );
      }
    } finally {
      agent.destroy();
    }
  }

  const plan = TARGETS.map((t) => `${t.runs.toLocaleString('en-US')} × ${t.name}`).join(', ');
  it(`generated requests (${plan}): zero 5xx, every 4xx names the problem, memory flat`, async () => {
    for (const t of TARGETS)
      expect(t.runs, `${t.name}: run count must be a whole number ≥ ${MIN_RUNS} (RFM_FUZZ_*RUNS)`).to.satisfy(
        (n: number) => Number.isInteger(n) && n >= MIN_RUNS,
      );
    const tally = new Map<string, number>();
    // warm-up: the same traffic (other seed), so JIT code, pools and caches exist before measuring
    await Promise.all(TARGETS.map((t) => fuzz(t, WARMUP, SEED + 1, new Map())));
    const before = await server.mem();
    const t0 = Date.now();
    const cpu0 = process.cpuUsage();
    await Promise.all(TARGETS.map((t) => fuzz(t, t.runs, SEED, tally)));
    const secs = (Date.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const after = await server.mem();

    const total = [...tally.values()].reduce((a, b) => a + b, 0);
    const byStatus = new Map<string, number>();
    const byRoute = new Map<string, number>();
    const okByRoute = new Map<string, number>();
    for (const [k, n] of tally) {
      const cut = k.lastIndexOf(' ');
      byStatus.set(k.slice(cut + 1), (byStatus.get(k.slice(cut + 1)) ?? 0) + n);
      byRoute.set(k.slice(0, cut), (byRoute.get(k.slice(0, cut)) ?? 0) + n);
      if (k.slice(cut + 1).startsWith('2')) okByRoute.set(k.slice(0, cut), (okByRoute.get(k.slice(0, cut)) ?? 0) + n);
    }
    const heapGrowth = after.heapUsed - before.heapUsed;
    const rssGrowth = (after.rss - before.rss) / before.rss;
    const externalGrowth = after.external - before.external;
    console.log(
      `      fuzz: seed ${SEED}, ${total} requests in ${secs.toFixed(1)} s (${Math.round(total / secs)}/s; CPU per request: server ${((after.cpuMs - before.cpuMs) / total).toFixed(2)} ms, client ${((cpu.user + cpu.system) / 1000 / total).toFixed(2)} ms); status ${[
        ...byStatus,
      ]
        .sort()
        .map(([s, n]) => `${s}×${n}`)
        .join(' ')}\n` +
        `      server memory after warm-up → after run (full GC): heap ${mb(before.heapUsed)} → ${mb(after.heapUsed)} (${heapGrowth >= 0 ? '+' : ''}${mb(heapGrowth)}, limit +${HEAP_TOLERANCE_MB} MB), ` +
        `external ${mb(before.external)} → ${mb(after.external)} (limit +${EXTERNAL_TOLERANCE_MB} MB), rss ${mb(before.rss)} → ${mb(after.rss)} (${(rssGrowth * 100).toFixed(1)}%, limit +${RSS_TOLERANCE_MB} MB)`,
    );
    console.log(
      `      per route (of which 2xx): ${[...byRoute].map(([r, n]) => `${r} ${n} (${okByRoute.get(r) ?? 0})`).join('; ')}`,
    );
    if (process.env.RFM_FUZZ_TIMING)
      console.log(
        [...timing]
          .map(([k, t]) => `${k}: n=${t.n} ${(t.ms / 1000).toFixed(1)}s avg ${(t.bytes / t.n / 1024).toFixed(1)}kB`)
          .join('\n'),
      );
    expect(total).to.equal(TARGETS.reduce((a, t) => a + t.runs, 0));
    expect(total, 'requests made').to.be.at.least(MIN_RUNS * TARGETS.length);
    expect(byRoute.size, 'every route was fuzzed').to.equal(JSON_ROUTES.length + 1);
    expect([...byStatus.keys()].filter((s) => Number(s) >= 500)).to.deep.equal([]);
    expect(after.gc, 'server child runs with --expose-gc').to.equal(true);
    expect(heapGrowth).to.be.below(HEAP_TOLERANCE_MB * 1024 * 1024);
    expect(externalGrowth).to.be.below(EXTERNAL_TOLERANCE_MB * 1024 * 1024);
    expect(after.rss - before.rss).to.be.below(RSS_TOLERANCE_MB * 1024 * 1024);
    // nothing was logged as an error by the server (a 5xx would be; so would an unhandled rejection)
    expect(server.output()).to.not.match(/"level":(50|60)/);
  });
});
