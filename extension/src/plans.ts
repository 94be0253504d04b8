import { parsePlan } from 'lomas-kernel/protocol';
import type { Aggregation, Expr, PlanAmount, PlanBudget, QueryPlan } from 'lomas-kernel/protocol';

/**
 * One-line human summaries of query plans, for the side panel's history. DOM-free and pure.
 *
 * Plans from the server are untrusted: `readPlan` validates them with the protocol's own
 * `parsePlan` (the same zod schema the notebook library and the server use), so the extension
 * never describes a plan the other sides would refuse.
 */

export type ReadPlan = { ok: true; plan: QueryPlan } | { ok: false; problem: string };

export function readPlan(json: unknown): ReadPlan {
  try {
    return { ok: true, plan: parsePlan(json) };
  } catch (err) {
    const problem =
      err && typeof err === 'object' && 'message' in err ? String(err.message) : String(err);
    return { ok: false, problem };
  }
}

/** Longest summary returned; the panel shows the full text in a tooltip. */
export const SUMMARY_MAX = 240;

/** Operator precedence (higher binds tighter). */
function precedence(e: Expr): number {
  switch (e.kind) {
    case 'cond':
      return 0;
    case 'logical':
      return e.op === '||' ? 1 : 2;
    case 'binary':
      if (['==', '!=', '<', '<=', '>', '>='].includes(e.op)) return 3;
      return e.op === '+' || e.op === '-' ? 4 : 5;
    case 'unary':
    case 'isnull':
      return 6;
    default:
      return 7;
  }
}

function literal(v: string | number | boolean | null): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

/** An expression as readable infix text: `island == "Biscoe" and body_mass_g > 3000`. */
export function exprText(e: Expr): string {
  const sub = (child: Expr, min: number): string => {
    const t = exprText(child);
    return precedence(child) < min ? `(${t})` : t;
  };
  switch (e.kind) {
    case 'col':
      return e.name;
    case 'lit':
      return literal(e.value);
    case 'unary':
      if (e.op === '!' && e.arg.kind === 'isnull') return `${sub(e.arg.arg, 7)} is not null`;
      return e.op === '!' ? `not ${sub(e.arg, 6)}` : `-${sub(e.arg, 6)}`;
    case 'isnull':
      return `${sub(e.arg, 7)} is null`;
    case 'binary':
    case 'logical': {
      const p = precedence(e);
      const op = e.op === '&&' ? 'and' : e.op === '||' ? 'or' : e.op;
      // Left-associative: a right operand of equal precedence needs parentheses.
      return `${sub(e.left, p)} ${op} ${sub(e.right, p + 1)}`;
    }
    case 'cond':
      return `if ${sub(e.test, 1)} then ${sub(e.then, 1)} else ${sub(e.else, 1)}`;
    case 'call':
      return `${e.fn}(${e.args.map(a => exprText(a)).join(', ')})`;
  }
}

function aggregationText(a: Aggregation): string {
  const args: string[] = [];
  if (a.column !== undefined) args.push(a.column);
  if (a.q !== undefined) args.push(String(a.q));
  let text = args.length > 0 ? `${a.op}(${args.join(', ')})` : a.op;
  if (a.accuracy) text += ` ±${a.accuracy.halfWidth}`;
  return text;
}

/** Sum of decimal amounts for display only (not accounting): 12 significant digits. */
function addAmounts(xs: PlanAmount[]): string {
  const total = xs.reduce<number>((s, x) => s + Number(x), 0);
  return String(Number(total.toPrecision(12)));
}

function positive(x: PlanAmount | undefined): boolean {
  return x !== undefined && Number(x) > 0;
}

/**
 * The budget a plan asks for: the plan's own budget plus the aggregations' own budgets. An
 * accuracy target's budget is in the dataset's measure (ρ on zCDP datasets), when it is known.
 */
function budgetText(plan: QueryPlan, measure?: 'ε' | 'ρ'): string {
  const budgets: PlanBudget[] = [];
  let targets = 0;
  let shared = false;
  for (const a of plan.aggregations) {
    if (a.budget) budgets.push(a.budget);
    else if (a.accuracy) targets++;
    else shared = true;
  }
  if (plan.budget && shared) budgets.push(plan.budget);
  const parts: string[] = [];
  for (const [key, symbol] of [
    ['epsilon', 'ε'],
    ['delta', 'δ'],
    ['rho', 'ρ']
  ] as const) {
    const xs = budgets.map(b => b[key]).filter(positive) as PlanAmount[];
    if (xs.length > 0) parts.push(`${symbol} ${addAmounts(xs)}`);
  }
  if (targets > 0)
    parts.push(
      parts.length > 0 ? 'plus accuracy targets' : `${measure ?? 'budget'} from accuracy target`
    );
  return parts.join(', ');
}

/**
 * A one-line summary of a (validated) plan:
 * `mean(body_mass_g) by species where island == "Biscoe" and body_mass_g > 3000 — ε 0.5`.
 */
export function describePlan(plan: QueryPlan, measure?: 'ε' | 'ρ'): string {
  let text = plan.aggregations.map(aggregationText).join(', ');
  if (plan.groupby) {
    text += ` by ${plan.groupby.keys.join(', ')}`;
    if (plan.groupby.discover) text += ' (keys discovered privately)';
  }
  const derived: string[] = [];
  const filters: string[] = [];
  for (const step of plan.steps) {
    if (step.op === 'derive') {
      for (const [name, c] of Object.entries(step.columns))
        derived.push(`${name} = ${exprText(c.expr)}`);
    } else if (step.op === 'filter') {
      const p = step.predicate;
      const t = exprText(p);
      filters.push(p.kind === 'logical' && p.op === '||' ? `(${t})` : t);
    }
  }
  let conditions = '';
  if (derived.length > 0) conditions += ` with ${derived.join(', ')}`;
  if (filters.length > 0) conditions += ` where ${filters.join(' and ')}`;
  const budget = budgetText(plan, measure);
  const tail = budget ? ` — ${budget}` : '';
  // Long conditions are cut in the middle of the line, so the budget always shows.
  const room = SUMMARY_MAX - text.length - tail.length;
  if (conditions.length > room) conditions = `${conditions.slice(0, Math.max(0, room - 1))}…`;
  text += conditions + tail;
  return text.length > SUMMARY_MAX ? `${text.slice(0, SUMMARY_MAX - 1)}…` : text;
}

/** A summary of an untrusted plan, or "unreadable plan" when it does not validate. */
export function summarizePlan(
  json: unknown,
  measure?: 'ε' | 'ρ'
): { ok: boolean; text: string; problem?: string } {
  const r = readPlan(json);
  if (!r.ok) return { ok: false, text: 'unreadable plan', problem: r.problem };
  try {
    return { ok: true, text: describePlan(r.plan, measure) };
  } catch (err) {
    return { ok: false, text: 'unreadable plan', problem: String(err) };
  }
}
