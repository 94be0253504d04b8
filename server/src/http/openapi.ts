import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import {
  QueryPlanSchema,
  SyntheticEstimateSchema,
  SyntheticReleaseSchema,
  SyntheticRequestSchema
} from 'lomas-kernel/protocol';
import { z } from 'zod';
import * as S from './schemas';

/**
 * Every HTTP route of the server, in one table: the OpenAPI document, the metrics' route labels
 * and the authorization-matrix test are all derived from it.
 *
 * `/openapi.json` is public: it describes the API's shape only (no dataset, user, budget or
 * configuration), clients and notebook users need it before they have a key, and hiding a public
 * API's schema protects nothing.
 */
export type Access = 'public' | 'analyst' | 'admin';
export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RouteSpec {
  method: Method;
  /** OpenAPI-style template, e.g. /admin/users/{name}. */
  path: string;
  access: Access;
  summary: string;
  params?: z.ZodObject;
  query?: z.ZodObject;
  headers?: z.ZodObject;
  body?: z.ZodType;
  /** Success status and schema (undefined schema: no JSON body). */
  ok: { status: number; schema?: z.ZodType; description?: string; contentType?: string };
  /** Touches private data: timing protection applies. */
  private?: boolean;
}

// Doc-only response schemas of the analyst routes (their types live in lomas-kernel/protocol).
const DatasetSummary = z
  .object({ name: z.string(), description: z.string().optional(), accounting: z.string() })
  .meta({ id: 'DatasetSummary' });
const BudgetStatus = z
  .object({
    dataset: z.string(),
    accounting: S.AccountingMode,
    initial: S.Budget,
    spent: S.Budget,
    remaining: S.Budget
  })
  .meta({ id: 'BudgetStatus' });
const Mechanism = z
  .object({
    aggregation: z.string(),
    column: z.string().optional(),
    mechanism: z.string(),
    scale: z.string(),
    halfWidth: z.number(),
    confidence: z.number(),
    cost: S.Budget,
    note: z.string().optional(),
    kind: z.string().optional(),
    interval: z.enum(['value', 'per_row', 'depends', 'rank']).optional(),
    accuracy: z.string().optional()
  })
  .meta({ id: 'MechanismReport' });
const ReleaseCaveat = z
  .object({
    row: z.number().int(),
    column: z.string(),
    kind: z.enum(['whole_range', 'may_be_empty']),
    text: z.string()
  })
  .meta({ id: 'ReleaseCaveat' });
const EstimateResponse = z
  .object({
    dataset: z.string(),
    cost: S.Budget,
    mechanisms: z.array(Mechanism),
    budget: BudgetStatus.optional()
  })
  .meta({ id: 'EstimateResponse' });
const ReleaseResponse = z
  .object({
    version: z.literal(1),
    kind: z.enum(['release', 'dummy', 'estimate']),
    dataset: z.string(),
    queryId: z.string().optional(),
    title: z.string(),
    columns: z.array(z.object({ name: z.string(), role: z.string(), type: z.string() })),
    rows: z.array(z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))),
    cost: S.Budget,
    mechanisms: z.array(Mechanism),
    budget: BudgetStatus.optional(),
    caveats: z.array(ReleaseCaveat).optional()
  })
  .meta({ id: 'ReleaseResponse' });

/** The query request body: the protocol's plan schema, the one parsePlan validates with. */
const QueryRequest: z.ZodType = (QueryPlanSchema as unknown as z.ZodType).meta({
  id: 'QueryPlan',
  description: 'A query plan (lomas-kernel/protocol plan.ts), validated by parsePlan.'
});

// Synthetic data: the protocol's schemas (lomas-kernel/protocol synthetic.ts).
const SyntheticRequest: z.ZodType = (SyntheticRequestSchema as unknown as z.ZodType).meta({
  id: 'SyntheticRequest',
  description:
    'A synthetic-table request (lomas-kernel/protocol synthetic.ts), validated by parseSyntheticRequest.'
});
const SyntheticEstimate: z.ZodType = (SyntheticEstimateSchema as unknown as z.ZodType).meta({
  id: 'SyntheticEstimate'
});
const SyntheticRelease: z.ZodType = (SyntheticReleaseSchema as unknown as z.ZodType).meta({
  id: 'SyntheticRelease'
});

const name = z.object({ name: S.DatasetName });
const userName = z.object({ name: S.UserName });

export function apiRoutes(): RouteSpec[] {
  return [
    // ----- public -----
    {
      method: 'get',
      path: '/health',
      access: 'public',
      summary: 'Liveness probe',
      ok: { status: 200, schema: S.StatusBody }
    },
    {
      method: 'get',
      path: '/ready',
      access: 'public',
      summary: 'Readiness probe: the store is reachable',
      ok: { status: 200, schema: S.StatusBody }
    },
    {
      method: 'get',
      path: '/openapi.json',
      access: 'public',
      summary: 'This OpenAPI 3.1 document',
      ok: { status: 200, schema: z.record(z.string(), z.unknown()) }
    },
    {
      method: 'get',
      path: '/metrics',
      access: 'admin',
      summary: 'Prometheus metrics (admin key required)',
      ok: { status: 200, contentType: 'text/plain' }
    },
    // ----- analyst -----
    {
      method: 'get',
      path: '/v1/me',
      access: 'analyst',
      summary: 'Who am I',
      ok: { status: 200, schema: z.object({ user: z.string(), role: S.Role }) }
    },
    {
      method: 'get',
      path: '/v1/me/budgets',
      access: 'analyst',
      summary: 'My budgets on every dataset I may query',
      ok: { status: 200, schema: z.array(BudgetStatus) }
    },
    {
      method: 'get',
      path: '/v1/datasets',
      access: 'analyst',
      summary: 'Datasets I may query',
      ok: { status: 200, schema: z.array(DatasetSummary) }
    },
    {
      method: 'get',
      path: '/v1/datasets/{name}',
      access: 'analyst',
      summary: "A dataset's public metadata",
      params: name,
      ok: { status: 200, schema: z.record(z.string(), z.unknown()) }
    },
    {
      method: 'get',
      path: '/v1/datasets/{name}/budget',
      access: 'analyst',
      summary: 'My budget on a dataset',
      params: name,
      ok: { status: 200, schema: BudgetStatus }
    },
    {
      method: 'get',
      path: '/v1/datasets/{name}/dummy',
      access: 'analyst',
      summary: 'Synthetic rows respecting the metadata (free)',
      params: name,
      query: S.DummyRowsQuery,
      ok: { status: 200, schema: z.unknown() }
    },
    {
      method: 'get',
      path: '/v1/queries',
      access: 'analyst',
      summary: 'My previous queries',
      query: S.HistoryQuery,
      ok: { status: 200, schema: z.array(z.unknown()) }
    },
    {
      method: 'get',
      path: '/v1/charges/{idempotencyKey}',
      access: 'analyst',
      summary:
        'Whether my request sent with this Idempotency-Key was charged (404: it was not, and never will be once its client has gone)',
      params: S.ChargeParams,
      ok: { status: 200, schema: S.ChargeStatus }
    },
    {
      method: 'post',
      path: '/v1/queries/estimate',
      access: 'analyst',
      summary: 'Cost and accuracy of a query (free)',
      body: QueryRequest,
      ok: { status: 200, schema: EstimateResponse }
    },
    {
      method: 'post',
      path: '/v1/queries/dummy',
      access: 'analyst',
      summary: 'Run a query on dummy data (free)',
      body: QueryRequest,
      ok: { status: 200, schema: ReleaseResponse },
      private: true
    },
    {
      method: 'post',
      path: '/v1/queries',
      access: 'analyst',
      summary: 'Run a query (spends budget)',
      body: QueryRequest,
      headers: S.IdempotencyHeader,
      ok: { status: 200, schema: ReleaseResponse },
      private: true
    },
    {
      method: 'post',
      path: '/v1/synthetic/estimate',
      access: 'analyst',
      summary: 'Cost and noise of a synthetic table (free)',
      body: SyntheticRequest,
      ok: { status: 200, schema: SyntheticEstimate }
    },
    {
      method: 'post',
      path: '/v1/synthetic/dummy',
      access: 'analyst',
      summary: 'A synthetic table learnt from dummy data (free)',
      body: SyntheticRequest,
      ok: { status: 200, schema: SyntheticRelease },
      private: true
    },
    {
      method: 'post',
      path: '/v1/synthetic',
      access: 'analyst',
      summary: 'A differentially private synthetic table (spends budget)',
      body: SyntheticRequest,
      headers: S.IdempotencyHeader,
      ok: { status: 200, schema: SyntheticRelease },
      private: true
    },
    {
      method: 'get',
      path: '/v1/synthetic/{queryId}',
      access: 'analyst',
      summary: 'A synthetic table I paid for, again from the archive (free)',
      params: z.object({ queryId: S.QueryId }),
      ok: { status: 200, schema: SyntheticRelease }
    },
    // ----- admin: users and keys -----
    {
      method: 'get',
      path: '/admin/users',
      access: 'admin',
      summary: 'List users',
      ok: { status: 200, schema: z.array(S.UserView) }
    },
    {
      method: 'post',
      path: '/admin/users',
      access: 'admin',
      summary: 'Create a user',
      body: S.CreateUserBody,
      ok: { status: 201, schema: S.UserView }
    },
    {
      method: 'get',
      path: '/admin/users/{name}',
      access: 'admin',
      summary: 'A user and their keys (without secrets)',
      params: userName,
      ok: { status: 200, schema: S.UserDetail }
    },
    {
      method: 'patch',
      path: '/admin/users/{name}',
      access: 'admin',
      summary: 'Deactivate or reactivate a user',
      params: userName,
      body: S.PatchUserBody,
      ok: { status: 200, schema: S.UserView }
    },
    {
      method: 'get',
      path: '/admin/users/{name}/keys',
      access: 'admin',
      summary: "A user's keys (without secrets)",
      params: userName,
      ok: { status: 200, schema: z.array(S.KeyView) }
    },
    {
      method: 'post',
      path: '/admin/users/{name}/keys',
      access: 'admin',
      summary: 'Issue a key (the plaintext is shown once)',
      params: userName,
      body: S.IssueKeyBody,
      ok: { status: 201, schema: S.IssuedKey }
    },
    {
      method: 'delete',
      path: '/admin/keys/{id}',
      access: 'admin',
      summary: 'Revoke a key',
      params: S.KeyParams,
      ok: { status: 200, schema: S.KeyView }
    },
    // ----- admin: grants -----
    {
      method: 'get',
      path: '/admin/grants',
      access: 'admin',
      summary: 'List grants with what is spent',
      query: S.GrantsQuery,
      ok: { status: 200, schema: z.array(S.GrantView) }
    },
    {
      method: 'get',
      path: '/admin/grants/{dataset}/{user}',
      access: 'admin',
      summary: 'One grant with what is spent',
      params: S.GrantParams,
      ok: { status: 200, schema: S.GrantView }
    },
    {
      method: 'put',
      path: '/admin/grants/{dataset}/{user}',
      access: 'admin',
      summary: 'Set a grant (never below what is spent)',
      params: S.GrantParams,
      body: S.BudgetInput,
      ok: { status: 200, schema: S.GrantView }
    },
    {
      method: 'post',
      path: '/admin/grants/{dataset}/{user}/raise',
      access: 'admin',
      summary: 'Raise a grant by an amount',
      params: S.GrantParams,
      body: S.GrantAdjustBody,
      ok: { status: 200, schema: S.GrantView }
    },
    {
      method: 'post',
      path: '/admin/grants/{dataset}/{user}/lower',
      access: 'admin',
      summary: 'Lower a grant by an amount (never below what is spent)',
      params: S.GrantParams,
      body: S.GrantAdjustBody,
      ok: { status: 200, schema: S.GrantView }
    },
    // ----- admin: datasets -----
    {
      method: 'get',
      path: '/admin/datasets',
      access: 'admin',
      summary: 'List datasets',
      ok: { status: 200, schema: z.array(S.DatasetView) }
    },
    {
      method: 'post',
      path: '/admin/datasets',
      access: 'admin',
      summary: 'Register a dataset',
      body: S.CreateDatasetBody,
      ok: { status: 201, schema: S.DatasetView }
    },
    {
      method: 'get',
      path: '/admin/datasets/{name}',
      access: 'admin',
      summary: 'A dataset',
      params: name,
      ok: { status: 200, schema: S.DatasetView }
    },
    {
      method: 'patch',
      path: '/admin/datasets/{name}',
      access: 'admin',
      summary: 'Update a dataset (bumps its version)',
      params: name,
      body: S.UpdateDatasetBody,
      ok: { status: 200, schema: S.DatasetView }
    },
    {
      method: 'delete',
      path: '/admin/datasets/{name}',
      access: 'admin',
      summary: 'Remove a dataset (its ledger stays)',
      params: name,
      ok: { status: 200, schema: z.object({ name: z.string(), removed: z.literal(true) }) }
    },
    // ----- admin: ledger, archive, audit, configuration -----
    {
      method: 'get',
      path: '/admin/ledger',
      access: 'admin',
      summary: 'Ledger entries, filtered by dataset and user',
      query: S.LedgerQuery,
      ok: { status: 200, schema: z.array(S.LedgerEntryView) }
    },
    {
      method: 'get',
      path: '/admin/archive',
      access: 'admin',
      summary: 'The query archive, newest first',
      query: S.ArchiveQuery,
      ok: { status: 200, schema: z.array(S.ArchiveView) }
    },
    {
      method: 'get',
      path: '/admin/archive/{queryId}',
      access: 'admin',
      summary: 'One archived query',
      params: S.ArchiveParams,
      ok: { status: 200, schema: S.ArchiveView }
    },
    {
      method: 'get',
      path: '/admin/audit',
      access: 'admin',
      summary: "Verify the ledger's hash chain",
      query: S.VerifyQuery,
      ok: { status: 200, schema: S.ChainReport }
    },
    {
      method: 'get',
      path: '/admin/config',
      access: 'admin',
      summary: 'The configuration without secrets',
      ok: { status: 200, schema: S.ConfigDump }
    }
  ];
}

const ERRORS_BY_ACCESS: Record<Access, number[]> = {
  public: [],
  analyst: [400, 401, 404, 413, 415, 429],
  admin: [400, 401, 403, 404, 409, 413, 415, 429]
};

/** Builds the OpenAPI 3.1 document from the route table and its zod schemas. */
export function openApiDocument(
  opts: { version?: string; serverUrl?: string } = {}
): Record<string, unknown> {
  const registry = new OpenAPIRegistry();
  const bearer = registry.registerComponent('securitySchemes', 'apiKey', {
    type: 'http',
    scheme: 'bearer',
    description:
      'An API key "lomas_<id>_<secret>" issued by an administrator, or (when the server is configured for OpenID Connect) an access token (JWT) from the sign-in provider.'
  });
  for (const r of apiRoutes()) {
    const responses: Record<
      string,
      { description: string; content?: Record<string, { schema: z.ZodType }> }
    > = {
      [r.ok.status]: {
        description: r.ok.description ?? 'Success',
        content: r.ok.schema
          ? { [r.ok.contentType ?? 'application/json']: { schema: r.ok.schema } }
          : undefined
      }
    };
    if (r.ok.contentType && !r.ok.schema)
      responses[r.ok.status].content = { [r.ok.contentType]: { schema: z.string() } };
    const errors =
      r.path === '/metrics'
        ? [401, 403, 429]
        : r.path === '/ready'
          ? [503]
          : ERRORS_BY_ACCESS[r.access];
    for (const status of errors) {
      responses[status] =
        status === 503 && r.path === '/ready'
          ? { description: 'Not ready', content: { 'application/json': { schema: S.StatusBody } } }
          : { description: 'Error', content: { 'application/json': { schema: S.ErrorBody } } };
    }
    if (r.private)
      responses[500] = {
        description: 'Error',
        content: { 'application/json': { schema: S.ErrorBody } }
      };
    registry.registerPath({
      method: r.method,
      path: r.path,
      summary: r.summary,
      tags: [r.access],
      security: r.access === 'public' ? [] : [{ [bearer.name]: [] }],
      request: {
        params: r.params,
        query: r.query,
        headers: r.headers,
        body: r.body
          ? { required: true, content: { 'application/json': { schema: r.body } } }
          : undefined
      },
      responses
    });
  }
  const generator = new OpenApiGeneratorV31(registry.definitions);
  return generator.generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Lomas server',
      version: opts.version ?? '0.1.0',
      description:
        'Answers queries on private data under differential privacy and charges each answer to a privacy budget.'
    },
    servers: opts.serverUrl ? [{ url: opts.serverUrl }] : undefined
  }) as unknown as Record<string, unknown>;
}

/** Compiles the route table into a matcher giving each request a bounded route label. */
export function routeLabeler(
  routes: RouteSpec[] = apiRoutes()
): (method: string, path: string) => string {
  const compiled = routes.map(r => ({
    method: r.method.toUpperCase(),
    label: r.path,
    re: new RegExp('^' + r.path.replace(/[.]/g, '\\.').replace(/\{[^}]+\}/g, '[^/]+') + '/?$')
  }));
  return (method, path) => {
    for (const c of compiled) if (c.method === method && c.re.test(path)) return c.label;
    return 'unmatched';
  };
}
