import {
  Amount,
  DATASET_NAME_PATTERN,
  DatasetMetadata as ProtocolMetadata,
  ERROR_CODES,
  RESERVED_NAMES
} from 'lomas-kernel/protocol';
import { z } from 'zod';
import { ConnectorSpec } from '../datasets/connectors/types';

/**
 * The zod schemas of the HTTP API. The same objects validate requests (routes/admin.ts, the
 * analyst routes) and generate the OpenAPI document (http/openapi.ts), so the two cannot drift.
 * Request bodies are strict: unknown fields are rejected, never silently dropped.
 */

// ---------- names and small values ----------

export const UserName = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/,
    'letters, digits and _.@- (1 to 64, starting with a letter or digit)'
  )
  .meta({ description: 'A user name.', example: 'alice' });

export const DatasetName = z
  .string()
  .regex(DATASET_NAME_PATTERN, 'letters, digits and _.- (1 to 128, not starting with . or -)')
  .meta({ description: 'A dataset name.', example: 'penguins' });

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

export const Role = z.enum(['analyst', 'admin']);
export const AccountingMode = z.enum(['pure', 'approx', 'zcdp']);

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

export const Budget = z
  .object({ epsilon: z.string(), delta: z.string(), rho: z.string().optional() })
  .meta({ id: 'Budget', description: 'Exact amounts as decimal strings.' });

/** Digits-only query parameter → integer. */
const IntParam = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,9}$/, `an integer from ${min} to ${max}`)
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

// ---------- connector settings and metadata ----------

/**
 * Where a dataset's rows come from: the connector module's own schema (file, http, s3,
 * vega-datasets), so a dataset cannot be registered with settings its connector would refuse.
 */
export const ConnectorSettings = ConnectorSpec.meta({ id: 'ConnectorSettings' });

const reserved = new Set(RESERVED_NAMES);

const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;

/**
 * The protocol's metadata schema, plus two admin-side rules: no column may be named like an
 * Object.prototype member, and category values and descriptions carry no control characters
 * (they are shown in notebooks and terminals).
 */
export const DatasetMetadata = ProtocolMetadata.refine(
  m => Object.keys(m.columns).every(c => !reserved.has(c)),
  {
    message: `a column name is reserved (${['__proto__', 'constructor', 'prototype', '...'].join(', ')})`,
    path: ['columns']
  }
)
  .refine(
    m =>
      Object.values(m.columns).every(
        c =>
          !(c.description && CONTROL.test(c.description)) &&
          !(c.type === 'string' && c.categories?.some(v => CONTROL.test(v)))
      ),
    { message: 'categories and descriptions may not contain control characters', path: ['columns'] }
  )
  .meta({ id: 'DatasetMetadata' });

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
    metadata: DatasetMetadata,
    accounting: AccountingMode.default('approx'),
    delta: Amount.optional().meta({
      description: 'For zcdp datasets: the δ at which ρ is shown as ε.'
    }),
    cap: BudgetInput.nullable().default(null)
  })
  .strict()
  .meta({ id: 'CreateDatasetBody' });

export const UpdateDatasetBody = z
  .object({
    description: Text(500).optional(),
    connector: ConnectorSettings.optional(),
    metadata: DatasetMetadata.optional(),
    accounting: AccountingMode.optional(),
    delta: Amount.optional(),
    cap: BudgetInput.nullable().optional()
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
    limit: IntParam(1, 10_000).optional()
  })
  .strict();
export const ArchiveQuery = z
  .object({
    dataset: DatasetName.optional(),
    user: UserName.optional(),
    limit: IntParam(1, 1000).optional()
  })
  .strict();
export const VerifyQuery = z.object({ dataset: DatasetName.optional() }).strict();
export const EmptyQuery = z.object({}).strict();

// ---------- analyst parameters (mirrors routes/analyst.ts) ----------

export const AnalystDatasetParams = z.object({ name: z.string() });
export const DummyRowsQuery = z.object({
  rows: IntParam(1, 100_000).optional(),
  seed: IntParam(0, 2 ** 31 - 1).optional()
});
export const HistoryQuery = z.object({
  dataset: z.string().optional(),
  limit: IntParam(1, 1000).optional()
});
/** The rule of an Idempotency-Key, in the header and in GET /v1/charges/{idempotencyKey}. */
export const IdempotencyKey = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{8,128}$/, '8 to 128 characters from letters, digits and _.:-');

export const ChargeParams = z.object({ idempotencyKey: IdempotencyKey }).strict();

export const IdempotencyHeader = z.object({
  'idempotency-key': IdempotencyKey.optional().meta({
    description: 'Retrying with the same key returns the same answer without a second charge.'
  })
});

// ---------- responses ----------

export const ErrorBody = z
  .object({
    code: z.enum(
      Object.keys(ERROR_CODES) as [keyof typeof ERROR_CODES, ...Array<keyof typeof ERROR_CODES>]
    ),
    message: z.string(),
    details: z.record(z.string(), z.unknown()).optional()
  })
  .meta({
    id: 'Error',
    description: 'Every error: a code from a closed set and a message saying how to fix it.'
  });

export const ChargeStatus = z
  .object({
    idempotencyKey: z.string(),
    queryId: z.string(),
    dataset: z.string(),
    at: z.string(),
    cost: Budget,
    answer: z.enum(['pending', 'release', 'failure']).meta({
      description:
        'pending: still being computed; release or failure: archived, returned again (no second charge) to the same request sent with the same Idempotency-Key.'
    })
  })
  .meta({
    id: 'ChargeStatus',
    description: 'The charge made for an Idempotency-Key (amounts rounded up).'
  });

export const StatusBody = z
  .object({ status: z.enum(['ok', 'unavailable']) })
  .meta({ id: 'Status' });

export const UserView = z
  .object({ name: z.string(), role: Role, active: z.boolean(), createdAt: z.string() })
  .meta({ id: 'User' });

export const KeyView = z
  .object({
    id: z.string(),
    user: z.string(),
    label: z.string(),
    createdAt: z.string(),
    revokedAt: z.string().nullable()
  })
  .meta({ id: 'ApiKey', description: 'An API key without its secret or hash.' });

export const IssuedKey = KeyView.extend({
  key: z.string().meta({ description: 'The plaintext key. Shown once: store it now.' })
}).meta({ id: 'IssuedKey' });

export const UserDetail = UserView.extend({ keys: z.array(KeyView) }).meta({ id: 'UserDetail' });

export const GrantView = z
  .object({
    user: z.string(),
    dataset: z.string(),
    budget: Budget,
    spent: Budget.optional(),
    createdAt: z.string(),
    updatedAt: z.string()
  })
  .meta({ id: 'Grant' });

export const DatasetView = z
  .object({
    name: z.string(),
    description: z.string().optional(),
    connector: z.record(z.string(), z.unknown()),
    metadata: z.record(z.string(), z.unknown()),
    accounting: AccountingMode,
    delta: z.string().optional(),
    cap: Budget.nullable(),
    version: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string()
  })
  .meta({ id: 'Dataset' });

export const LedgerEntryView = z
  .object({
    dataset: z.string(),
    seq: z.number().int(),
    user: z.string(),
    kind: z.enum(['charge', 'grant', 'cap']),
    cost: Budget,
    datasetSpent: Budget,
    userSpent: Budget,
    userGrant: Budget.nullable().optional(),
    datasetCap: Budget.nullable().optional(),
    actor: z.string().optional(),
    queryId: z.string(),
    idempotencyKey: z.string().nullable(),
    requestHash: z.string(),
    at: z.string(),
    prevHash: z.string(),
    hash: z.string()
  })
  .meta({ id: 'LedgerEntry' });

export const ArchiveView = z
  .object({
    queryId: z.string(),
    user: z.string(),
    dataset: z.string(),
    at: z.string(),
    kind: z.literal('release'),
    plan: z.unknown(),
    release: z.unknown(),
    cost: Budget
  })
  .meta({ id: 'ArchiveRecord' });

export const ChainReport = z
  .object({
    ok: z.boolean(),
    entries: z.number().int().meta({ description: 'Entries checked.' }),
    dataset: z.string().optional(),
    firstBadSeq: z.number().int().optional(),
    problem: z.string().optional(),
    heads: z.record(z.string(), z.object({ seq: z.number().int(), hash: z.string() })).meta({
      description: 'Last (seq, hash) per dataset: keep them elsewhere to detect a truncated tail.'
    })
  })
  .meta({ id: 'ChainReport' });

export const ConfigDump = z
  .object({
    users: z.array(
      UserView.extend({
        keys: z.array(KeyView.pick({ id: true, label: true, createdAt: true, revokedAt: true }))
      })
    ),
    datasets: z.array(DatasetView.omit({ version: true, createdAt: true, updatedAt: true })),
    grants: z.array(z.object({ user: z.string(), dataset: z.string(), budget: Budget }))
  })
  .meta({
    id: 'ConfigDump',
    description: 'The configuration without secrets (no keys, connector secrets redacted).'
  });
