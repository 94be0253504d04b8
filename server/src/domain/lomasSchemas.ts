/**
 * The wire contract of the Lomas-compatible routes (/lomas, routes/lomas.ts): one zod schema for
 * each request and response body of lomas-client 0.5.1, written from its pydantic models
 * (lomas_core.models.requests, .responses and .exceptions; csvw_eo's TableMetadata). The types of
 * domain/lomas.ts, lomasWire.ts and lomasJobs.ts are inferred from them, the routes are mounted
 * through them (answers are checked before they leave, http/contract.ts) and /openapi.json
 * documents them (http/openapi.ts).
 *
 * Requests are strict: a field this server does not know is refused rather than ignored. Answers
 * are strict too (nothing undeclared leaves); the client's models ignore fields they do not know,
 * so the `code` and `details` that ride along on errors are harmless to it.
 */
import {
  DatasetNameSchema,
  ErrorBody,
  orNull,
  REQUEST_LIMITS,
  SQL_LIMITS
} from 'lomas-kernel/protocol';
import { z } from 'zod';

// ---------------------------------------------------------------------------------------------
// Requests (lomas_core.models.requests: what the client's `model_dump()` sends).
// ---------------------------------------------------------------------------------------------

const Seed = z
  .number()
  .int()
  .min(-(2 ** 53 - 1))
  .max(2 ** 53 - 1);
/** As many rows as GET /v1/datasets/{name}/dummy makes. */
const DummyRows = z.number().int().min(1).max(REQUEST_LIMITS.dummyRows);

/** LomasRequestModel: every call names its dataset. */
export const LomasDatasetRequest = z
  .object({ dataset_name: DatasetNameSchema })
  .strict()
  .meta({ id: 'LomasDatasetRequest' });
export type LomasDatasetRequest = z.infer<typeof LomasDatasetRequest>;

/** GetDummyDataset. */
export const LomasDummyDatasetRequest = z
  .object({ dataset_name: DatasetNameSchema, dummy_nb_rows: DummyRows, dummy_seed: Seed })
  .strict()
  .meta({ id: 'LomasDummyDatasetRequest' });
export type LomasDummyDatasetRequest = z.infer<typeof LomasDummyDatasetRequest>;

const sqlFields = {
  dataset_name: DatasetNameSchema,
  query_str: z
    .string()
    .min(1)
    .max(SQL_LIMITS.textLength)
    .meta({ example: 'SELECT COUNT(*) AS n FROM df' }),
  epsilon: z.number().finite().gt(0).meta({ example: 0.1 }),
  delta: z.number().finite().min(0).meta({ example: 0 }),
  /** SmartNoise mechanism overrides, { statistic: mechanism } (checked in domain/lomas.ts). */
  mechanisms: z.record(z.string().max(64), z.string().max(64))
};

/** SmartnoiseSQLRequestModel (estimate_smartnoise_sql_cost). */
export const LomasSqlCostRequest = z.object(sqlFields).strict().meta({ id: 'LomasSqlCostRequest' });
export type LomasSqlCostRequest = z.infer<typeof LomasSqlCostRequest>;

/** SmartnoiseSQLQueryModel (smartnoise_sql_query). */
export const LomasSqlQueryRequest = z
  .object({ ...sqlFields, postprocess: z.boolean() })
  .strict()
  .meta({ id: 'LomasSqlQueryRequest' });
export type LomasSqlQueryRequest = z.infer<typeof LomasSqlQueryRequest>;

/** SmartnoiseSQLDummyQueryModel (dummy_smartnoise_sql_query). */
export const LomasSqlDummyRequest = z
  .object({ ...sqlFields, postprocess: z.boolean(), dummy_nb_rows: DummyRows, dummy_seed: Seed })
  .strict()
  .meta({ id: 'LomasSqlDummyRequest' });
export type LomasSqlDummyRequest = z.infer<typeof LomasSqlDummyRequest>;

/**
 * The request of a library this server refuses (OpenDP, DiffPrivLib, SmartNoise-Synth): the
 * client's own model, of which only `dataset_name` is read (to check access); the rest is never
 * looked at.
 */
export const LomasRefusedRequest = z
  .looseObject({ dataset_name: DatasetNameSchema })
  .meta({ id: 'LomasRefusedRequest' });

/** A job's uid as this server makes them (crypto.randomUUID: lower-case hex). */
export const JOB_UID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const JobUid = z
  .string()
  .regex(JOB_UID, 'a job uid (a UUID)')
  .meta({ example: '0b9e6a52-4c7e-4d8a-9d0f-3f1c2b7a6e15' });

/** GET /lomas/status/{uid}. */
export const LomasJobParams = z.object({ uid: JobUid }).strict();

// ---------------------------------------------------------------------------------------------
// Answers (lomas_core.models.responses, csvw_eo.metadata_structure.TableMetadata).
// ---------------------------------------------------------------------------------------------

/** An amount as the float the client reads (exact decimals turned into numbers, lomasWire.ts). */
const Float = z.number().nonnegative();

/** One cell of a DataFrame. */
export const LomasCell = z.union([z.string(), z.number(), z.boolean(), z.null()]);
export type Cell = z.infer<typeof LomasCell>;

/** A pandas DataFrame in the "tight" orientation (`DataFrame.from_dict(d, orient="tight")`). */
export const LomasDataFrame = z
  .object({
    index: z.array(z.number().int().nonnegative()),
    columns: z.array(z.string()),
    data: z.array(z.array(LomasCell)),
    index_names: z.tuple([z.null()]),
    column_names: z.tuple([z.null()])
  })
  .strict()
  .meta({
    id: 'LomasDataFrame',
    description:
      'A pandas DataFrame in the "tight" orientation: index 0..n-1, one row of data per index.'
  });
export type TightFrame = z.infer<typeof LomasDataFrame>;

/** csvw_eo ColumnMetadata, with the fields this server fills. */
export const LomasCsvwColumn = z
  .object({
    name: z.string(),
    datatype: z.enum(['integer', 'double', 'string', 'boolean', 'dateTime']),
    required: z.boolean(),
    privacy_id: z.boolean().optional(),
    minimum: z.union([z.number(), z.string()]).optional(),
    maximum: z.union([z.number(), z.string()]).optional(),
    public_keys_values: z
      .array(z.object({ predicate: z.object({ partition_value: z.string() }).strict() }).strict())
      .optional(),
    exhaustive_keys: z.boolean().optional(),
    max_num_partitions: z.number().int().nonnegative().optional()
  })
  .strict()
  .meta({ id: 'LomasCsvwColumn' });
export type CsvwColumn = z.infer<typeof LomasCsvwColumn>;

/** csvw_eo TableMetadata (get_dataset_metadata), by its pydantic field names. */
export const LomasCsvwTable = z
  .object({
    context: z.array(z.string()),
    table_type: z.literal('Table'),
    privacy_unit: z.string().nullable(),
    max_contributions: z.number().int().min(1),
    max_length: z.number().int().nonnegative().nullable(),
    public_length: z.number().int().nonnegative().nullable(),
    columns: z.array(LomasCsvwColumn)
  })
  .strict()
  .meta({ id: 'LomasCsvwTable', description: "A dataset's public metadata in CSVW-EO form." });
export type CsvwTable = z.infer<typeof LomasCsvwTable>;

/** The pandas dtypes of a dummy DataFrame's columns (nullable Int64 and boolean). */
export const PandasDtype = z.enum(['Int64', 'float64', 'string', 'boolean', 'datetime64[ns, UTC]']);
export type PandasDtype = z.infer<typeof PandasDtype>;

/** DummyDsResponse (get_dummy_dataset). */
export const LomasDummyDataset = z
  .object({ dtypes: z.record(z.string(), PandasDtype), dummy_df: LomasDataFrame })
  .strict()
  .meta({ id: 'LomasDummyDataset' });
export type LomasDummyDataset = z.infer<typeof LomasDummyDataset>;

/** InitialBudgetResponse. */
export const LomasInitialBudget = z
  .object({ initial_epsilon: Float, initial_delta: Float })
  .strict()
  .meta({ id: 'LomasInitialBudget' });

/** SpentBudgetResponse. */
export const LomasSpentBudget = z
  .object({ total_spent_epsilon: Float, total_spent_delta: Float })
  .strict()
  .meta({ id: 'LomasSpentBudget' });

/** RemainingBudgetResponse. */
export const LomasRemainingBudget = z
  .object({ remaining_epsilon: Float, remaining_delta: Float })
  .strict()
  .meta({ id: 'LomasRemainingBudget' });

export interface LomasBudgets {
  initial: z.infer<typeof LomasInitialBudget>;
  spent: z.infer<typeof LomasSpentBudget>;
  remaining: z.infer<typeof LomasRemainingBudget>;
}

/** CostResponse: what a query costs (an estimate's answer). */
export const LomasCost = z
  .object({ epsilon: Float, delta: Float })
  .strict()
  .meta({ id: 'LomasCost' });
export type LomasCost = z.infer<typeof LomasCost>;

/** QueryResponse with a SmartnoiseSQLQueryResult: a query's cost and its DataFrame. */
export const LomasQueryResponse = z
  .object({
    epsilon: Float,
    delta: Float,
    requested_by: z.string(),
    result: z.object({ type: z.literal('smartnoise_sql'), df: LomasDataFrame }).strict()
  })
  .strict()
  .meta({ id: 'LomasQueryResponse' });
export type LomasQueryResponse = z.infer<typeof LomasQueryResponse>;

const exceptionFields = {
  message: z.string(),
  /** This server's own code (the client ignores it; people and logs can read it). */
  code: ErrorBody.shape.code,
  details: z.record(z.string(), z.unknown()).optional()
};

/**
 * The client's exception models (LomasServerExceptionType, discriminated by `type`): every error
 * of /lomas, whatever its status, and the `error` of a failed job. routes/lomas.ts answers with
 * them; lomasWire.ts's lomasException says which type and status each of this server's errors is.
 */
export const LomasException = z
  .discriminatedUnion('type', [
    z
      .object({ type: z.literal('InvalidQueryException'), ...exceptionFields })
      .strict()
      .meta({ id: 'LomasInvalidQueryException' }),
    z
      .object({
        type: z.literal('ExternalLibraryException'),
        library: z.literal('smartnoise_sql'),
        ...exceptionFields
      })
      .strict()
      .meta({ id: 'LomasExternalLibraryException' }),
    z
      .object({ type: z.literal('UnauthorizedAccessException'), ...exceptionFields })
      .strict()
      .meta({ id: 'LomasUnauthorizedAccessException' }),
    z
      .object({ type: z.literal('InternalServerException'), ...exceptionFields })
      .strict()
      .meta({ id: 'LomasInternalServerException' })
  ])
  .meta({
    id: 'LomasException',
    description:
      "Every error of /lomas in the Python client's exception types, with this server's code and advice."
  });
export type LomasExceptionBody = z.infer<typeof LomasException>;
export type LomasExceptionType = LomasExceptionBody['type'];

/** The 202 of a cost or query call: the job to poll. */
export const LomasJobCreated = z.object({ uid: JobUid }).strict().meta({ id: 'LomasJobCreated' });

/**
 * Job (GET /lomas/status/{uid}). A job's work is done before its 202 (domain/lomasJobs.ts), so it
 * is never seen "in_progress": complete with its answer, or failed with the client's exception.
 */
export const LomasJob = z
  .discriminatedUnion('status', [
    z
      .object({
        uid: JobUid,
        requested_by: z.string(),
        status: z.literal('complete'),
        result: z.union([LomasQueryResponse, LomasCost]),
        error: z.null(),
        status_code: z.literal(200)
      })
      .strict(),
    z
      .object({
        uid: JobUid,
        requested_by: z.string(),
        status: z.literal('failed'),
        result: z.null(),
        error: LomasException,
        status_code: z.number().int().min(400).max(599)
      })
      .strict()
  ])
  .meta({ id: 'LomasJob' });
export type LomasJob = z.infer<typeof LomasJob>;
export type LomasJobResult = Extract<LomasJob, { status: 'complete' }>['result'];

/** One previous query: a SmartNoise-SQL query as the client sent it, and its answer. */
export const LomasPreviousQuery = z
  .object({
    user_name: z.string(),
    dataset_name: z.string(),
    dp_library: z.literal('smartnoise_sql'),
    client_input: z
      .object({
        dataset_name: z.string(),
        query_str: z.string(),
        epsilon: Float,
        delta: Float,
        mechanisms: z.record(z.string(), z.string()),
        postprocess: z.literal(true)
      })
      .strict(),
    /** Null when the query failed after its charge (then `error` says so). */
    response: orNull(LomasQueryResponse),
    /** Seconds since the epoch. */
    timestamp: z.number(),
    query_id: z.string(),
    error: LomasException.optional()
  })
  .strict()
  .meta({ id: 'LomasPreviousQuery' });
export type LomasPreviousQuery = z.infer<typeof LomasPreviousQuery>;

/** get_previous_queries. */
export const LomasPreviousQueries = z
  .object({ previous_queries: z.array(LomasPreviousQuery) })
  .strict()
  .meta({ id: 'LomasPreviousQueries' });
export type LomasPreviousQueries = z.infer<typeof LomasPreviousQueries>;
