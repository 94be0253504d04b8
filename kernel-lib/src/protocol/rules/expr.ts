import { LomasError } from '../errors';
import type { BinaryExpr, CallExpr, CondExpr, Expr, LogicalExpr, Scalar, UnaryExpr } from '../plan';
import { arithDomain, negDomain, unionDomains } from './domain';
import { FUNCTION_RULES } from './functions';
import { typeMismatch } from './messages';
import { columnOf, type CheckContext } from './scope';
import type { ArithOp, RExpr, ValueType } from './types';

/**
 * Types an expression and gives every node its public domain. The schema has already bounded its
 * depth and size (PLAN_LIMITS.exprDepth, exprNodes), so the recursion here is bounded too.
 */
export function checkExpr(e: Expr, ctx: CheckContext): RExpr {
  switch (e.kind) {
    case 'col': {
      const c = columnOf(ctx, e.name);
      return { k: 'col', name: e.name, type: c.type, dom: c.dom };
    }
    case 'lit':
      return litNode(e.value);
    case 'unary':
      return unary(e, ctx);
    case 'binary':
      return binary(e, ctx);
    case 'logical':
      return logical(e, ctx);
    case 'cond':
      return cond(e, ctx);
    case 'isnull':
      return {
        k: 'isnull',
        arg: checkExpr(e.arg, ctx),
        negate: false,
        type: 'boolean',
        dom: { nullable: false }
      };
    case 'call':
      return call(e, ctx);
  }
}

export const isNumeric = (t: ValueType) => t === 'int' || t === 'float';

/** A short human rendering of an expression for messages. */
export function show(e: Expr): string {
  switch (e.kind) {
    case 'col':
      return e.name;
    case 'lit':
      return JSON.stringify(e.value);
    case 'unary':
      return `${e.op}${show(e.arg)}`;
    case 'binary':
    case 'logical':
      return `(${show(e.left)} ${e.op} ${show(e.right)})`;
    case 'cond':
      return `(${show(e.test)} ? ${show(e.then)} : ${show(e.else)})`;
    case 'isnull':
      return `isnull(${show(e.arg)})`;
    case 'call':
      return `${e.fn}(${e.args.map(show).join(', ')})`;
  }
}

/** `show`, cut to 80 characters. */
export function shown(e: Expr): string {
  const s = show(e);
  return s.length > 80 ? s.slice(0, 77) + '...' : s;
}

function unary(e: UnaryExpr, ctx: CheckContext): RExpr {
  const a = checkExpr(e.arg, ctx);
  if (e.op === '-') {
    if (!isNumeric(a.type)) throw typeMismatch(shown(e.arg), a.type, 'a number for unary -');
    return { k: 'neg', arg: a, type: a.type, dom: negDomain(a.dom, a.type === 'int') };
  }
  if (a.type !== 'boolean') throw typeMismatch(shown(e.arg), a.type, 'a boolean for !');
  return { k: 'not', arg: a, type: 'boolean', dom: { nullable: a.dom.nullable } };
}

const ARITH = new Set(['+', '-', '*', '/', '%']);

function binary(e: BinaryExpr, ctx: CheckContext): RExpr {
  const [l, r] = coerceNulls(checkExpr(e.left, ctx), checkExpr(e.right, ctx));
  return ARITH.has(e.op) ? arith(e, e.op as ArithOp, l, r) : compare(e, l, r);
}

function arith(e: BinaryExpr, op: ArithOp, l: RExpr, r: RExpr): RExpr {
  if (!isNumeric(l.type) || !isNumeric(r.type)) {
    const leftBad = !isNumeric(l.type);
    throw typeMismatch(
      shown(leftBad ? e.left : e.right),
      leftBad ? l.type : r.type,
      `a number for ${op}`,
      op === '+' ? 'String concatenation is not supported in queries.' : undefined
    );
  }
  const type: ValueType =
    op === '/' ? 'float' : l.type === 'int' && r.type === 'int' ? 'int' : 'float';
  return { k: 'arith', op, left: l, right: r, type, dom: arithDomain(op, l.dom, r.dom, type) };
}

/** Comparisons: numbers with numbers, or two values of one type; datetimes with ISO strings. */
function compare(e: BinaryExpr, left: RExpr, right: RExpr): RExpr {
  const [l, r] = coerceDatetime(left, right, show(e));
  const op = e.op as '==' | '!=' | '<' | '<=' | '>' | '>=';
  const ok =
    (isNumeric(l.type) && isNumeric(r.type)) ||
    (l.type === r.type && (l.type === 'string' || l.type === 'boolean' || l.type === 'datetime'));
  if (!ok) throw typeMismatch(shown(e), `${l.type} ${op} ${r.type}`, 'operands of the same type');
  if (op !== '==' && op !== '!=' && l.type === 'boolean')
    throw typeMismatch(shown(e), 'boolean', `an ordered type for ${op}`);
  const dom = { nullable: l.dom.nullable || r.dom.nullable };
  return { k: 'cmp', op, left: l, right: r, type: 'boolean', dom };
}

function logical(e: LogicalExpr, ctx: CheckContext): RExpr {
  const sides = [e.left, e.right].map(src => {
    const x = checkExpr(src, ctx);
    if (x.type !== 'boolean') throw typeMismatch(shown(src), x.type, `a boolean for ${e.op}`);
    return x;
  });
  return {
    k: 'logic',
    op: e.op === '&&' ? 'and' : 'or',
    args: sides,
    type: 'boolean',
    dom: { nullable: sides[0].dom.nullable || sides[1].dom.nullable }
  };
}

/** `test ? then : else`; a NULL test takes the else branch (SQL CASE), as JS treats null as falsy. */
function cond(e: CondExpr, ctx: CheckContext): RExpr {
  const t = checkExpr(e.test, ctx);
  if (t.type !== 'boolean') throw typeMismatch(shown(e.test), t.type, 'a boolean condition');
  const [a, b] = coerceNulls(checkExpr(e.then, ctx), checkExpr(e.else, ctx));
  let type: ValueType;
  if (a.type === b.type) type = a.type;
  else if (isNumeric(a.type) && isNumeric(b.type)) type = 'float';
  else throw typeMismatch(shown(e), `${a.type} and ${b.type}`, 'branches of the same type');
  return { k: 'cond', test: t, then: a, else: b, type, dom: unionDomains(a.dom, b.dom) };
}

function call(e: CallExpr, ctx: CheckContext): RExpr {
  const args = e.args.map(x => checkExpr(x, ctx));
  const rule = Object.prototype.hasOwnProperty.call(FUNCTION_RULES, e.fn)
    ? FUNCTION_RULES[e.fn]
    : undefined;
  // The schema admits only listed functions; a tree built without it is refused the same way.
  if (!rule)
    throw new LomasError('UNSUPPORTED_EXPRESSION', { problem: `unknown function ${String(e.fn)}` });
  const type = rule.check(args);
  if (!/^(int|float|string|boolean|datetime)$/.test(type))
    throw typeMismatch(shown(e), args.map(a => a.type).join(', '), `${type} for ${e.fn}()`);
  const t = type as ValueType;
  return { k: 'call', fn: e.fn, args, type: t, dom: rule.domain(args, t) };
}

// -------------------------------------------------------------------------------------------------
// Nodes
// -------------------------------------------------------------------------------------------------

export function litNode(value: Scalar): RExpr {
  if (value === null)
    return { k: 'lit', value: null, type: 'string', dom: { nullable: true, categories: [] } };
  if (typeof value === 'number') {
    const type: ValueType = Number.isSafeInteger(value) ? 'int' : 'float';
    return { k: 'lit', value, type, dom: { lower: value, upper: value, nullable: false } };
  }
  if (typeof value === 'boolean')
    return { k: 'lit', value, type: 'boolean', dom: { nullable: false } };
  return { k: 'lit', value, type: 'string', dom: { nullable: false, categories: [value] } };
}

/** A null literal takes the type of the other operand. */
function coerceNulls(l: RExpr, r: RExpr): [RExpr, RExpr] {
  const isNullLit = (x: RExpr) => x.k === 'lit' && x.value === null;
  if (isNullLit(l) && !isNullLit(r)) l = { ...l, type: r.type, dom: { nullable: true } };
  if (isNullLit(r) && !isNullLit(l)) r = { ...r, type: l.type, dom: { nullable: true } };
  return [l, r];
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+Z?)?$/;

/** A string literal compared with a datetime becomes a datetime literal (ISO 8601). */
function coerceDatetime(l: RExpr, r: RExpr, where: string): [RExpr, RExpr] {
  const conv = (x: RExpr): RExpr => {
    if (x.k !== 'lit' || typeof x.value !== 'string') return x;
    const ms = Date.parse(x.value);
    if (!ISO_DATE.test(x.value) || !Number.isFinite(ms))
      throw typeMismatch(
        where.length > 80 ? where.slice(0, 77) + '...' : where,
        'string',
        'an ISO date such as "2001-03-01" or "2001-03-01T12:00:00"'
      );
    return {
      k: 'lit',
      value: x.value,
      type: 'datetime',
      dom: { lower: ms, upper: ms, nullable: false }
    };
  };
  if (l.type === 'datetime' && r.type === 'string') return [l, conv(r)];
  if (r.type === 'datetime' && l.type === 'string') return [conv(l), r];
  return [l, r];
}
