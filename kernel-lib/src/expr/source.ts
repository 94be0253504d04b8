import * as acorn from 'acorn';
import { unsupported } from './context';

/** Longest function source read. */
const MAX_SOURCE_LENGTH = 20000;

type FunctionNode = acorn.ArrowFunctionExpression | acorn.FunctionExpression;

/** Parses `text` as one function (arrow, function expression or method shorthand). */
export function parseFunction(source: string): { fn: FunctionNode; text: string } {
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
export function bodyOf(fn: FunctionNode, text: string): acorn.Expression {
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
