import type * as acorn from 'acorn';
import { LomasError } from '../protocol/errors';
import { NAME_PATTERN, PLAN_LIMITS, RESERVED_NAMES, type Expr } from '../protocol/plan';
import type { ParamValue, Params } from './types';

export type Node = acorn.AnyNode;

/** What the converter knows while it walks one function body. */
export interface Context {
  text: string;
  row: string | null;
  paramsName: string | null;
  params: Params | undefined;
  nodes: number;
}

const SNIPPET_LENGTH = 80;

export const ALLOWED_TEXT =
  'Use columns (d.x), literals, comparisons, arithmetic, && || !, ?:, null checks (d.x == null), ' +
  'Math.abs/round/floor/ceil/log/exp/sqrt/min/max, .startsWith/.endsWith/.includes/.toLowerCase()/' +
  '.toUpperCase()/.length on strings, and op.year/month/day/hour/weekday(d.date).';

const reserved = new Set(RESERVED_NAMES);

function snippetOf(text: string, node: { start: number; end: number } | null): string | undefined {
  if (!node) return undefined;
  const s = text.slice(node.start, node.end).replace(/\s+/g, ' ').trim();
  return s.length > SNIPPET_LENGTH ? s.slice(0, SNIPPET_LENGTH - 1) + '…' : s;
}

export function unsupported(
  ctx: { text: string },
  node: { start: number; end: number } | null,
  problem: string,
  fix: string = ALLOWED_TEXT
): never {
  throw new LomasError('UNSUPPORTED_EXPRESSION', {
    problem,
    snippet: snippetOf(ctx.text, node),
    fix
  });
}

/** Property name of `a.b`, `a["b"]` or a`[\`b\`]`; null for computed access with anything else. */
export function propertyName(m: acorn.MemberExpression): string | null {
  if (!m.computed) return m.property.type === 'Identifier' ? m.property.name : null;
  const p = m.property;
  if (p.type === 'Literal' && typeof p.value === 'string') return p.value;
  if (p.type === 'TemplateLiteral' && p.expressions.length === 0)
    return p.quasis[0].value.cooked ?? null;
  return null;
}

export function literal(ctx: Context, node: Node, value: unknown): Expr {
  if (value === null || value === undefined || typeof value === 'boolean')
    return { kind: 'lit', value: value ?? null };
  if (typeof value === 'number') {
    if (!Number.isFinite(value))
      unsupported(ctx, node, 'numbers must be finite', 'Use a finite number.');
    return { kind: 'lit', value };
  }
  if (typeof value === 'string') {
    if (value.length > PLAN_LIMITS.stringLength) {
      unsupported(
        ctx,
        node,
        `strings are limited to ${PLAN_LIMITS.stringLength} characters`,
        'Use a shorter string.'
      );
    }
    return { kind: 'lit', value };
  }
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime()))
      unsupported(ctx, node, 'the date is invalid', 'Pass a valid Date.');
    return { kind: 'lit', value: value.toISOString() };
  }
  return unsupported(
    ctx,
    node,
    `a value of type ${Array.isArray(value) ? 'array' : typeof value} cannot be used here`,
    'Params may be strings, finite numbers, booleans, null or Dates (arrays only with .includes).'
  );
}

export function paramValue(ctx: Context, m: acorn.MemberExpression): ParamValue {
  const key = propertyName(m);
  if (key === null) {
    unsupported(
      ctx,
      m,
      'params must be read with a fixed name',
      `Write ${ctx.paramsName}.name or ${ctx.paramsName}["name"].`
    );
  }
  if (!ctx.params) {
    unsupported(
      ctx,
      m,
      'this function reads params, but none were given',
      `Pass them after the function: .filter((d, ${ctx.paramsName}) => d.x > ${ctx.paramsName}.${key}, { ${key}: 3 }).`
    );
  }
  if (!Object.prototype.hasOwnProperty.call(ctx.params, key)) {
    unsupported(
      ctx,
      m,
      `params have no "${key}"`,
      `Add it to the params object: { ${key}: ... }. Given: ${Object.keys(ctx.params).join(', ') || 'none'}.`
    );
  }
  return ctx.params[key];
}

export function columnRef(ctx: Context, m: acorn.MemberExpression): Expr {
  const name = propertyName(m);
  if (name === null) {
    unsupported(
      ctx,
      m,
      'computed member access is not allowed',
      `Name the column directly: ${ctx.row}.column or ${ctx.row}["column"]; to choose a column from a variable, build the query with that name.`
    );
  }
  if (reserved.has(name)) {
    unsupported(
      ctx,
      m,
      `"${name}" is a JavaScript built-in, not a column`,
      'Read a column of the dataset, e.g. d.body_mass_g.'
    );
  }
  if (!NAME_PATTERN.test(name)) {
    unsupported(
      ctx,
      m,
      `"${name.length > 40 ? name.slice(0, 39) + '…' : name}" is not a valid column name`,
      'Column names are 1 to 64 letters, digits or _, not starting with a digit.'
    );
  }
  nodeCount(ctx, m);
  return { kind: 'col', name };
}

export function nodeCount(ctx: Context, node: Node): void {
  if (++ctx.nodes > PLAN_LIMITS.exprNodes) {
    unsupported(
      ctx,
      node,
      `the expression has more than ${PLAN_LIMITS.exprNodes} parts`,
      'Split it into several filter or derive steps.'
    );
  }
}

/** `a || b || c ...` as a balanced tree, so long membership lists stay shallow. */
export function balancedOr(parts: Expr[]): Expr {
  if (parts.length === 1) return parts[0];
  const mid = Math.ceil(parts.length / 2);
  return {
    kind: 'logical',
    op: '||',
    left: balancedOr(parts.slice(0, mid)),
    right: balancedOr(parts.slice(mid))
  };
}
