import type { Budget } from 'lomas-kernel/protocol';
import { summarizePlan } from './plans';
import { parseHistory } from './validate';

/**
 * The side panel's query history (GET /v1/queries), read with the protocol's HistoryEntry schema,
 * into display records. Pure and DOM-free (unit-tested). A plan the extension cannot read (an older
 * plan version kept in the archive) never breaks the list: it is shown as an unreadable plan.
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

export function normalizeHistory(body: unknown): HistoryItem[] {
  return parseHistory(body).map(e => {
    const s = summarizePlan(e.plan, measureOf(e.cost));
    return {
      queryId: e.queryId,
      dataset: e.dataset,
      at: e.at,
      summary: s.text,
      readable: s.ok,
      ...(s.problem ? { problem: s.problem } : {}),
      cost: formatSpent(e.cost),
      released: e.release !== null
    };
  });
}
