import { formatBudgetLeft } from './format';
import type { ILomasModel } from './tokens';

/**
 * What the status bar item says (statusItem.ts draws it): the remaining budget of the dataset last
 * queried ("penguins: ε 9 of 10 left"), or what to do when not signed in. DOM-free.
 */

/** The item's text and tooltip for the model's state (pure: unit-tested). */
export function statusText(model: Pick<ILomasModel, 'connection' | 'lastQueried'>): {
  text: string;
  title: string;
} {
  const c = model.connection;
  switch (c.status) {
    case 'checking':
      return { text: 'Lomas', title: 'Lomas: connecting…' };
    case 'signed-out':
      return { text: 'Lomas: sign in', title: 'Not signed in to Lomas: click, then Sign in' };
    case 'refused':
    case 'unreachable':
    case 'unavailable':
      return {
        text: 'Lomas: not connected',
        title: c.problem ?? 'The Lomas server cannot be reached'
      };
  }
  const last = model.lastQueried;
  if (!last) return { text: 'Lomas', title: `Signed in to ${c.url} as ${c.user}: no query yet` };
  if (!last.budget)
    return {
      text: `${last.dataset}`,
      title: `Last query on ${last.dataset}; budget not known yet`
    };
  const left = formatBudgetLeft(last.budget);
  return {
    text: `${last.dataset}: ${left}`,
    title: `Remaining budget on ${last.dataset}, the dataset last queried (as ${c.user}). Click for every budget.`
  };
}
