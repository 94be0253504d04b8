import axios from 'axios';
import type { BudgetStatus } from 'lomas-kernel/protocol';

/** Fetches the analyst's budgets from the Lomas server and turns failures into readable text. */

export class BudgetFetchError extends Error {}

function looksLikeBudget(v: unknown): v is BudgetStatus {
  if (typeof v !== 'object' || v === null) return false;
  const b = v as Record<string, unknown>;
  const amounts = (x: unknown): boolean =>
    typeof x === 'object' && x !== null && 'epsilon' in x && 'delta' in x;
  return typeof b.dataset === 'string' && amounts(b.initial) && amounts(b.remaining);
}

/** Accepts `[...]` or `{ budgets: [...] }`. */
export function normalizeBudgets(body: unknown): BudgetStatus[] {
  const list = Array.isArray(body)
    ? body
    : typeof body === 'object' &&
        body !== null &&
        Array.isArray((body as { budgets?: unknown }).budgets)
      ? (body as { budgets: unknown[] }).budgets
      : undefined;
  if (!list) throw new BudgetFetchError('The server answered, but not with a list of budgets.');
  return list.filter(looksLikeBudget);
}

export function budgetsUrl(serverUrl: string): string {
  return `${serverUrl.replace(/\/+$/, '')}/v1/me/budgets`;
}

export function describeError(err: unknown, url: string): string {
  if (axios.isAxiosError(err)) {
    const res = err.response;
    if (res) {
      const body = res.data as { code?: unknown; message?: unknown } | undefined;
      const detail =
        body && typeof body.message === 'string'
          ? `${typeof body.code === 'string' ? body.code + ': ' : ''}${body.message}`
          : res.statusText || 'no details';
      if (res.status === 401) return `The server refused the API key (401). ${detail}`;
      if (res.status === 404) return `The server has no budget endpoint at ${url} (404). ${detail}`;
      return `The server answered ${res.status}. ${detail}`;
    }
    return `Could not reach ${url}: ${err.message}. Is the Lomas server running, and does it allow requests from this page (CORS)?`;
  }
  return err instanceof Error ? err.message : String(err);
}

export async function fetchBudgets(serverUrl: string, apiKey: string): Promise<BudgetStatus[]> {
  const url = budgetsUrl(serverUrl);
  try {
    const res = await axios.get(url, {
      headers: { Authorization: `Bearer ${apiKey}`, Accept: 'application/json' },
      timeout: 10000
    });
    return normalizeBudgets(res.data);
  } catch (err) {
    if (err instanceof BudgetFetchError) throw err;
    throw new BudgetFetchError(describeError(err, url));
  }
}
