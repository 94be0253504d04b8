/**
 * Expressions are data: a row function such as `d => d.island === "Biscoe" && d.body_mass_g > 3000`
 * is never called. Its source (`fn.toString()`, i.e. the JavaScript that tslab compiled the cell
 * to) is parsed with acorn and converted into the whitelisted `Expr` tree of the query plan.
 * Anything outside the whitelist is refused with LomasError('UNSUPPORTED_EXPRESSION') quoting the
 * snippet and saying what to write instead.
 *
 * Accepted: `d.x` / `d["x"]` (columns), literals, `=== !== == != < <= > >=` (equality is strict),
 * `+ - * / %`, unary `-` and `!`, `&& || ??`, `?:`, null checks (`== null`, `=== undefined`, ...),
 * `Math.abs/round/floor/ceil/log/exp/sqrt/min/max`, `Math.PI`, `Math.E`, string
 * `.startsWith/.endsWith/.includes/.toLowerCase()/.toUpperCase()/.length`,
 * `op.<fn>(...)` (see `op`), `[a, b].includes(d.x)` (membership), optional chaining, and a second
 * parameter for outer values: `.filter((d, $) => d.x > $.min, { min: 3 })` inlines `$.min` as a
 * literal. Arrow functions with an expression body or a `{ return ...; }` body, and
 * `function (d) { return ...; }` (as TypeScript may emit), are accepted.
 */
import { LomasError } from '../protocol/errors';
import { ExprSchema, type Expr } from '../protocol/plan';
import { unsupported, type Context } from './context';
import { convert } from './convert';
import { bodyOf, parseFunction } from './source';
import type { ExprInput, Params } from './types';

export type { ExprInput, ParamValue, Params, Row, RowFunction } from './types';

/** Converts the source of a row function into an Expr. */
export function parseRowFunction(source: string, params?: Params): Expr {
  const { fn, text } = parseFunction(source);
  const body = bodyOf(fn, text);
  const names = fn.params.map(p => (p as { name: string }).name);
  const ctx: Context = {
    text,
    row: names[0] ?? null,
    paramsName: names[1] ?? null,
    params,
    nodes: 0
  };
  if (
    params !== undefined &&
    (params === null || typeof params !== 'object' || Array.isArray(params))
  ) {
    unsupported(
      ctx,
      null,
      'params must be an object of named values',
      'Pass { min: 3, island: "Biscoe" }.'
    );
  }
  return convert(ctx, body, 1);
}

/**
 * What a query verb makes of its expression argument: a row function or its source is parsed
 * into an Expr tree; an object is taken as an Expr tree as is, for the verb to validate with the
 * plan schema at its place in the plan (so its errors name the same path as the server's).
 */
export function readExpr(input: ExprInput, params?: Params): Expr {
  if (input !== null && typeof input === 'object') return input;
  return toExpr(input, params);
}

/**
 * Turns what an analyst wrote into an Expr: a row function (read from its source, never called),
 * the source of one as a string, or an Expr tree (validated).
 */
export function toExpr(input: ExprInput, params?: Params): Expr {
  if (typeof input === 'function') {
    let source: string;
    try {
      source = Function.prototype.toString.call(input);
    } catch {
      return unsupported(
        { text: '' },
        null,
        'the function source cannot be read',
        'Pass an arrow function: d => d.x > 3.'
      );
    }
    return parseRowFunction(source, params);
  }
  if (typeof input === 'string') return parseRowFunction(input, params);
  if (input !== null && typeof input === 'object') {
    const r = ExprSchema.safeParse(input);
    if (r.success) return r.data;
    const issue = r.error.issues[0];
    throw new LomasError('UNSUPPORTED_EXPRESSION', {
      problem: `the expression tree is invalid at ${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`,
      fix: 'Pass a row function such as d => d.x > 3, or a valid Expr tree.'
    });
  }
  return unsupported(
    { text: '' },
    null,
    `a ${input === null ? 'null' : typeof input} is not an expression`,
    'Pass a row function such as d => d.x > 3.'
  );
}
