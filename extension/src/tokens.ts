import { Token } from '@lumino/coreutils';
import type { ISignal } from '@lumino/signaling';
import type {
  BudgetStatus,
  CHART_MIME as PROTOCOL_CHART_MIME,
  DatasetSummary,
  RESULT_MIME as PROTOCOL_RESULT_MIME,
  ResultBundle
} from 'lomas-kernel/protocol';
import type { DatasetInfo } from './datasets';
import type { HistoryItem } from './history';
import type { Request } from './request';

/**
 * Identifiers shared by the extension's plugins, and the model they share (ILomasModel). The
 * front end imports only `lomas-kernel/protocol` (never the notebook library): types everywhere,
 * and at runtime its zod schemas (validate.ts reads every Lomas payload with them, plans.ts checks
 * query plans), so each wire type is read by the same schema on every side.
 */

/** The MIME types; the type annotations keep them equal to the protocol's constants. */
export const RESULT_MIME: typeof PROTOCOL_RESULT_MIME = 'application/vnd.lomas.result.v1+json';
export const CHART_MIME: typeof PROTOCOL_CHART_MIME = 'application/vnd.lomas.chart.v1+json';

/** `<package name>:<schema file name>`: ties the plugin to schema/plugin.json. */
export const SETTINGS_PLUGIN_ID = 'jupyterlab-lomas:plugin';
export const MODEL_PLUGIN_ID = 'jupyterlab-lomas:model';
export const RENDERER_PLUGIN_ID = 'jupyterlab-lomas:renderer';
export const STATUS_PLUGIN_ID = 'jupyterlab-lomas:status';
export const COMMANDS_PLUGIN_ID = 'jupyterlab-lomas:commands';
export const ADMIN_PLUGIN_ID = 'jupyterlab-lomas:admin';

export const CommandIDs = {
  openBudgetPanel: 'lomas:open-budget-panel',
  refreshBudgets: 'lomas:refresh-budgets',
  signIn: 'lomas:sign-in',
  signOut: 'lomas:sign-out',
  insertTemplate: 'lomas:insert-query-template',
  openAdminPanel: 'lomas:open-admin-panel'
} as const;

export const PANEL_ID = 'jp-lomas-budget-panel';
export const ADMIN_PANEL_ID = 'jp-lomas-admin-panel';
export const PALETTE_CATEGORY = 'Lomas';

/** Where the front end's Lomas calls go, as the Jupyter server extension describes it (no key). */
export interface ConnectionState {
  /**
   * checking: not asked yet; signed-out: no key stored; signed-in: the server accepted the key;
   * refused / unreachable: a key is stored but the server refused it / did not answer;
   * unavailable: the Jupyter server extension is missing.
   */
  status: 'checking' | 'signed-out' | 'signed-in' | 'refused' | 'unreachable' | 'unavailable';
  url: string | null;
  user?: string;
  role?: string;
  /** 'environment' when LOMAS_URL / LOMAS_API_KEY override the config file (sign-in then refused). */
  source?: 'file' | 'environment';
  configFile?: string;
  problem?: string;
}

/** Something fetched: what was last loaded stays shown while a refresh is on its way. */
export type Loadable<T> =
  | { kind: 'idle' }
  | { kind: 'loading'; last?: T }
  | { kind: 'error'; message: string }
  | { kind: 'loaded'; value: T; at: Date };

/** The dataset of the last release drawn, with its budget as last known. */
export interface LastQueried {
  dataset: string;
  budget?: BudgetStatus;
}

/** GET /v1/datasets: the protocol's type (validate.ts reads it with its schema). */
export type { DatasetSummary } from 'lomas-kernel/protocol';

/**
 * The state every Lomas plugin shares: the connection, the analyst's budgets and history, the
 * dataset last queried. Plugins read it and listen to its signals; only the model calls Lomas
 * for them (through the Jupyter server: request.ts).
 */
export interface ILomasModel {
  readonly connection: ConnectionState;
  readonly budgets: Loadable<BudgetStatus[]>;
  readonly history: Loadable<HistoryItem[]>;
  readonly lastQueried: LastQueried | undefined;
  readonly isAdmin: boolean;
  /** The connection changed (signed in or out, another user, another server). */
  readonly connectionChanged: ISignal<ILomasModel, ConnectionState>;
  /** Budgets or history changed (loading, loaded, failed). */
  readonly budgetsChanged: ISignal<ILomasModel, void>;
  readonly lastQueriedChanged: ISignal<ILomasModel, LastQueried | undefined>;
  refreshConnection(): Promise<ConnectionState>;
  /** Budgets and history again (after each release, debounced, and on demand). */
  refresh(): Promise<void>;
  /** Checks the URL and key with the Lomas server, then stores them (Jupyter server side). */
  signIn(url: string, token: string): Promise<ConnectionState>;
  signOut(): Promise<ConnectionState>;
  datasets(): Promise<DatasetSummary[]>;
  /** A dataset's public metadata for display (cached per connection). */
  datasetInfo(name: string): Promise<DatasetInfo>;
  /** GET /v1/datasets/{name} as sent (query templates read the raw metadata). */
  datasetMetadata(name: string): Promise<unknown>;
  /** A result was drawn: remember its dataset and budget; refresh soon. */
  releaseDrawn(bundle: ResultBundle): void;
  /** Lomas's API through the Jupyter server (`api/admin/users`, ...), for the admin panel. */
  readonly request: Request;
}

export const ILomasModel = new Token<ILomasModel>(
  'jupyterlab-lomas:ILomasModel',
  'The Lomas connection, budgets and history shared by the Lomas plugins.'
);

/** The user settings (schema/plugin.json). */
export interface LomasSettings {
  /** Show the remaining budget of the dataset last queried in the status bar. */
  statusBar: boolean;
}

export const DEFAULT_SETTINGS: LomasSettings = { statusBar: true };

/** Settings of earlier versions, removed from the user's settings file when found. */
export const OBSOLETE_SETTINGS = ['serverUrl', 'apiKey', 'confidence'] as const;

/** Reads settings defensively: a hand-edited settings file must not break the extension. */
export function readSettings(composite: Partial<Record<string, unknown>>): LomasSettings {
  return {
    statusBar:
      typeof composite.statusBar === 'boolean' ? composite.statusBar : DEFAULT_SETTINGS.statusBar
  };
}
