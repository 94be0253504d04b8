/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies of HTTP responses are read loosely in tests */
import {
  call,
  countPlan,
  KEYS,
  PENGUINS_METADATA,
  startHarness,
  type Harness
} from '../http/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

const admin = (method: string, path: string, body?: unknown) =>
  call(h, method, path, { key: KEYS.admin, body });

describe('admin: users and keys', () => {
  test('create a user, issue a key shown once, the key works, revoke it, it stops working', async () => {
    const created = await admin('POST', '/admin/users', { name: 'dave', role: 'analyst' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'dave', role: 'analyst', active: true });
    expect((await admin('POST', '/admin/users', { name: 'dave' })).body.code).toBe('CONFLICT');

    const issued = await admin('POST', '/admin/users/dave/keys', { label: 'laptop' });
    expect(issued.status).toBe(201);
    expect(issued.body.key).toMatch(/^lomas_[0-9a-f]{16}_/);
    expect(issued.headers.get('cache-control')).toBe('no-store');
    expect(issued.headers.get('etag')).toBeNull(); // no body is hashed into an ETag (app.ts)
    const me = await call(h, 'GET', '/v1/me', { key: issued.body.key });
    expect(me.body).toEqual({ user: 'dave', role: 'analyst' });

    const keys = await admin('GET', '/admin/users/dave/keys');
    expect(keys.body).toHaveLength(1);
    expect(JSON.stringify(keys.body)).not.toMatch(/salt|hash|"key"/);
    expect(keys.body[0]).toMatchObject({ id: issued.body.id, label: 'laptop', revokedAt: null });

    const detail = await admin('GET', '/admin/users/dave');
    expect(detail.body.keys[0].id).toBe(issued.body.id);

    const revoked = await admin('DELETE', `/admin/keys/${issued.body.id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).toEqual(expect.any(String));
    expect((await call(h, 'GET', '/v1/me', { key: issued.body.key })).status).toBe(401);
    // Revoking again keeps the first revocation time.
    expect((await admin('DELETE', `/admin/keys/${issued.body.id}`)).body.revokedAt).toBe(
      revoked.body.revokedAt
    );
    expect((await admin('DELETE', '/admin/keys/0123456789abcdef')).body.code).toBe('NOT_FOUND');
  });

  test('deactivate and reactivate; an admin cannot deactivate themselves', async () => {
    expect((await admin('PATCH', '/admin/users/alice', { active: false })).body.active).toBe(false);
    expect((await call(h, 'GET', '/v1/me', { key: KEYS.alice })).status).toBe(401);
    expect((await admin('PATCH', '/admin/users/alice', { active: true })).body.active).toBe(true);
    expect((await call(h, 'GET', '/v1/me', { key: KEYS.alice })).status).toBe(200);
    const self = await admin('PATCH', '/admin/users/admin', { active: false });
    expect(self.status).toBe(409);
    expect((await admin('PATCH', '/admin/users/nobody', { active: false })).status).toBe(404);
  });

  test('bodies are strict', async () => {
    const r = await admin('POST', '/admin/users', { name: 'eve', role: 'analyst', isAdmin: true });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('INVALID_REQUEST');
    expect(r.body.message).toMatch(/isAdmin|unrecognized/i);
    expect((await admin('POST', '/admin/users', { name: 'eve', role: 'root' })).status).toBe(400);
    expect((await admin('GET', '/admin/users?foo=1')).body.code).toBe('INVALID_PARAMETER');
  });
});

describe('admin: grants', () => {
  test('set, raise, lower; never below what is spent', async () => {
    await admin('POST', '/admin/users', { name: 'gina' });
    const key = (await admin('POST', '/admin/users/gina/keys', {})).body.key;
    const set = await admin('PUT', '/admin/grants/penguins/gina', { epsilon: '0.5', delta: 0 });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({
      user: 'gina',
      dataset: 'penguins',
      budget: { epsilon: '0.5', delta: '0' },
      spent: { epsilon: '0', delta: '0' }
    });

    expect(
      (await call(h, 'POST', '/v1/queries', { key, body: countPlan('penguins', '0.3') })).status
    ).toBe(200);
    const after = await admin('GET', '/admin/grants/penguins/gina');
    expect(after.body.spent.epsilon).toBe('0.3');

    const raised = await admin('POST', '/admin/grants/penguins/gina/raise', {
      epsilon: 0.25,
      delta: '0'
    });
    expect(raised.body.budget.epsilon).toBe('0.75');
    const lowered = await admin('POST', '/admin/grants/penguins/gina/lower', {
      epsilon: '0.45',
      delta: '0'
    });
    expect(lowered.body.budget.epsilon).toBe('0.3');
    const tooLow = await admin('POST', '/admin/grants/penguins/gina/lower', {
      epsilon: '0.01',
      delta: '0'
    });
    expect(tooLow.status).toBe(409);
    expect(tooLow.body.code).toBe('CONFLICT');
    expect(tooLow.body.message).toMatch(/below what is already spent/);
    const setLow = await admin('PUT', '/admin/grants/penguins/gina', {
      epsilon: '0.2',
      delta: '0'
    });
    expect(setLow.status).toBe(409);
    const belowZero = await admin('POST', '/admin/grants/penguins/gina/lower', {
      epsilon: '5',
      delta: '0'
    });
    expect(belowZero.body.code).toBe('INVALID_PARAMETER');
    expect((await admin('GET', '/admin/grants/penguins/gina')).body.budget.epsilon).toBe('0.3');

    // The analyst's remaining budget is now zero: a run is refused, nothing charged.
    const refused = await call(h, 'POST', '/v1/queries', {
      key,
      body: countPlan('penguins', '0.01')
    });
    expect(refused.body.code).toBe('BUDGET_EXHAUSTED');

    const list = await admin('GET', '/admin/grants?user=gina');
    expect(list.body).toHaveLength(1);
    expect(
      (await admin('PUT', '/admin/grants/nope/gina', { epsilon: 1, delta: 0 })).body.code
    ).toBe('DATASET_NOT_FOUND');
    expect(
      (await admin('PUT', '/admin/grants/penguins/nobody', { epsilon: 1, delta: 0 })).body.code
    ).toBe('NOT_FOUND');
    expect(
      (await admin('PUT', '/admin/grants/penguins/gina', { epsilon: -1, delta: 0 })).status
    ).toBe(400);
    expect(
      (await admin('PUT', '/admin/grants/penguins/gina', { epsilon: 1, delta: 1 })).body.code
    ).toBe('INVALID_PARAMETER');
  });

  test('amounts at the edges of the grammar are stored and read back exactly (found by Schemathesis)', async () => {
    await admin('POST', '/admin/users', { name: 'ivy' });
    // A grant raised by 3.5e307 is stored as its 308-digit decimal; before, reading it back to
    // lower the grant was a 500 (the ledger's reader stopped at 40 integer digits).
    await admin('PUT', '/admin/grants/penguins/ivy', { epsilon: '1', delta: '0' });
    const raised = await admin('POST', '/admin/grants/penguins/ivy/raise', {
      epsilon: 3.526271078489518e307,
      delta: '0'
    });
    expect(raised.status).toBe(200);
    expect(raised.body.budget.epsilon).toMatch(/^3526271078489518\d{292}$/);
    const lowered = await admin('POST', '/admin/grants/penguins/ivy/lower', {
      epsilon: 3.526271078489518e307,
      delta: '0'
    });
    expect([lowered.status, lowered.body.budget.epsilon]).toEqual([200, '1']);
    // A δ of 1e-300 is stored as its 300-digit decimal, and still an amount.
    const tiny = await admin('PUT', '/admin/grants/penguins/ivy', {
      epsilon: '1',
      delta: '1e-300'
    });
    expect([tiny.status, tiny.body.budget.delta]).toEqual([200, `0.${'0'.repeat(299)}1`]);
    expect((await admin('GET', '/admin/grants/penguins/ivy')).status).toBe(200);
  });

  test('concurrent raises are not lost', async () => {
    await admin('POST', '/admin/users', { name: 'hank' });
    await admin('PUT', '/admin/grants/penguins/hank', { epsilon: '0', delta: '0' });
    await Promise.all(
      Array.from({ length: 20 }, () =>
        admin('POST', '/admin/grants/penguins/hank/raise', { epsilon: '0.05', delta: '0' })
      )
    );
    expect((await admin('GET', '/admin/grants/penguins/hank')).body.budget.epsilon).toBe('1');
  });
});

describe('admin: datasets', () => {
  const body = (name: string) => ({
    name,
    description: 'Palmer penguins',
    connector: { kind: 'vega-datasets', name: 'penguins' },
    metadata: PENGUINS_METADATA,
    accounting: 'approx',
    cap: { epsilon: '3', delta: '0.001' }
  });

  test('register, update (version bumps), cap through the ledger, remove', async () => {
    const created = await admin('POST', '/admin/datasets', body('birds'));
    expect(created.status).toBe(201);
    expect(created.body.cap).toEqual({ epsilon: '3', delta: '0.001' });
    expect((await admin('POST', '/admin/datasets', body('birds'))).status).toBe(409);
    const v = created.body.version;
    const upd = await admin('PATCH', '/admin/datasets/birds', { description: 'new text' });
    expect(upd.body.version).toBe(v + 1);
    expect(upd.body.description).toBe('new text');
    const capped = await admin('PATCH', '/admin/datasets/birds', {
      cap: { epsilon: '2', delta: '0.001' }
    });
    expect(capped.body.cap.epsilon).toBe('2');
    expect(capped.body.version).toBeGreaterThan(v + 1);
    const caps = (await admin('GET', '/admin/ledger?dataset=birds')).body.filter(
      (e: any) => e.kind === 'cap'
    );
    expect(caps).toHaveLength(2);
    expect((await admin('GET', '/admin/datasets/birds')).body.name).toBe('birds');
    expect((await admin('GET', '/admin/datasets')).body.map((d: any) => d.name)).toContain('birds');
    // The accounting mode is frozen once the ledger has entries.
    expect((await admin('PATCH', '/admin/datasets/birds', { accounting: 'zcdp' })).status).toBe(
      409
    );
    expect((await admin('DELETE', '/admin/datasets/birds')).body).toEqual({
      name: 'birds',
      removed: true
    });
    expect((await admin('GET', '/admin/datasets/birds')).body.code).toBe('DATASET_NOT_FOUND');
  });

  test('metadata and connector are validated', async () => {
    const badMeta = await admin('POST', '/admin/datasets', {
      ...body('x1'),
      metadata: { columns: { a: { type: 'int', lower: 5, upper: 1 } } }
    });
    expect(badMeta.body.code).toBe('INVALID_REQUEST');
    expect(badMeta.body.message).toMatch(/lower/);
    const reserved = await admin('POST', '/admin/datasets', {
      ...body('x2'),
      metadata: { columns: { constructor: { type: 'int' } } }
    });
    expect(reserved.status).toBe(400);
    const badConn = await admin('POST', '/admin/datasets', {
      ...body('x3'),
      connector: { kind: 'ftp', host: 'x' }
    });
    expect(badConn.status).toBe(400);
    const noCols = await admin('POST', '/admin/datasets', {
      ...body('x4'),
      metadata: { columns: {} }
    });
    expect(noCols.status).toBe(400);
    expect((await admin('PATCH', '/admin/datasets/penguins', {})).status).toBe(400);
  });
});

describe('admin: ledger, archive, audit, config', () => {
  test('read the ledger and the archive, verify the chain, dump without secrets', async () => {
    const run = await call(h, 'POST', '/v1/queries', {
      key: KEYS.alice,
      body: countPlan('penguins', '0.01')
    });
    expect(run.status).toBe(200);
    const ledger = await admin('GET', '/admin/ledger?dataset=penguins&user=alice');
    expect(ledger.body.some((e: any) => e.kind === 'charge')).toBe(true);
    expect(ledger.body.every((e: any) => e.user === 'alice' && e.dataset === 'penguins')).toBe(
      true
    );
    expect((await admin('GET', '/admin/ledger?limit=1')).body).toHaveLength(1);
    expect((await admin('GET', '/admin/ledger?limit=0')).body.code).toBe('INVALID_PARAMETER');
    const archive = await admin('GET', '/admin/archive?user=alice');
    expect(archive.body[0]).toMatchObject({ user: 'alice', dataset: 'penguins', kind: 'release' });
    expect((await admin('GET', `/admin/archive/${archive.body[0].queryId}`)).body.queryId).toBe(
      archive.body[0].queryId
    );
    expect((await admin('GET', '/admin/archive/nope')).status).toBe(404);
    const audit = await admin('GET', '/admin/audit');
    expect(audit.body.ok).toBe(true);
    expect(audit.body.entries).toBeGreaterThan(0);
    const dump = await admin('GET', '/admin/config');
    expect(dump.body.users.map((u: any) => u.name)).toContain('alice');
    expect(JSON.stringify(dump.body)).not.toMatch(/secret|salt|"hash"/);
    expect(dump.body.grants).toContainEqual({
      user: 'alice',
      dataset: 'penguins',
      budget: { epsilon: '1', delta: '0.00001' }
    });
  });

  test('tampering is detected by the audit', async () => {
    const entries = await h.store.ledgerEntries({ dataset: 'other' });
    expect(entries.length).toBeGreaterThan(0);
    // The ledger is append-only through the Store API; a forged copy of the chain shows what the audit catches.
    const { createLedger } = await import('../../src/ledger');
    const { MemoryStore } = await import('../../src/store/memory');
    const mem = new MemoryStore();
    for (const e of entries)
      await mem.appendLedgerEntry({
        ...e,
        userSpent: e.seq === 1 ? { epsilon: '5/1', delta: '0/1', rho: '0/1' } : e.userSpent
      });
    const report = await createLedger(mem).verifyChain();
    expect(report.ok).toBe(false);
  });
});
