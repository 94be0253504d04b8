/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies of HTTP responses are read loosely in tests */
/**
 * Three real server processes on one MongoDB store (FerretDB), the scale-out shape of
 * docs/DEPLOYMENT.md, under a mixed load from many clients:
 *  - budgets are exact whichever replica answers: 500 charges of ε = 0.01 against a grant of 1
 *    admit exactly 100; a dataset cap shared by four analysts admits exactly cap / cost;
 *  - an idempotent retry sent to another replica returns the same release without a second
 *    charge: after the first attempt answered, while it is still running elsewhere, and when it
 *    answers too late (the retry has recorded it as failed: both then say QUERY_FAILED);
 *  - the rate limit of a credential holds across the replicas (shared through the store).
 * The replica killed mid-burst is in crash.test.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { penguinsCsv, PENGUINS_METADATA } from '../http/harness';
import {
  addFrac,
  countPlan,
  frac,
  pool,
  sameFrac,
  startCluster,
  ZERO,
  type Cluster,
  type Reply
} from './cluster';

const REPLICAS = 3;
/** Per credential and minute, shared by the replicas; the tests give every client its own key. */
const RATE_LIMIT = 120;
/** How long after a charge a retry waits for another replica's answer. */
const ANSWER_WAIT_MS = 3000;
const PURE_ZERO_DELTA = (epsilon: string) => ({ epsilon, delta: '0' });

let c: Cluster;
let dir: string;
let source: HeldSource;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lomas-replicas-'));
  writeFileSync(join(dir, 'penguins.csv'), penguinsCsv(40));
  source = await HeldSource.start(penguinsCsv(40));
  c = await startCluster('replicas', REPLICAS, {
    LOMAS_RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT),
    LOMAS_ANSWER_WAIT_MS: String(ANSWER_WAIT_MS)
  });
}, 60_000);

afterAll(async () => {
  await c?.stop();
  await source?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Prints the replicas' logs when a test fails (jest has no hook for that: wrap the body). */
function withLogs(fn: () => Promise<void>): () => Promise<void> {
  return async () => {
    try {
      await fn();
    } catch (e) {
      process.stderr.write(`replica logs:\n${c.logs()}\n`);
      throw e;
    }
  };
}

async function createDataset(
  name: string,
  opts: { cap?: string; connector?: Record<string, unknown> } = {}
) {
  await c.admin('POST', '/admin/datasets', {
    name,
    connector: opts.connector ?? { kind: 'file', path: join(dir, 'penguins.csv'), format: 'csv' },
    metadata: { ...PENGUINS_METADATA, rows: 40 },
    accounting: 'pure',
    cap: opts.cap ? PURE_ZERO_DELTA(opts.cap) : null
  });
}

async function ledgerOf(dataset: string): Promise<any[]> {
  return c.admin('GET', `/admin/ledger?dataset=${dataset}&limit=10000`);
}

/** The ledger's own checks: Σ costs = running totals, and the hash chain verifies. */
async function expectConsistentLedger(dataset: string, charges: number, cost = '0.01') {
  const entries = await ledgerOf(dataset);
  const chargeEntries = entries.filter(e => e.kind === 'charge');
  expect(chargeEntries).toHaveLength(charges);
  const sum = chargeEntries.reduce((s, e) => addFrac(s, frac(e.cost.epsilon)), ZERO);
  expect(sameFrac(sum, frac((Number(cost) * charges).toFixed(6)))).toBe(true);
  expect(sameFrac(frac(entries[entries.length - 1].datasetSpent.epsilon), sum)).toBe(true);
  const audit = await c.admin('GET', `/admin/audit?dataset=${dataset}`);
  expect(audit).toMatchObject({ ok: true, entries: entries.length });
  return chargeEntries;
}

/** Requests that read or plan, but never spend: the rest of an analyst's day. */
const BROWSING: ((dataset: string) => [string, string, unknown?])[] = [
  d => ['POST', '/v1/queries/estimate', countPlan(d)],
  d => ['GET', `/v1/datasets/${d}/budget`],
  d => ['POST', '/v1/queries/dummy', countPlan(d)],
  d => ['GET', `/v1/queries?dataset=${d}&limit=5`],
  d => ['GET', `/v1/datasets/${d}`]
];

describe('budgets are exact across three replicas', () => {
  test(
    '500 charges of ε = 0.01 against a grant of 1, mixed with browsing, from 25 clients: exactly 100 pass',
    withLogs(async () => {
      await createDataset('budgetds');
      const keys = await c.analyst('alice', 25);
      await c.admin('PUT', '/admin/grants/budgetds/alice', PURE_ZERO_DELTA('1'));
      const browsing: Reply[] = [];
      const t0 = Date.now();
      const runs = await pool(
        25,
        Array.from({ length: 500 }, (_, k) => async () => {
          const key = keys[k % keys.length];
          if (k % 5 === 0) {
            const [method, path, body] = BROWSING[(k / 5) % BROWSING.length]('budgetds');
            browsing.push(await c.call(k + 1, method, path, key, body));
          }
          // Half the clients send an Idempotency-Key (as lomas-kernel does), half do not.
          const headers = k % 2 === 0 ? { 'idempotency-key': `budget-run-${k}` } : undefined;
          const r = await c.call(k, 'POST', '/v1/queries', key, countPlan('budgetds'), headers);
          return { k, replica: k % REPLICAS, ...r };
        })
      );
      console.log(
        `3 replicas: 500 charge attempts + ${browsing.length} other requests in ${((Date.now() - t0) / 1000).toFixed(1)} s`
      );
      expect(browsing.filter(r => r.status !== 200).map(r => r.text)).toEqual([]);
      const admitted = runs.filter(r => r.status === 200);
      const refused = runs.filter(r => r.status !== 200);
      expect(admitted).toHaveLength(100);
      expect(new Set(refused.map(r => r.body?.code))).toEqual(new Set(['BUDGET_EXHAUSTED']));
      // Every replica admitted some (round robin over 25 concurrent clients).
      for (let i = 0; i < REPLICAS; i++)
        expect(admitted.filter(r => r.replica === i).length).toBeGreaterThan(0);

      const charges = await expectConsistentLedger('budgetds', 100);
      expect(new Set(charges.map(e => e.queryId))).toEqual(
        new Set(admitted.map(r => r.body.queryId))
      );
      // Every replica shows the same exact budget: all spent, nothing left.
      for (let i = 0; i < REPLICAS; i++) {
        const b = await c.call(i, 'GET', '/v1/datasets/budgetds/budget', keys[i]);
        expect(b.status).toBe(200);
        expect(sameFrac(frac(b.body.spent.epsilon), frac('1'))).toBe(true);
        expect(sameFrac(frac(b.body.remaining.epsilon), ZERO)).toBe(true);
      }
      // A retry of an admitted charge on another replica: the same release, nothing charged.
      for (const r of admitted.filter(x => x.k % 2 === 0).slice(0, 12)) {
        const again = await c.call(
          r.k + 1,
          'POST',
          '/v1/queries',
          keys[r.k % 25],
          countPlan('budgetds'),
          {
            'idempotency-key': `budget-run-${r.k}`
          }
        );
        expect(again.status).toBe(200);
        expect(again.body).toEqual(r.body);
      }
      await expectConsistentLedger('budgetds', 100);
    }),
    180_000
  );

  test(
    'a dataset cap shared by four analysts admits exactly cap / cost, whichever replica answers',
    withLogs(async () => {
      await createDataset('capds', { cap: '0.5' });
      const analysts = ['bob', 'carol', 'dave', 'erin'];
      const clients: { user: string; key: string }[] = [];
      for (const user of analysts) {
        for (const key of await c.analyst(user, 4)) clients.push({ user, key });
        await c.admin('PUT', `/admin/grants/capds/${user}`, PURE_ZERO_DELTA('1'));
      }
      const runs = await pool(
        16,
        Array.from({ length: 100 }, (_, k) => async () => {
          const { user, key } = clients[k % clients.length];
          const r = await c.call(k, 'POST', '/v1/queries', key, countPlan('capds'), {
            'idempotency-key': `cap-run-${k}`
          });
          return { user, ...r };
        })
      );
      const admitted = runs.filter(r => r.status === 200);
      expect(admitted).toHaveLength(50);
      expect(new Set(runs.filter(r => r.status !== 200).map(r => r.body?.code))).toEqual(
        new Set(['DATASET_CAP_EXHAUSTED'])
      );
      const charges = await expectConsistentLedger('capds', 50);
      // Each analyst's running total is the sum of that analyst's own charges.
      for (const user of analysts) {
        const mine = charges.filter(e => e.user === user);
        expect(mine).toHaveLength(admitted.filter(r => r.user === user).length);
        if (mine.length > 0)
          expect(
            sameFrac(frac(mine[mine.length - 1].userSpent.epsilon), frac(`${mine.length}/100`))
          ).toBe(true);
      }
    }),
    120_000
  );
});

describe('an idempotent retry sent to another replica', () => {
  /** The first attempt on replica 0, held while it loads the dataset from the test's HTTP source. */
  async function heldFirstAttempt(dataset: string, key: string, idem: string) {
    const gate = source.gate(`/${dataset}.csv`);
    await createDataset(dataset, {
      connector: { kind: 'http', url: `${source.url}/${dataset}.csv`, format: 'csv' }
    });
    await c.admin('PUT', `/admin/grants/${dataset}/frank`, PURE_ZERO_DELTA('1'));
    const first = c.call(0, 'POST', '/v1/queries', key, countPlan(dataset, '0.25'), {
      'idempotency-key': idem
    });
    // Replica 0 fetches the rows only after it has charged: the charge is in the ledger now.
    await gate.requested;
    const retry = (i: number) =>
      c.call(i, 'POST', '/v1/queries', key, countPlan(dataset, '0.25'), {
        'idempotency-key': idem
      });
    return { gate, first, retry };
  }

  let frank: string;
  beforeAll(async () => {
    [frank] = await c.analyst('frank', 1);
  });

  test(
    'while the first attempt is still running elsewhere: it waits, then gets the same release',
    withLogs(async () => {
      const { gate, first, retry } = await heldFirstAttempt('heldds', frank, 'held-retry-1');
      let settled = false;
      const second = retry(1).finally(() => (settled = true));
      await new Promise(r => setTimeout(r, 800));
      expect(settled).toBe(false); // replica 1 is waiting for replica 0's answer
      gate.open();
      const [a, b] = await Promise.all([first, second]);
      expect(a.status).toBe(200);
      expect(b).toEqual(a);
      // Later retries on every replica agree; one charge in all.
      for (let i = 0; i < REPLICAS; i++) expect((await retry(i)).body).toEqual(a.body);
      await expectConsistentLedger('heldds', 1, '0.25');
    }),
    60_000
  );

  test(
    'when the first attempt answers too late: the retry records QUERY_FAILED and the first attempt says the same',
    withLogs(async () => {
      const { gate, first, retry } = await heldFirstAttempt('lateds', frank, 'late-retry-1');
      const t0 = Date.now();
      const b = await retry(2);
      // It waited until LOMAS_ANSWER_WAIT_MS after the charge, then gave up.
      expect(Date.now() - t0).toBeGreaterThan(ANSWER_WAIT_MS / 2);
      expect(b.status).toBe(500);
      expect(b.body.code).toBe('QUERY_FAILED');
      gate.open();
      const a = await first;
      expect(a).toEqual(b); // the release computed late is dropped, never shown
      for (let i = 0; i < REPLICAS; i++) expect((await retry(i)).body).toEqual(a.body);
      const [charge] = await expectConsistentLedger('lateds', 1, '0.25');
      expect(charge.queryId).toBe(a.body.details.queryId);
      const archived = await c.admin('GET', `/admin/archive/${charge.queryId}`);
      expect(archived).toMatchObject({ kind: 'failure', error: { code: 'QUERY_FAILED' } });
    }),
    60_000
  );
});

describe('rate limits hold across replicas (shared through the store)', () => {
  test(
    'one credential gets exactly its per-minute quota, whichever replicas it spreads its requests over',
    withLogs(async () => {
      const [key] = await c.analyst('grace', 1);
      const [other] = await c.analyst('heidi', 1);
      // The quota is per clock minute: start early enough in one to finish inside it.
      const into = Date.now() % 60_000;
      if (into > 45_000) await new Promise(r => setTimeout(r, 60_000 - into + 50));
      const t0 = Date.now();
      const replies = await pool(
        12,
        Array.from({ length: RATE_LIMIT + 60 }, (_, k) => async () => ({
          replica: k % REPLICAS,
          ...(await c.call(k, 'GET', '/v1/me', key))
        }))
      );
      expect(Math.floor(Date.now() / 60_000)).toBe(Math.floor(t0 / 60_000));
      const passed = replies.filter(r => r.status === 200);
      const limited = replies.filter(r => r.status === 429);
      expect(passed).toHaveLength(RATE_LIMIT);
      expect(limited).toHaveLength(60);
      expect(new Set(limited.map(r => r.body.code))).toEqual(new Set(['RATE_LIMITED']));
      // Every replica both admitted and refused: none of them kept a quota of its own.
      for (let i = 0; i < REPLICAS; i++) {
        expect(passed.some(r => r.replica === i)).toBe(true);
        expect(limited.some(r => r.replica === i)).toBe(true);
      }
      // Another credential is not affected.
      for (let i = 0; i < REPLICAS; i++)
        expect((await c.call(i, 'GET', '/v1/me', other)).status).toBe(200);
    }),
    90_000
  );
});

/**
 * An HTTP server holding the rows of a dataset: each path answers only once its gate is opened,
 * so a test can keep a replica busy loading, after its charge, for as long as it likes.
 */
class HeldSource {
  private readonly gates = new Map<string, { opened: Promise<void>; requested: () => void }>();
  private readonly server: Server;
  url = '';

  private constructor(csv: string) {
    this.server = createServer((req, res) => {
      const g = this.gates.get(req.url ?? '');
      if (!g) {
        res.statusCode = 404;
        res.end();
        return;
      }
      g.requested();
      void g.opened.then(() => {
        res.setHeader('content-type', 'text/csv');
        res.end(csv);
      });
    });
  }

  static async start(csv: string): Promise<HeldSource> {
    const self = new HeldSource(csv);
    await new Promise<void>(r => self.server.listen(0, '127.0.0.1', () => r()));
    self.url = `http://127.0.0.1:${(self.server.address() as AddressInfo).port}`;
    return self;
  }

  gate(path: string): { requested: Promise<void>; open: () => void } {
    let open!: () => void;
    let requested!: () => void;
    const opened = new Promise<void>(r => (open = r));
    const wasRequested = new Promise<void>(r => (requested = r));
    this.gates.set(path, { opened, requested });
    return { requested: wasRequested, open };
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise(r => this.server.close(r));
  }
}
