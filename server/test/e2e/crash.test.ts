/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies of HTTP responses are read loosely in tests */
/**
 * Crash: a real server process (the built server/dist/main.js) receives a burst of concurrent
 * charged queries (DP counts, ε = 0.01 each, distinct Idempotency-Keys, 8 clients) and is killed
 * with SIGKILL as soon as BURST_ACKS answers have come back, with requests still in flight. It is
 * restarted on the same store, and the admin API must show:
 *  - every acknowledged charge (the queryId of each 200) is in the ledger, under its key;
 *  - spent (the analyst's budget, the grant view, the ledger's running totals) equals the exact
 *    sum of the charge entries;
 *  - the hash chain verifies;
 *  - a retry with an acknowledged Idempotency-Key returns the same answer without a new charge;
 *  - retries of the requests that were in flight never charge twice.
 * Run on the embedded SQLite store, and on MongoDB (FerretDB through the test helper).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { startMongoForTests, uniqueDbName, type MongoTestServer } from '../helpers/ferretdb';
import { REPO_ROOT, startServerProcess, type ServerProcess } from '../helpers/serverProcess';
import { penguinsCsv, PENGUINS_METADATA } from '../http/harness';

const CLIENTS = 8;
const BURST_ACKS = 50;
const COST = '0.01';
const DATASET = 'crashds';

interface Reply {
  status: number;
  body: any;
  text: string;
}

/** POST/GET with node:http on a given agent (so the burst's sockets die with the burst). */
function http(
  agent: Agent,
  url: string,
  method: string,
  path: string,
  key: string,
  body?: unknown,
  headers: Record<string, string> = {}
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = request(
      url + path,
      {
        method,
        agent,
        headers: {
          authorization: `Bearer ${key}`,
          ...(data ? { 'content-type': 'application/json', 'content-length': data.length } : {}),
          ...headers
        }
      },
      res => {
        const chunks: Buffer[] = [];
        res.on('data', c => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            parsed = undefined;
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, text });
        });
      }
    );
    req.on('error', reject);
    req.end(data);
  });
}

const plan = () => ({
  version: 1,
  dataset: DATASET,
  steps: [],
  aggregations: [{ op: 'count' }],
  budget: { epsilon: COST }
});

/** Exact fractions for the ledger's amounts ("n/d") and the API's decimals ("0.51"). */
type Frac = { n: bigint; d: bigint };
function frac(s: string): Frac {
  if (s.includes('/')) {
    const [n, d] = s.split('/');
    return { n: BigInt(n), d: BigInt(d) };
  }
  const [i, f = ''] = s.split('.');
  return { n: BigInt(i + f), d: 10n ** BigInt(f.length) };
}
const add = (a: Frac, b: Frac): Frac => ({ n: a.n * b.d + b.n * a.d, d: a.d * b.d });
const same = (a: Frac, b: Frac): boolean => a.n * b.d === b.n * a.d;
const ZERO: Frac = { n: 0n, d: 1n };

interface Ack {
  key: string;
  status: number;
  body: any;
}

async function crashScenario(env: Record<string, string>): Promise<void> {
  if (!existsSync(join(REPO_ROOT, 'server/dist/main.js')))
    throw new Error(
      'server/dist/main.js is missing: build with `node node_modules/typescript/bin/tsc -b kernel-lib server`'
    );
  const sp: ServerProcess = await startServerProcess({
    env: {
      LOMAS_DEMO: 'false',
      LOMAS_RATE_LIMIT_PER_MINUTE: '1000000',
      // A retry waits this long after the charge for an answer the killed process never gave.
      LOMAS_ANSWER_WAIT_MS: '1000',
      LOG_LEVEL: 'warn',
      ...env
    }
  });
  const control = new Agent({ keepAlive: false });
  const admin = (method: string, path: string, body?: unknown) =>
    http(control, sp.url, method, path, sp.adminKey, body);
  try {
    // A small CSV dataset (file connector), a grant for the analyst and a dataset-wide cap that
    // neither of them reaches.
    const csv = join(sp.dataDir, 'crash.csv');
    writeFileSync(csv, penguinsCsv(40));
    const created = await admin('POST', '/admin/datasets', {
      name: DATASET,
      connector: { kind: 'file', path: csv, format: 'csv' },
      metadata: { ...PENGUINS_METADATA, rows: 40 },
      accounting: 'approx',
      cap: { epsilon: '50', delta: '0.001' }
    });
    expect(created.status).toBe(201);
    const granted = await admin('PUT', `/admin/grants/${DATASET}/analyst`, {
      epsilon: '10',
      delta: '0.00001'
    });
    expect(granted.status).toBe(200);

    // ----- the burst, killed mid-way -----
    const burst = new Agent({ keepAlive: true, maxSockets: CLIENTS });
    const acks: Ack[] = [];
    const unanswered = new Set<string>();
    const refused: string[] = [];
    let killed = false;
    let restarted: Promise<void> | undefined;
    let seq = 0;
    const client = async (c: number): Promise<void> => {
      while (!killed) {
        const key = `crash-${c}-${seq++}`;
        unanswered.add(key);
        let res: Reply;
        try {
          res = await http(burst, sp.url, 'POST', '/v1/queries', sp.analystKey, plan(), {
            'idempotency-key': key
          });
        } catch {
          return; // the connection died with the server: this request was never acknowledged
        }
        if (killed) return; // answered after the kill was sent: not counted either way
        unanswered.delete(key);
        if (res.status !== 200) {
          refused.push(`${key}: ${res.status} ${res.text.slice(0, 200)}`);
          continue;
        }
        acks.push({ key, status: res.status, body: res.body });
        if (acks.length >= BURST_ACKS && !killed) {
          killed = true;
          // restart() sends SIGKILL synchronously, then starts the server again on the same store.
          restarted = sp.restart();
        }
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
    burst.destroy();
    expect(refused).toEqual([]);
    expect(killed).toBe(true);
    await restarted;
    // Requests were in flight when the process died (so the kill really was mid-burst).
    expect(unanswered.size).toBeGreaterThan(0);

    // ----- after the restart -----
    const ledgerOf = async () => {
      const r = await admin('GET', `/admin/ledger?dataset=${DATASET}&limit=10000`);
      expect(r.status).toBe(200);
      return r.body as any[];
    };
    const entries = await ledgerOf();
    const charges = entries.filter(e => e.kind === 'charge');
    // Every acknowledged charge is there, under its idempotency key.
    const byQuery = new Map(charges.map(e => [e.queryId, e]));
    for (const a of acks) {
      expect(typeof a.body.queryId).toBe('string');
      const e = byQuery.get(a.body.queryId);
      expect(e).toBeDefined();
      expect(e.idempotencyKey).toBe(a.key);
      expect(e.user).toBe('analyst');
    }
    // Nothing but the burst was charged; each key at most once.
    expect(charges.length).toBeGreaterThanOrEqual(acks.length);
    expect(charges.length).toBeLessThanOrEqual(acks.length + unanswered.size);
    expect(new Set(charges.map(e => e.idempotencyKey)).size).toBe(charges.length);

    const checkTotals = async (all: any[]) => {
      const chargesNow = all.filter(e => e.kind === 'charge');
      const sum = chargesNow.reduce((s, e) => add(s, frac(e.cost.epsilon)), ZERO);
      // Every charge cost exactly ε = 0.01.
      for (const e of chargesNow) expect(same(frac(e.cost.epsilon), frac(COST))).toBe(true);
      // The ledger's own running totals.
      const last = all[all.length - 1];
      expect(same(frac(last.datasetSpent.epsilon), sum)).toBe(true);
      const lastOfAnalyst = [...all].reverse().find(e => e.user === 'analyst');
      expect(same(frac(lastOfAnalyst.userSpent.epsilon), sum)).toBe(true);
      // The analyst's budget and the admin's grant view.
      const budget = await http(
        control,
        sp.url,
        'GET',
        `/v1/datasets/${DATASET}/budget`,
        sp.analystKey
      );
      expect(budget.status).toBe(200);
      expect(same(frac(budget.body.spent.epsilon), sum)).toBe(true);
      const total = add(frac(budget.body.spent.epsilon), frac(budget.body.remaining.epsilon));
      expect(same(total, frac('10'))).toBe(true);
      const grant = await admin('GET', `/admin/grants/${DATASET}/analyst`);
      expect(grant.status).toBe(200);
      expect(same(frac(grant.body.spent.epsilon), sum)).toBe(true);
      // The hash chain verifies.
      const audit = await admin('GET', `/admin/audit?dataset=${DATASET}`);
      expect(audit.status).toBe(200);
      expect(audit.body).toMatchObject({ ok: true, entries: all.length });
      expect(audit.body.heads[DATASET].seq).toBe(all.length);
      const full = await admin('GET', '/admin/audit');
      expect(full.body.ok).toBe(true);
    };
    await checkTotals(entries);

    // A retry with an acknowledged key: the same answer, no new charge.
    for (const a of acks.slice(0, 10)) {
      const again = await http(control, sp.url, 'POST', '/v1/queries', sp.analystKey, plan(), {
        'idempotency-key': a.key
      });
      expect(again.status).toBe(200);
      expect(again.body).toEqual(a.body);
    }
    expect(await ledgerOf()).toEqual(entries);

    // Retries of the requests that were in flight: answered (first time or replayed), or, for
    // one charged whose answer died with the process, the post-charge failure QUERY_FAILED
    // (archived by the first retry once LOMAS_ANSWER_WAIT_MS has passed since the charge, so
    // every later retry agrees) — never charged twice.
    const outcomes: Record<string, number> = {};
    for (const key of unanswered) {
      const r = await http(control, sp.url, 'POST', '/v1/queries', sp.analystKey, plan(), {
        'idempotency-key': key
      });
      const tag = r.status === 200 ? 'answered' : `${r.status} ${r.body?.code}`;
      outcomes[tag] = (outcomes[tag] ?? 0) + 1;
      expect(r.status === 200 || r.body?.code === 'QUERY_FAILED').toBe(true);
      // Whatever the first retry got, the next one gets the same.
      const twice = await http(control, sp.url, 'POST', '/v1/queries', sp.analystKey, plan(), {
        'idempotency-key': key
      });
      expect(twice.body).toEqual(r.body);
    }
    const after = await ledgerOf();
    const chargesAfter = after.filter(e => e.kind === 'charge');
    expect(new Set(chargesAfter.map(e => e.idempotencyKey)).size).toBe(chargesAfter.length);
    expect(chargesAfter.length).toBeLessThanOrEqual(acks.length + unanswered.size);
    // The ledger grew only at its end: what was there before the retries is unchanged.
    expect(after.slice(0, entries.length)).toEqual(entries);
    await checkTotals(after);
    console.log(
      `crash (${env.MONGODB_URI ? 'mongodb' : 'embedded'}): ${acks.length} acknowledged, ` +
        `${unanswered.size} in flight at SIGKILL, ${charges.length} charges after restart; ` +
        `retries of the in-flight ones: ${JSON.stringify(outcomes)}`
    );
  } catch (e) {
    process.stderr.write(`server logs:\n${sp.logs().slice(-4000)}\n`);
    throw e;
  } finally {
    control.destroy();
    await sp.stop();
  }
}

describe('SIGKILL in the middle of a burst of charges', () => {
  test('embedded SQLite store', () => crashScenario({}), 60_000);

  describe('MongoDB store (FerretDB)', () => {
    let mongo: MongoTestServer | undefined;
    beforeAll(async () => {
      mongo = await startMongoForTests();
    }, 30_000);
    afterAll(async () => {
      await mongo?.stop();
    });
    test(
      'MongoDB store',
      () => crashScenario({ MONGODB_URI: `${mongo!.uri}${uniqueDbName('crash')}` }),
      60_000
    );
  });
});
