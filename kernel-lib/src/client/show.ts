import {
  Display,
  displaysOf,
  escapeHtml,
  isDisplayable,
  MIME_BUNDLE,
  type MimeBundle
} from './display';

interface TableLike {
  toHTML(options?: { limit?: number }): string;
  toMarkdown(options?: { limit?: number }): string;
  numRows(): number;
}

export function isTable(v: unknown): v is TableLike {
  const t = v as TableLike;
  return (
    !!t &&
    typeof t.toHTML === 'function' &&
    typeof t.toMarkdown === 'function' &&
    typeof t.numRows === 'function'
  );
}

/** The display bundle of a value: results and budgets, arquero tables, anything else as JSON. */
export function bundleOf(value: unknown, limit = 50): MimeBundle {
  if (isDisplayable(value)) return value[MIME_BUNDLE]();
  if (isTable(value)) {
    const more = value.numRows() > limit ? `\n(${value.numRows() - limit} more rows)` : '';
    return {
      'text/html': value.toHTML({ limit }),
      'text/plain': value.toMarkdown({ limit }) + more
    };
  }
  const text = JSON.stringify(value, null, 2) ?? String(value);
  return { 'text/html': `<pre>${escapeHtml(text)}</pre>`, 'text/plain': text };
}

/** Every output of a value: a result's table and its chart; one bundle for anything else. */
export function bundlesOf(value: unknown, limit = 50): MimeBundle[] {
  return isDisplayable(value) ? displaysOf(value) : [bundleOf(value, limit)];
}

/** Shows a result, a budget or an arquero table in the notebook (HTML, with a text fallback). */
export function show(value: unknown, options: { limit?: number } = {}): void {
  new Display().showAll(bundlesOf(value, options.limit));
}
