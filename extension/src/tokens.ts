import type { RESULT_MIME as PROTOCOL_RESULT_MIME } from 'lomas-kernel/protocol';

/**
 * Identifiers shared by the extension's modules. The front end imports only `lomas-kernel/protocol`
 * (never the notebook library): types everywhere, and at runtime `parsePlan` in plans.ts, so query
 * plans are validated by the same schema on every side. That brings zod into the bundle, in a
 * chunk loaded lazily with the first query history.
 */

/** The result MIME type; the type annotation keeps it equal to the protocol's constant. */
export const RESULT_MIME: typeof PROTOCOL_RESULT_MIME = 'application/vnd.lomas.result.v1+json';

/** `<package name>:<schema file name>`: ties the plugin to schema/plugin.json. */
export const SETTINGS_PLUGIN_ID = 'jupyterlab-lomas:plugin';
export const RENDERER_PLUGIN_ID = 'jupyterlab-lomas:renderer';

export const CommandIDs = {
  openBudgetPanel: 'lomas:open-budget-panel',
  refreshBudgets: 'lomas:refresh-budgets'
} as const;

export const PANEL_ID = 'jp-lomas-budget-panel';
export const PALETTE_CATEGORY = 'Lomas';

/** The user settings (schema/plugin.json). */
export interface LomasSettings {
  serverUrl: string;
  apiKey: string;
  confidence: number;
}

export const DEFAULT_SETTINGS: LomasSettings = {
  serverUrl: 'http://127.0.0.1:8765',
  apiKey: '',
  confidence: 0.95
};

/** Reads settings defensively: a hand-edited settings file must not break the extension. */
export function readSettings(
  composite: Partial<Record<keyof LomasSettings, unknown>>
): LomasSettings {
  const serverUrl =
    typeof composite.serverUrl === 'string'
      ? composite.serverUrl.trim()
      : DEFAULT_SETTINGS.serverUrl;
  const apiKey = typeof composite.apiKey === 'string' ? composite.apiKey.trim() : '';
  const c = composite.confidence;
  const confidence =
    typeof c === 'number' && Number.isFinite(c) && c > 0 && c < 1 ? c : DEFAULT_SETTINGS.confidence;
  return { serverUrl, apiKey, confidence };
}
