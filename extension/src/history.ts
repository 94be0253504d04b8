import type { Budget } from 'lomas-kernel/protocol';
import { isObject, ServerShapeError } from './datasets';
import { summarizePlan } from './plans';

/**
 * The side panel's query history, from untrusted server JSON into display records. Pure and
 * DOM-free (unit-tested); an entry that does not fit never breaks the list. This module brings the
 * plan schema (zod), so the panel loads it lazily, with the first history.
 */

export interface HistoryItem {
  queryId: string;
  dataset: string;
  /** ISO time, as sent. */
  at: string;
  /** The one-line plan summary, or "unreadable plan". */
  summary: string;
  readable: boolean;
  /** Why the plan is unreadable (for a tooltip). */
  problem?: string;
  cost?: string;
  /** False for a query that was charged and then failed (`release: null`). */
  released: boolean;
}

function isBudget(v: unknown): v is Budget {
  return (
    isObject(v) &&
    (typeof v.epsilon === 'string' || typeof v.epsilon === 'number') &&
    (typeof v.delta === 'string' || typeof v.delta === 'number')
  );
}

/** "ε 0.5", "ε 1 · δ 0.000001", "ρ 0.05": the measures actually charged. */
export function formatSpent(b: Budget): string {
  const parts: string[] = [];
  if (Number(b.epsilon) > 0) parts.push(`ε ${b.epsilon}`);
  if (Number(b.delta) > 0) parts.push(`δ ${b.delta}`);
  if (b.rho !== undefined && Number(b.rho) > 0) parts.push(`ρ ${b.rho}`);
  return parts.length > 0 ? parts.join(' · ') : `ε ${b.epsilon}`;
}

/** The measure a charge was made in: ρ on a zCDP dataset, ε otherwise. */
function measureOf(b: Budget): 'ε' | 'ρ' {
  return b.rho !== undefined && Number(b.rho) > 0 ? 'ρ' : 'ε';
}

/** Accepts `[...]` or `{ queries: [...] }`; entries that are not objects are skipped. */
export function normalizeHistory(body: unknown): HistoryItem[] {
  const list = Array.isArray(body)
    ? body
    : isObject(body) && Array.isArray(body.queries)
      ? body.queries
      : undefined;
  if (!list) throw new ServerShapeError('The server answered, but not with a list of queries.');
  const items: HistoryItem[] = [];
  for (const e of list) {
    if (!isObject(e)) continue;
    const s = summarizePlan(e.plan, isBudget(e.cost) ? measureOf(e.cost) : undefined);
    items.push({
      queryId: typeof e.queryId === 'string' ? e.queryId : '',
      dataset: typeof e.dataset === 'string' ? e.dataset : '?',
      at: typeof e.at === 'string' ? e.at : '',
      summary: s.text,
      readable: s.ok,
      ...(s.problem ? { problem: s.problem } : {}),
      ...(isBudget(e.cost) ? { cost: formatSpent(e.cost) } : {}),
      released: e.kind !== 'failure' && e.release !== null && e.release !== undefined
    });
  }
  return items;
}
