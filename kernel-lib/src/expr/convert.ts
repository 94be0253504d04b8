import type * as acorn from 'acorn';
import { PLAN_LIMITS, type BinaryOp, type Expr } from '../protocol/plan';
import { convertCall, refuseObject } from './calls';
import {
  ALLOWED_TEXT,
  columnRef,
  literal,
  nodeCount,
  paramValue,
  propertyName,
  unsupported,
  type Context,
  type Node
} from './context';
import { refuse } from './refusals';

/**
 * The converter: one visitor per accepted node type, each turning it into an Expr (or refusing a
 * form it cannot take). Node types without a visitor are refused from the table in refusals.ts.
 */
type Visitor<N extends Node> = (ctx: Context, node: N, depth: number) => Expr;
type Visitors = { [T in Node['type']]?: Visitor<Extract<Node, { type: T }>> };

const MATH_CONSTANTS: Record<string, number> = { PI: Math.PI, E: Math.E };

const FORBIDDEN_GLOBALS = new Set([
  'process',
  'globalThis',
  'global',
  'window',
  'self',
  'require',
  'module',
  'exports',
  'eval',
  'Function',
  'fetch',
  'import',
  'Reflect',
  'Proxy',
  'Object',
  'Buffer',
  'setTimeout',
  'setInterval'
]);

const BINARY_OPS: Record<string, BinaryOp> = {
  '===': '==',
  '==': '==',
  '!==': '!=',
  '!=': '!=',
  '<': '<',
  '<=': '<=',
  '>': '>',
  '>=': '>=',
  '+': '+',
  '-': '-',
  '*': '*',
  '/': '/',
  '%': '%'
};

/** Converts one node (at nesting `depth`) into an Expr, or refuses it with advice. */
export function convert(ctx: Context, node: Node, depth: number): Expr {
  if (depth > PLAN_LIMITS.exprDepth)
    unsupported(
      ctx,
      node,
      `the expression is nested more than ${PLAN_LIMITS.exprDepth} levels deep`,
      'Split it into several filter or derive steps.'
    );
  const visit = VISITORS[node.type] as Visitor<Node> | undefined;
  return visit ? visit(ctx, node, depth) : refuse(ctx, node);
}

/** An identifier that is not a column, a param or `undefined`: say what it is and what to do. */
export function identifierProblem(ctx: Context, ident: acorn.Identifier, around?: Node): never {
  let name = ident.name;
  const id = around ?? ident;
  // tslab (CommonJS) turns a cell's top-level `const min = 3` into `exports.min`.
  if (
    name === 'exports' &&
    around?.type === 'MemberExpression' &&
    !around.computed &&
    around.property.type === 'Identifier'
  )
    name = around.property.name;
  if (name === ctx.row)
    unsupported(
      ctx,
      id,
      'the whole row cannot be used as a value',
      `Read a column: ${name}.column.`
    );
  if (name === ctx.paramsName)
    unsupported(
      ctx,
      id,
      'the whole params object cannot be used as a value',
      `Read one param: ${name}.name.`
    );
  if (name === 'NaN' || name === 'Infinity') refuse(ctx, id, 'NonFiniteNumber');
  if (FORBIDDEN_GLOBALS.has(name))
    unsupported(ctx, id, `"${name}" is not available in a query expression`, ALLOWED_TEXT);
  if (/^_[a-z]$/.test(name))
    unsupported(
      ctx,
      id,
      `"${name}" is a temporary variable added by the compiler (for ?. or ?? on an old target)`,
      'Write the null check out: d.x == null ? 0 : d.x.'
    );
  const p = ctx.paramsName ?? '$';
  return unsupported(
    ctx,
    id,
    `"${name}" is a variable from outside the function, which the server cannot see`,
    `Pass outer values with params: .filter((d, ${p}) => d.x > ${p}.${name}, { ${name} }).`
  );
}

/** `d.x` (a column), `$.x` (a param), `Math.PI`, `<string>.length`. */
function member(ctx: Context, node: acorn.MemberExpression, depth: number): Expr {
  const obj = node.object;
  refuseObject(ctx, obj, depth);
  if (obj.type === 'Identifier' && obj.name === ctx.row) return columnRef(ctx, node);
  if (obj.type === 'Identifier' && obj.name === ctx.paramsName) {
    const v = paramValue(ctx, node);
    nodeCount(ctx, node);
    return literal(ctx, node, v);
  }
  const name = propertyName(node);
  if (obj.type === 'Identifier' && obj.name === 'Math' && name !== null && name in MATH_CONSTANTS) {
    nodeCount(ctx, node);
    return { kind: 'lit', value: MATH_CONSTANTS[name] };
  }
  if (name === 'length' && !node.computed) {
    nodeCount(ctx, node);
    return { kind: 'call', fn: 'length', args: [convert(ctx, obj, depth + 1)] };
  }
  if (obj.type === 'Identifier' && obj.name !== ctx.row) identifierProblem(ctx, obj, node);
  return unsupported(
    ctx,
    node,
    `reading ${name === null ? 'a computed property' : `.${name}`} here is not allowed`,
    ALLOWED_TEXT
  );
}

/** `-x`, `!x`; `void 0` is null; `-3` is a literal. */
function unary(ctx: Context, node: acorn.UnaryExpression, depth: number): Expr {
  const arg = node.argument;
  if (node.operator === 'void' && arg.type === 'Literal') {
    nodeCount(ctx, node);
    return { kind: 'lit', value: null };
  }
  if (node.operator === '-' && arg.type === 'Literal' && typeof arg.value === 'number') {
    nodeCount(ctx, node);
    return literal(ctx, node, -arg.value);
  }
  if (node.operator === '-' || node.operator === '!') {
    nodeCount(ctx, node);
    return { kind: 'unary', op: node.operator, arg: convert(ctx, arg, depth + 1) };
  }
  if (node.operator === '+') refuse(ctx, node, 'UnaryPlus');
  return unsupported(ctx, node, `the ${node.operator} operator is not supported`, ALLOWED_TEXT);
}

/** Arithmetic and comparisons; a comparison with null is a null check. */
function binary(ctx: Context, node: acorn.BinaryExpression, depth: number): Expr {
  if (node.operator === '**') refuse(ctx, node, 'ExponentOperator');
  const op = BINARY_OPS[node.operator];
  if (!op)
    return unsupported(ctx, node, `the ${node.operator} operator is not supported`, ALLOWED_TEXT);
  if (node.left.type === 'PrivateIdentifier')
    return unsupported(ctx, node, 'private names are not allowed');
  nodeCount(ctx, node);
  const left = convert(ctx, node.left, depth + 1);
  const right = convert(ctx, node.right, depth + 1);
  if (op === '==' || op === '!=') {
    // Comparing with null (or undefined, void 0, a null param) is a null check.
    const isNull = (e: Expr) => e.kind === 'lit' && e.value === null;
    if (isNull(left) || isNull(right)) {
      const test: Expr = { kind: 'isnull', arg: isNull(right) ? left : right };
      return op === '==' ? test : { kind: 'unary', op: '!', arg: test };
    }
  }
  return { kind: 'binary', op, left, right };
}

/** `&&`, `||`, and `a ?? b` as `isnull(a) ? b : a`. */
function logical(ctx: Context, node: acorn.LogicalExpression, depth: number): Expr {
  nodeCount(ctx, node);
  const left = convert(ctx, node.left, depth + 1);
  const right = convert(ctx, node.right, depth + 1);
  if (node.operator === '??')
    return { kind: 'cond', test: { kind: 'isnull', arg: left }, then: right, else: left };
  return { kind: 'logical', op: node.operator, left, right };
}

const VISITORS: Visitors = {
  Literal: (ctx, node) => {
    if ('regex' in node && node.regex) refuse(ctx, node, 'RegExpLiteral');
    if (typeof node.value === 'bigint' || ('bigint' in node && node.bigint))
      refuse(ctx, node, 'BigIntLiteral');
    nodeCount(ctx, node);
    return literal(ctx, node, node.value);
  },
  TemplateLiteral: (ctx, node) => {
    if (node.expressions.length > 0) refuse(ctx, node, 'TemplateWithExpressions');
    nodeCount(ctx, node);
    return literal(ctx, node, node.quasis[0].value.cooked);
  },
  Identifier: (ctx, node) => {
    if (node.name !== 'undefined') return identifierProblem(ctx, node);
    nodeCount(ctx, node);
    return { kind: 'lit', value: null };
  },
  // d.name?.length: null propagates anyway in the plan's semantics.
  ChainExpression: (ctx, node, depth) => convert(ctx, node.expression, depth),
  MemberExpression: member,
  UnaryExpression: unary,
  BinaryExpression: binary,
  LogicalExpression: logical,
  ConditionalExpression: (ctx, node, depth) => {
    nodeCount(ctx, node);
    return {
      kind: 'cond',
      test: convert(ctx, node.test, depth + 1),
      then: convert(ctx, node.consequent, depth + 1),
      else: convert(ctx, node.alternate, depth + 1)
    };
  },
  // Lazily: calls.ts and this module use each other.
  CallExpression: (ctx, node, depth) => convertCall(ctx, node, depth)
};
