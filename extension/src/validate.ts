import type { ResultBundle } from 'lomas-kernel/protocol';

/**
 * Checks a MIME payload against the ResultBundle shape without trusting it. Pure and DOM-free so it
 * can be unit-tested; the renderer shows `problems` in an error box instead of crashing.
 */
export type Parsed = { ok: true; bundle: ResultBundle } | { ok: false; problems: string[] };

const ROLES = new Set(['key', 'estimate', 'lower', 'upper', 'value']);
const TYPES = new Set(['string', 'number', 'integer', 'boolean']);
const KINDS = new Set(['release', 'dummy', 'estimate']);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isAmount(v: unknown): boolean {
  return (
    (typeof v === 'string' && v.trim() !== '') || (typeof v === 'number' && Number.isFinite(v))
  );
}

function checkBudget(v: unknown, where: string, problems: string[]): void {
  if (!isObject(v)) {
    problems.push(`${where} must be an object with epsilon and delta`);
    return;
  }
  for (const k of ['epsilon', 'delta']) {
    if (!isAmount(v[k])) problems.push(`${where}.${k} must be a decimal string`);
  }
  if (v.rho !== undefined && !isAmount(v.rho))
    problems.push(`${where}.rho must be a decimal string`);
}

export function parseResultBundle(data: unknown): Parsed {
  const problems: string[] = [];
  if (!isObject(data)) {
    return { ok: false, problems: ['the payload is not a JSON object'] };
  }
  if (data.version !== 1)
    problems.push(`unsupported version ${JSON.stringify(data.version)} (expected 1)`);
  if (typeof data.kind !== 'string' || !KINDS.has(data.kind)) {
    problems.push('kind must be "release", "dummy" or "estimate"');
  }
  if (typeof data.dataset !== 'string') problems.push('dataset must be a string');
  if (typeof data.title !== 'string') problems.push('title must be a string');
  const names = new Set<string>();
  if (!Array.isArray(data.columns)) {
    problems.push('columns must be an array');
  } else {
    data.columns.forEach((c, i) => {
      if (!isObject(c) || typeof c.name !== 'string') {
        problems.push(`columns[${i}] needs a string name`);
        return;
      }
      names.add(c.name);
      if (typeof c.role !== 'string' || !ROLES.has(c.role))
        problems.push(`columns[${i}].role is not a known role`);
      if (typeof c.type !== 'string' || !TYPES.has(c.type))
        problems.push(`columns[${i}].type is not a known type`);
    });
  }
  if (!Array.isArray(data.rows)) {
    problems.push('rows must be an array');
  } else {
    data.rows.forEach((r, i) => {
      if (!isObject(r)) {
        problems.push(`rows[${i}] must be an object`);
        return;
      }
      for (const [k, v] of Object.entries(r)) {
        const t = typeof v;
        if (v !== null && t !== 'string' && t !== 'number' && t !== 'boolean') {
          problems.push(`rows[${i}].${k} must be a string, number, boolean or null`);
        }
      }
    });
  }
  checkBudget(data.cost, 'cost', problems);
  if (!Array.isArray(data.mechanisms)) {
    problems.push('mechanisms must be an array');
  } else {
    data.mechanisms.forEach((m, i) => {
      if (!isObject(m)) {
        problems.push(`mechanisms[${i}] must be an object`);
        return;
      }
      if (typeof m.aggregation !== 'string')
        problems.push(`mechanisms[${i}].aggregation must be a string`);
      if (typeof m.mechanism !== 'string')
        problems.push(`mechanisms[${i}].mechanism must be a string`);
      if (typeof m.halfWidth !== 'number' || !Number.isFinite(m.halfWidth) || m.halfWidth < 0) {
        problems.push(`mechanisms[${i}].halfWidth must be a non-negative number`);
      }
      if (typeof m.confidence !== 'number' || !(m.confidence > 0 && m.confidence < 1)) {
        problems.push(`mechanisms[${i}].confidence must be a number between 0 and 1`);
      }
      if (m.accuracy !== undefined && typeof m.accuracy !== 'string')
        problems.push(`mechanisms[${i}].accuracy must be a string`);
    });
  }
  if (data.caveats !== undefined) {
    if (!Array.isArray(data.caveats)) problems.push('caveats must be an array');
    else
      data.caveats.forEach((c, i) => {
        if (!isObject(c) || typeof c.row !== 'number' || typeof c.column !== 'string')
          problems.push(`caveats[${i}] needs a row number and a column name`);
        else if (typeof c.text !== 'string') problems.push(`caveats[${i}].text must be a string`);
      });
  }
  if (data.chart !== undefined && !isObject(data.chart))
    problems.push('chart must be a Vega-Lite spec object');
  if (data.budget !== undefined && isObject(data.budget)) {
    checkBudget(data.budget.remaining, 'budget.remaining', problems);
  } else if (data.budget !== undefined) {
    problems.push('budget must be an object');
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, bundle: data as unknown as ResultBundle };
}
