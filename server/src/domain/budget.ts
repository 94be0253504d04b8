import type { Budget, BudgetStatus } from 'lomas-kernel/protocol';
import type { Ledger } from '../ledger';
import type { DatasetRecord } from '../store/types';

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
  const f = await ledger.figures({
    dataset: dataset.name,
    user,
    grant,
    cap: dataset.cap,
    accounting: dataset.accounting
  });
  return {
    dataset: dataset.name,
    accounting: dataset.accounting,
    initial: f.initial,
    spent: f.spent,
    remaining: f.remaining
  };
}
