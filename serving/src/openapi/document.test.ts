import { expect } from 'chai';
import type { z } from 'zod';
import type { RunningServer } from '../server.js';
import {
  artifactWithCentroids,
  CENTROIDS_A,
  registerVersion,
  startTestServer,
  tempRegistry,
  type TempRegistry,
} from '../test-support/fixtures.js';
import { openApiDocument, OPERATIONS } from './document.js';

type Json = Record<string, any>;

/** Every $ref in the document points at something that exists. */
function refs(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const n of node) refs(n, out);
  else if (node && typeof node === 'object')
    for (const [k, v] of Object.entries(node)) k === '$ref' && typeof v === 'string' ? out.push(v) : refs(v, out);
  return out;
}

describe('OpenAPI document', () => {
  const doc = openApiDocument() as unknown as Json;

  it('every example of every route satisfies the zod schema the route parses with', async () => {
    let checked = 0;
    for (const op of OPERATIONS) {
      const where = `${op.method.toUpperCase()} ${op.path}`;
      const bodies = [op.request, ...Object.values(op.responses).map((r) => r.body)].filter((b) => b !== undefined);
      for (const b of bodies) {
        for (const [name, ex] of Object.entries(b.examples)) {
          if (b.schema) {
            const r = (b.schema as z.ZodType).safeParse(ex.value);
            expect(
              r.success,
              `${where} example "${name}": ${r.success ? '' : JSON.stringify(r.error.issues)}`,
            ).to.equal(true);
          } else expect(typeof ex.value, `${where} example "${name}"`).to.equal('string');
          checked++;
        }
      }
      for (const params of op.paramExamples ?? []) {
        const pathKeys = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
        const path = Object.fromEntries(pathKeys.map((k) => [k, params[k]]));
        const query = Object.fromEntries(Object.entries(params).filter(([k]) => !pathKeys.includes(k)));
        if (op.params)
          expect(op.params.safeParse(path).success, `${where} path ${JSON.stringify(path)}`).to.equal(true);
        if (op.query)
          expect(op.query.safeParse(query).success, `${where} query ${JSON.stringify(query)}`).to.equal(true);
        checked++;
      }
      // and the generated document carries the same examples
      if (op.request)
        expect(
          Object.keys(doc.paths[op.path][op.method].requestBody.content[op.request.contentType].examples),
        ).to.deep.equal(Object.keys(op.request.examples));
    }
    expect(checked).to.be.greaterThan(40);
  });

  it('is OpenAPI 3.1 in structure: info, unique operation ids, declared path parameters, resolvable refs, responses everywhere', async () => {
    expect(doc.openapi).to.equal('3.1.0');
    expect(doc.info).to.include.keys('title', 'version');
    const ids = new Set<string>();
    for (const [path, item] of Object.entries(doc.paths as Json)) {
      expect(path).to.match(/^\//);
      for (const [method, op] of Object.entries(item as Json)) {
        expect(['get', 'post', 'put', 'delete', 'patch']).to.include(method);
        expect(op.operationId, `${method} ${path}`).to.be.a('string');
        expect(ids.has(op.operationId), op.operationId).to.equal(false);
        ids.add(op.operationId);
        expect(Object.keys(op.responses).length, `${method} ${path}`).to.be.greaterThan(0);
        for (const [status, r] of Object.entries(op.responses as Json)) {
          expect(status).to.match(/^[1-5]\d\d$/);
          expect(r.description).to.be.a('string');
        }
        const declared = ((op.parameters ?? []) as Json[])
          .filter((p) => p.in === 'path')
          .map((p) => p.name)
          .sort();
        expect(declared, `${method} ${path}`).to.deep.equal([...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort());
        for (const p of (op.parameters ?? []) as Json[]) if (p.in === 'path') expect(p.required).to.equal(true);
      }
    }
    for (const ref of refs(doc)) {
      const target = ref
        .replace(/^#\//, '')
        .split('/')
        .reduce<any>((n, k) => n?.[k], doc);
      expect(target, ref).to.not.equal(undefined);
    }
    // the admin routes are in, and marked as needing the bearer token
    expect(doc.paths['/api/v1/models/{name}/versions/{v}/promote'].post.security).to.deep.equal([{ adminToken: [] }]);
    expect(doc.components.securitySchemes.adminToken).to.include({ type: 'http', scheme: 'bearer' });
    for (const p of [
      '/api/v1/predict',
      '/api/v1/predict/csv',
      '/api/v1/predict/transactions',
      '/api/v1/model',
      '/metrics',
      '/readyz',
    ])
      expect(doc.paths, p).to.have.property(p);
    expect(doc.components.schemas).to.include.keys(
      'CustomerFeatures',
      'PredictResponse',
      'TransactionsRequest',
      'TransactionsResponse',
      'Error',
    );
  });

  describe('served', function () {
    this.timeout(30_000);
    let t: TempRegistry;
    let s: RunningServer;
    before(async () => {
      t = tempRegistry();
      await registerVersion(t.file, artifactWithCentroids(CENTROIDS_A));
      s = await startTestServer(t.file);
    });
    after(async () => {
      await s.close();
      t.cleanup();
    });

    it('GET /openapi.json is the document; GET /docs lists every route with examples, no external assets', async () => {
      const r = await fetch(`${s.url}/openapi.json`);
      expect(r.status).to.equal(200);
      expect(await r.json()).to.deep.equal(JSON.parse(JSON.stringify(doc)));
      const d = await fetch(`${s.url}/docs`);
      expect(d.status).to.equal(200);
      expect(d.headers.get('content-type')).to.match(/^text\/html/);
      const page = await d.text();
      for (const op of OPERATIONS) expect(page).to.include(`${op.method.toUpperCase()} ${op.path}`);
      expect(page).to.include('Example:');
      for (const m of page.matchAll(/(?:src|href)="([^"]+)"/g)) expect(m[1], 'asset served by rfm').to.match(/^(\/|#)/);
    });
  });
});
