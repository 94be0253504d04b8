import { DatasetMetadata } from 'lomas-kernel/protocol';
import { demoDatasets, usAirportCodes } from '../../src/datasets/demo';
import { dummyRows } from '../../src/datasets/dummy';
import { parseConnector } from '../../src/datasets/connectors';
import { DatasetCache } from '../../src/engine/cache';
import { execute } from '../../src/engine/execute';
import type { CountStats, MomentStats } from '../../src/engine/types';
import { loadDataset } from '../../src/engine/load';
import { releaseValue } from '../../src/query/keys';
import { resolve } from '../engine/helpers';

describe('demo datasets', () => {
  const demos = demoDatasets();
  test('registrations are valid', () => {
    expect(demos.map(d => d.name)).toEqual(['penguins', 'cars', 'flights']);
    for (const d of demos) {
      expect(() => DatasetMetadata.parse(d.metadata)).not.toThrow();
      expect(() => parseConnector(d.connector)).not.toThrow();
    }
    expect(usAirportCodes().length).toBeGreaterThan(3000);
  });

  test('penguins and cars load and answer', async () => {
    const cache = new DatasetCache();
    for (const reg of demos.slice(0, 2)) {
      const ref = { name: reg.name, version: 1, connector: reg.connector, metadata: reg.metadata };
      const d = await cache.load(ref);
      expect(d.rowCount).toBeGreaterThan(300n);
    }
    const [p] = demos;
    const r = await cache.use(
      { name: 'penguins', version: 1, connector: p.connector, metadata: p.metadata },
      d =>
        execute(
          resolve(
            {
              groupby: { keys: ['species'] },
              aggregations: [{ op: 'count' }, { op: 'mean', column: 'body_mass_g' }]
            },
            p.metadata
          ),
          d
        )
    );
    expect(r.groups.map(g => releaseValue(g.key[0]))).toEqual(['Adelie', 'Chinstrap', 'Gentoo']);
    expect(r.groups.reduce((n, g) => n + (g.stats[0] as CountStats).count, 0n)).toBe(344n);
    const gentoo = r.groups[2].stats[1] as MomentStats;
    expect(Number(gentoo.sum) / Number(gentoo.count)).toBeGreaterThan(4900);
    cache.close();
  });

  test('flights-3m loads (timed) and a grouped mean runs', async () => {
    const f = demos[2];
    const cache = new DatasetCache();
    const d = await cache.load({
      name: 'flights',
      version: 1,
      connector: f.connector,
      metadata: f.metadata
    });
    expect(d.rowCount).toBe(3000000n);
    const plan = resolve(
      {
        dataset: 'flights',
        groupby: { keys: ['origin'] },
        aggregations: [{ op: 'mean', column: 'delay' }]
      },
      f.metadata
    );
    const r = await execute(plan, d);
    expect(r.groups.length).toBe(usAirportCodes().length);
    console.log(
      `flights-3m: load ${d.loadMs.toFixed(0)} ms; grouped mean ${r.elapsedMs.toFixed(0)} ms`
    );
    cache.close();
  }, 60_000);
});

describe('dummy datasets', () => {
  const [penguins, cars, flights] = demoDatasets();

  test('reproducible per seed, different across seeds', () => {
    expect(dummyRows(penguins.metadata, 50, 42)).toEqual(dummyRows(penguins.metadata, 50, 42));
    expect(dummyRows(penguins.metadata, 50, 42)).not.toEqual(dummyRows(penguins.metadata, 50, 43));
    expect(dummyRows(penguins.metadata, 20, 7)).toEqual(
      dummyRows(penguins.metadata, 50, 7).slice(0, 20)
    );
  });

  test('respects types, bounds, categories and nullability', () => {
    for (const reg of [penguins, cars, flights]) {
      const rows = dummyRows(reg.metadata, 2000, 1);
      for (const [name, c] of Object.entries(reg.metadata.columns)) {
        const vs = rows.map(r => r[name]);
        const nonNull = vs.filter(v => v !== null);
        if (c.nullable) expect(nonNull.length).toBeLessThan(vs.length);
        else expect(nonNull.length).toBe(vs.length);
        for (const v of nonNull) {
          if (c.type === 'int') expect(Number.isInteger(v)).toBe(true);
          if ((c.type === 'int' || c.type === 'float') && c.lower !== undefined)
            expect(v as number).toBeGreaterThanOrEqual(c.lower);
          if ((c.type === 'int' || c.type === 'float') && c.upper !== undefined)
            expect(v as number).toBeLessThanOrEqual(c.upper);
          if (c.type === 'string' && c.categories) expect(c.categories).toContain(v);
          if (c.type === 'datetime') {
            expect(Date.parse(v as string)).toBeGreaterThanOrEqual(Date.parse(c.lower!));
            expect(Date.parse(v as string)).toBeLessThanOrEqual(Date.parse(c.upper!));
          }
        }
      }
    }
  });

  test('privacy ids repeat max_ids times', () => {
    const m = DatasetMetadata.parse({
      max_ids: 3,
      row_privacy: false,
      privacy_id: 'pid',
      columns: { pid: { type: 'string' }, v: { type: 'int', lower: 0, upper: 9 } }
    });
    const rows = dummyRows(m, 10, 0);
    expect(rows.map(r => r.pid)).toEqual([
      'id_0',
      'id_0',
      'id_0',
      'id_1',
      'id_1',
      'id_1',
      'id_2',
      'id_2',
      'id_2',
      'id_3'
    ]);
  });

  test('dummy runs go through the same engine path (dummy rows → load → execute)', async () => {
    const plan = resolve(
      {
        dataset: 'penguins',
        groupby: { keys: ['island'] },
        aggregations: [{ op: 'count' }, { op: 'mean', column: 'bill_length_mm' }]
      },
      penguins.metadata
    );
    const once = async () => {
      const rows = dummyRows(penguins.metadata, 500, 'penguins:1');
      const loaded = await loadDataset({ kind: 'rows', rows }, penguins.metadata);
      try {
        return await execute(plan, loaded);
      } finally {
        loaded.close();
      }
    };
    const [a, b] = [await once(), await once()];
    expect(a.groups.map(g => g.rows)).toEqual(b.groups.map(g => g.rows));
    expect(a.groups.reduce((n, g) => n + g.rows, 0n)).toBe(500n);
  });
});
