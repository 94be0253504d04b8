import { LomasError } from 'lomas-kernel/protocol';
import { createAdminService } from './admin/service';
import { recordFor, parseKey } from './auth/keys';
import type { Config } from './config';
import { demoDatasets } from './datasets/demo';
import type { Ledger } from './ledger';
import type { Logger } from './logger';
import type { Role, Store } from './store/types';

export const BOOTSTRAP_ADMIN = 'admin';
export const DEMO_ANALYST = 'analyst';

/** Runs a create; CONFLICT means another server starting on the same store created it first. */
async function unlessCreated(create: () => Promise<void>): Promise<void> {
  try {
    await create();
  } catch (e) {
    if (!(e instanceof LomasError && e.code === 'CONFLICT')) throw e;
  }
}

async function ensureUser(
  store: Store,
  name: string,
  role: Role,
  key: string | undefined,
  now: string
): Promise<void> {
  if (!(await store.getUser(name)))
    await unlessCreated(() => store.createUser({ name, role, active: true, createdAt: now }));
  if (key) {
    const parsed = parseKey(key);
    if (parsed && !(await store.getKey(parsed.id)))
      await unlessCreated(() => store.addKey(recordFor(key, name, 'bootstrap', now)));
  }
}

/**
 * First start of a server: the admin and demo analyst from the configured keys, and (with
 * LOMAS_DEMO=true) the demo datasets with a grant for the demo analyst. Idempotent: what exists
 * is left alone, so restarts never reset budgets.
 */
export async function bootstrap(
  store: Store,
  ledger: Ledger,
  config: Config,
  logger: Logger
): Promise<void> {
  const now = new Date().toISOString();
  if (config.adminKey) await ensureUser(store, BOOTSTRAP_ADMIN, 'admin', config.adminKey, now);
  if (config.demoAnalystKey)
    await ensureUser(store, DEMO_ANALYST, 'analyst', config.demoAnalystKey, now);
  if (!config.demo) return;
  const admin = createAdminService({ store, ledger });
  for (const d of demoDatasets()) {
    if (await store.getDataset(d.name)) continue;
    await admin.createDataset(BOOTSTRAP_ADMIN, {
      name: d.name,
      description: d.description,
      connector: d.connector,
      metadata: d.metadata,
      accounting: d.accounting,
      delta: d.delta,
      cap: d.cap
    });
    if (await store.getUser(DEMO_ANALYST))
      await admin.setGrant(BOOTSTRAP_ADMIN, d.name, DEMO_ANALYST, d.suggestedGrant);
    logger.info({ dataset: d.name }, 'registered demo dataset');
  }
}
