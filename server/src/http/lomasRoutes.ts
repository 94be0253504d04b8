import type { z } from 'zod';
import { REFUSED_CALLS, REFUSED_LIBRARIES } from '../domain/lomas';
import * as L from '../domain/lomasSchemas';
import type { RouteSpec } from './openapi';

/**
 * The rows of the route table (http/openapi.ts) for the Python Lomas client's routes under /lomas
 * (routes/lomas.ts). Their schemas are the client's models (domain/lomasSchemas.ts), and so are
 * their errors: every status carries one of the client's exception bodies (LomasException; which
 * type and status an error gets is domain/lomasWire.ts's lomasException):
 * 400 InvalidQueryException (also a job uid that is no UUID), 401 and 403
 * UnauthorizedAccessException (no valid credential; no access to the dataset), 404 an unknown job,
 * 413 and 415 a body too large or not JSON, 422 ExternalLibraryException (SQL outside the subset,
 * a plan rule), 429 the rate limit, 500 InternalServerException.
 */
const POST_ERRORS = [400, 401, 403, 413, 415, 429, 500];
const SQL_ERRORS = [400, 401, 403, 413, 415, 422, 429, 500];
const STATUS_ERRORS = [400, 401, 404, 429, 500];
const errors = (statuses: number[]) => ({ schema: L.LomasException, statuses });

/** A call answered at once with a body (metadata, dummy data, budgets, previous queries). */
function read(name: string, summary: string, body: z.ZodType, schema: z.ZodType): RouteSpec {
  return {
    method: 'post',
    path: `/lomas/${name}`,
    access: 'analyst',
    summary,
    body,
    ok: { status: 200, schema },
    errors: errors(POST_ERRORS)
  };
}

/** A SmartNoise-SQL call: a job, answered 202 with its uid, then read at /lomas/status/{uid}. */
function job(name: string, summary: string, body: z.ZodType, held: boolean): RouteSpec {
  return {
    method: 'post',
    path: `/lomas/${name}`,
    access: 'analyst',
    summary,
    body,
    ok: {
      status: 202,
      schema: L.LomasJobCreated,
      description: 'The job, already finished: read it at /lomas/status/{uid}',
      links: {
        status: {
          operationRef: '#/paths/~1lomas~1status~1{uid}/get',
          parameters: { uid: '$response.body#/uid' }
        }
      }
    },
    errors: errors(SQL_ERRORS),
    // Held by the timing protection as /v1/queries/sql and its dummy form are: the job's work
    // runs before its 202 is sent, so that answer's latency is the query's (the status route
    // only reads the stored answer).
    ...(held ? { private: true } : {})
  };
}

/** A call of a library this server does not run: always refused, nothing read or charged. */
function refused(name: string): RouteSpec {
  const library = REFUSED_CALLS[name];
  return {
    method: 'post',
    path: `/lomas/${name}`,
    access: 'analyst',
    summary: `Refused (400 InvalidQueryException): ${library} is not run here, ${REFUSED_LIBRARIES[library]}`,
    body: L.LomasRefusedRequest,
    rawBody: true,
    errors: errors(POST_ERRORS)
  };
}

export function lomasRoutes(): RouteSpec[] {
  return [
    read(
      'get_dataset_metadata',
      "Lomas client: a dataset's public metadata (CSVW-EO)",
      L.LomasDatasetRequest,
      L.LomasCsvwTable
    ),
    read(
      'get_dummy_dataset',
      'Lomas client: dummy rows respecting the metadata (free)',
      L.LomasDummyDatasetRequest,
      L.LomasDummyDataset
    ),
    read(
      'get_initial_budget',
      'Lomas client: my initial budget on a dataset',
      L.LomasDatasetRequest,
      L.LomasInitialBudget
    ),
    read(
      'get_total_spent_budget',
      'Lomas client: my spent budget on a dataset',
      L.LomasDatasetRequest,
      L.LomasSpentBudget
    ),
    read(
      'get_remaining_budget',
      'Lomas client: my remaining budget on a dataset',
      L.LomasDatasetRequest,
      L.LomasRemainingBudget
    ),
    read(
      'get_previous_queries',
      'Lomas client: my previous SQL queries on a dataset',
      L.LomasDatasetRequest,
      L.LomasPreviousQueries
    ),
    job(
      'estimate_smartnoise_sql_cost',
      'Lomas client: the cost of a SmartNoise-SQL query, as a job (free)',
      L.LomasSqlCostRequest,
      false
    ),
    job(
      'smartnoise_sql_query',
      'Lomas client: run a SmartNoise-SQL query, as a job (spends budget)',
      L.LomasSqlQueryRequest,
      true
    ),
    job(
      'dummy_smartnoise_sql_query',
      'Lomas client: run a SmartNoise-SQL query on dummy data, as a job (free)',
      L.LomasSqlDummyRequest,
      true
    ),
    ...Object.keys(REFUSED_CALLS).map(refused),
    {
      method: 'get',
      path: '/lomas/status/{uid}',
      access: 'analyst',
      summary: 'Lomas client: a job I started (its answer or its error)',
      params: L.LomasJobParams,
      ok: { status: 200, schema: L.LomasJob },
      errors: errors(STATUS_ERRORS)
    }
  ];
}
