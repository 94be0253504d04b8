/**
 * Which columns a synthetic table may model, from the public metadata only (domain/syntheticColumns.ts).
 */
import { LomasError, type DatasetMetadata } from 'lomas-kernel/protocol';
import { resolveColumns } from '../../src/domain/syntheticColumns';

const META: DatasetMetadata = {
  max_ids: 2,
  row_privacy: false,
  privacy_id: 'person',
  columns: {
    person: { type: 'int', lower: 0, upper: 100, nullable: false },
    species: { type: 'string', categories: ['a', 'b', 'a'], nullable: false },
    free_text: { type: 'string', nullable: true },
    mass: { type: 'int', lower: 0, nullable: true },
    seen: { type: 'datetime', lower: '2001-01-01T00:00:00', upper: '2001-12-31', nullable: false },
    ok: { type: 'boolean', nullable: true }
  }
};

function refusal(f: () => unknown): LomasError {
  try {
    f();
  } catch (e) {
    if (e instanceof LomasError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

test('by default: every column with public bins or categories, the others reported', () => {
  const r = resolveColumns('d', META, undefined, 10);
  expect(r.specs.map(s => s.name)).toEqual(['species', 'seen', 'ok']);
  expect(r.omitted).toEqual([
    { column: 'person', reason: 'no-privacy-id' },
    { column: 'free_text', reason: 'public-categories' },
    { column: 'mass', reason: 'public-bins' }
  ]);
  // categories deduplicated, booleans as [false, true], dates without an offset read as UTC
  expect(r.specs[0]).toMatchObject({ kind: 'categorical', categories: ['a', 'b'] });
  expect(r.specs[1]).toMatchObject({
    kind: 'datetime',
    lower: Date.UTC(2001, 0, 1),
    upper: Date.UTC(2001, 11, 31)
  });
  expect(r.specs[2]).toMatchObject({
    kind: 'categorical',
    categories: [false, true],
    nullable: true
  });
});

test('a named column that cannot be modelled is refused with the rule and the fix', () => {
  expect(refusal(() => resolveColumns('d', META, ['free_text'], 10)).details.rule).toBe(
    'public-categories'
  );
  const bins = refusal(() => resolveColumns('d', META, ['mass'], 10));
  expect(bins.details.rule).toBe('public-bins');
  expect(bins.message).toMatch(/add lower and upper bounds to "mass".*or leave it out/);
  expect(refusal(() => resolveColumns('d', META, ['person'], 10)).details.rule).toBe(
    'no-privacy-id'
  );
  expect(refusal(() => resolveColumns('d', META, ['nope'], 10)).code).toBe('UNKNOWN_COLUMN');
});

test('the cells limit counts the resolved columns; too many default columns ask for a choice', () => {
  const e = refusal(() => resolveColumns('d', META, undefined, 200_000));
  expect(e.details).toMatchObject({ parameter: 'rows' });
  expect(e.message).toMatch(/at most 166666 rows/);
  const many: DatasetMetadata = {
    max_ids: 1,
    row_privacy: true,
    columns: Object.fromEntries(
      Array.from({ length: 20 }, (_, i) => [`b${i}`, { type: 'boolean', nullable: false }])
    )
  };
  expect(refusal(() => resolveColumns('m', many, undefined, 10)).message).toMatch(
    /20 columns that can be modelled.*Choose at most 16/
  );
});
