import type { Budget, BudgetStatus } from 'lomas-kernel/protocol';
import type { BudgetFigures, Ledger } from '../ledger';
import type { DatasetRecord, LedgerEntry } from '../store/types';

/**
 * What an analyst sees of their budget on a dataset: initial, spent and remaining (the smaller of
 * what their grant and the dataset-wide cap leave). Only these: how much of the cap the others
 * left is not the analyst's to read.
 */
export async function budgetStatus(
  ledger: Ledger,
  user: string,
  dataset: DatasetRecord,
  grant: Budget | null
): Promise<BudgetStatus> {
  return statusOf(dataset, await ledger.figures(figuresRequest(user, dataset, grant)));
}

/** The status right after the user's charge `entry`: what that release left them. */
export function budgetStatusAfter(
  ledger: Ledger,
  entry: LedgerEntry,
  dataset: DatasetRecord,
  grant: Budget | null
): BudgetStatus {
  return statusOf(dataset, ledger.figuresAfter(entry, figuresRequest(entry.user, dataset, grant)));
}

const figuresRequest = (user: string, dataset: DatasetRecord, grant: Budget | null) => ({
  dataset: dataset.name,
  user,
  grant,
  cap: dataset.cap,
  accounting: dataset.accounting
});

function statusOf(dataset: DatasetRecord, f: BudgetFigures): BudgetStatus {
  return {
    dataset: dataset.name,
    accounting: dataset.accounting,
    initial: f.initial,
    spent: f.spent,
    remaining: f.remaining
  };
}
