import type { AccountingMode, DatasetInfo } from 'lomas-kernel/protocol';
import { parseDatasetInfo } from './validate';

/**
 * A query template for a dataset, built from its public metadata (GET /v1/datasets/{name}, read
 * with the protocol's schema): a code cell that connects, picks a grouping column with public categories and a bounded numeric
 * column, and asks for the cost and accuracy first (free). Pure and DOM-free (unit-tested).
 */

interface Column {
  name: string;
  type: string;
  lower?: unknown;
  upper?: unknown;
  categories?: unknown;
}

/** Budget option in the dataset's measure: ρ under zCDP, ε otherwise. */
function budgetOption(accounting: AccountingMode): string {
  return accounting === 'zcdp' ? '{ rho: 0.01 }' : '{ epsilon: 0.5 }';
}

const RESERVED = new Set(
  'break case catch class const continue debugger default delete do else enum export extends false finally for function if import in instanceof let new null return super switch this throw true try typeof var void while with yield await implements interface package private protected public static lomas q r'.split(
    ' '
  )
);

/** A TypeScript variable name for a dataset ("flights-3m" → "flights_3m"). */
export function variableName(dataset: string): string {
  let name = dataset.replace(/[^A-Za-z0-9_$]/g, '_');
  if (!/^[A-Za-z_$]/.test(name)) name = `ds_${name}`;
  return RESERVED.has(name) ? `${name}Data` : name;
}

function columnsOf(metadata: DatasetInfo['metadata']): Column[] {
  return Object.entries(metadata.columns).map(([name, c]) => ({ name, ...c }));
}

const NUMERIC = new Set(['int', 'float', 'integer', 'number']);
const isNumber = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v);

/** "species (string: Adelie, Chinstrap, Gentoo)", "body_mass_g (float 2700–6300)". */
function describe(c: Column): string {
  if (Array.isArray(c.categories)) {
    const cats = c.categories.map(String);
    const shown =
      cats.length > 5 ? `${cats.slice(0, 4).join(', ')}, … (${cats.length})` : cats.join(', ');
    return `${c.name} (${c.type}: ${shown})`;
  }
  if (isNumber(c.lower) && isNumber(c.upper)) return `${c.name} (${c.type} ${c.lower}–${c.upper})`;
  return `${c.name} (${c.type})`;
}

/** Comment lines of at most ~96 characters listing the public columns. */
function columnComments(columns: Column[]): string[] {
  const lines: string[] = [];
  let line = '// Public columns:';
  for (const text of columns.map(describe)) {
    if (line.length + text.length > 96) {
      lines.push(line.replace(/,$/, ''));
      line = '//  ';
    }
    line += ` ${text},`;
  }
  lines.push(line.replace(/,$/, ''));
  return lines;
}

export function queryTemplate(dataset: string, body: unknown): string {
  const info = parseDatasetInfo(body);
  const columns = columnsOf(info.metadata);
  const group = columns.find(
    c => Array.isArray(c.categories) && c.categories.length > 0 && c.categories.length <= 20
  );
  const measured = columns.find(
    c => NUMERIC.has(c.type) && isNumber(c.lower) && isNumber(c.upper) && c !== group
  );
  const budget = budgetOption(info.accounting);
  const v = variableName(dataset);
  const measure = info.accounting === 'zcdp' ? 'ρ' : 'ε';
  const aggregation = measured
    ? `.mean(${JSON.stringify(measured.name)}, ${budget})`
    : `.count(${budget})`;
  return [
    `// A query on ${dataset} (${info.accounting} accounting: budgets in ${measure}), built from its public metadata.`,
    ...columnComments(columns),
    'import { connect } from "lomas-kernel";',
    'const lomas = await connect();',
    `const ${v} = lomas.dataset(${JSON.stringify(dataset)});`,
    `const q = ${v}.query()`,
    ...(group ? [`  .groupby(${JSON.stringify(group.name)})`] : []),
    `  ${aggregation};`,
    'await q.estimate(); // cost and accuracy: free',
    '// await q.dummy(); // the same query on dummy data: free',
    '// const r = await q.run(); // spends the budget; r.table is an arquero table'
  ].join('\n');
}
