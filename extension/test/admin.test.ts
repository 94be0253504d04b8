/**
 * The admin panel's and the model's payload readers (validate.ts): what the admin route, the
 * dataset list and chart outputs send is read without trusting it, and a payload that does not fit
 * is refused with the first field that does not fit, never drawn half-read.
 */
import {
  parseAdminDataset,
  parseChainReport,
  parseChart,
  parseDatasets,
  parseGrants,
  parseIssuedKey,
  parseKeys,
  parseLedger,
  parseUsers,
  PayloadError
} from '../src/validate';

const at = '2026-11-30T12:00:00.000Z';

describe('admin payloads', () => {
  test('users and keys: optional fields get their defaults, a wrong type names the field', () => {
    expect(parseUsers([{ name: 'carol', role: 'analyst', active: true, createdAt: at }])).toEqual([
      { name: 'carol', role: 'analyst', active: true, createdAt: at }
    ]);
    expect(() => parseUsers([{ name: 'carol', role: 'analyst', active: 'yes' }])).toThrow(
      'users[0].active is not true or false'
    );
    expect(parseKeys([{ id: '0123456789abcdef', user: 'carol' }])).toEqual([
      { id: '0123456789abcdef', user: 'carol', label: '', createdAt: '', revokedAt: null }
    ]);
    expect(() => parseUsers({ name: 'carol' })).toThrow(PayloadError);
  });

  test('an issued key carries the key itself (shown once); without it the answer is refused', () => {
    const body = { id: '0123456789abcdef', user: 'carol', label: 'x', createdAt: at };
    expect(parseIssuedKey({ ...body, key: 'lomas_0123456789abcdef_secret' }).key).toBe(
      'lomas_0123456789abcdef_secret'
    );
    expect(() => parseIssuedKey(body)).toThrow('the issued key.key is not a string');
  });

  test('grants: amounts stay exact strings (numbers are read as their decimal text)', () => {
    expect(
      parseGrants([
        {
          user: 'carol',
          dataset: 'penguins',
          budget: { epsilon: '2', delta: 0 },
          spent: { epsilon: '1/2', delta: '0' }
        }
      ])
    ).toEqual([
      {
        user: 'carol',
        dataset: 'penguins',
        budget: { epsilon: '2', delta: '0' },
        spent: { epsilon: '1/2', delta: '0' }
      }
    ]);
    expect(() =>
      parseGrants([{ user: 'carol', dataset: 'penguins', budget: { epsilon: '' } }])
    ).toThrow('grants[0].budget.epsilon is not an amount');
  });

  test('datasets: a cap of null is no cap; the version must be a number', () => {
    const d = {
      name: 'penguins',
      accounting: 'pure',
      version: 2,
      cap: null,
      connector: { kind: 'vega-datasets', name: 'penguins' },
      metadata: { max_ids: 1, columns: {} },
      updatedAt: at
    };
    expect(parseAdminDataset(d)).toMatchObject({ name: 'penguins', version: 2, cap: null });
    expect(parseAdminDataset({ ...d, cap: { epsilon: '5', delta: '0' } }).cap).toEqual({
      epsilon: '5',
      delta: '0'
    });
    expect(() => parseAdminDataset({ ...d, version: '2' })).toThrow(
      'the dataset.version is not a number'
    );
    expect(parseDatasets([{ name: 'penguins' }])).toEqual([{ name: 'penguins', accounting: '?' }]);
  });

  test('ledger entries: the grant or cap an entry set is kept; an unknown kind is refused', () => {
    const base = {
      dataset: 'penguins',
      seq: 1,
      user: 'carol',
      cost: { epsilon: '0', delta: '0' },
      at,
      hash: 'ab'
    };
    const [grant, removedCap, charge] = parseLedger([
      { ...base, kind: 'grant', actor: 'admin', userGrant: { epsilon: '2', delta: '0' } },
      { ...base, seq: 2, kind: 'cap', datasetCap: null },
      { ...base, seq: 3, kind: 'charge', cost: { epsilon: '1/2', delta: '0' } }
    ]);
    expect(grant).toMatchObject({ kind: 'grant', actor: 'admin', setTo: { epsilon: '2' } });
    expect(removedCap.setTo).toBeNull();
    expect(charge).not.toHaveProperty('setTo');
    expect(() => parseLedger([{ ...base, kind: 'refund' }])).toThrow(
      'ledger[0].kind is not charge, grant or cap'
    );
  });

  test('chain verification: a broken chain says where', () => {
    expect(
      parseChainReport({
        ok: false,
        entries: 7,
        dataset: 'penguins',
        firstBadSeq: 4,
        problem: 'hash mismatch',
        heads: { penguins: { seq: 7, hash: 'cd' } }
      })
    ).toEqual({
      ok: false,
      entries: 7,
      dataset: 'penguins',
      firstBadSeq: 4,
      problem: 'hash mismatch',
      heads: { penguins: { seq: 7, hash: 'cd' } }
    });
    expect(() => parseChainReport({ ok: 'yes', entries: 1 })).toThrow('audit.ok');
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
    expect(parseChart({ version: 2 }, spec)).toEqual({
      ok: false,
      problem: 'the chart payload is not version 1'
    });
    expect(parseChart({ version: 1 }, undefined)).toEqual({
      ok: false,
      problem: 'the output has no Vega-Lite spec'
    });
  });
});
