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
import { sqlError, type Span, type SqlSource } from './source';

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

  private fail(start: number, end: number, rule: string, problem: string, fix: string): never {
    throw sqlError(this.src, { start, end }, 'INVALID_SQL', { problem, fix }, rule);
  }

  run(): Lexed {
    while (this.i < this.t.length) this.step();
    this.checkParentheses();
    this.checkStatements();
    if (this.tokens.length > SQL_LIMITS.tokens)
      this.fail(
        this.tokens[SQL_LIMITS.tokens].start,
        this.t.length,
        'token-count',
        `the text has more than ${SQL_LIMITS.tokens} tokens`,
        'Write a shorter query.'
      );
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
    if (inner >= 0 && (close < 0 || inner < close))
      this.fail(
        inner,
        inner + 2,
        'comment-nesting',
        'a comment opens inside another comment',
        'SQL dialects disagree on nested comments, so the text could hide a statement; remove the inner "/*".'
      );
    if (close < 0)
      this.fail(
        start,
        start + 2,
        'unterminated-comment',
        'this comment is never closed',
        'Close it with "*/".'
      );
    this.comment(start, close + 2);
  }

  private comment(start: number, end: number): void {
    const semi = this.t.indexOf(';', start);
    if (semi >= 0 && semi < end)
      this.fail(
        semi,
        semi + 1,
        'comment-statement',
        'a comment holds a ";"',
        'Comments may not contain a statement separator, so that no second statement can hide in one; remove the ";".'
      );
    const bad = this.t.slice(start, end).search(INVISIBLE);
    if (bad >= 0) this.invisible(start + bad);
    this.blank.push({ start, end });
    this.i = end;
  }

  private invisible(at: number): never {
    const ch = String.fromCodePoint(this.t.codePointAt(at)!);
    return this.fail(
      at,
      at + ch.length,
      'invisible-characters',
      `an invisible or control character (${codePoint(ch)}) is in the text`,
      'Such characters (zero-width, direction marks, controls) can make the text read differently from what is compiled; delete it.'
    );
  }

  private string(): void {
    const start = this.i;
    let value = '';
    let k = start + 1;
    for (;;) {
      if (k >= this.t.length)
        this.fail(
          start,
          start + 1,
          'unterminated-string',
          'this string is never closed',
          "Close it with '."
        );
      const ch = this.t[k];
      if (ch === "'") {
        if (this.t[k + 1] === "'") {
          value += "'";
          k += 2;
          continue;
        }
        break;
      }
      if (ch === '\\')
        this.fail(
          k,
          k + 1,
          'backslash',
          'a string holds a backslash',
          "SQL dialects disagree on backslash escapes, so the string could end elsewhere than it seems; write a quote as '' and avoid backslashes."
        );
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
      this.fail(
        start,
        k + 1,
        'string-prefix',
        `a string literal has the prefix "${this.t.slice(start, k)}"`,
        "Write plain strings in single quotes: 'text' (no E'', N'', U&'' or X'' forms)."
      );
    this.push('ident', start, k);
    this.i = k;
  }

  private number(): void {
    const start = this.i;
    const m = NUMBER.exec(this.t.slice(start, start + 400))!;
    const end = start + m[0].length;
    if (end < this.t.length && IDENT_PART.test(this.t[end]))
      this.fail(
        start,
        end + 1,
        'number-format',
        'a number runs into letters',
        'Write decimal numbers such as 42, 0.5 or 1e-3, separated from names by a space or an operator.'
      );
    this.push('number', start, end);
    this.i = end;
  }

  private param(): void {
    const start = this.i;
    const m = /^\$([1-9][0-9]{0,3})(?![A-Za-z0-9_$])/.exec(this.t.slice(start, start + 6));
    if (!m)
      this.fail(
        start,
        start + 1,
        'dollar-quoting',
        'a "$" that is not a parameter $1, $2, …',
        'Dollar-quoted strings are not supported; write strings in single quotes, parameters as $1, $2, ….'
      );
    this.push('param', start, start + m[0].length, Number(m[1]));
    this.i = start + m[0].length;
  }

  private punct(p: string): void {
    const start = this.i;
    if (p === '(' && ++this.depth > SQL_LIMITS.parenDepth)
      this.fail(
        start,
        start + 1,
        'nesting',
        `parentheses are nested deeper than ${SQL_LIMITS.parenDepth} levels`,
        'Simplify the expression.'
      );
    if (p === ')') this.depth = Math.max(0, this.depth - 1);
    this.push('punct', start, start + p.length);
    this.i = start + p.length;
  }

  private refuseCharacter(c: string): never {
    const at = this.i;
    if (c === '"' || c === '`' || c === '[') {
      const close = c === '[' ? ']' : c;
      const end = this.t.indexOf(close, at + 1);
      this.fail(
        at,
        end > at ? end + 1 : at + 1,
        'quoted-identifier',
        'a quoted identifier',
        'Write column and dataset names without quotes (they are letters, digits and _); write text values in single quotes.'
      );
    }
    if (c === '?' || c === ':' || c === '@')
      this.fail(
        at,
        at + 1,
        'placeholder-style',
        `"${c}" is not a parameter`,
        'Write parameters as $1, $2, … (in a notebook: lomas.sql`… ${value} …`).'
      );
    const cp = this.t.codePointAt(at)!;
    if (cp > 0x7e) {
      const ch = String.fromCodePoint(cp);
      if (INVISIBLE.test(ch)) this.invisible(at);
      this.fail(
        at,
        at + ch.length,
        'ascii-only',
        `the character "${ch}" (${codePoint(ch)}) is outside a string literal`,
        'Names and keywords are plain ASCII, so that look-alike letters cannot make the text read differently from what is compiled; only string literals may hold other characters.'
      );
    }
    if (cp < 0x20 || cp === 0x7f) this.invisible(at);
    this.fail(
      at,
      at + 1,
      'character',
      `the character "${c}" has no meaning here`,
      'Lomas SQL uses + - * / %, comparisons (= <> != < <= > >=), AND, OR, NOT and parentheses.'
    );
  }

  /** Every parenthesis is closed, and closes an open one. */
  private checkParentheses(): void {
    const open: Token[] = [];
    for (const tk of this.tokens) {
      if (tk.text === '(') open.push(tk);
      else if (tk.text === ')' && !open.pop())
        this.fail(
          tk.start,
          tk.end,
          'parentheses',
          'this parenthesis closes nothing',
          'Remove it, or open it where it belongs.'
        );
    }
    if (open.length)
      this.fail(
        open[open.length - 1].start,
        open[open.length - 1].end,
        'parentheses',
        'this parenthesis is never closed',
        'Close it with ")".'
      );
  }

  /** A `;` may only end the text; it is then blanked. */
  private checkStatements(): void {
    const semis = this.tokens.filter(tk => tk.text === ';');
    if (semis.length === 0) return;
    const last = this.tokens[this.tokens.length - 1];
    const early = semis.find(s => s !== last);
    if (early) {
      const next = this.tokens[this.tokens.indexOf(early) + 1];
      this.fail(
        early.start,
        next ? Math.max(early.end, next.end) : early.end,
        'one-statement',
        'the text holds more than one statement',
        'Send one SELECT per request, without a second statement after ";".'
      );
    }
    this.tokens.pop();
    this.blank.push({ start: last.start, end: last.end });
  }
}

/** Tokenizes and guards SQL text (see the module comment). Throws INVALID_SQL with a caret. */
export function lex(src: SqlSource): Lexed {
  if (src.text.trim().length === 0)
    throw sqlError(
      src,
      undefined,
      'INVALID_SQL',
      { problem: 'the text is empty', fix: 'Write a SELECT statement.' },
      'empty'
    );
  return new Lexer(src, src.text).run();
}
