/**
 * Request bodies of the Lomas-compatible routes, as lomas-client 0.5.1 sends them
 * (lomas_core.models.requests: `model_dump()` of its pydantic models). Strict: a field this
 * server does not know is refused rather than ignored.
 */
import { DATASET_NAME_PATTERN, SQL_LIMITS } from 'lomas-kernel/protocol';
import { z } from 'zod';
import type {
  LomasSqlCostRequest as CostRequest,
  LomasSqlDummyRequest as DummyRequest,
  LomasSqlQueryRequest as QueryRequest
} from '../domain/lomas';

/** Largest dummy dataset (as GET /v1/datasets/{name}/dummy). */
export const LOMAS_DUMMY_MAX_ROWS = 100_000;

const DatasetName = z
  .string()
  .regex(DATASET_NAME_PATTERN, 'a dataset name is letters, digits, _ . or -');
const Seed = z
  .number()
  .int()
  .min(-(2 ** 53 - 1))
  .max(2 ** 53 - 1);
const DummyRows = z.number().int().min(1).max(LOMAS_DUMMY_MAX_ROWS);

/** LomasRequestModel: every call names its dataset. */
export const LomasDatasetRequest = z.object({ dataset_name: DatasetName }).strict();

/** GetDummyDataset. */
export const LomasDummyDatasetRequest = z
  .object({ dataset_name: DatasetName, dummy_nb_rows: DummyRows, dummy_seed: Seed })
  .strict();

const sqlFields = {
  dataset_name: DatasetName,
  query_str: z.string().min(1).max(SQL_LIMITS.textLength),
  epsilon: z.number().finite().gt(0),
  delta: z.number().finite().min(0),
  /** SmartNoise mechanism overrides, { statistic: mechanism } (checked in domain/lomas.ts). */
  mechanisms: z.record(z.string().max(64), z.string().max(64))
};

/** SmartnoiseSQLRequestModel (estimate_smartnoise_sql_cost). */
export const LomasSqlCostRequest: z.ZodType<CostRequest> = z.object(sqlFields).strict();

/** SmartnoiseSQLQueryModel (smartnoise_sql_query). */
export const LomasSqlQueryRequest: z.ZodType<QueryRequest> = z
  .object({ ...sqlFields, postprocess: z.boolean() })
  .strict();

/** SmartnoiseSQLDummyQueryModel (dummy_smartnoise_sql_query). */
export const LomasSqlDummyRequest: z.ZodType<DummyRequest> = z
  .object({ ...sqlFields, postprocess: z.boolean(), dummy_nb_rows: DummyRows, dummy_seed: Seed })
  .strict();
