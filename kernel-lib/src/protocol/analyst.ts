import { z } from 'zod';
import { IntParam, Role } from './admin';
import { AccountingMode, Budget, orNull } from './budget';
import { REQUEST_DEFAULTS, REQUEST_LIMITS } from './limits';
import { DatasetMetadata } from './metadata';
import { ModelReleaseSchema } from './models';
import { ReleaseResponse } from './result';
import { SqlRecord } from './sqlRequest';
import { SyntheticHistoryReleaseSchema } from './synthetic';

/**
 * The analyst API's other wire types (plans, releases, estimates and budgets have their own
 * modules): who am I, the datasets I may query, a dataset's public description, dummy rows, my
 * query history, and the parameters of these requests.
 */

export const Me = z.object({ user: z.string(), role: Role }).strict().meta({ id: 'Me' });
export type Me = z.infer<typeof Me>;

export const DatasetSummary = z
  .object({ name: z.string(), description: z.string().optional(), accounting: AccountingMode })
  .strict()
  .meta({ id: 'DatasetSummary' });
export type DatasetSummary = z.infer<typeof DatasetSummary>;

/** GET /v1/datasets/{name}: everything public about a dataset, what the builder checks plans with. */
export const DatasetInfo = z
  .object({
    name: z.string(),
    description: z.string().optional(),
    accounting: AccountingMode,
    /** For (ε, δ) and zCDP datasets: the δ at which ρ is stated as ε. */
    delta: z.string().optional(),
    metadata: DatasetMetadata
  })
  .strict()
  .meta({ id: 'DatasetInfo' });
export type DatasetInfo = z.infer<typeof DatasetInfo>;

/** Synthetic rows that respect a dataset's metadata (free: no private data involved). */
export const DummyRows = z
  .object({
    columns: z.array(z.string()),
    rows: z.array(z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])))
  })
  .strict()
  .meta({ id: 'DummyRows' });
export type DummyRows = z.infer<typeof DummyRows>;

/** One of my previous queries: the plan as it was accepted (and its SQL, when sent as SQL), its cost, and its release (null if it failed). */
export const HistoryEntry = z
  .object({
    queryId: z.string(),
    dataset: z.string(),
    at: z.string(),
    plan: z.record(z.string(), z.unknown()),
    /** Set when the query was sent as SQL: its text, bound values, options and post-processing. */
    sql: SqlRecord.optional(),
    cost: Budget,
    /** A query's release, a model, or a synthetic table's release without its rows; null for a failure. */
    release: orNull(
      z.union([
        ReleaseResponse,
        ModelReleaseSchema as unknown as z.ZodType<Record<string, unknown>>,
        SyntheticHistoryReleaseSchema
      ])
    )
  })
  .strict()
  .meta({ id: 'HistoryEntry' });
export type HistoryEntry = z.infer<typeof HistoryEntry>;

// ---------- request parameters ----------

export const DatasetPathParams = z
  .object({ name: z.string().meta({ example: 'penguins' }) })
  .strict();

export const DummyRowsQuery = z
  .object({
    rows: IntParam(1, REQUEST_LIMITS.dummyRows)
      .optional()
      .default(REQUEST_DEFAULTS.dummyRows)
      .meta({ description: `Rows to make, 1 to ${REQUEST_LIMITS.dummyRows}.` }),
    seed: IntParam(0, 2 ** 31 - 1)
      .optional()
      .default(REQUEST_DEFAULTS.dummySeed)
  })
  .strict();

export const HistoryQuery = z
  .object({
    dataset: z.string().optional(),
    limit: IntParam(1, REQUEST_LIMITS.historyEntries)
      .optional()
      .default(REQUEST_DEFAULTS.historyEntries)
  })
  .strict();

export const IdempotencyHeader = z.object({
  'idempotency-key': z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{8,128}$/, '8 to 128 characters from letters, digits and _.:-')
    .optional()
    .meta({
      description: 'Retrying with the same key returns the same answer without a second charge.'
    })
});
