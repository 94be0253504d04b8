import { z } from 'zod';
import {
  AccountingMode,
  Amount,
  BudgetInput,
  ConnectorSettings,
  DatasetMetadataBody,
  DatasetName,
  Role,
  UserName
} from 'lomas-kernel/protocol';

/**
 * The file `lomas-admin load` reads and `lomas-admin dump` writes (YAML or JSON): users, datasets
 * and grants. Strict, except that what `dump` adds for information (key ids, timestamps) is
 * accepted and ignored, so a dump can be loaded back.
 */
const DumpedKey = z
  .object({
    id: z.string(),
    label: z.string(),
    createdAt: z.string(),
    revokedAt: z.string().nullable()
  })
  .strict();

export const ConfigUser = z
  .object({
    name: UserName,
    role: Role.default('analyst'),
    active: z.boolean().default(true),
    /** Issue a key when the user is created (default true); the key is printed once. */
    issueKey: z.boolean().default(true),
    keys: z.array(DumpedKey).optional(),
    createdAt: z.string().optional()
  })
  .strict();

export const ConfigDataset = z
  .object({
    name: DatasetName,
    description: z.string().max(500).optional(),
    connector: ConnectorSettings,
    metadata: DatasetMetadataBody,
    accounting: AccountingMode.default('approx'),
    delta: Amount.optional(),
    cap: BudgetInput.nullable().default(null)
  })
  .strict();

export const ConfigGrant = z
  .object({ user: UserName, dataset: DatasetName, budget: BudgetInput })
  .strict();

export const ConfigFile = z
  .object({
    users: z.array(ConfigUser).default([]),
    datasets: z.array(ConfigDataset).default([]),
    grants: z.array(ConfigGrant).default([])
  })
  .strict()
  .superRefine((f, ctx) => {
    const dup = (xs: string[], path: string) => {
      const seen = new Set<string>();
      xs.forEach((x, i) => {
        if (seen.has(x))
          ctx.addIssue({ code: 'custom', path: [path, i], message: `"${x}" appears twice` });
        seen.add(x);
      });
    };
    dup(
      f.users.map(u => u.name),
      'users'
    );
    dup(
      f.datasets.map(d => d.name),
      'datasets'
    );
    dup(
      f.grants.map(g => `${g.dataset}/${g.user}`),
      'grants'
    );
  });

export type ConfigFile = z.output<typeof ConfigFile>;
