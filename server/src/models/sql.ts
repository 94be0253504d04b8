import {
  BIGINT,
  DOUBLE,
  LIST,
  VARCHAR,
  listValue,
  type DuckDBType,
  type DuckDBValue
} from '@duckdb/node-api';
import { MODEL_BITS } from '../dp';
import { quoteIdent } from '../engine/duck';
import { ExprCompiler, Params, type StorageInfo } from '../query/compile';
import type { RStep } from '../query/types';
import type { EncodedFeature, ResolvedModel } from './columns';

/**
 * The exact sufficient statistics of the DP models (dp/models/*), as parameterised DuckDB SQL
 * over a loaded, locked-down dataset. Each statement implements the "engine contract" written at
 * the top of its model's module:
 *
 *  - identifiers are column names checked against the metadata (or derived by validated steps),
 *    double-quoted; every bound, category, coefficient and centre is a bound parameter; nothing
 *    from a request is spliced into the text;
 *  - each value is clamped to its public bounds and mapped to c ∈ [−1, 1] in DOUBLE; its
 *    fixed-point integer q = round(c·2^30) is TRY_CAST to BIGINT (NULL → 0) and clamped to
 *    [−2^30, 2^30]; the clamp is what bounds a row's contribution (dp/models/common.ts), so no
 *    floating-point detail can break it, and no value can make the statement fail;
 *  - sums of q and of q·q (≤ 2^60, a BIGINT) are HUGEINT: below 2^124 for fewer than 2^64 rows.
 */

export interface CompiledSql {
  sql: string;
  params: DuckDBValue[];
  types: DuckDBType[];
}

const ONE = 2 ** MODEL_BITS;

/** The row pipeline of validated steps (filter, select, derive), as a relation over the table. */
function rows(steps: readonly RStep[], storage: StorageInfo, p: Params): string {
  const x = new ExprCompiler(p);
  let current = [...storage.columns];
  let rel = quoteIdent(storage.table);
  for (const s of steps) {
    if (s.kind === 'filter') rel = `(SELECT * FROM ${rel} AS t WHERE ${x.compile(s.predicate)})`;
    else if (s.kind === 'select') {
      rel = `(SELECT ${s.columns.map(quoteIdent).join(', ')} FROM ${rel} AS t)`;
      current = [...s.columns];
    } else {
      const existing = s.columns.filter(c => current.includes(c.name));
      const fresh = s.columns.filter(c => !current.includes(c.name));
      const replace = existing.length
        ? ` REPLACE (${existing.map(c => `${x.compile(c.expr)} AS ${quoteIdent(c.name)}`).join(', ')})`
        : '';
      const add = fresh.map(c => `, ${x.compile(c.expr)} AS ${quoteIdent(c.name)}`).join('');
      rel = `(SELECT *${replace}${add} FROM ${rel} AS t)`;
      for (const c of fresh) current.push(c.name);
    }
  }
  return rel;
}

/** c ∈ [−1, 1] of a bounded numeric column (the double computation of common.ts normalise). */
function normalised(column: string, bounds: [number, number], p: Params): string {
  const [L, U] = bounds;
  const x = `least(greatest(CAST(${quoteIdent(column)} AS DOUBLE), ${p.add(L, DOUBLE)}), ${p.add(U, DOUBLE)})`;
  return `((2.0 * ${x} - ${p.add(L + U, DOUBLE)}) / ${p.add(U - L, DOUBLE)})`;
}

function featureValue(f: EncodedFeature, p: Params): string {
  if (f.kind === 'numeric') return normalised(f.column, f.bounds, p);
  if (f.kind === 'boolean') return `(CASE WHEN ${quoteIdent(f.column)} THEN 1.0 ELSE -1.0 END)`;
  return `(CASE WHEN CAST(${quoteIdent(f.column)} AS VARCHAR) = ${p.add(f.category, VARCHAR)} THEN 1.0 ELSE -1.0 END)`;
}

/** The fixed-point integer of a double expression in [−1, 1] (common.ts fixed). */
export function fixedSql(c: string): string {
  return `least(greatest(COALESCE(TRY_CAST(round((${c}) * ${ONE}.0) AS BIGINT), 0), -${ONE}), ${ONE})`;
}

/** An integer column clamped to its integer bounds, in BIGINT. */
function clampedInteger(column: string, bounds: [number, number], p: Params): string {
  const [L, U] = bounds.map(v => p.add(BigInt(v), BIGINT));
  return `least(greatest(CAST(${quoteIdent(column)} AS BIGINT), ${L}), ${U})`;
}

/**
 * The fixed-point integer of an integer value n ∈ [L, U], exactly: round half away from zero of
 * (2n − (L + U))·2^30 / (U − L), in BIGINT (|numerator| ≤ 2^60; common.ts fixedInteger).
 */
function fixedIntegerSql(n: string, bounds: [number, number], p: Params): string {
  const [L, U] = bounds.map(v => BigInt(v));
  const s = p.add(L + U, BIGINT);
  const w = p.add(U - L, BIGINT);
  const h = p.add((U - L) / 2n, BIGINT);
  const num = `((2 * ${n} - ${s}) * ${ONE})`;
  const q = `(CASE WHEN ${num} < 0 THEN -((-${num} + ${h}) // ${w}) ELSE (${num} + ${h}) // ${w} END)`;
  // |q| ≤ 2^30 follows from the clamp to [L, U]; the outer clamp states it in the SQL too.
  return `least(greatest(${q}, -${ONE}), ${ONE})`;
}

/**
 * The complete rows of a model, encoded: "c1"…"cd" (features), "cy" (numeric target) or "y"
 * (class index 0…K−1; rows outside the public classes are dropped), and "n…" (the clamped value
 * of each feature or target that uses the exact integer encoding).
 */
function encoded(m: ResolvedModel, storage: StorageInfo, p: Params): string {
  const rel = rows(m.steps, storage, p);
  const cols = m.features.map((f, j) => `${featureValue(f, p)} AS "c${j + 1}"`);
  m.features.forEach((f, j) => {
    if (f.kind === 'numeric' && f.integer)
      cols.push(`${clampedInteger(f.column, f.bounds, p)} AS "n${j + 1}"`);
  });
  const t = m.target;
  if (t?.kind === 'numeric') {
    cols.push(`${normalised(t.column, t.bounds, p)} AS "cy"`);
    if (t.integer) cols.push(`${clampedInteger(t.column, t.bounds, p)} AS "ny"`);
  } else if (t?.type === 'boolean')
    cols.push(`(CASE WHEN ${quoteIdent(t.column)} THEN 1 ELSE 0 END) AS "y"`);
  else if (t)
    cols.push(
      `(list_position(${p.add(listValue(t.classes as string[]), LIST(VARCHAR))}, CAST(${quoteIdent(t.column)} AS VARCHAR)) - 1) AS "y"`
    );
  const notNull = m.required.map(c => `${quoteIdent(c)} IS NOT NULL`).join(' AND ');
  const inner = `SELECT ${cols.join(', ')} FROM ${rel} AS t WHERE ${notNull}`;
  return t?.kind === 'classes'
    ? `(SELECT * FROM (${inner}) AS i WHERE "y" IS NOT NULL)`
    : `(${inner})`;
}

const feats = (m: ResolvedModel) => m.features.map((_, j) => `"c${j + 1}"`);

/** The fixed-point integers of the features (and the numeric target, last). */
function fixedColumns(m: ResolvedModel, p: Params, withTarget: boolean): string[] {
  const out = m.features.map((f, j) =>
    f.kind === 'numeric' && f.integer
      ? fixedIntegerSql(`"n${j + 1}"`, f.bounds, p)
      : fixedSql(`"c${j + 1}"`)
  );
  const t = m.target;
  if (withTarget && t?.kind === 'numeric')
    out.push(t.integer ? fixedIntegerSql('"ny"', t.bounds, p) : fixedSql('"cy"'));
  return out;
}

function done(sql: string, p: Params): CompiledSql {
  return { sql, params: p.values, types: p.types };
}

/** Linear: n, Σ q_i and Σ q_i·q_j (i ≤ j) over q = (features…, target). */
export function linearSql(m: ResolvedModel, storage: StorageInfo): CompiledSql {
  const p = new Params();
  const c = [...feats(m), '"cy"'];
  const q = fixedColumns(m, p, true).map((x, i) => `${x} AS "q${i}"`);
  const out = ['count(*) AS "n"', ...c.map((_, i) => `sum("q${i}") AS "s${i}"`)];
  for (let i = 0; i < c.length; i++)
    for (let j = i; j < c.length; j++) out.push(`sum("q${i}" * "q${j}") AS "p${i}_${j}"`);
  return done(
    `SELECT ${out.join(', ')} FROM (SELECT ${q.join(', ')} FROM ${encoded(m, storage, p)} AS e) AS v`,
    p
  );
}

/** Naive Bayes: per class y, n, Σ q_j, Σ q_j². */
export function classStatisticsSql(m: ResolvedModel, storage: StorageInfo): CompiledSql {
  const p = new Params();
  const c = feats(m);
  const q = fixedColumns(m, p, false).map((x, j) => `${x} AS "q${j}"`);
  const out = [
    '"y"',
    'count(*) AS "n"',
    ...c.map((_, j) => `sum("q${j}") AS "s${j}"`),
    ...c.map((_, j) => `sum("q${j}" * "q${j}") AS "r${j}"`)
  ];
  return done(
    `SELECT ${out.join(', ')} FROM (SELECT "y", ${q.join(', ')} FROM ${encoded(m, storage, p)} AS e) AS v GROUP BY "y"`,
    p
  );
}

export function countSql(m: ResolvedModel, storage: StorageInfo): CompiledSql {
  const p = new Params();
  return done(`SELECT count(*) AS "n" FROM ${encoded(m, storage, p)} AS e`, p);
}

/** Logits t_k = θ_k0 + Σ_j θ_kj·c_j (left to right, as the reference), k = 1…K−1. */
function logits(m: ResolvedModel, theta: readonly (readonly number[])[], p: Params): string[] {
  return theta.map(w =>
    [p.add(w[0], DOUBLE), ...feats(m).map((c, j) => `${p.add(w[j + 1], DOUBLE)} * ${c}`)].join(
      ' + '
    )
  );
}

/** Logistic: Σ over rows of the clamped fixed-point gradient at θ (the contract in logistic/index.ts). */
export function gradientSql(
  m: ResolvedModel,
  storage: StorageInfo,
  theta: readonly (readonly number[])[],
  logitLimit: number,
  clip: bigint
): CompiledSql {
  const p = new Params();
  const c = feats(m);
  const lim = p.add(logitLimit, DOUBLE);
  const cl = p.add(clip, BIGINT);
  const clipped = (x: string) => `least(greatest(${fixedSql(x)}, -${cl}), ${cl})`;
  const e = logits(m, theta, p).map(
    (t, k) => `exp(least(greatest((${t}), -${lim}), ${lim})) AS "e${k + 1}"`
  );
  const den = ['1.0', ...theta.map((_, k) => `"e${k + 1}"`)].join(' + ');
  const r = theta.map(
    (_, k) =>
      `"e${k + 1}" / (${den}) - (CASE WHEN "y" = ${k + 1} THEN 1.0 ELSE 0.0 END) AS "r${k + 1}"`
  );
  const g: string[] = [];
  theta.forEach((_, k) => {
    g.push(`sum(${clipped(`"r${k + 1}"`)}) AS "g${k + 1}_0"`);
    c.forEach((x, j) => g.push(`sum(${clipped(`"r${k + 1}" * ${x}`)}) AS "g${k + 1}_${j + 1}"`));
  });
  const withE = `(SELECT "y", ${[...c, ...e].join(', ')} FROM ${encoded(m, storage, p)} AS a)`;
  const withR = `(SELECT ${[...c, ...r].join(', ')} FROM ${withE} AS b)`;
  return done(`SELECT ${g.join(', ')} FROM ${withR} AS v`, p);
}

/** Logistic: rows whose largest logit (0 for class 0; ties to the lowest class) is their class. */
export function logisticCorrectSql(
  m: ResolvedModel,
  storage: StorageInfo,
  theta: readonly (readonly number[])[]
): CompiledSql {
  const p = new Params();
  const t = `[0.0, ${logits(m, theta, p)
    .map(x => `(${x})`)
    .join(', ')}]`;
  return done(
    `SELECT sum(CASE WHEN list_position(${t}, list_max(${t})) - 1 = "y" THEN 1 ELSE 0 END) AS "n" FROM ${encoded(m, storage, p)} AS e`,
    p
  );
}

/** Naive Bayes: rows whose most probable class (normalised scale) is their class. */
export function naiveBayesCorrectSql(
  m: ResolvedModel,
  storage: StorageInfo,
  fit: { priors: number[]; means: number[][]; variances: number[][] }
): CompiledSql {
  const p = new Params();
  const c = feats(m);
  const scores = fit.priors.map((prior, k) => {
    const terms = c.map((x, j) => {
      const [mu, va] = [p.add(fit.means[k][j], DOUBLE), p.add(fit.variances[k][j], DOUBLE)];
      return `(${x} - ${mu}) * (${x} - ${mu}) / (2.0 * ${va}) + 0.5 * ln(${va})`;
    });
    return `(${p.add(Math.log(prior), DOUBLE)} - (${terms.join(' + ')}))`;
  });
  const s = `[${scores.join(', ')}]`;
  return done(
    `SELECT sum(CASE WHEN list_position(${s}, list_max(${s})) - 1 = "y" THEN 1 ELSE 0 END) AS "n" FROM ${encoded(m, storage, p)} AS e`,
    p
  );
}

/** Squared distances to each centre (left to right, as the reference's nearest()). */
function distances(m: ResolvedModel, centres: readonly (readonly number[])[], p: Params): string {
  const c = feats(m);
  return `[${centres
    .map(mu =>
      c
        .map((x, j) => {
          const v = p.add(mu[j], DOUBLE);
          return `(${x} - ${v}) * (${x} - ${v})`;
        })
        .join(' + ')
    )
    .map(d => `(${d})`)
    .join(', ')}]`;
}

/** k-means: per nearest centre (ties to the lowest index), n and Σ q_j. */
export function assignSql(
  m: ResolvedModel,
  storage: StorageInfo,
  centres: readonly (readonly number[])[]
): CompiledSql {
  const p = new Params();
  const c = feats(m);
  const d = distances(m, centres, p);
  const q = fixedColumns(m, p, false).map((x, j) => `${x} AS "q${j}"`);
  const out = ['"k"', 'count(*) AS "n"', ...c.map((_, j) => `sum("q${j}") AS "s${j}"`)];
  return done(
    `SELECT ${out.join(', ')} FROM (SELECT list_position(${d}, list_min(${d})) - 1 AS "k", ${q.join(', ')} FROM ${encoded(m, storage, p)} AS e) AS v GROUP BY "k"`,
    p
  );
}

/** k-means: Σ over rows of the fixed-point squared distance to the nearest centre over 4d. */
export function inertiaSql(
  m: ResolvedModel,
  storage: StorageInfo,
  centres: readonly (readonly number[])[]
): CompiledSql {
  const p = new Params();
  const d = distances(m, centres, p);
  const max = p.add(4 * m.features.length, DOUBLE);
  return done(
    `SELECT sum(${fixedSql(`least(greatest(list_min(${d}) / ${max}, 0.0), 1.0)`)}) AS "n" FROM ${encoded(m, storage, p)} AS e`,
    p
  );
}
