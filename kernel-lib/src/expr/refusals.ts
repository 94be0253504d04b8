import { ALLOWED_TEXT, unsupported, type Context, type Node } from './context';

/**
 * Syntax a query expression never accepts, one entry each (as arquero's expression parser does):
 * what is wrong, and what to write instead. The converter (convert.ts) visits only the node types
 * it knows; every other type lands here, or on the generic refusal.
 */
type Refusal = readonly [problem: string, fix: string];

const ASSIGNMENT: Refusal = [
  'assignments are not allowed: a query expression only reads values',
  'Compare with === instead of =, and use derive to add columns.'
];
const NESTED_FUNCTION: Refusal = [
  'functions and classes cannot be nested in an expression',
  'Write a single expression.'
];

const REFUSALS: Record<string, Refusal | ((ctx: Context) => Refusal)> = {
  ThisExpression: ctx => [
    '"this" is not available in a query expression',
    `Read columns from the row: ${ctx.row ?? 'd'}.x.`
  ],
  NewExpression: [
    '"new" is not allowed',
    'Pass dates and other values with params: (d, $) => d.t > $.since, { since: new Date(...) }.'
  ],
  AssignmentExpression: ASSIGNMENT,
  UpdateExpression: ASSIGNMENT,
  SequenceExpression: ['the comma operator is not allowed', 'Write a single expression.'],
  ArrowFunctionExpression: NESTED_FUNCTION,
  FunctionExpression: NESTED_FUNCTION,
  ClassExpression: NESTED_FUNCTION,
  AwaitExpression: ['await is not allowed', 'Write a plain expression.'],
  YieldExpression: ['yield is not allowed', 'Write a plain expression.'],
  TaggedTemplateExpression: ['tagged templates run code', 'Use a plain string.'],
  ArrayExpression: [
    'a list can only be used as [a, b].includes(d.x)',
    'Write ["a", "b"].includes(d.x).'
  ],
  ObjectExpression: ['objects cannot be used as values', 'Use strings, numbers, booleans or null.'],
  SpreadElement: ['spread is not allowed', 'List values one by one.'],
  RegExpLiteral: [
    'regular expressions are not supported',
    'Use .startsWith(), .endsWith() or .includes().'
  ],
  BigIntLiteral: ['BigInt literals are not supported', 'Use an ordinary number.'],
  TemplateWithExpressions: [
    'template strings with ${…} run code',
    'Compare with a plain string, or pass the value with params.'
  ],
  ExponentOperator: [
    'the ** operator is not supported',
    'Multiply (d.x * d.x) or use Math.exp(b * Math.log(a)).'
  ],
  UnaryPlus: ['unary + converts types', 'Use the column as it is; numbers are already numbers.'],
  NonFiniteNumber: ['numbers must be finite', 'Use a finite number.']
};

/** Refuses `node` under the table's entry `kind` (its node type by default). Never returns. */
export function refuse(ctx: Context, node: Node, kind: string = node.type): never {
  const entry = REFUSALS[kind];
  if (entry === undefined) return unsupported(ctx, node, `${kind} is not supported`, ALLOWED_TEXT);
  const [problem, fix] = typeof entry === 'function' ? entry(ctx) : entry;
  return unsupported(ctx, node, problem, fix);
}
