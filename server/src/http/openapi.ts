import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import * as S from 'lomas-kernel/protocol';
import { z } from 'zod';
import { lomasRoutes } from './lomasRoutes';

/**
 * Every HTTP route of the server, in one table: the routers are mounted from it (http/contract.ts:
 * each handler's request and response go through the schemas named here), and the OpenAPI
 * document, the metrics' route labels and the authorization-matrix test are derived from it.
 * Every schema is a wire type of lomas-kernel/protocol, or for the Python Lomas client's routes
 * (http/lomasRoutes.ts) one of its models in domain/lomasSchemas.ts; none is written here.
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
  /** The body is validated by the domain (a query plan: parsePlan names its problems precisely). */
  rawBody?: boolean;
  /** An absent body counts as {}. */
  optionalBody?: boolean;
  /**
   * Success status and schema (undefined schema: no JSON body). Absent for a route that only
   * refuses (the Python client's calls of libraries this server does not run).
   */
  ok?: {
    status: number;
    schema?: z.ZodType;
    description?: string;
    contentType?: string;
    /** OpenAPI links: operations that take a value of this answer (a job's uid → its status). */
    links?: Record<string, { operationRef: string; parameters: Record<string, string> }>;
  };
  /**
   * Error bodies that are not the server's ErrorBody (the Python client's exception types on
   * /lomas): their schema and every status they come with. Default: ErrorBody with the statuses
   * of the route's access class.
   */
  errors?: { schema: z.ZodType; statuses: number[] };
  /** Touches private data: timing protection applies. */
  private?: boolean;
}

/** The query request body: the protocol's plan schema, the one parsePlan validates with. */
const QueryRequest = S.QueryPlanSchema as unknown as z.ZodType;
// Synthetic data and models: the protocol's schemas, named as components once here.
const wire = (schema: unknown, id: string) => (schema as z.ZodType).meta({ id });
const SyntheticRequest = wire(S.SyntheticRequestSchema, 'SyntheticRequest');
const SyntheticEstimate = wire(S.SyntheticEstimateSchema, 'SyntheticEstimate');
const SyntheticRelease = wire(S.SyntheticReleaseSchema, 'SyntheticRelease');
const ModelRequest = wire(S.ModelRequestSchema, 'ModelRequest');
const ModelEstimate = wire(S.ModelEstimateSchema, 'ModelEstimate');
const ModelRelease = wire(S.ModelReleaseSchema, 'ModelRelease');
// SQL: the protocol's schemas (sqlRequest.ts), named as components in the protocol.
const SqlRequest = S.SqlRequestSchema as unknown as z.ZodType;

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
      ok: { status: 200, schema: S.Me }
    },
    {
      method: 'get',
      path: '/v1/me/budgets',
      access: 'analyst',
      summary: 'My budgets on every dataset I may query',
      ok: { status: 200, schema: z.array(S.BudgetStatus) }
    },
    {
      method: 'get',
      path: '/v1/datasets',
      access: 'analyst',
      summary: 'Datasets I may query',
      ok: { status: 200, schema: z.array(S.DatasetSummary) }
    },
    {
      method: 'get',
      path: '/v1/datasets/{name}',
      access: 'analyst',
      summary: "A dataset's public metadata",
      params: S.DatasetPathParams,
      ok: { status: 200, schema: S.DatasetInfo }
    },
    {
      method: 'get',
      path: '/v1/datasets/{name}/budget',
      access: 'analyst',
      summary: 'My budget on a dataset',
      params: S.DatasetPathParams,
      ok: { status: 200, schema: S.BudgetStatus }
    },
    {
      method: 'get',
      path: '/v1/datasets/{name}/dummy',
      access: 'analyst',
      summary: 'Synthetic rows respecting the metadata (free)',
      params: S.DatasetPathParams,
      query: S.DummyRowsQuery,
      ok: { status: 200, schema: S.DummyRows }
    },
    {
      method: 'get',
      path: '/v1/queries',
      access: 'analyst',
      summary: 'My previous queries',
      query: S.HistoryQuery,
      ok: { status: 200, schema: z.array(S.HistoryEntry) }
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
      rawBody: true,
      ok: { status: 200, schema: S.EstimateResponse }
    },
    {
      method: 'post',
      path: '/v1/queries/dummy',
      access: 'analyst',
      summary: 'Run a query on dummy data (free)',
      body: QueryRequest,
      rawBody: true,
      ok: { status: 200, schema: S.ReleaseResponse },
      private: true
    },
    {
      method: 'post',
      path: '/v1/queries',
      access: 'analyst',
      summary: 'Run a query (spends budget)',
      body: QueryRequest,
      rawBody: true,
      headers: S.IdempotencyHeader,
      ok: { status: 200, schema: S.ReleaseResponse },
      private: true
    },
    // ----- analyst: SQL (bodies checked by parseSqlRequest, then compiled into a plan) -----
    {
      method: 'post',
      path: '/v1/queries/sql/estimate',
      access: 'analyst',
      summary: 'Cost and accuracy of an SQL query, with its compiled plan (free)',
      body: SqlRequest,
      rawBody: true,
      ok: { status: 200, schema: S.SqlEstimateResponse }
    },
    {
      method: 'post',
      path: '/v1/queries/sql/dummy',
      access: 'analyst',
      summary: 'Run an SQL query on dummy data (free)',
      body: SqlRequest,
      rawBody: true,
      ok: { status: 200, schema: S.SqlReleaseResponse },
      private: true
    },
    {
      method: 'post',
      path: '/v1/queries/sql',
      access: 'analyst',
      summary: 'Run an SQL query (spends budget); the release carries the compiled plan',
      body: SqlRequest,
      rawBody: true,
      headers: S.IdempotencyHeader,
      ok: { status: 200, schema: S.SqlReleaseResponse },
      private: true
    },
    // ----- analyst: synthetic data (bodies checked by parseSyntheticRequest in the domain) -----
    {
      method: 'post',
      path: '/v1/synthetic/estimate',
      access: 'analyst',
      summary: 'Cost and noise of a synthetic table (free)',
      body: SyntheticRequest,
      rawBody: true,
      ok: { status: 200, schema: SyntheticEstimate }
    },
    {
      method: 'post',
      path: '/v1/synthetic/dummy',
      access: 'analyst',
      summary: 'A synthetic table learnt from dummy data (free)',
      body: SyntheticRequest,
      rawBody: true,
      ok: { status: 200, schema: SyntheticRelease },
      private: true
    },
    {
      method: 'post',
      path: '/v1/synthetic',
      access: 'analyst',
      summary: 'A differentially private synthetic table (spends budget)',
      body: SyntheticRequest,
      rawBody: true,
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
    // ----- analyst: DP models (bodies checked by parseModelRequest in the domain) -----
    {
      method: 'post',
      path: '/v1/models/estimate',
      access: 'analyst',
      summary: 'Cost and noise of a DP model (free)',
      body: ModelRequest,
      rawBody: true,
      ok: { status: 200, schema: ModelEstimate }
    },
    {
      method: 'post',
      path: '/v1/models/dummy',
      access: 'analyst',
      summary: 'A DP model fitted on dummy data (free)',
      body: ModelRequest,
      rawBody: true,
      ok: { status: 200, schema: ModelRelease },
      private: true
    },
    {
      method: 'post',
      path: '/v1/models',
      access: 'analyst',
      summary: 'A DP model fitted on the private data (spends budget)',
      body: ModelRequest,
      rawBody: true,
      headers: S.IdempotencyHeader,
      ok: { status: 200, schema: ModelRelease },
      private: true
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
      params: S.UserParams,
      ok: { status: 200, schema: S.UserDetail }
    },
    {
      method: 'patch',
      path: '/admin/users/{name}',
      access: 'admin',
      summary: 'Deactivate or reactivate a user',
      params: S.UserParams,
      body: S.PatchUserBody,
      ok: { status: 200, schema: S.UserView }
    },
    {
      method: 'get',
      path: '/admin/users/{name}/keys',
      access: 'admin',
      summary: "A user's keys (without secrets)",
      params: S.UserParams,
      ok: { status: 200, schema: z.array(S.KeyView) }
    },
    {
      method: 'post',
      path: '/admin/users/{name}/keys',
      access: 'admin',
      summary: 'Issue a key (the plaintext is shown once)',
      params: S.UserParams,
      body: S.IssueKeyBody,
      optionalBody: true,
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
      params: S.DatasetParams,
      ok: { status: 200, schema: S.DatasetView }
    },
    {
      method: 'patch',
      path: '/admin/datasets/{name}',
      access: 'admin',
      summary: 'Update a dataset (bumps its version)',
      params: S.DatasetParams,
      body: S.UpdateDatasetBody,
      ok: { status: 200, schema: S.DatasetView }
    },
    {
      method: 'delete',
      path: '/admin/datasets/{name}',
      access: 'admin',
      summary: 'Remove a dataset (its ledger stays)',
      params: S.DatasetParams,
      ok: { status: 200, schema: S.RemovedDataset }
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
    },
    // ----- analyst: the Python Lomas client's routes (http/lomasRoutes.ts) -----
    ...lomasRoutes()
  ];
}

/**
 * Error statuses per access class: a bad request (400), no key (401), a budget or cap exhausted,
 * no grant or not an admin (403), not found (404), an idempotency key or state conflict (409), a
 * body too large (413) or not JSON (415), the rate limit (429).
 */
const ERRORS_BY_ACCESS: Record<Access, number[]> = {
  public: [],
  analyst: [400, 401, 403, 404, 409, 413, 415, 429],
  admin: [400, 401, 403, 404, 409, 413, 415, 429]
};

type Responses = Record<
  string,
  {
    description: string;
    content?: Record<string, { schema: z.ZodType }>;
    links?: NonNullable<RouteSpec['ok']>['links'];
  }
>;

function successResponse(r: RouteSpec): Responses {
  if (!r.ok) return {};
  const { status, schema, contentType, description, links } = r.ok;
  const body = schema ?? (contentType ? z.string() : undefined);
  return {
    [status]: {
      description: description ?? 'Success',
      content: body ? { [contentType ?? 'application/json']: { schema: body } } : undefined,
      ...(links ? { links } : {})
    }
  };
}

function errorResponses(r: RouteSpec): Responses {
  const json = (schema: z.ZodType) => ({ 'application/json': { schema } });
  if (r.errors) {
    const { schema, statuses } = r.errors;
    return Object.fromEntries(
      statuses.map(s => [s, { description: 'Error', content: json(schema) }])
    );
  }
  if (r.path === '/ready')
    return { 503: { description: 'Not ready', content: json(S.StatusBody) } };
  const statuses = r.path === '/metrics' ? [401, 403, 429] : ERRORS_BY_ACCESS[r.access];
  const out: Responses = Object.fromEntries(
    statuses.map(s => [s, { description: 'Error', content: json(S.ErrorBody) }])
  );
  // A failure after the charge (QUERY_FAILED).
  if (r.private) out[500] = { description: 'Error', content: json(S.ErrorBody) };
  return out;
}

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
    const responses: Responses = { ...successResponse(r), ...errorResponses(r) };
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
          ? { required: !r.optionalBody, content: { 'application/json': { schema: r.body } } }
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

/** The request paths an OpenAPI path template matches ({x}: one path segment). */
export function routePattern(template: string): RegExp {
  return new RegExp('^' + template.replace(/[.]/g, '\\.').replace(/\{[^}]+\}/g, '[^/]+') + '/?$');
}

/** Compiles the route table into a matcher giving each request a bounded route label. */
export function routeLabeler(
  routes: RouteSpec[] = apiRoutes()
): (method: string, path: string) => string {
  const compiled = routes.map(r => ({
    method: r.method.toUpperCase(),
    label: r.path,
    re: routePattern(r.path)
  }));
  return (method, path) => {
    for (const c of compiled) if (c.method === method && c.re.test(path)) return c.label;
    return 'unmatched';
  };
}
