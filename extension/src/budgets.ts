import axios from 'axios';
import type { BudgetStatus } from 'lomas-kernel/protocol';
import { normalizeDatasetInfo, ServerShapeError, type DatasetInfo } from './datasets';
import type { HistoryItem } from './history';

/**
 * Reads the analyst's budgets, query history and dataset metadata from the Lomas server, and turns
 * failures into readable text.
 */

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

function base(serverUrl: string): string {
  return serverUrl.replace(/\/+$/, '');
}

export function budgetsUrl(serverUrl: string): string {
  return `${base(serverUrl)}/v1/me/budgets`;
}

/** The analyst's most recent queries, newest first. */
export function historyUrl(serverUrl: string, limit = 20): string {
  return `${base(serverUrl)}/v1/queries?limit=${limit}`;
}

export function datasetUrl(serverUrl: string, name: string): string {
  return `${base(serverUrl)}/v1/datasets/${encodeURIComponent(name)}`;
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
      if (res.status === 404) return `Not found at ${url} (404). ${detail}`;
      return `The server answered ${res.status}. ${detail}`;
    }
    return `Could not reach ${url}: ${err.message}. Is the Lomas server running, and does it allow requests from this page (CORS)?`;
  }
  return err instanceof Error ? err.message : String(err);
}

/** GET with the bearer key; every failure becomes a BudgetFetchError with readable text. */
async function getJson<T>(url: string, apiKey: string, read: (body: unknown) => T): Promise<T> {
  let body: unknown;
  try {
    const res = await axios.get(url, {
      headers: { Authorization: `Bearer ${apiKey}`, Accept: 'application/json' },
      timeout: 10000
    });
    body = res.data;
  } catch (err) {
    throw new BudgetFetchError(describeError(err, url));
  }
  try {
    return read(body);
  } catch (err) {
    if (err instanceof BudgetFetchError || err instanceof ServerShapeError)
      throw new BudgetFetchError(err.message);
    throw new BudgetFetchError(`Unexpected answer from ${url}: ${String(err)}`);
  }
}

export function fetchBudgets(serverUrl: string, apiKey: string): Promise<BudgetStatus[]> {
  return getJson(budgetsUrl(serverUrl), apiKey, normalizeBudgets);
}

/** The history module validates plans with the protocol's schema (zod): loaded on first use. */
export async function fetchHistory(serverUrl: string, apiKey: string): Promise<HistoryItem[]> {
  const { normalizeHistory } = await import('./history');
  return getJson(historyUrl(serverUrl), apiKey, normalizeHistory);
}

export function fetchDatasetInfo(
  serverUrl: string,
  apiKey: string,
  name: string
): Promise<DatasetInfo> {
  return getJson(datasetUrl(serverUrl, name), apiKey, body => normalizeDatasetInfo(body, name));
}
