import type * as acorn from 'acorn';
import {
  EXPR_FUNCTIONS,
  EXPR_FUNCTION_NAMES,
  type Expr,
  type ExprFunction
} from '../protocol/plan';
import {
  ALLOWED_TEXT,
  balancedOr,
  literal,
  nodeCount,
  paramValue,
  propertyName,
  unsupported,
  type Context,
  type Node
} from './context';
import { convert } from './convert';

export const MATH_FUNCTIONS = [
  'abs',
  'round',
  'floor',
  'ceil',
  'log',
  'exp',
  'sqrt',
  'min',
  'max'
] as const;
const STRING_METHODS: Record<string, ExprFunction> = {
  startsWith: 'startsWith',
  endsWith: 'endsWith',
  includes: 'includes',
  toLowerCase: 'lower',
  toUpperCase: 'upper'
};

/** Objects whose members are never readable: `this`, regex literals. */
export function refuseObject(ctx: Context, obj: Node, depth: number): void {
  if (obj.type === 'ThisExpression' || (obj.type === 'Literal' && 'regex' in obj && obj.regex)) {
    convert(ctx, obj, depth);
  }
}

/** Whether `callee.object` is the `op` helper namespace: `op`, or `something.op` after compilation. */
function isOpNamespace(n: Node): boolean {
  if (n.type === 'Identifier') return n.name === 'op';
  return (
    n.type === 'MemberExpression' &&
    !n.computed &&
    n.object.type === 'Identifier' &&
    n.property.type === 'Identifier' &&
    n.property.name === 'op'
  );
}

export function convertCall(ctx: Context, call: acorn.CallExpression, depth: number): Expr {
  for (const a of call.arguments) {
    if (a.type === 'SpreadElement')
      unsupported(ctx, a, 'spread arguments are not allowed', 'List the arguments one by one.');
  }
  const args = call.arguments as acorn.Expression[];
  const callee = call.callee;
  if (callee.type === 'MemberExpression') refuseObject(ctx, callee.object, depth);
  const make = (fn: ExprFunction, argNodes: Node[], argExprs?: Expr[]): Expr => {
    const [min, max] = EXPR_FUNCTIONS[fn];
    const n = argExprs ? argExprs.length : argNodes.length;
    if (n < min || n > max) {
      unsupported(
        ctx,
        call,
        `${fn} takes ${min === max ? min : `${min} to ${max}`} argument(s), not ${n}`,
        ALLOWED_TEXT
      );
    }
    nodeCount(ctx, call);
    return { kind: 'call', fn, args: argExprs ?? argNodes.map(a => convert(ctx, a, depth + 1)) };
  };
  if (callee.type === 'MemberExpression') {
    const name = propertyName(callee);
    const obj = callee.object;
    if (name !== null && obj.type === 'Identifier' && obj.name === 'Math') {
      if ((MATH_FUNCTIONS as readonly string[]).includes(name))
        return make(name as ExprFunction, args);
      unsupported(
        ctx,
        callee,
        `Math.${name} is not available`,
        `Available: ${MATH_FUNCTIONS.map(f => 'Math.' + f).join(', ')}.`
      );
    }
    if (name !== null && isOpNamespace(obj)) {
      if ((EXPR_FUNCTION_NAMES as string[]).includes(name)) return make(name as ExprFunction, args);
      unsupported(
        ctx,
        callee,
        `op.${name} does not exist`,
        `Available: ${EXPR_FUNCTION_NAMES.map(f => 'op.' + f).join(', ')}.`
      );
    }
    if (name === 'includes') {
      // Membership: ["a", "b"].includes(d.x) or $.list.includes(d.x).
      let values: Array<{ node: Node; value?: unknown }> | null = null;
      if (obj.type === 'ArrayExpression') {
        values = obj.elements.map(el => {
          if (el === null || el.type === 'SpreadElement') {
            return unsupported(
              ctx,
              obj,
              'holes and spreads are not allowed in a list',
              'List the values one by one.'
            );
          }
          return { node: el };
        });
      } else if (
        obj.type === 'MemberExpression' &&
        obj.object.type === 'Identifier' &&
        obj.object.name === ctx.paramsName
      ) {
        const v = paramValue(ctx, obj);
        if (Array.isArray(v)) values = v.map(value => ({ node: obj, value }));
      }
      if (values !== null) {
        if (args.length !== 1)
          unsupported(ctx, call, 'includes takes one argument', 'Write [a, b].includes(d.x).');
        if (values.length === 0) return literal(ctx, call, false);
        const needle = convert(ctx, args[0], depth + 2);
        const parts = values.map(v => {
          nodeCount(ctx, v.node);
          const right =
            'value' in v ? literal(ctx, v.node, v.value) : convert(ctx, v.node, depth + 2);
          return { kind: 'binary', op: '==', left: needle, right } as Expr;
        });
        return balancedOr(parts);
      }
    }
    if (name !== null && Object.prototype.hasOwnProperty.call(STRING_METHODS, name)) {
      const fn = STRING_METHODS[name];
      return make(
        fn,
        [],
        [convert(ctx, obj, depth + 1), ...args.map(a => convert(ctx, a, depth + 1))]
      );
    }
    return unsupported(
      ctx,
      call,
      `calling ${name === null ? 'a computed method' : `.${name}()`} is not allowed`,
      ALLOWED_TEXT
    );
  }
  if (callee.type === 'Identifier') {
    return unsupported(ctx, call, `calling ${callee.name}() is not allowed`, ALLOWED_TEXT);
  }
  return unsupported(ctx, call, 'this call is not allowed', ALLOWED_TEXT);
}
