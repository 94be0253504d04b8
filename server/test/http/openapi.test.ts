/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies of HTTP responses are read loosely in tests */
import { Router } from 'express';
import { analystRouter } from '../../src/routes/analyst';
import { adminRouter } from '../../src/routes/admin';
import { lomasRouter } from '../../src/routes/lomas';
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
    const role = schema.properties.role;
    const roleSchema = role.$ref ? doc.components.schemas[role.$ref.split('/').pop()] : role;
    expect(roleSchema.enum).toEqual(['analyst', 'admin']);
    const q = doc.paths['/v1/queries'].post.requestBody.content['application/json'].schema;
    expect(JSON.stringify(q)).toMatch(/QueryPlan/);
    expect(JSON.stringify(doc.components.schemas.QueryPlan)).toMatch(/aggregations/);
  });

  test('covers every route of the analyst, admin and Lomas client routers, and nothing else', () => {
    const documented = apiRoutes()
      .filter(r => /^\/(v1|admin|lomas)\//.test(r.path))
      .map(r => `${r.method} ${r.path}`)
      .sort();
    const fake = {} as never;
    const actual = [
      ...declared(
        analystRouter({ analyst: fake, queries: fake, sql: fake, synthetic: fake, models: fake }),
        '/v1'
      ),
      ...declared(adminRouter({ store: fake, ledger: fake }), '/admin'),
      ...declared(lomasRouter(fake), '/lomas')
    ].sort();
    expect(documented).toEqual(actual);
    for (const r of apiRoutes()) expect(doc.paths[r.path][r.method]).toBeDefined();
  });

  test('every JSON answer is a wire type of the protocol (a component), none is written here', () => {
    for (const [path, ops] of Object.entries<any>(doc.paths)) {
      if (path === '/openapi.json') continue;
      for (const op of Object.values<any>(ops))
        for (const [status, r] of Object.entries<any>(op.responses)) {
          const schema = r.content?.['application/json']?.schema;
          if (!schema) continue;
          const ref = schema.$ref ?? schema.items?.$ref;
          expect({ path, status, ref: typeof ref }).toEqual({ path, status, ref: 'string' });
        }
    }
    for (const id of [
      'ReleaseResponse',
      'EstimateResponse',
      'BudgetStatus',
      'HistoryEntry',
      'DatasetInfo',
      'MechanismReport',
      'Error'
    ])
      expect(doc.components.schemas[id]).toBeDefined();
    // A release has no kind 'estimate' and no role 'value' (never produced).
    expect(doc.components.schemas.ReleaseResponse.properties.kind.enum).toEqual([
      'release',
      'dummy'
    ]);
  });

  test("the Python Lomas client's routes: its models, the analyst's bearer, its exception bodies", () => {
    const lomas = Object.entries<any>(doc.paths).filter(([p]) => p.startsWith('/lomas/'));
    // Its nine calls this server runs, nine it refuses, and the job status.
    expect(lomas).toHaveLength(19);
    const ref = (r: any) => r.content['application/json'].schema.$ref;
    for (const [path, ops] of lomas)
      for (const op of Object.values<any>(ops)) {
        expect({ path, security: op.security }).toEqual({ path, security: [{ apiKey: [] }] });
        const statuses = Object.keys(op.responses);
        for (const status of statuses.filter(s => Number(s) >= 400))
          expect({ path, status, ref: ref(op.responses[status]) }).toEqual({
            path,
            status,
            ref: '#/components/schemas/LomasException'
          });
        expect(statuses).toEqual(expect.arrayContaining(['400', '401', '429', '500']));
      }
    const post = (name: string) => doc.paths[`/lomas/${name}`].post;
    expect(ref(post('get_dataset_metadata').responses['200'])).toMatch(/LomasCsvwTable$/);
    expect(ref(post('smartnoise_sql_query').responses['202'])).toMatch(/LomasJobCreated$/);
    expect(post('smartnoise_sql_query').responses['422']).toBeDefined();
    expect(ref(doc.paths['/lomas/status/{uid}'].get.responses['200'])).toMatch(/LomasJob$/);
    // A refused library has no success answer.
    expect(Object.keys(post('opendp_query').responses).filter(s => Number(s) < 400)).toEqual([]);
    const s = doc.components.schemas;
    expect(s.LomasException.discriminator.propertyName).toBe('type');
    expect(Object.keys(s.LomasException.discriminator.mapping).sort()).toEqual([
      'ExternalLibraryException',
      'InternalServerException',
      'InvalidQueryException',
      'UnauthorizedAccessException'
    ]);
    expect(s.LomasSqlQueryRequest.additionalProperties).toBe(false);
    // Elsewhere the errors are the server's own.
    expect(ref(doc.paths['/v1/me'].get.responses['401'])).toBe('#/components/schemas/Error');
  });

  test('a nullable named schema says null (anyOf [$ref, null]), never allOf or a bare $ref', () => {
    // zod-to-openapi renders X.nullable() of a named X as allOf [$ref, object|null] (null fails
    // the $ref) or drops the null: found by Schemathesis on /admin/ledger (userGrant: null).
    const text = JSON.stringify(doc);
    expect(text).not.toMatch(/"allOf":\[\{"\$ref":"[^"]+"\},\{"type":\["object","null"\]\}\]/);
    const s = doc.components.schemas;
    expect(s.LedgerEntry.properties.userGrant.anyOf).toContainEqual({ type: 'null' });
    expect(s.ArchiveRecord.properties.release.anyOf).toContainEqual({ type: 'null' });
    expect(s.HistoryEntry.properties.release.anyOf).toContainEqual({ type: 'null' });
    expect(s.Dataset.properties.cap.anyOf).toContainEqual({ type: 'null' });
  });

  test('route labels are bounded', () => {
    const label = routeLabeler();
    expect(label('GET', '/admin/users/alice')).toBe('/admin/users/{name}');
    expect(label('POST', '/v1/queries')).toBe('/v1/queries');
    expect(label('GET', '/lomas/status/0b9e6a52-4c7e-4d8a-9d0f-3f1c2b7a6e15')).toBe(
      '/lomas/status/{uid}'
    );
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
