import { z } from 'zod';
import { Amount } from './amount';
import { AccountingMode, Budget, orNull } from './budget';
import { ConnectorSpec } from './connectors';
import { REQUEST_LIMITS } from './limits';
import { DatasetMetadata as ProtocolMetadata } from './metadata';
import { ErrorBody } from './errors';
import { RESERVED_NAMES } from './names';
import { DatasetNameSchema } from './plan';
import { ModelReleaseSchema } from './models';
import { ReleaseResponse } from './result';
import { SqlRecord } from './sqlRequest';
import { SyntheticReleaseSchema } from './synthetic';

/**
 * The admin API's wire types: request bodies, path and query parameters, and the views it answers
 * with. The server validates requests and builds responses through them and generates its OpenAPI
 * document from them. Request bodies are strict: unknown fields are rejected, never silently
 * dropped; responses are strict too, so nothing undeclared (a key hash, a salt) can leave.
 */

// ---------- names and small values ----------

export const UserName = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/,
    'letters, digits and _.@- (1 to 64, starting with a letter or digit)'
  )
  .meta({ description: 'A user name.', example: 'alice' });

export const DatasetName = DatasetNameSchema.meta({
  description: 'A dataset name.',
  example: 'penguins'
});

export const KeyId = z
  .string()
  .regex(/^[0-9a-f]{16}$/, '16 lowercase hex digits (the part after "lomas_" of a key)')
  .meta({ description: 'The public id of an API key.', example: '0123456789abcdef' });

export const QueryId = z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'a query id');

/** Free text: bounded, no control characters. */
const Text = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[^\u0000-\u001f\u007f]*$/, 'no control characters');

export const Role = z.enum(['analyst', 'admin']).meta({ id: 'Role' });
export type Role = z.infer<typeof Role>;

/** A privacy budget as exact amounts: decimal strings ("0.5") or finite non-negative numbers. */
export const BudgetInput = z
  .object({
    epsilon: Amount,
    delta: Amount,
    rho: Amount.optional()
  })
  .strict()
  .meta({
    id: 'BudgetInput',
    description: 'Exact amounts; numbers are read as their shortest decimal.'
  });

/**
 * An integer query parameter: digits only ("12"; not "1e1", " 12" or "0x10"), within [min, max].
 * Documented as an integer with its range.
 */
export const IntParam = (min: number, max: number) => {
  const rule = `an integer from ${min} to ${max}`;
  return z.preprocess(
    v => (typeof v === 'string' && /^\d{1,10}$/.test(v) ? Number(v) : v),
    z.number({ error: rule }).int(rule).min(min, rule).max(max, rule)
  );
};

// ---------- connector settings and metadata ----------

/**
 * Where a dataset's rows come from: the connector module's own schema (file, http, s3,
 * vega-datasets), so a dataset cannot be registered with settings its connector would refuse.
 */
export const ConnectorSettings = ConnectorSpec;

const reserved = new Set(RESERVED_NAMES);

const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;

/**
 * The protocol's metadata schema, plus two admin-side rules: no column may be named like an
 * Object.prototype member, and category values and descriptions carry no control characters
 * (they are shown in notebooks and terminals).
 */
export const DatasetMetadataBody = ProtocolMetadata.refine(
  m => Object.keys(m.columns).every(c => !reserved.has(c)),
  {
    message: `a column name is reserved (${['__proto__', 'constructor', 'prototype', '...'].join(', ')})`,
    path: ['columns']
  }
).refine(
  m =>
    Object.values(m.columns).every(
      c =>
        !(c.description && CONTROL.test(c.description)) &&
        !(c.type === 'string' && c.categories?.some(v => CONTROL.test(v)))
    ),
  { message: 'categories and descriptions may not contain control characters', path: ['columns'] }
);

// ---------- admin request bodies ----------

export const CreateUserBody = z
  .object({
    name: UserName,
    role: Role.default('analyst'),
    active: z.boolean().default(true)
  })
  .strict()
  .meta({ id: 'CreateUserBody' });

export const PatchUserBody = z
  .object({ active: z.boolean() })
  .strict()
  .meta({ id: 'PatchUserBody', description: 'Deactivate (false) or reactivate (true) a user.' });

export const IssueKeyBody = z
  .object({ label: Text(100).default('') })
  .strict()
  .meta({ id: 'IssueKeyBody' });

export const GrantAdjustBody = BudgetInput;

export const CreateDatasetBody = z
  .object({
    name: DatasetName,
    description: Text(500).optional(),
    connector: ConnectorSettings,
    metadata: DatasetMetadataBody,
    accounting: AccountingMode.default('approx'),
    delta: Amount.optional().meta({
      description: 'For zcdp datasets: the δ at which ρ is shown as ε.'
    }),
    cap: orNull(BudgetInput).default(null)
  })
  .strict()
  .meta({ id: 'CreateDatasetBody' });

export const UpdateDatasetBody = z
  .object({
    description: Text(500).optional(),
    connector: ConnectorSettings.optional(),
    metadata: DatasetMetadataBody.optional(),
    accounting: AccountingMode.optional(),
    delta: Amount.optional(),
    cap: orNull(BudgetInput).optional()
  })
  .strict()
  .refine(b => Object.keys(b).length > 0, 'at least one field to change')
  .meta({ id: 'UpdateDatasetBody' });

// ---------- admin parameters ----------

export const UserParams = z.object({ name: UserName }).strict();
export const DatasetParams = z.object({ name: DatasetName }).strict();
export const KeyParams = z.object({ id: KeyId }).strict();
export const GrantParams = z.object({ dataset: DatasetName, user: UserName }).strict();
export const ArchiveParams = z.object({ queryId: QueryId }).strict();

export const GrantsQuery = z
  .object({ dataset: DatasetName.optional(), user: UserName.optional() })
  .strict();
export const LedgerQuery = z
  .object({
    dataset: DatasetName.optional(),
    user: UserName.optional(),
    afterSeq: IntParam(0, 999_999_999).optional(),
    limit: IntParam(1, REQUEST_LIMITS.ledgerEntries).optional()
  })
  .strict();
export const ArchiveQuery = z
  .object({
    dataset: DatasetName.optional(),
    user: UserName.optional(),
    limit: IntParam(1, REQUEST_LIMITS.archiveRecords).optional()
  })
  .strict();
export const VerifyQuery = z.object({ dataset: DatasetName.optional() }).strict();
export const EmptyQuery = z.object({}).strict();

// ---------- views (responses) ----------

export const StatusBody = z
  .object({ status: z.enum(['ok', 'unavailable']) })
  .strict()
  .meta({ id: 'Status' });

export const UserView = z
  .object({ name: z.string(), role: Role, active: z.boolean(), createdAt: z.string() })
  .strict()
  .meta({ id: 'User' });
export type UserView = z.infer<typeof UserView>;

export const KeyView = z
  .object({
    id: z.string(),
    user: z.string(),
    label: z.string(),
    createdAt: z.string(),
    revokedAt: z.string().nullable()
  })
  .strict()
  .meta({ id: 'ApiKey', description: 'An API key without its secret or hash.' });
export type KeyView = z.infer<typeof KeyView>;

export const IssuedKey = KeyView.extend({
  key: z.string().meta({ description: 'The plaintext key. Shown once: store it now.' })
})
  .strict()
  .meta({ id: 'IssuedKey' });
export type IssuedKey = z.infer<typeof IssuedKey>;

export const UserDetail = UserView.extend({ keys: z.array(KeyView) })
  .strict()
  .meta({ id: 'UserDetail' });

export const GrantView = z
  .object({
    user: z.string(),
    dataset: z.string(),
    budget: Budget,
    spent: Budget,
    createdAt: z.string(),
    updatedAt: z.string()
  })
  .strict()
  .meta({ id: 'Grant', description: 'A grant and what is spent of it (decimals, rounded up).' });
export type GrantView = z.infer<typeof GrantView>;

export const DatasetView = z
  .object({
    name: z.string(),
    description: z.string().optional(),
    connector: ConnectorSettings,
    metadata: ProtocolMetadata,
    accounting: AccountingMode,
    delta: z.string().optional(),
    cap: orNull(Budget),
    version: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string()
  })
  .strict()
  .meta({ id: 'Dataset' });
export type DatasetView = z.infer<typeof DatasetView>;

export const RemovedDataset = z
  .object({ name: z.string(), removed: z.literal(true) })
  .strict()
  .meta({ id: 'RemovedDataset' });
export type RemovedDataset = z.infer<typeof RemovedDataset>;

export const LedgerEntryView = z
  .object({
    dataset: z.string(),
    seq: z.number().int(),
    user: z.string(),
    kind: z.enum(['charge', 'grant', 'cap']),
    cost: Budget,
    datasetSpent: Budget,
    userSpent: Budget,
    userGrant: orNull(Budget).optional(),
    datasetCap: orNull(Budget).optional(),
    actor: z.string().optional(),
    queryId: z.string(),
    idempotencyKey: z.string().nullable(),
    requestHash: z.string(),
    at: z.string(),
    prevHash: z.string(),
    hash: z.string()
  })
  .strict()
  .meta({
    id: 'LedgerEntry',
    description: 'One entry of the hash-chained ledger (exact fractions).'
  });
export type LedgerEntryView = z.infer<typeof LedgerEntryView>;

export const ArchiveView = z
  .object({
    queryId: z.string(),
    user: z.string(),
    dataset: z.string(),
    at: z.string(),
    /** 'failure': charged, then failed; retries with its key get the same error. */
    kind: z.enum(['release', 'failure']),
    plan: z.record(z.string(), z.unknown()).meta({ description: 'The plan as it was accepted.' }),
    /** Set when the query was sent as SQL: its text, bound values, options and post-processing. */
    sql: SqlRecord.optional(),
    /** A query's release, a model, or a synthetic table (with its rows); null for a failure. */
    release: orNull(
      z.union([
        ReleaseResponse,
        ModelReleaseSchema as unknown as z.ZodType<Record<string, unknown>>,
        SyntheticReleaseSchema as unknown as z.ZodType<Record<string, unknown>>
      ])
    ),
    error: ErrorBody.optional(),
    cost: Budget
  })
  .strict()
  .meta({ id: 'ArchiveRecord' });

export const ChainReport = z
  .object({
    ok: z.boolean(),
    entries: z.number().int().meta({ description: 'Entries checked.' }),
    dataset: z.string().optional(),
    firstBadSeq: z.number().int().optional(),
    problem: z.string().optional(),
    heads: z
      .record(z.string(), z.object({ seq: z.number().int(), hash: z.string() }).strict())
      .meta({
        description: 'Last (seq, hash) per dataset: keep them elsewhere to detect a truncated tail.'
      })
  })
  .strict()
  .meta({ id: 'ChainReport' });
export type ChainReport = z.infer<typeof ChainReport>;

export const ConfigDump = z
  .object({
    users: z.array(
      UserView.extend({
        keys: z.array(
          KeyView.pick({ id: true, label: true, createdAt: true, revokedAt: true }).strict()
        )
      }).strict()
    ),
    datasets: z.array(
      DatasetView.omit({ version: true, createdAt: true, updatedAt: true }).strict()
    ),
    grants: z.array(z.object({ user: z.string(), dataset: z.string(), budget: Budget }).strict())
  })
  .strict()
  .meta({
    id: 'ConfigDump',
    description: 'The configuration without secrets (no keys, connector secrets redacted).'
  });
