/**
 * The admin panel's and the model's payload readers (validate.ts): what the admin route, the
 * dataset list and chart outputs send is read with the protocol's zod schema (the one the server
 * builds it with), and a payload that does not fit is refused with the field that does not fit,
 * never drawn half-read.
 */
import {
  parseAdminDataset,
  parseAdminDatasets,
  parseChainReport,
  parseChart,
  parseDatasets,
  parseGrant,
  parseGrants,
  parseIssuedKey,
  parseKey,
  parseKeys,
  parseLedger,
  parseRemovedDataset,
  parseUser,
  parseUsers,
  PayloadError
} from '../src/validate';

const at = '2026-11-30T12:00:00.000Z';
const zero = { epsilon: '0', delta: '0' };

describe('admin payloads', () => {
  test('users: a valid list is read as sent; a wrong type or a stray field names the field', () => {
    const carol = { name: 'carol', role: 'analyst', active: true, createdAt: at };
    expect(parseUsers([carol])).toEqual([carol]);
    expect(parseUser({ ...carol, role: 'admin' }).role).toBe('admin');
    expect(() => parseUsers([{ ...carol, active: 'yes' }])).toThrow(
      /^The server answered, but users\[0\]\.active: .*expected boolean/
    );
    expect(() => parseUser({ ...carol, role: 'root' })).toThrow(/user\.role: /);
    expect(() => parseUser({ ...carol, hash: 'x' })).toThrow(/user: .*hash/);
    expect(() => parseUsers({ name: 'carol' })).toThrow(PayloadError);
    expect(() => parseUsers({ name: 'carol' })).toThrow(
      'The server answered, but users is not a list.'
    );
  });

  test('keys: revokedAt is a time or null; an issued key carries the key itself, shown once', () => {
    const key = {
      id: '0123456789abcdef',
      user: 'carol',
      label: 'x',
      createdAt: at,
      revokedAt: null
    };
    expect(parseKeys([key])).toEqual([key]);
    expect(parseKey({ ...key, revokedAt: at }).revokedAt).toBe(at);
    expect(() => parseKeys([{ id: '0123456789abcdef', user: 'carol' }])).toThrow(
      /keys\[0\]\.label/
    );
    expect(parseIssuedKey({ ...key, key: 'lomas_0123456789abcdef_secret' }).key).toBe(
      'lomas_0123456789abcdef_secret'
    );
    expect(() => parseIssuedKey(key)).toThrow(/issuedKey\.key: /);
  });

  test('grants: amounts stay exact strings; a number or a missing amount is refused', () => {
    const grant = {
      user: 'carol',
      dataset: 'penguins',
      budget: { epsilon: '2', delta: '0' },
      spent: { epsilon: '1/2', delta: '0' },
      createdAt: at,
      updatedAt: at
    };
    expect(parseGrants([grant])).toEqual([grant]);
    expect(parseGrant(grant)).toEqual(grant);
    expect(() => parseGrants([{ ...grant, budget: { epsilon: 2, delta: '0' } }])).toThrow(
      /grants\[0\]\.budget\.epsilon: .*expected string/
    );
    expect(() => parseGrant({ ...grant, budget: { epsilon: '2' } })).toThrow(
      /grant\.budget\.delta: /
    );
  });

  test('datasets: a cap of null is no cap; the version must be a number', () => {
    const d = {
      name: 'penguins',
      accounting: 'pure',
      version: 2,
      cap: null,
      connector: { kind: 'vega-datasets', name: 'penguins' },
      metadata: { max_ids: 1, columns: { island: { type: 'boolean' } } },
      createdAt: at,
      updatedAt: at
    };
    expect(parseAdminDataset(d)).toMatchObject({ name: 'penguins', version: 2, cap: null });
    expect(parseAdminDatasets([d])).toHaveLength(1);
    expect(parseAdminDataset({ ...d, cap: { epsilon: '5', delta: '0' } }).cap).toEqual({
      epsilon: '5',
      delta: '0'
    });
    expect(() => parseAdminDataset({ ...d, version: '2' })).toThrow(
      /^The server answered, but dataset\.version: .*expected number/
    );
    expect(() => parseAdminDatasets([d, { ...d, accounting: 'fuzzy' }])).toThrow(
      /datasets\[1\]\.accounting: /
    );
    expect(parseRemovedDataset({ name: 'penguins', removed: true })).toEqual({
      name: 'penguins',
      removed: true
    });
    expect(() => parseRemovedDataset({ name: 'penguins' })).toThrow(/removed\.removed: /);
  });

  test("the analyst's dataset list: the accounting is one the protocol knows", () => {
    expect(parseDatasets([{ name: 'penguins', accounting: 'zcdp' }])).toEqual([
      { name: 'penguins', accounting: 'zcdp' }
    ]);
    expect(() => parseDatasets([{ name: 'penguins' }])).toThrow(/datasets\[0\]\.accounting: /);
  });

  test('ledger entries: grants and caps keep what they set; an unknown kind is refused', () => {
    const base = {
      dataset: 'penguins',
      seq: 1,
      user: 'carol',
      cost: zero,
      datasetSpent: zero,
      userSpent: zero,
      queryId: 'q1',
      idempotencyKey: null,
      requestHash: 'rh',
      at,
      prevHash: '00',
      hash: 'ab'
    };
    const [grant, removedCap, charge] = parseLedger([
      { ...base, kind: 'grant', actor: 'admin', userGrant: { epsilon: '2', delta: '0' } },
      { ...base, seq: 2, kind: 'cap', datasetCap: null },
      { ...base, seq: 3, kind: 'charge', cost: { epsilon: '1/2', delta: '0' } }
    ]);
    expect(grant).toMatchObject({ kind: 'grant', actor: 'admin', userGrant: { epsilon: '2' } });
    expect(removedCap.datasetCap).toBeNull();
    expect(charge).not.toHaveProperty('userGrant');
    expect(() => parseLedger([{ ...base, kind: 'refund' }])).toThrow(/ledger\[0\]\.kind: /);
  });

  test('chain verification: a broken chain says where; a malformed report is refused', () => {
    const report = {
      ok: false,
      entries: 7,
      dataset: 'penguins',
      firstBadSeq: 4,
      problem: 'hash mismatch',
      heads: { penguins: { seq: 7, hash: 'cd' } }
    };
    expect(parseChainReport(report)).toEqual(report);
    expect(() => parseChainReport({ ok: 'yes', entries: 1, heads: {} })).toThrow(/audit\.ok: /);
    expect(() => parseChainReport({ ...report, heads: { penguins: { seq: '7' } } })).toThrow(
      /audit\.heads\.penguins\.seq: /
    );
  });
});

describe('chart outputs', () => {
  test('version 1 with a spec is drawn; anything else says why', () => {
    const spec = { mark: 'bar' };
    expect(parseChart({ version: 1, dataset: 'penguins', title: 'count' }, spec)).toEqual({
      ok: true,
      title: 'count',
      spec
    });
    const v2 = parseChart({ version: 2, dataset: 'penguins', title: 'count' }, spec);
    expect(v2).toMatchObject({ ok: false });
    expect(!v2.ok && v2.problem).toMatch(/^the chart payload does not fit: chart\.version: /);
    expect(parseChart({ version: 1, dataset: 'penguins', title: 'count' }, undefined)).toEqual({
      ok: false,
      problem: 'the output has no Vega-Lite spec'
    });
  });
});
