/**
 * The lexical guard of the SQL front end. It reads the text once, before any parser sees it, and
 * refuses what could make the text read differently to a person, to this guard and to the parser:
 * non-ASCII characters outside string literals (look-alike letters, invisible or direction
 * characters), quoted identifiers, prefixed or backslash strings, dollar quoting, nested or
 * unterminated comments, a `;` anywhere but at the very end (or inside a comment), deep nesting.
 *
 * Comments and the final `;` are then blanked out (replaced by spaces, so every offset stays the
 * same): the parser never sees a comment, so nothing can hide in one.
 */
import { SQL_LIMITS } from '../sqlRequest';
import { sqlFail, type SqlMessageArgs, type SqlMessageId } from './refusals';
import { type Span, type SqlSource } from './source';

export type TokenKind = 'ident' | 'number' | 'string' | 'param' | 'punct';

export interface Token extends Span {
  kind: TokenKind;
  /** The text as written. */
  text: string;
  /** Identifiers in upper case (keywords and function names are case-insensitive). */
  upper: string;
  /** The value of a string literal (quotes removed, '' read as '), or the index of a $n param. */
  value?: string | number;
}

export interface Lexed {
  tokens: Token[];
  /** The text the parser reads: comments and the final `;` replaced by spaces. */
  cleaned: string;
}

const PUNCT = [
  '<>',
  '<=',
  '>=',
  '!=',
  '||',
  '::',
  '(',
  ')',
  ',',
  '.',
  '*',
  '+',
  '-',
  '/',
  '%',
  '=',
  '<',
  '>',
  ';'
];
const IDENT_START = /[A-Za-z_]/;
const IDENT_PART = /[A-Za-z0-9_]/;
const NUMBER = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/;
/** Control, format (zero-width, direction), separator and private-use characters. */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Co}\p{Cs}\p{Zl}\p{Zp}]/u;

function codePoint(ch: string): string {
  return 'U+' + ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
}

class Lexer {
  private i = 0;
  private depth = 0;
  readonly tokens: Token[] = [];
  readonly blank: Span[] = [];

  constructor(
    private readonly src: SqlSource,
    private readonly t: string
  ) {}

  private fail<K extends SqlMessageId>(
    start: number,
    end: number,
    id: K,
    ...args: SqlMessageArgs<K>
  ): never {
    return sqlFail(this.src, { start, end }, id, ...args);
  }

  run(): Lexed {
    while (this.i < this.t.length) this.step();
    this.checkParentheses();
    this.checkStatements();
    if (this.tokens.length > SQL_LIMITS.tokens)
      this.fail(this.tokens[SQL_LIMITS.tokens].start, this.t.length, 'tokenCount');
    let cleaned = this.t;
    if (this.blank.length > 0) {
      // One space per UTF-16 unit, newlines kept: every offset and line stays the same.
      const units = this.t.split('');
      for (const b of this.blank)
        for (let k = b.start; k < b.end; k++) if (units[k] !== '\n') units[k] = ' ';
      cleaned = units.join('');
    }
    return { tokens: this.tokens, cleaned };
  }

  private step(): void {
    const t = this.t;
    const c = t[this.i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      this.i++;
      return;
    }
    if (t.startsWith('--', this.i)) return this.lineComment();
    if (t.startsWith('/*', this.i)) return this.blockComment();
    if (c === "'") return this.string();
    if (IDENT_START.test(c)) return this.ident();
    if (/[0-9.]/.test(c) && NUMBER.test(t.slice(this.i, this.i + 400))) return this.number();
    if (c === '$') return this.param();
    const p = PUNCT.find(x => t.startsWith(x, this.i));
    if (p) return this.punct(p);
    this.refuseCharacter(c);
  }

  private push(kind: TokenKind, start: number, end: number, value?: string | number): void {
    const text = this.t.slice(start, end);
    this.tokens.push({ kind, start, end, text, upper: text.toUpperCase(), value });
  }

  private lineComment(): void {
    const start = this.i;
    let end = this.t.indexOf('\n', start);
    if (end < 0) end = this.t.length;
    this.comment(start, end);
  }

  private blockComment(): void {
    const start = this.i;
    const close = this.t.indexOf('*/', start + 2);
    const inner = this.t.indexOf('/*', start + 2);
    if (inner >= 0 && (close < 0 || inner < close)) this.fail(inner, inner + 2, 'commentNesting');
    if (close < 0) this.fail(start, start + 2, 'unterminatedComment');
    this.comment(start, close + 2);
  }

  private comment(start: number, end: number): void {
    const semi = this.t.indexOf(';', start);
    if (semi >= 0 && semi < end) this.fail(semi, semi + 1, 'commentStatement');
    const bad = this.t.slice(start, end).search(INVISIBLE);
    if (bad >= 0) this.invisible(start + bad);
    this.blank.push({ start, end });
    this.i = end;
  }

  private invisible(at: number): never {
    const ch = String.fromCodePoint(this.t.codePointAt(at)!);
    return this.fail(at, at + ch.length, 'invisibleCharacter', codePoint(ch));
  }

  private string(): void {
    const start = this.i;
    let value = '';
    let k = start + 1;
    for (;;) {
      if (k >= this.t.length) this.fail(start, start + 1, 'unterminatedString');
      const ch = this.t[k];
      if (ch === "'") {
        if (this.t[k + 1] === "'") {
          value += "'";
          k += 2;
          continue;
        }
        break;
      }
      if (ch === '\\') this.fail(k, k + 1, 'backslash');
      const full = String.fromCodePoint(this.t.codePointAt(k)!);
      if (INVISIBLE.test(full)) this.invisible(k);
      value += full;
      k += full.length;
    }
    this.push('string', start, k + 1, value);
    this.i = k + 1;
  }

  private ident(): void {
    const start = this.i;
    let k = start + 1;
    while (k < this.t.length && IDENT_PART.test(this.t[k])) k++;
    if (this.t[k] === "'" || this.t[k] === '&')
      this.fail(start, k + 1, 'stringPrefix', this.t.slice(start, k));
    this.push('ident', start, k);
    this.i = k;
  }

  private number(): void {
    const start = this.i;
    const m = NUMBER.exec(this.t.slice(start, start + 400))!;
    const end = start + m[0].length;
    if (end < this.t.length && IDENT_PART.test(this.t[end]))
      this.fail(start, end + 1, 'numberFormat');
    this.push('number', start, end);
    this.i = end;
  }

  private param(): void {
    const start = this.i;
    const m = /^\$([1-9][0-9]{0,3})(?![A-Za-z0-9_$])/.exec(this.t.slice(start, start + 6));
    if (!m) this.fail(start, start + 1, 'dollarQuoting');
    this.push('param', start, start + m[0].length, Number(m[1]));
    this.i = start + m[0].length;
  }

  private punct(p: string): void {
    const start = this.i;
    if (p === '(' && ++this.depth > SQL_LIMITS.parenDepth) this.fail(start, start + 1, 'nesting');
    if (p === ')') this.depth = Math.max(0, this.depth - 1);
    this.push('punct', start, start + p.length);
    this.i = start + p.length;
  }

  private refuseCharacter(c: string): never {
    const at = this.i;
    if (c === '"' || c === '`' || c === '[') {
      const close = c === '[' ? ']' : c;
      const end = this.t.indexOf(close, at + 1);
      this.fail(at, end > at ? end + 1 : at + 1, 'quotedIdentifier');
    }
    if (c === '?' || c === ':' || c === '@') this.fail(at, at + 1, 'placeholderStyle', c);
    const cp = this.t.codePointAt(at)!;
    if (cp > 0x7e) {
      const ch = String.fromCodePoint(cp);
      if (INVISIBLE.test(ch)) this.invisible(at);
      this.fail(at, at + ch.length, 'nonAscii', ch, codePoint(ch));
    }
    if (cp < 0x20 || cp === 0x7f) this.invisible(at);
    this.fail(at, at + 1, 'strayCharacter', c);
  }

  /** Every parenthesis is closed, and closes an open one. */
  private checkParentheses(): void {
    const open: Token[] = [];
    for (const tk of this.tokens) {
      if (tk.text === '(') open.push(tk);
      else if (tk.text === ')' && !open.pop()) this.fail(tk.start, tk.end, 'unopenedParenthesis');
    }
    if (open.length)
      this.fail(open[open.length - 1].start, open[open.length - 1].end, 'unclosedParenthesis');
  }

  /** A `;` may only end the text; it is then blanked. */
  private checkStatements(): void {
    const semis = this.tokens.filter(tk => tk.text === ';');
    if (semis.length === 0) return;
    const last = this.tokens[this.tokens.length - 1];
    const early = semis.find(s => s !== last);
    if (early) {
      const next = this.tokens[this.tokens.indexOf(early) + 1];
      this.fail(early.start, next ? Math.max(early.end, next.end) : early.end, 'severalStatements');
    }
    this.tokens.pop();
    this.blank.push({ start: last.start, end: last.end });
  }
}

/** Tokenizes and guards SQL text (see the module comment). Throws INVALID_SQL with a caret. */
export function lex(src: SqlSource): Lexed {
  if (src.text.trim().length === 0) sqlFail(src, undefined, 'emptyText');
  return new Lexer(src, src.text).run();
}
