import type { Budget, LedgerEntryView } from 'lomas-kernel/protocol';
import { el } from '../dom';
import { amountNumber } from './spending';
import { button, CLASS, messageOf, table, type AdminContext, type Section } from './ui';

/** Shown entries of the audit trail (newest first). */
const SHOWN = 100;

/** A ledger amount for people: "1/2" → "0.5"; fractions that do not end keep their exact form. */
function amountText(value: string | undefined): string {
  if (value === undefined) return '0';
  const n = amountNumber(value);
  return /^\d+\/\d+$/.test(value) && Number.isFinite(n) && String(n).length <= 12
    ? String(n)
    : value;
}

/** "ε 0.5 · δ 0.00001": the non-zero components of an amount. */
function amounts(b: { epsilon: string; delta: string; rho?: string }): string {
  const names = { epsilon: 'ε', delta: 'δ', rho: 'ρ' } as const;
  return (
    (['epsilon', 'delta', 'rho'] as const)
      .filter(k => amountNumber(b[k]) > 0)
      .map(k => `${names[k]} ${amountText(b[k])}`)
      .join(' · ') || '0'
  );
}

/** The grant (a 'grant' entry) or cap (a 'cap' entry) an entry set; null when removed. */
function setTo(e: LedgerEntryView): Budget | null | undefined {
  return e.kind === 'grant' ? e.userGrant : e.kind === 'cap' ? e.datasetCap : undefined;
}

/** What an entry did, for the Amount column. */
function amountCell(e: LedgerEntryView): string {
  if (e.kind === 'charge') return amounts(e.cost);
  const to = setTo(e);
  return to === null ? `${e.kind} removed` : to ? `${e.kind} set to ${amounts(to)}` : '—';
}

/** The audit trail: the hash chain verified by the server, and the latest ledger entries. */
export class AuditSection implements Section {
  readonly id = 'audit';
  readonly title = 'Audit trail';
  readonly node = el('section', `${CLASS}-section ${CLASS}-audit`);

  constructor(private readonly ctx: AdminContext) {}

  async load(): Promise<void> {
    const [report, ledger] = await Promise.all([this.ctx.api.audit(), this.ctx.api.ledger()]);
    this.node.textContent = '';
    const verdict = el('div', `${CLASS}-verdict`);
    verdict.dataset.ok = String(report.ok);
    verdict.textContent = report.ok
      ? `Verified: the hash chain of all ${report.entries} entries is intact.`
      : `Broken: ${report.dataset ?? '?'} entry ${report.firstBadSeq ?? '?'}: ${report.problem ?? 'the chain does not verify'}. Entries from there on cannot be trusted.`;
    if (!report.ok) verdict.classList.add(`${CLASS}-error`);
    const again = button('Verify again', () =>
      this.load().catch(err => this.ctx.say(messageOf(err), true))
    );
    const heads = Object.entries(report.heads)
      .map(([d, h]) => `${d} #${h.seq} ${h.hash.slice(0, 12)}`)
      .join(' · ');
    this.node.append(
      verdict,
      again,
      el(
        'p',
        `${CLASS}-note`,
        heads ? `Chain heads (keep them elsewhere to detect a cut tail): ${heads}` : ''
      )
    );
    const rows = ledger
      .slice()
      .sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : b.seq - a.seq))
      .slice(0, SHOWN)
      .map(e => ({
        key: `${e.dataset}#${e.seq}`,
        cells: [
          e.at.slice(0, 19).replace('T', ' '),
          `${e.dataset} #${e.seq}`,
          e.kind,
          e.kind === 'charge' ? e.user : `${e.user} (by ${e.actor ?? '?'})`,
          amountCell(e),
          e.hash.slice(0, 12)
        ]
      }));
    this.node.appendChild(
      table(['When', 'Entry', 'Kind', 'User', 'Amount', 'Hash'], rows, 'The ledger is empty.')
    );
  }
}
