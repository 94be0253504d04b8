import { Signal, type ISignal } from '@lumino/signaling';
import type { BudgetStatus, ResultBundle } from 'lomas-kernel/protocol';
import { normalizeDatasetInfo, type DatasetInfo } from './datasets';
import type { HistoryItem } from './history';
import { json, LomasRequestError, type Request } from './request';
import type { ConnectionState, DatasetSummary, ILomasModel, LastQueried, Loadable } from './tokens';
import { parseBudgets, parseConnection, parseDatasets } from './validate';

/** Releases come in bursts (a notebook run): the refresh after them waits for a quiet moment. */
export const REFRESH_DELAY_MS = 500;

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The Lomas state of this JupyterLab: connection, budgets, history, dataset last queried. The
 * only module that calls Lomas for the plugins (through the Jupyter server: `request`), and tells
 * them what changed through its signals.
 */
export class LomasModel implements ILomasModel {
  private _connection: ConnectionState = { status: 'checking', url: null };
  private _budgets: Loadable<BudgetStatus[]> = { kind: 'idle' };
  private _history: Loadable<HistoryItem[]> = { kind: 'idle' };
  private _last: LastQueried | undefined;
  private readonly metadata = new Map<string, Promise<unknown>>();
  private generation = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly _connectionChanged: Signal<ILomasModel, ConnectionState> = new Signal(this);
  private readonly _budgetsChanged: Signal<ILomasModel, void> = new Signal(this);
  private readonly _lastQueriedChanged: Signal<ILomasModel, LastQueried | undefined> = new Signal(
    this
  );

  constructor(readonly request: Request) {}

  get connection(): ConnectionState {
    return this._connection;
  }
  get budgets(): Loadable<BudgetStatus[]> {
    return this._budgets;
  }
  get history(): Loadable<HistoryItem[]> {
    return this._history;
  }
  get lastQueried(): LastQueried | undefined {
    return this._last;
  }
  get isAdmin(): boolean {
    return this._connection.status === 'signed-in' && this._connection.role === 'admin';
  }
  get connectionChanged(): ISignal<ILomasModel, ConnectionState> {
    return this._connectionChanged;
  }
  get budgetsChanged(): ISignal<ILomasModel, void> {
    return this._budgetsChanged;
  }
  get lastQueriedChanged(): ISignal<ILomasModel, LastQueried | undefined> {
    return this._lastQueriedChanged;
  }

  async refreshConnection(): Promise<ConnectionState> {
    let next: ConnectionState;
    try {
      next = parseConnection(await this.request('connection'));
    } catch (err) {
      const unavailable = err instanceof LomasRequestError && err.kind === 'no-extension';
      next = {
        status: unavailable ? 'unavailable' : 'unreachable',
        url: this._connection.url,
        problem: messageOf(err)
      };
    }
    this.setConnection(next);
    return next;
  }

  async signIn(url: string, token: string): Promise<ConnectionState> {
    // A refusal throws (the dialog shows why) and leaves the stored connection as it was.
    const next = parseConnection(await this.request('connection', json('PUT', { url, token })));
    this.setConnection(next);
    return next;
  }

  async signOut(): Promise<ConnectionState> {
    const next = parseConnection(await this.request('connection', json('DELETE')));
    this.setConnection(next);
    return next;
  }

  /** Another user or server: forget what came from the previous one, fetch again. */
  private setConnection(next: ConnectionState): void {
    const prev = this._connection;
    this._connection = next;
    const same = prev.status === next.status && prev.url === next.url && prev.user === next.user;
    if (!same) {
      this.metadata.clear();
      if (prev.user !== next.user || prev.url !== next.url) this.setLast(undefined);
    }
    this._connectionChanged.emit(next);
    void this.refresh();
  }

  async refresh(): Promise<void> {
    const gen = ++this.generation;
    if (this._connection.status !== 'signed-in') {
      this._budgets = { kind: 'idle' };
      this._history = { kind: 'idle' };
      this._budgetsChanged.emit();
      return;
    }
    this._budgets = { kind: 'loading', last: loadedValue(this._budgets) };
    this._history = { kind: 'loading', last: loadedValue(this._history) };
    this._budgetsChanged.emit();
    const [budgets, history] = await Promise.allSettled([
      this.request('api/v1/me/budgets').then(parseBudgets),
      this.loadHistory()
    ]);
    if (gen !== this.generation) return; // a newer refresh won
    const at = new Date();
    this._budgets =
      budgets.status === 'fulfilled'
        ? { kind: 'loaded', value: budgets.value, at }
        : { kind: 'error', message: messageOf(budgets.reason) };
    this._history =
      history.status === 'fulfilled'
        ? { kind: 'loaded', value: history.value, at }
        : { kind: 'error', message: messageOf(history.reason) };
    if (budgets.status === 'fulfilled' && this._last) {
      const fresh = budgets.value.find(b => b.dataset === this._last?.dataset);
      if (fresh) this.setLast({ dataset: fresh.dataset, budget: fresh });
    }
    this._budgetsChanged.emit();
  }

  /** The history module validates plans with the protocol's schema (zod): loaded on first use. */
  private async loadHistory(): Promise<HistoryItem[]> {
    const { normalizeHistory } = await import('./history');
    return normalizeHistory(await this.request('api/v1/queries?limit=20'));
  }

  async datasets(): Promise<DatasetSummary[]> {
    return parseDatasets(await this.request('api/v1/datasets'));
  }

  datasetMetadata(name: string): Promise<unknown> {
    let p = this.metadata.get(name);
    if (!p) {
      p = this.request(`api/v1/datasets/${encodeURIComponent(name)}`);
      this.metadata.set(name, p);
      // A failure is not kept: asking again (a refresh, a click) tries again.
      p.catch(() => this.metadata.delete(name));
    }
    return p;
  }

  async datasetInfo(name: string): Promise<DatasetInfo> {
    return normalizeDatasetInfo(await this.datasetMetadata(name));
  }

  releaseDrawn(bundle: ResultBundle): void {
    if (bundle.kind !== 'release') return;
    this.setLast({ dataset: bundle.dataset, budget: bundle.budget });
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(), REFRESH_DELAY_MS);
  }

  private setLast(last: LastQueried | undefined): void {
    this._last = last;
    this._lastQueriedChanged.emit(last);
  }

  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    Signal.clearData(this);
  }
}

function loadedValue<T>(l: Loadable<T>): T | undefined {
  return l.kind === 'loaded' ? l.value : l.kind === 'loading' ? l.last : undefined;
}
