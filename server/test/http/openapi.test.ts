/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies of HTTP responses are read loosely in tests */
import { Router } from 'express';
import { analystRouter } from '../../src/routes/analyst';
import { adminRouter } from '../../src/routes/admin';
import { apiRoutes, openApiDocument, routeLabeler } from '../../src/http/openapi';
import { call, KEYS, startHarness, type Harness } from './harness';

/** Method + OpenAPI path of every route an Express router declares (router-level paths are strings). */
function declared(router: Router, prefix: string): string[] {
  const out: string[] = [];
  for (const layer of (
    router as unknown as {
      stack: Array<{ route?: { path: string; methods: Record<string, boolean> } }>;
    }
  ).stack) {
    if (!layer.route) continue;
    const path = prefix + layer.route.path.replace(/:([A-Za-z]+)/g, '{$1}');
    for (const m of Object.keys(layer.route.methods)) if (m !== '_all') out.push(`${m} ${path}`);
  }
  return out.sort();
}

describe('OpenAPI document', () => {
  const doc = openApiDocument() as any;

  test('is OpenAPI 3.1 with info, paths, components and a bearer scheme', () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const id of [
      'Error',
      'CreateUserBody',
      'CreateDatasetBody',
      'DatasetMetadata',
      'BudgetInput',
      'LedgerEntry',
      'ChainReport'
    ])
      expect(doc.components.schemas[id]).toBeDefined();
    // Every operation has responses, every $ref resolves.
    const refs = JSON.stringify(doc).match(/"\$ref":"#\/components\/schemas\/[^"]+"/g) ?? [];
    for (const r of refs) expect(doc.components.schemas[r.slice(29, -1)]).toBeDefined();
    for (const [path, ops] of Object.entries<any>(doc.paths)) {
      expect(path.startsWith('/')).toBe(true);
      for (const [method, op] of Object.entries<any>(ops)) {
        expect(['get', 'post', 'put', 'patch', 'delete']).toContain(method);
        expect(Object.keys(op.responses).length).toBeGreaterThan(0);
        const params = (path.match(/\{[^}]+\}/g) ?? []).map(p => p.slice(1, -1));
        const declaredParams = (op.parameters ?? [])
          .filter((p: any) => p.in === 'path')
          .map((p: any) => p.name);
        expect(declaredParams.sort()).toEqual(params.sort());
      }
    }
  });

  test('request bodies come from the validating schemas (strict: additionalProperties false)', () => {
    const body = doc.paths['/admin/users'].post.requestBody.content['application/json'].schema;
    const schema = body.$ref ? doc.components.schemas[body.$ref.split('/').pop()] : body;
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.role.enum).toEqual(['analyst', 'admin']);
    const q = doc.paths['/v1/queries'].post.requestBody.content['application/json'].schema;
    expect(JSON.stringify(q)).toMatch(/QueryPlan/);
    expect(JSON.stringify(doc.components.schemas.QueryPlan)).toMatch(/aggregations/);
  });

  test('covers every route of the analyst and admin routers, and nothing else', () => {
    const documented = apiRoutes()
      .filter(r => r.path.startsWith('/v1/') || r.path.startsWith('/admin/'))
      .map(r => `${r.method} ${r.path}`)
      .sort();
    const fake = {} as never;
    const actual = [
      ...declared(analystRouter(fake, fake, fake, fake, fake), '/v1'),
      ...declared(adminRouter({ store: fake, ledger: fake }), '/admin')
    ].sort();
    expect(documented).toEqual(actual);
    for (const r of apiRoutes()) expect(doc.paths[r.path][r.method]).toBeDefined();
  });

  test('route labels are bounded', () => {
    const label = routeLabeler();
    expect(label('GET', '/admin/users/alice')).toBe('/admin/users/{name}');
    expect(label('POST', '/v1/queries')).toBe('/v1/queries');
    expect(label('GET', '/v1/../../etc/passwd')).toBe('unmatched');
  });

  describe('served', () => {
    let h: Harness;
    beforeAll(async () => {
      h = await startHarness();
    });
    afterAll(() => h.close());
    test('GET /openapi.json is public and equals the generated document', async () => {
      const r = await call(h, 'GET', '/openapi.json');
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toMatch(/application\/json/);
      expect(r.body).toEqual(JSON.parse(JSON.stringify(doc)));
      // With a key too.
      expect((await call(h, 'GET', '/openapi.json', { key: KEYS.alice })).status).toBe(200);
    });
  });
});
