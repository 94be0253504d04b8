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
import * as acorn from 'acorn';
import { LomasError } from '../protocol/errors';
import {
  EXPR_FUNCTIONS,
  EXPR_FUNCTION_NAMES,
  ExprSchema,
  NAME_PATTERN,
  PLAN_LIMITS,
  RESERVED_NAMES,
  type BinaryOp,
  type Expr,
  type ExprFunction,
  type Scalar
} from '../protocol/plan';

/** A row as seen by a row function: any column name reads a value. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Row = any;
/** Values that may be passed as params and inlined as literals. */
export type ParamValue = Scalar | Date | undefined | ReadonlyArray<Scalar | Date>;
export type Params = Readonly<Record<string, ParamValue>>;
/** A row function: `d => ...` or `(d, $) => ...` with `$` the params object. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type RowFunction = (d: Row, $: any) => unknown;
/** What query verbs accept as an expression: a row function, its source text, or an Expr tree. */
export type ExprInput = RowFunction | string | Expr;

/** Longest function source read. */
const MAX_SOURCE_LENGTH = 20000;
const SNIPPET_LENGTH = 80;

const MATH_FUNCTIONS = [
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
const MATH_CONSTANTS: Record<string, number> = { PI: Math.PI, E: Math.E };
const STRING_METHODS: Record<string, ExprFunction> = {
  startsWith: 'startsWith',
  endsWith: 'endsWith',
  includes: 'includes',
  toLowerCase: 'lower',
  toUpperCase: 'upper'
};
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
const reserved = new Set(RESERVED_NAMES);

const ALLOWED_TEXT =
  'Use columns (d.x), literals, comparisons, arithmetic, && || !, ?:, null checks (d.x == null), ' +
  'Math.abs/round/floor/ceil/log/exp/sqrt/min/max, .startsWith/.endsWith/.includes/.toLowerCase()/' +
  '.toUpperCase()/.length on strings, and op.year/month/day/hour/weekday(d.date).';

type Node = acorn.AnyNode;
type FunctionNode = acorn.ArrowFunctionExpression | acorn.FunctionExpression;

interface Context {
  text: string;
  row: string | null;
  paramsName: string | null;
  params: Params | undefined;
  nodes: number;
}

function snippetOf(text: string, node: { start: number; end: number } | null): string | undefined {
  if (!node) return undefined;
  const s = text.slice(node.start, node.end).replace(/\s+/g, ' ').trim();
  return s.length > SNIPPET_LENGTH ? s.slice(0, SNIPPET_LENGTH - 1) + '…' : s;
}

function unsupported(
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

/** Parses `text` as one function (arrow, function expression or method shorthand). */
function parseFunction(source: string): { fn: FunctionNode; text: string } {
  const src = source.trim();
  const none = { text: src };
  if (src.length > MAX_SOURCE_LENGTH) {
    unsupported(
      none,
      null,
      `the function is longer than ${MAX_SOURCE_LENGTH} characters`,
      'Split it into several steps.'
    );
  }
  if (/\[native code\]\s*\}\s*$/.test(src)) {
    unsupported(
      none,
      null,
      'this is a built-in or bound function, whose source cannot be read',
      'Write the expression as an arrow function: d => Math.abs(d.x) > 1.'
    );
  }
  // `(src)` reads arrows and function expressions; `({src})` reads method shorthand `f(d) {...}`.
  for (const [text, method] of [
    [`(${src}\n)`, false],
    [`({${src}\n})`, true]
  ] as const) {
    let program: acorn.Program;
    try {
      program = acorn.parse(text, { ecmaVersion: 'latest', sourceType: 'script' });
    } catch (e) {
      if (e instanceof RangeError) {
        unsupported(
          none,
          null,
          'the expression is nested too deeply',
          'Simplify it or split it into several steps.'
        );
      }
      continue;
    }
    const stmt = program.body.length === 1 ? program.body[0] : null;
    if (!stmt || stmt.type !== 'ExpressionStatement') continue;
    const e = stmt.expression;
    if (!method && (e.type === 'ArrowFunctionExpression' || e.type === 'FunctionExpression')) {
      return { fn: e, text };
    }
    if (method && e.type === 'ObjectExpression' && e.properties.length === 1) {
      const p = e.properties[0];
      if (p.type === 'Property' && p.value.type === 'FunctionExpression')
        return { fn: p.value, text };
    }
    if (!method) {
      unsupported(
        { text },
        e,
        'this is not a single function',
        'Pass a row function such as d => d.x > 3.'
      );
    }
  }
  return unsupported(
    none,
    { start: 0, end: src.length },
    'the function source could not be parsed',
    'Pass a row function such as d => d.x > 3.'
  );
}

/** The expression a function returns. */
function bodyOf(fn: FunctionNode, text: string): acorn.Expression {
  const ctx = { text };
  if (fn.async)
    unsupported(
      ctx,
      fn,
      'async functions are not allowed',
      'Remove async: expressions are evaluated on the server, row by row.'
    );
  if (fn.generator)
    unsupported(ctx, fn, 'generator functions are not allowed', 'Write d => <expression>.');
  if (fn.params.length > 2) {
    unsupported(
      ctx,
      fn,
      'a row function takes the row and, optionally, the params object',
      'Write d => ... or (d, $) => ... with values in $.'
    );
  }
  for (const p of fn.params) {
    if (p.type !== 'Identifier') {
      unsupported(
        ctx,
        p,
        'destructuring, default values and rest parameters are not supported',
        'Write d => d.x instead of ({ x }) => x.'
      );
    }
  }
  if (fn.body.type !== 'BlockStatement') return fn.body;
  const stmts = fn.body.body.filter(s => s.type !== 'EmptyStatement');
  const only = stmts.length === 1 ? stmts[0] : null;
  if (!only || only.type !== 'ReturnStatement' || !only.argument) {
    return unsupported(
      ctx,
      fn.body,
      'a function body may only contain one return statement',
      'Write d => <expression>, e.g. d => d.x > 3 && d.y < 2.'
    );
  }
  return only.argument;
}

/** Property name of `a.b`, `a["b"]` or a`[\`b\`]`; null for computed access with anything else. */
function propertyName(m: acorn.MemberExpression): string | null {
  if (!m.computed) return m.property.type === 'Identifier' ? m.property.name : null;
  const p = m.property;
  if (p.type === 'Literal' && typeof p.value === 'string') return p.value;
  if (p.type === 'TemplateLiteral' && p.expressions.length === 0)
    return p.quasis[0].value.cooked ?? null;
  return null;
}

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

function literal(ctx: Context, node: Node, value: unknown): Expr {
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

function paramValue(ctx: Context, m: acorn.MemberExpression): ParamValue {
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

function columnRef(ctx: Context, m: acorn.MemberExpression): Expr {
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

function nodeCount(ctx: Context, node: Node): void {
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
function balancedOr(parts: Expr[]): Expr {
  if (parts.length === 1) return parts[0];
  const mid = Math.ceil(parts.length / 2);
  return {
    kind: 'logical',
    op: '||',
    left: balancedOr(parts.slice(0, mid)),
    right: balancedOr(parts.slice(mid))
  };
}

function identifierProblem(ctx: Context, ident: acorn.Identifier, around?: Node): never {
  let name = ident.name;
  const id = around ?? ident;
  // tslab (CommonJS) turns a cell's top-level `const min = 3` into `exports.min`.
  if (
    name === 'exports' &&
    around?.type === 'MemberExpression' &&
    !around.computed &&
    around.property.type === 'Identifier'
  ) {
    name = around.property.name;
  }
  if (name === ctx.row) {
    unsupported(
      ctx,
      id,
      'the whole row cannot be used as a value',
      `Read a column: ${name}.column.`
    );
  }
  if (name === ctx.paramsName) {
    unsupported(
      ctx,
      id,
      'the whole params object cannot be used as a value',
      `Read one param: ${name}.name.`
    );
  }
  if (name === 'NaN' || name === 'Infinity')
    unsupported(ctx, id, 'numbers must be finite', 'Use a finite number.');
  if (FORBIDDEN_GLOBALS.has(name)) {
    unsupported(ctx, id, `"${name}" is not available in a query expression`, ALLOWED_TEXT);
  }
  if (/^_[a-z]$/.test(name)) {
    unsupported(
      ctx,
      id,
      `"${name}" is a temporary variable added by the compiler (for ?. or ?? on an old target)`,
      'Write the null check out: d.x == null ? 0 : d.x.'
    );
  }
  const p = ctx.paramsName ?? '$';
  return unsupported(
    ctx,
    id,
    `"${name}" is a variable from outside the function, which the server cannot see`,
    `Pass outer values with params: .filter((d, ${p}) => d.x > ${p}.${name}, { ${name} }).`
  );
}

/** Objects whose members are never readable: `this`, regex literals. */
function refuseObject(ctx: Context, obj: Node, depth: number): void {
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

function convertCall(ctx: Context, call: acorn.CallExpression, depth: number): Expr {
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

function convert(ctx: Context, node: Node, depth: number): Expr {
  if (depth > PLAN_LIMITS.exprDepth) {
    unsupported(
      ctx,
      node,
      `the expression is nested more than ${PLAN_LIMITS.exprDepth} levels deep`,
      'Split it into several filter or derive steps.'
    );
  }
  switch (node.type) {
    case 'Literal': {
      if ('regex' in node && node.regex) {
        unsupported(
          ctx,
          node,
          'regular expressions are not supported',
          'Use .startsWith(), .endsWith() or .includes().'
        );
      }
      if (typeof node.value === 'bigint' || ('bigint' in node && node.bigint)) {
        unsupported(ctx, node, 'BigInt literals are not supported', 'Use an ordinary number.');
      }
      nodeCount(ctx, node);
      return literal(ctx, node, node.value);
    }
    case 'TemplateLiteral': {
      if (node.expressions.length > 0) {
        unsupported(
          ctx,
          node,
          'template strings with ${…} run code',
          'Compare with a plain string, or pass the value with params.'
        );
      }
      nodeCount(ctx, node);
      return literal(ctx, node, node.quasis[0].value.cooked);
    }
    case 'Identifier':
      if (node.name === 'undefined') {
        nodeCount(ctx, node);
        return { kind: 'lit', value: null };
      }
      return identifierProblem(ctx, node);
    case 'ThisExpression':
      return unsupported(
        ctx,
        node,
        '"this" is not available in a query expression',
        `Read columns from the row: ${ctx.row ?? 'd'}.x.`
      );
    case 'ChainExpression':
      // d.name?.length: null propagates anyway in the plan's semantics.
      return convert(ctx, node.expression, depth);
    case 'MemberExpression': {
      const obj = node.object;
      refuseObject(ctx, obj, depth);
      if (obj.type === 'Identifier' && obj.name === ctx.row) return columnRef(ctx, node);
      if (obj.type === 'Identifier' && obj.name === ctx.paramsName) {
        const v = paramValue(ctx, node);
        nodeCount(ctx, node);
        return literal(ctx, node, v);
      }
      const name = propertyName(node);
      if (
        obj.type === 'Identifier' &&
        obj.name === 'Math' &&
        name !== null &&
        name in MATH_CONSTANTS
      ) {
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
    case 'UnaryExpression': {
      if (node.operator === 'void' && node.argument.type === 'Literal') {
        nodeCount(ctx, node);
        return { kind: 'lit', value: null };
      }
      if (
        node.operator === '-' &&
        node.argument.type === 'Literal' &&
        typeof node.argument.value === 'number'
      ) {
        nodeCount(ctx, node);
        return literal(ctx, node, -node.argument.value);
      }
      if (node.operator === '-' || node.operator === '!') {
        nodeCount(ctx, node);
        return { kind: 'unary', op: node.operator, arg: convert(ctx, node.argument, depth + 1) };
      }
      if (node.operator === '+') {
        unsupported(
          ctx,
          node,
          'unary + converts types',
          'Use the column as it is; numbers are already numbers.'
        );
      }
      return unsupported(ctx, node, `the ${node.operator} operator is not supported`, ALLOWED_TEXT);
    }
    case 'BinaryExpression': {
      const opName = node.operator;
      if (opName === '**') {
        unsupported(
          ctx,
          node,
          'the ** operator is not supported',
          'Multiply (d.x * d.x) or use Math.exp(b * Math.log(a)).'
        );
      }
      const mapped = BINARY_OPS[opName];
      if (!mapped)
        return unsupported(ctx, node, `the ${opName} operator is not supported`, ALLOWED_TEXT);
      if (node.left.type === 'PrivateIdentifier')
        return unsupported(ctx, node, 'private names are not allowed');
      nodeCount(ctx, node);
      const left = convert(ctx, node.left, depth + 1);
      const right = convert(ctx, node.right, depth + 1);
      if (mapped === '==' || mapped === '!=') {
        // Comparing with null (or undefined, void 0, a null param) is a null check.
        const isNull = (e: Expr) => e.kind === 'lit' && e.value === null;
        if (isNull(left) || isNull(right)) {
          const test: Expr = { kind: 'isnull', arg: isNull(right) ? left : right };
          return mapped === '==' ? test : { kind: 'unary', op: '!', arg: test };
        }
      }
      return { kind: 'binary', op: mapped, left, right };
    }
    case 'LogicalExpression': {
      nodeCount(ctx, node);
      if (node.operator === '??') {
        // a ?? b  →  isnull(a) ? b : a
        const left = convert(ctx, node.left, depth + 1);
        return {
          kind: 'cond',
          test: { kind: 'isnull', arg: left },
          then: convert(ctx, node.right, depth + 1),
          else: left
        };
      }
      return {
        kind: 'logical',
        op: node.operator,
        left: convert(ctx, node.left, depth + 1),
        right: convert(ctx, node.right, depth + 1)
      };
    }
    case 'ConditionalExpression':
      nodeCount(ctx, node);
      return {
        kind: 'cond',
        test: convert(ctx, node.test, depth + 1),
        then: convert(ctx, node.consequent, depth + 1),
        else: convert(ctx, node.alternate, depth + 1)
      };
    case 'CallExpression':
      return convertCall(ctx, node, depth);
    case 'NewExpression':
      return unsupported(
        ctx,
        node,
        '"new" is not allowed',
        'Pass dates and other values with params: (d, $) => d.t > $.since, { since: new Date(...) }.'
      );
    case 'AssignmentExpression':
    case 'UpdateExpression':
      return unsupported(
        ctx,
        node,
        'assignments are not allowed: a query expression only reads values',
        'Compare with === instead of =, and use derive to add columns.'
      );
    case 'SequenceExpression':
      return unsupported(
        ctx,
        node,
        'the comma operator is not allowed',
        'Write a single expression.'
      );
    case 'ArrowFunctionExpression':
    case 'FunctionExpression':
    case 'ClassExpression':
      return unsupported(
        ctx,
        node,
        'functions and classes cannot be nested in an expression',
        'Write a single expression.'
      );
    case 'AwaitExpression':
    case 'YieldExpression':
      return unsupported(
        ctx,
        node,
        `${node.type === 'AwaitExpression' ? 'await' : 'yield'} is not allowed`,
        'Write a plain expression.'
      );
    case 'TaggedTemplateExpression':
      return unsupported(ctx, node, 'tagged templates run code', 'Use a plain string.');
    case 'ArrayExpression':
      return unsupported(
        ctx,
        node,
        'a list can only be used as [a, b].includes(d.x)',
        'Write ["a", "b"].includes(d.x).'
      );
    case 'ObjectExpression':
      return unsupported(
        ctx,
        node,
        'objects cannot be used as values',
        'Use strings, numbers, booleans or null.'
      );
    case 'SpreadElement':
      return unsupported(ctx, node, 'spread is not allowed', 'List values one by one.');
    default:
      return unsupported(ctx, node, `${node.type} is not supported`, ALLOWED_TEXT);
  }
}

/** Converts the source of a row function into an Expr. */
export function parseRowFunction(source: string, params?: Params): Expr {
  const { fn, text } = parseFunction(source);
  const body = bodyOf(fn, text);
  const names = fn.params.map(p => (p as acorn.Identifier).name);
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
