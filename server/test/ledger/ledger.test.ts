/** Unit tests of the ledger's rules on the in-memory store (the concurrency proofs are per store). */
import { LomasError, type Budget } from 'lomas-kernel/protocol';
import { createLedger, entryHash, GENESIS_HASH, type ChargeRequest } from '../../src/ledger';
import { add, cmp, readAmount, toDecimal, toFraction } from '../../src/ledger/amount';
import { canonicalJson } from '../../src/ledger/chain';
import { MemoryStore } from '../../src/store/memory';
import type { LedgerEntry, Store } from '../../src/store/types';

let counter = 0;
const eps = (epsilon: string, delta = '0'): Budget => ({ epsilon, delta });

function req(over: Partial<ChargeRequest> = {}): ChargeRequest {
  const queryId = over.queryId ?? `q-${++counter}`;
  return {
    user: 'alice',
    dataset: 'penguins',
    cost: eps('0.1'),
    grant: eps('1'),
    cap: null,
    accounting: 'pure',
    queryId,
    requestHash: `hash-of-${queryId}`,
    ...over
  };
}

async function failure(p: Promise<unknown>): Promise<LomasError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof LomasError) return e;
    throw e;
  }
  throw new Error('expected a LomasError');
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof LomasError) return e.code;
    throw e;
  }
  return 'OK';
}

describe('amount', () => {
  it('parses decimals, fractions, exponents and numbers exactly', () => {
    expect(toFraction(readAmount('0.01'))).toBe('1/100');
    expect(toFraction(readAmount('2/4'))).toBe('1/2');
    expect(toFraction(readAmount('1e-7'))).toBe('1/10000000');
    expect(toFraction(readAmount('1.5E2'))).toBe('150/1');
    expect(toFraction(readAmount(0.1))).toBe('1/10');
    expect(toFraction(readAmount(1e-21))).toBe('1/1000000000000000000000');
    expect(toFraction(readAmount('0'))).toBe('0/1');
    for (const bad of ['-1', 'NaN', '', '1/0', 'abc', '0x10', '1.2.3', ' 1 2', '__proto__'])
      expect(() => readAmount(bad)).toThrow(RangeError);
    for (const bad of [NaN, Infinity, -0.5]) expect(() => readAmount(bad)).toThrow(RangeError);
  });

  it('adds without drift: 1,000 × 0.001 is exactly 1', () => {
    let s = readAmount('0');
    for (let i = 0; i < 1000; i++) s = add(s, readAmount('0.001'));
    expect(cmp(s, readAmount('1'))).toBe(0);
  });

  it('rounds up or down for display', () => {
    expect(toDecimal(readAmount('1/3'), 4, 'down')).toBe('0.3333');
    expect(toDecimal(readAmount('1/3'), 4, 'up')).toBe('0.3334');
    expect(toDecimal(readAmount('2/5'), 4, 'up')).toBe('0.4');
    expect(toDecimal(readAmount('7'), 4, 'down')).toBe('7');
    expect(toDecimal(readAmount('1/100000000'), 6, 'down')).toBe('0');
    expect(toDecimal(readAmount('1/100000000'), 6, 'up')).toBe('0.000001');
  });

  it('canonical JSON sorts keys and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, 'x'], c: null, z: undefined } })).toBe(
      '{"a":{"c":null,"d":[1,"x"]},"b":1}'
    );
  });
});

describe('ledger rules', () => {
  let store: Store;
  beforeEach(() => {
    store = new MemoryStore();
  });

  it('charges, carries running totals and chains the entries', async () => {
    const ledger = createLedger(store);
    const a = await ledger.charge(req({ cost: eps('0.1') }));
    const b = await ledger.charge(req({ user: 'bob', cost: eps('0.25') }));
    const c = await ledger.charge(req({ cost: eps('1/3') }));
    expect([a.entry.seq, b.entry.seq, c.entry.seq]).toEqual([1, 2, 3]);
    expect(a.replayed).toBe(false);
    expect(c.entry.userSpent.epsilon).toBe('13/30');
    expect(c.entry.datasetSpent.epsilon).toBe('41/60');
    expect(a.entry.prevHash).toBe(GENESIS_HASH);
    expect(b.entry.prevHash).toBe(a.entry.hash);
    expect(c.entry.hash).toBe(entryHash(c.entry));
    expect(await ledger.spent('penguins')).toEqual({ epsilon: '41/60', delta: '0/1', rho: '0/1' });
    expect((await ledger.spent('penguins', 'bob')).epsilon).toBe('1/4');
    expect((await ledger.spent('penguins', 'carol')).epsilon).toBe('0/1');
    expect(await ledger.verifyChain()).toMatchObject({
      ok: true,
      entries: 3,
      heads: { penguins: { seq: 3, hash: c.entry.hash } }
    });
  });

  it('admits up to exactly the grant and refuses beyond with BUDGET_EXHAUSTED', async () => {
    const ledger = createLedger(store);
    for (let i = 0; i < 100; i++) await ledger.charge(req({ cost: eps('0.01') }));
    const err = await failure(ledger.charge(req({ cost: eps('0.01') })));
    expect(err).toBeInstanceOf(LomasError);
    expect(err.code).toBe('BUDGET_EXHAUSTED');
    expect(err.message).toContain('ε = 0.01');
    expect(err.details).toMatchObject({ dimension: 'epsilon', remaining: 'ε = 0' });
    expect(await code(ledger.charge(req({ cost: eps('0') })))).toBe('OK');
    expect((await ledger.spent('penguins', 'alice')).epsilon).toBe('1/1');
  });

  it('refuses without a grant (NO_GRANT) and never writes an entry', async () => {
    const ledger = createLedger(store);
    expect(await code(ledger.charge(req({ grant: null })))).toBe('NO_GRANT');
    expect(await store.ledgerEntries({})).toEqual([]);
  });

  it('regression (zCDP δ bypass): a zCDP dataset checks ρ AND δ against the grant and the cap', async () => {
    const ledger = createLedger(store);
    const z = {
      dataset: 'flights',
      accounting: 'zcdp' as const,
      grant: { epsilon: '0', delta: '0.000001', rho: '1' },
      cap: { epsilon: '0', delta: '0.00001', rho: '5' }
    };
    const discovery = { epsilon: '0', delta: '0.5', rho: '0.001' };
    const e = await failure(ledger.charge(req({ ...z, cost: discovery })));
    expect(e.code).toBe('BUDGET_EXHAUSTED');
    expect(e.details.dimension).toBe('delta');
    // within the grant's δ: admitted, and δ accumulates
    await ledger.charge(req({ ...z, cost: { epsilon: '0', delta: '0.0000006', rho: '0.001' } }));
    const again = await failure(
      ledger.charge(req({ ...z, cost: { epsilon: '0', delta: '0.0000006', rho: '0.001' } }))
    );
    expect(again.details.dimension).toBe('delta');
    // the cap's δ binds across analysts
    const capped = await failure(
      ledger.charge(
        req({
          ...z,
          user: 'bob',
          grant: { epsilon: '0', delta: '1', rho: '1' },
          cost: { epsilon: '0', delta: '0.00001', rho: '0.001' }
        })
      )
    );
    expect(capped.code).toBe('DATASET_CAP_EXHAUSTED');
    expect(capped.details.dimension).toBe('delta');
    expect((await ledger.spent('flights')).delta).toBe('3/5000000');
  });

  it('grant and cap changes cannot leave any dimension (ρ or δ) below what is spent', async () => {
    const ledger = createLedger(store);
    const z = { dataset: 'flights', accounting: 'zcdp' as const };
    await ledger.setGrant({
      ...z,
      user: 'alice',
      budget: { epsilon: '0', delta: '0.00001', rho: '1' },
      actor: 'admin'
    });
    await ledger.charge(
      req({
        ...z,
        grant: { epsilon: '0', delta: '0.00001', rho: '1' },
        cost: { epsilon: '0', delta: '0.000005', rho: '0.1' }
      })
    );
    const lowerDelta = await failure(
      ledger.setGrant({
        ...z,
        user: 'alice',
        budget: { epsilon: '0', delta: '0.000001', rho: '1' },
        actor: 'admin'
      })
    );
    expect(lowerDelta.code).toBe('CONFLICT');
    expect(lowerDelta.message).toMatch(/δ/);
    const capBelow = await failure(
      ledger.setCap({ ...z, cap: { epsilon: '0', delta: '0.000001', rho: '5' }, actor: 'admin' })
    );
    expect(capBelow.code).toBe('CONFLICT');
    await ledger.setCap({
      ...z,
      cap: { epsilon: '0', delta: '0.000005', rho: '0.1' },
      actor: 'admin'
    });
  });

  it('a pure dataset refuses any δ (grants there carry δ = 0)', async () => {
    const ledger = createLedger(store);
    const e = await failure(ledger.charge(req({ cost: eps('0.1', '0.000001') })));
    expect(e.code).toBe('BUDGET_EXHAUSTED');
    expect(e.details.dimension).toBe('delta');
  });

  it('checks ε and δ for approx, ρ and δ for zcdp', async () => {
    const ledger = createLedger(store);
    const approx = { accounting: 'approx' as const, grant: eps('10', '0.00001') };
    await ledger.charge(req({ ...approx, cost: eps('0.1', '0.000006') }));
    const e = await failure(ledger.charge(req({ ...approx, cost: eps('0.1', '0.000005') })));
    expect(e.code).toBe('BUDGET_EXHAUSTED');
    expect(e.details.dimension).toBe('delta');

    const z = {
      dataset: 'census',
      accounting: 'zcdp' as const,
      grant: { epsilon: '0', delta: '0', rho: '0.5' }
    };
    expect(await code(ledger.charge(req({ ...z, cost: eps('3') })))).toBe('INVALID_PARAMETER'); // no rho
    await ledger.charge(req({ ...z, cost: { epsilon: '3', delta: '0', rho: '0.25' } })); // ε not compared
    await ledger.charge(req({ ...z, cost: { epsilon: '3', delta: '0', rho: '0.25' } }));
    expect(
      await code(ledger.charge(req({ ...z, cost: { epsilon: '0', delta: '0', rho: '1/1000000' } })))
    ).toBe('BUDGET_EXHAUSTED');
  });

  it('enforces the dataset cap across analysts with DATASET_CAP_EXHAUSTED', async () => {
    const ledger = createLedger(store);
    const cap = eps('1');
    for (const user of ['a', 'b', 'c', 'a', 'b'])
      await ledger.charge(req({ user, grant: eps('5'), cap, cost: eps('0.2') }));
    const e = await failure(
      ledger.charge(req({ user: 'c', grant: eps('5'), cap, cost: eps('0.2') }))
    );
    expect(e.code).toBe('DATASET_CAP_EXHAUSTED');
    expect((await ledger.spent('penguins')).epsilon).toBe('1/1');
  });

  it('rejects bad amounts with INVALID_PARAMETER', async () => {
    const ledger = createLedger(store);
    for (const cost of [eps('-0.1'), eps('NaN'), eps('1e999999'), { epsilon: '0.1', delta: 'x' }]) {
      expect(await code(ledger.charge(req({ cost })))).toBe('INVALID_PARAMETER');
    }
    expect(await store.ledgerEntries({})).toEqual([]);
  });

  it('replays an idempotent retry without a second charge; a different request with the key is CONFLICT', async () => {
    const ledger = createLedger(store);
    const first = await ledger.charge(
      req({ idempotencyKey: 'k1', queryId: 'q1', requestHash: 'H1' })
    );
    const again = await ledger.charge(
      req({ idempotencyKey: 'k1', queryId: 'q1', requestHash: 'H1' })
    );
    expect(again).toMatchObject({ entry: first.entry, replayed: true });
    expect(
      await code(ledger.charge(req({ idempotencyKey: 'k1', queryId: 'q2', requestHash: 'H2' })))
    ).toBe('CONFLICT');
    expect(
      await code(ledger.charge(req({ idempotencyKey: 'k1', dataset: 'cars', requestHash: 'H1' })))
    ).toBe('CONFLICT');
    // the same key is another user's own key
    expect(
      (await ledger.charge(req({ user: 'bob', idempotencyKey: 'k1', requestHash: 'H1' }))).replayed
    ).toBe(false);
    expect((await ledger.spent('penguins', 'alice')).epsilon).toBe('1/10');
  });

  it('concurrent retries with one key charge once, even when the budget runs out', async () => {
    const ledger = createLedger(store, { serializeInProcess: false });
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        ledger.charge(
          req({
            grant: eps('0.1'),
            cost: eps('0.1'),
            idempotencyKey: 'k',
            requestHash: 'H',
            queryId: 'q'
          })
        )
      )
    );
    expect(new Set(results.map(r => r.entry.seq))).toEqual(new Set([1]));
    expect(results.filter(r => !r.replayed)).toHaveLength(1);
    expect(await store.ledgerEntries({})).toHaveLength(1);
  });

  it('never lowers a grant below what is spent; a lowered grant binds at once', async () => {
    const ledger = createLedger(store);
    await ledger.setGrant({
      user: 'alice',
      dataset: 'penguins',
      budget: eps('1'),
      accounting: 'pure',
      actor: 'admin'
    });
    expect((await store.getGrant('alice', 'penguins'))?.budget).toEqual(eps('1'));
    await ledger.charge(req({ cost: eps('0.4') }));
    expect(
      await code(
        ledger.setGrant({
          user: 'alice',
          dataset: 'penguins',
          budget: eps('0.3'),
          accounting: 'pure',
          actor: 'admin'
        })
      )
    ).toBe('CONFLICT');
    const g = await ledger.setGrant({
      user: 'alice',
      dataset: 'penguins',
      budget: eps('0.5'),
      accounting: 'pure',
      actor: 'admin'
    });
    expect(g).toMatchObject({
      kind: 'grant',
      actor: 'admin',
      userGrant: { epsilon: '1/2' },
      userSpent: { epsilon: '2/5' },
      cost: { epsilon: '0/1' }
    });
    // A caller still holding the old GrantRecord (ε = 1) is held to the ledger's 0.5.
    const e = await failure(ledger.charge(req({ grant: eps('1'), cost: eps('0.2') })));
    expect(e.code).toBe('BUDGET_EXHAUSTED');
    await ledger.charge(req({ grant: eps('1'), cost: eps('0.1') }));
    expect(
      await ledger.figures({
        dataset: 'penguins',
        user: 'alice',
        grant: eps('1'),
        cap: null,
        accounting: 'pure'
      })
    ).toEqual({
      initial: eps('0.5'),
      spent: eps('0.5'),
      remaining: eps('0'),
      remainingGrant: eps('0'),
      remainingCap: null
    });
    expect(await ledger.verifyChain('penguins')).toMatchObject({ ok: true, entries: 4 });
  });

  it('races between lowering a grant and charging never leave spent above the grant', async () => {
    for (let round = 0; round < 5; round++) {
      const s = new MemoryStore();
      const ledger = createLedger(s, { serializeInProcess: false });
      await ledger.setGrant({
        user: 'alice',
        dataset: 'd',
        budget: eps('1'),
        accounting: 'pure',
        actor: 'admin'
      });
      const ops: Promise<unknown>[] = [];
      for (let i = 0; i < 30; i++) {
        ops.push(
          ledger
            .charge(req({ dataset: 'd', grant: eps('1'), cost: eps('0.05') }))
            .catch(() => undefined)
        );
        if (i % 10 === 5)
          ops.push(
            ledger
              .setGrant({
                user: 'alice',
                dataset: 'd',
                budget: eps('0.4'),
                accounting: 'pure',
                actor: 'admin'
              })
              .catch(() => undefined)
          );
      }
      await Promise.all(ops);
      const entries = await s.ledgerEntries({ dataset: 'd' });
      let grant = readAmount('1');
      let spent = readAmount('0');
      for (const e of entries) {
        if (e.kind === 'grant') grant = readAmount(e.userGrant!.epsilon);
        spent = add(spent, readAmount(e.cost.epsilon));
        expect(cmp(spent, grant)).toBeLessThanOrEqual(0);
      }
      expect((await ledger.verifyChain()).ok).toBe(true);
    }
  });

  it('sets a cap through the ledger, never below what the dataset spent', async () => {
    const ledger = createLedger(store);
    await store.putDataset({
      name: 'penguins',
      connector: { kind: 'file' },
      metadata: {
        max_ids: 1,
        row_privacy: true,
        columns: { a: { type: 'boolean', nullable: false } }
      },
      accounting: 'pure',
      cap: null,
      version: 1,
      createdAt: 'x',
      updatedAt: 'x'
    });
    await ledger.charge(req({ user: 'bob', cost: eps('0.6') }));
    expect(
      await code(
        ledger.setCap({ dataset: 'penguins', cap: eps('0.5'), accounting: 'pure', actor: 'admin' })
      )
    ).toBe('CONFLICT');
    await ledger.setCap({
      dataset: 'penguins',
      cap: eps('0.7'),
      accounting: 'pure',
      actor: 'admin'
    });
    expect(await store.getDataset('penguins')).toMatchObject({ cap: eps('0.7'), version: 2 });
    // stale cap passed by the caller (none): the ledger's 0.7 binds
    expect(await code(ledger.charge(req({ cap: null, cost: eps('0.2') })))).toBe(
      'DATASET_CAP_EXHAUSTED'
    );
    await ledger.charge(req({ cap: null, cost: eps('0.1') }));
    expect(
      await ledger.remaining({
        dataset: 'penguins',
        user: 'alice',
        grant: eps('1'),
        cap: null,
        accounting: 'pure'
      })
    ).toEqual(eps('0'));
    expect((await ledger.verifyChain()).ok).toBe(true);
  });

  it('rounds remaining down and spent up for display', async () => {
    const ledger = createLedger(store, { displayDigits: 4 });
    await ledger.charge(req({ cost: eps('1/3') }));
    const f = await ledger.figures({
      dataset: 'penguins',
      user: 'alice',
      grant: eps('1'),
      cap: eps('0.5'),
      accounting: 'pure'
    });
    expect(f.spent.epsilon).toBe('0.3334');
    expect(f.remainingGrant.epsilon).toBe('0.6666');
    expect(f.remainingCap?.epsilon).toBe('0.1666');
    expect(f.remaining.epsilon).toBe('0.1666');
  });

  it('figuresAfter a charge equals the figures read right after it, grants and caps included', async () => {
    const ledger = createLedger(store, { displayDigits: 4 });
    await ledger.setGrant({
      dataset: 'penguins',
      user: 'alice',
      budget: eps('0.9'),
      accounting: 'pure',
      actor: 'admin'
    });
    await ledger.setCap({
      dataset: 'penguins',
      cap: eps('0.8'),
      accounting: 'pure',
      actor: 'admin'
    });
    await ledger.charge(req({ user: 'bob', cost: eps('1/7'), grant: eps('5') }));
    for (const cost of ['1/3', '1/9']) {
      const { entry } = await ledger.charge(req({ cost: eps(cost), cap: eps('2') }));
      const ask = {
        dataset: 'penguins',
        user: 'alice',
        grant: eps('1'),
        cap: eps('2'),
        accounting: 'pure' as const
      };
      expect(ledger.figuresAfter(entry, ask)).toEqual(await ledger.figures(ask));
    }
  });

  it('verifyChain finds the first bad entry: altered, missing, or with wrong totals', async () => {
    const ledger = createLedger(store);
    for (let i = 0; i < 6; i++) await ledger.charge(req({ cost: eps('0.1') }));
    const entries = await store.ledgerEntries({ dataset: 'penguins' });
    const check = async (list: LedgerEntry[]) => {
      const s = new MemoryStore();
      for (const e of list) await s.appendLedgerEntry(e);
      return createLedger(s).verifyChain();
    };
    expect(await check(entries)).toMatchObject({ ok: true, entries: 6 });
    const altered = entries.map(e => (e.seq === 3 ? { ...e, cost: eps('0.0001') } : e));
    expect(await check(altered)).toMatchObject({ ok: false, firstBadSeq: 3, dataset: 'penguins' });
    const rehashed = entries.map(e => {
      if (e.seq !== 3) return e;
      const x = { ...e, cost: { ...e.cost, epsilon: '1/10000' } };
      return { ...x, hash: entryHash(x) };
    });
    expect(await check(rehashed)).toMatchObject({ ok: false, firstBadSeq: 3 }); // totals no longer add up
    expect(await check(entries.filter(e => e.seq !== 4))).toMatchObject({
      ok: false,
      firstBadSeq: 5
    });
  });

  it('gives up with UNAVAILABLE (nothing charged) when the step keeps conflicting', async () => {
    const busy = new MemoryStore();
    busy.appendLedgerEntry = async () => 'conflict';
    const ledger = createLedger(busy, { maxAttempts: 3, backoffMaxMs: 1 });
    expect(await code(ledger.charge(req()))).toBe('UNAVAILABLE');
  });
});
