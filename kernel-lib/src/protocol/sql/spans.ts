/**
 * Where each AST node is in the text. node-sql-parser gives locations for some nodes only, so the
 * spans come from the guard's own tokens: the walk below visits the statement in source order and
 * matches each leaf (name, number, string, parameter, keyword) to the next token of that value;
 * a compound node spans its parts (a call: its name to its closing parenthesis).
 *
 * A node this walk does not know gets the parser's location, if any; it is refused anyway.
 */
import type { Token } from './lexer';
import type { AstNode } from './parser';
import type { Span } from './source';

export type SpanMap = WeakMap<object, Span>;

function isNode(v: unknown): v is AstNode {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function join(a: Span | undefined, b: Span | undefined): Span | undefined {
  if (!a) return b;
  if (!b) return a;
  return { start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) };
}

/** The last part of a function name, as written (node-sql-parser nests it). */
export function functionName(n: AstNode): string {
  const name = n.name as unknown;
  if (typeof name === 'string') return name.toUpperCase();
  const parts = (isNode(name) ? name.name : undefined) as Array<{ value?: unknown }> | undefined;
  const last = Array.isArray(parts) ? parts[parts.length - 1]?.value : undefined;
  return typeof last === 'string' ? last.toUpperCase() : '';
}

/** The name of a column reference, or undefined (`*`, quoted forms). */
export function columnName(n: AstNode): string | undefined {
  const c = n.column as unknown;
  if (typeof c === 'string') return c === '*' ? undefined : c;
  const e = isNode(c) ? (c.expr as unknown) : undefined;
  return isNode(e) && e.type === 'default' && typeof e.value === 'string' ? e.value : undefined;
}

export class SpanWalker {
  private cursor = 0;
  readonly spans: SpanMap = new WeakMap();
  /** String literal nodes → their decoded text, from the guard's token. */
  readonly strings = new WeakMap<object, string>();
  private readonly match: number[] = [];

  constructor(private readonly tokens: readonly Token[]) {
    const stack: number[] = [];
    tokens.forEach((t, i) => {
      if (t.text === '(') stack.push(i);
      else if (t.text === ')' && stack.length) this.match[stack.pop()!] = i;
    });
  }

  /** The next token (from the cursor) that satisfies `pred`; moves the cursor past it. */
  private take(pred: (t: Token) => boolean): Token | undefined {
    for (let i = this.cursor; i < this.tokens.length; i++)
      if (pred(this.tokens[i])) {
        this.cursor = i + 1;
        return this.tokens[i];
      }
    return undefined;
  }

  /** A keyword (upper case) from the cursor. */
  keyword(word: string): Token | undefined {
    return this.take(t => t.kind === 'ident' && t.upper === word);
  }

  /** Matching `)` of the `(` right after the cursor; the cursor stays inside. */
  private openParen(): { open?: Token; close?: Token } {
    const i = this.cursor;
    if (this.tokens[i]?.text !== '(') return {};
    this.cursor = i + 1;
    const j = this.match[i];
    return { open: this.tokens[i], close: j !== undefined ? this.tokens[j] : undefined };
  }

  private closeAt(close: Token | undefined): void {
    if (close) this.cursor = Math.max(this.cursor, this.tokens.indexOf(close) + 1);
  }

  private set(n: AstNode, s: Span | undefined): Span | undefined {
    if (s) this.spans.set(n, s);
    return s;
  }

  /** Span of an expression node, assigning spans to its parts on the way. */
  node(v: unknown): Span | undefined {
    if (Array.isArray(v))
      return v.reduce<Span | undefined>((s, x) => join(s, this.node(x)), undefined);
    if (!isNode(v)) return undefined;
    const n = v;
    switch (n.type) {
      case 'column_ref':
        return this.set(n, this.columnRef(n));
      case 'number':
      case 'bigint':
        return this.set(n, this.number(n));
      case 'single_quote_string':
      case 'string': {
        // The parser keeps '' inside its value; the guard's token holds the decoded text, which
        // is the value the compiler uses (so both readers must agree on where the string is).
        const tok = this.take(
          t => t.kind === 'string' && (t.text.slice(1, -1) === n.value || t.value === n.value)
        );
        if (tok) this.strings.set(n, tok.value as string);
        return this.set(n, tok);
      }
      case 'bool':
        return this.set(n, this.keyword(n.value ? 'TRUE' : 'FALSE'));
      case 'null':
        return this.set(n, this.keyword('NULL'));
      case 'var':
        return this.set(
          n,
          this.take(t => t.kind === 'param' && t.value === n.name)
        );
      case 'star':
        return this.set(
          n,
          this.take(t => t.text === '*')
        );
      case 'unary_expr':
        return this.set(n, this.unary(n));
      case 'binary_expr': {
        const l = this.node(n.left);
        return this.set(n, join(l, this.node(n.right)));
      }
      case 'expr_list':
        return this.set(n, this.node(n.value));
      case 'function':
      case 'aggr_func':
        return this.set(n, this.call(n));
      case 'case':
        return this.set(n, this.caseExpr(n));
      case 'cast':
        return this.set(n, this.cast(n));
      default:
        return this.set(n, parserLocation(n));
    }
  }

  private columnRef(n: AstNode): Span | undefined {
    const table = typeof n.table === 'string' ? n.table : undefined;
    const name = columnName(n);
    const first = table ? this.take(t => t.kind === 'ident' && t.text === table) : undefined;
    const col =
      name === undefined
        ? this.take(t => t.text === '*')
        : this.take(t => t.kind === 'ident' && t.text === name);
    return join(first, col);
  }

  private number(n: AstNode): Span | undefined {
    const value = Number(n.value);
    const tok = this.take(t => t.kind === 'number' && Number(t.text) === Math.abs(value));
    if (!tok) return undefined;
    const i = this.tokens.indexOf(tok);
    const minus = value < 0 && this.tokens[i - 1]?.text === '-' ? this.tokens[i - 1] : undefined;
    return join(minus, tok);
  }

  private unary(n: AstNode): Span | undefined {
    const op = String(n.operator).toUpperCase();
    const tok = op === 'NOT' ? this.keyword('NOT') : this.take(t => t.text === op);
    return join(tok, this.node(n.expr));
  }

  private call(n: AstNode): Span | undefined {
    const name = functionName(n);
    const nameTok = name === 'NOT' ? this.keyword('NOT') : this.keyword(name);
    const { close } = this.openParen();
    const args = n.args as AstNode | undefined;
    if (isNode(args)) {
      if (args.type === 'expr_list') this.set(args, this.node(args.value));
      else this.node(args.expr);
    }
    this.closeAt(close);
    let end: Span | undefined = close ?? nameTok;
    const within = n.within_group_orderby;
    if (Array.isArray(within)) {
      this.keyword('WITHIN');
      this.keyword('GROUP');
      const inner = this.openParen();
      for (const o of within) if (isNode(o)) this.node(o.expr);
      this.closeAt(inner.close);
      end = inner.close ?? end;
    }
    return join(nameTok, end);
  }

  /** CAST(x AS t) or x::t (refused, but shown). */
  private cast(n: AstNode): Span | undefined {
    const start = this.tokens[this.cursor]?.upper === 'CAST' ? this.keyword('CAST') : undefined;
    if (start) {
      const { close } = this.openParen();
      this.closeAt(close);
      return join(start, close);
    }
    const x = this.node(n.expr);
    const colons = this.take(t => t.text === '::');
    const type = colons ? this.take(t => t.kind === 'ident') : undefined;
    return join(x, type ?? colons);
  }

  private caseExpr(n: AstNode): Span | undefined {
    const start = this.keyword('CASE');
    this.node(n.expr);
    for (const a of (n.args as unknown[]) ?? []) {
      if (!isNode(a)) continue;
      const kw = this.keyword(a.type === 'else' ? 'ELSE' : 'WHEN');
      const cond = a.type === 'when' ? this.node(a.cond) : undefined;
      const res = this.node(a.result);
      this.set(a, join(join(kw, cond), res));
    }
    return join(start, this.keyword('END'));
  }

  /** Moves the cursor past a clause keyword pair (e.g. GROUP BY) and returns its span. */
  clause(...words: string[]): Span | undefined {
    let s: Span | undefined;
    for (const w of words) s = join(s, this.keyword(w));
    return s;
  }

  /** An alias after an expression (`AS name` or `name`). */
  alias(name: string): Span | undefined {
    return this.take(t => t.kind === 'ident' && t.text === name);
  }
}

function parserLocation(n: AstNode): Span | undefined {
  const loc = n.loc as { start?: { offset?: number }; end?: { offset?: number } } | undefined;
  const s = loc?.start?.offset;
  const e = loc?.end?.offset;
  return typeof s === 'number' && typeof e === 'number' && e > s ? { start: s, end: e } : undefined;
}
