import { LomasError, type ErrorCode } from '../errors';

/** A span of SQL text: character offsets, `end` exclusive. */
export interface Span {
  start: number;
  end: number;
}

/** Where an error is in the SQL text, as `details.sql` of the error (1-based lines and columns). */
export interface SqlLocation {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  offset: number;
  length: number;
  /** The offending line with a caret under the span, as shown in the message. */
  excerpt: string;
}

const WINDOW = 100;

/** SQL text with its line table: turns spans into line/column positions and caret excerpts. */
export class SqlSource {
  private readonly lineStarts: number[] = [0];

  constructor(readonly text: string) {
    for (let i = 0; i < text.length; i++) if (text[i] === '\n') this.lineStarts.push(i + 1);
  }

  /** 1-based line and column of an offset. */
  position(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.lineStarts[lo] + 1 };
  }

  /** The span's first line, cut to a window around the span, with carets under it. */
  excerpt(span: Span): string {
    const { line, column } = this.position(span.start);
    const lineStart = this.lineStarts[line - 1];
    const next = this.lineStarts[line] ?? this.text.length + 1;
    const full = this.text
      .slice(lineStart, next - 1)
      .replace(/\r$/, '')
      .replace(/\t/g, ' ');
    let from = 0;
    if (full.length > WINDOW && column > WINDOW / 2) from = column - 1 - WINDOW / 2;
    const shown = full.slice(from, from + WINDOW);
    const caretStart = column - 1 - from;
    const width = Math.max(1, Math.min(span.end - span.start, shown.length - caretStart));
    const prefix = from > 0 ? '…' : '';
    const suffix = from + WINDOW < full.length ? '…' : '';
    return `    ${prefix}${shown}${suffix}\n    ${' '.repeat(prefix.length + caretStart)}${'^'.repeat(width)}`;
  }

  location(span: Span): SqlLocation {
    const a = this.position(span.start);
    const b = this.position(Math.max(span.start, span.end - 1));
    return {
      line: a.line,
      column: a.column,
      endLine: b.line,
      endColumn: b.column,
      offset: span.start,
      length: span.end - span.start,
      excerpt: this.excerpt(span)
    };
  }
}

/**
 * The error `err` placed at a span of the SQL: the same code and facts, the location in
 * `details.sql`, and the message followed by the line and a caret under the span.
 */
export function atSpan(err: LomasError, source: SqlSource, span: Span | undefined): LomasError {
  if (!span) return err;
  const loc = source.location(span);
  const e = new LomasError(err.code, {}, { ...err.details, sql: loc });
  e.message = `${err.message}\n  line ${loc.line}, column ${loc.column}:\n${loc.excerpt}`;
  e.stack = `${e.name} [${e.code}]: ${e.message}`;
  return e;
}

/**
 * A new error of the SQL front end, placed at a span. `rule` names the refusal: it is
 * `details.sqlRule`, and for INVALID_SQL/UNSUPPORTED_SQL also the `rule` the message names.
 */
export function sqlError(
  source: SqlSource,
  span: Span | undefined,
  code: Extract<
    ErrorCode,
    'INVALID_SQL' | 'UNSUPPORTED_SQL' | 'UNSUPPORTED_EXPRESSION' | 'INVALID_PARAMETER'
  >,
  facts: Record<string, string | undefined>,
  rule: string
): LomasError {
  const named = code === 'INVALID_SQL' || code === 'UNSUPPORTED_SQL' ? { rule } : {};
  return atSpan(new LomasError(code, { ...facts, ...named }, { sqlRule: rule }), source, span);
}
