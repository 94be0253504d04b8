/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies of HTTP responses are read loosely in tests */
/**
 * One of three replicas on one MongoDB store (FerretDB) is killed with SIGKILL in the middle of a
 * burst of charged queries, while some of its requests are in flight, and started again. The
 * clients behave like a load balancer with retries: a request whose connection dies is sent again,
 * with the same Idempotency-Key, to the next replica. Afterwards:
 *  - every acknowledged charge (each 200 a client saw) is in the ledger, under its key;
 *  - the ledger holds exactly one charge per key that got a 200 or QUERY_FAILED (a charge whose
 *    answer died with the replica), nothing else: no acknowledged charge lost, no retry charged
 *    twice;
 *  - spent equals the exact sum of the entries on every replica, and the hash chain verifies;
 *  - a retry of any key, on any replica, gets the answer the client already has.
 * The single-process version is server/test/e2e/crash.test.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { penguinsCsv, PENGUINS_METADATA } from '../http/harness';
import {
  addFrac,
  countPlan,
  frac,
  sameFrac,
  startCluster,
  ZERO,
  type Cluster,
  type Reply
} from './cluster';

const REPLICAS = 3;
const CLIENTS = 9;
const VICTIM = 1;
/** Acknowledged charges before the kill, and after the victim is back. */
const ACKS_BEFORE = 30;
const ACKS_AFTER = 30;
const DATASET = 'crashds';

let c: Cluster;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lomas-replicas-crash-'));
  writeFileSync(join(dir, 'penguins.csv'), penguinsCsv(40));
  c = await startCluster('replicas_crash', REPLICAS, {
    LOMAS_RATE_LIMIT_PER_MINUTE: '1000000',
    // A retry of a charge whose replica died waits this long after the charge for its answer.
    LOMAS_ANSWER_WAIT_MS: '2000'
  });
}, 60_000);

afterAll(async () => {
  await c?.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Outcome {
  key: string;
  /** Replicas tried, in order (more than one when a connection died). */
  tried: number[];
  reply: Reply;
}

test('SIGKILL of one replica mid-burst loses no acknowledged charge and charges no retry twice', async () => {
  try {
    await c.admin('POST', '/admin/datasets', {
      name: DATASET,
      connector: { kind: 'file', path: join(dir, 'penguins.csv'), format: 'csv' },
      metadata: { ...PENGUINS_METADATA, rows: 40 },
      accounting: 'pure',
      cap: { epsilon: '50', delta: '0' }
    });
    const keys = await c.analyst('ivan', CLIENTS);
    await c.admin('PUT', `/admin/grants/${DATASET}/ivan`, { epsilon: '10', delta: '0' });

    const outcomes: Outcome[] = [];
    const inFlight = new Array(REPLICAS).fill(0);
    let acks = 0;
    let killedAtAck = -1;
    let inFlightAtKill = 0;
    let restarted: Promise<void> | undefined;
    let back = false;

    /** Sends one charge; a dead connection sends it again, same key, to the next replica. */
    const send = async (client: number, key: string, first: number): Promise<Outcome> => {
      const tried: number[] = [];
      for (let attempt = 0; attempt < 6; attempt++) {
        const i = (first + attempt) % REPLICAS;
        tried.push(i);
        inFlight[i]++;
        try {
          const reply = await c.call(i, 'POST', '/v1/queries', keys[client], countPlan(DATASET), {
            'idempotency-key': key
          });
          return { key, tried, reply };
        } catch {
          // The replica died under the request, or is not listening yet: like a load balancer,
          // try the next one.
        } finally {
          inFlight[i]--;
        }
      }
      throw new Error(`${key}: no replica answered`);
    };

    const client = async (n: number): Promise<void> => {
      for (let seq = 0; !(back && acks >= killedAtAck + ACKS_AFTER); seq++) {
        const o = await send(n, `crash-${n}-${seq}`, (n + seq) % REPLICAS);
        outcomes.push(o);
        if (o.reply.status === 200) acks++;
        // Kill once enough charges are acknowledged AND the victim has requests in flight.
        if (killedAtAck < 0 && acks >= ACKS_BEFORE && inFlight[VICTIM] > 0) {
          killedAtAck = acks;
          inFlightAtKill = inFlight[VICTIM];
          restarted = c.replicas[VICTIM].restart().then(() => void (back = true));
        }
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, (_, n) => client(n)));
    await restarted;

    // Every answer was a release or the one post-charge failure.
    const unexpected = outcomes.filter(
      o => o.reply.status !== 200 && o.reply.body?.code !== 'QUERY_FAILED'
    );
    expect(unexpected.map(o => `${o.key}: ${o.reply.status} ${o.reply.text}`)).toEqual([]);
    const acked = outcomes.filter(o => o.reply.status === 200);
    const lost = outcomes.filter(o => o.reply.body?.code === 'QUERY_FAILED');
    const resent = outcomes.filter(o => o.tried.length > 1);
    expect(killedAtAck).toBeGreaterThanOrEqual(ACKS_BEFORE);
    expect(inFlightAtKill).toBeGreaterThan(0);
    expect(resent.length).toBeGreaterThan(0);

    // ----- the ledger -----
    const ledger: any[] = await c.admin('GET', `/admin/ledger?dataset=${DATASET}&limit=10000`);
    const charges = ledger.filter(e => e.kind === 'charge');
    const byKey = new Map(charges.map(e => [e.idempotencyKey, e]));
    expect(byKey.size).toBe(charges.length); // no key charged twice
    for (const o of acked) {
      expect(byKey.get(o.key)?.queryId).toBe(o.reply.body.queryId);
    }
    for (const o of lost) expect(byKey.get(o.key)?.queryId).toBe(o.reply.body.details.queryId);
    // Exactly the charges the clients know of: nothing acknowledged is missing, nothing extra.
    expect(new Set(byKey.keys())).toEqual(new Set([...acked, ...lost].map(o => o.key)));

    const sum = charges.reduce((s, e) => addFrac(s, frac(e.cost.epsilon)), ZERO);
    expect(sameFrac(sum, frac(`${charges.length}/100`))).toBe(true);
    expect(sameFrac(frac(ledger[ledger.length - 1].datasetSpent.epsilon), sum)).toBe(true);
    const audit = await c.admin('GET', `/admin/audit?dataset=${DATASET}`);
    expect(audit).toMatchObject({ ok: true, entries: ledger.length });
    for (let i = 0; i < REPLICAS; i++) {
      const b = await c.call(i, 'GET', `/v1/datasets/${DATASET}/budget`, keys[0]);
      expect(sameFrac(frac(b.body.spent.epsilon), sum)).toBe(true);
    }

    // ----- retries, on a replica that did not answer the first time -----
    const sample = [...resent, ...lost, ...acked.slice(0, 10)];
    for (const o of sample) {
      const i = (o.tried[o.tried.length - 1] + 1) % REPLICAS;
      const client = Number(o.key.split('-')[1]);
      const again = await c.call(i, 'POST', '/v1/queries', keys[client], countPlan(DATASET), {
        'idempotency-key': o.key
      });
      expect(again).toEqual(o.reply);
    }
    const after: any[] = await c.admin('GET', `/admin/ledger?dataset=${DATASET}&limit=10000`);
    expect(after).toEqual(ledger);
    console.log(
      `replicas crash: ${acked.length} acknowledged, SIGKILL after ${killedAtAck} with ${inFlightAtKill} ` +
        `in flight on the victim, ${resent.length} sent again to another replica, ` +
        `${lost.length} QUERY_FAILED (charged, answer died), ${charges.length} charges in the ledger`
    );
  } catch (e) {
    process.stderr.write(`replica logs:\n${c.logs()}\n`);
    throw e;
  }
}, 240_000);
