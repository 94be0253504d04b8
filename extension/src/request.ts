import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import { ErrorBody } from 'lomas-kernel/protocol';

/**
 * The one way the front end reaches Lomas: Jupyter's own server, under /lomas/ (the Python
 * server extension jupyterlab_lomas adds the API key there; the browser never holds it). Every
 * failure becomes a LomasRequestError whose message says what to do.
 */

export type RequestErrorKind =
  /** The Jupyter server has no /lomas routes: the Python package is missing or disabled. */
  | 'no-extension'
  /** No key is stored: sign in. */
  | 'signed-out'
  /** The Lomas server refused the stored key. */
  | 'refused'
  /** Not allowed: the admin role, a path the browser may not use, or Jupyter's own refusal. */
  | 'forbidden'
  /** The Jupyter server, or the Lomas server behind it, does not answer. */
  | 'unreachable'
  /** Lomas refused the request itself (a name, an amount): its message says which rule. */
  | 'invalid'
  | 'server';

export class LomasRequestError extends Error {
  constructor(
    readonly kind: RequestErrorKind,
    message: string,
    readonly status = 0,
    readonly code?: string,
    readonly details: Record<string, unknown> = {}
  ) {
    super(message);
    this.name = 'LomasRequestError';
  }
}

const SIGN_IN = 'Run "Lomas: Sign in" from the command palette.';
export const NO_EXTENSION_MESSAGE =
  'The Lomas server extension is not enabled in this Jupyter server: install the jupyterlab_lomas Python package where JupyterLab runs (pip install jupyterlab_lomas), check that "jupyter server extension list" shows it enabled, then restart JupyterLab.';

/** What Jupyter's own error answers carry (not a Lomas error): maybe a message. */
function jupyterMessage(body: unknown): string | undefined {
  const m =
    typeof body === 'object' && body !== null ? (body as { message?: unknown }).message : '';
  return typeof m === 'string' && m ? m : undefined;
}

/**
 * A failed answer as a typed error with advice (pure: unit-tested). A Lomas error (from the Lomas
 * server, or from jupyterlab_lomas, which answers in the same shape with details.via) is read with
 * the protocol's ErrorBody schema; anything else is Jupyter's own answer.
 */
export function errorOf(status: number, body: unknown): LomasRequestError {
  const parsed = ErrorBody.safeParse(body);
  if (!parsed.success) return jupyterError(status, jupyterMessage(body));
  const { code, message, details = {} } = parsed.data;
  const error = (kind: RequestErrorKind, text: string) =>
    new LomasRequestError(kind, text, status, code, details);
  switch (code) {
    case 'UNAUTHENTICATED':
      return details.via === 'jupyterlab_lomas'
        ? error('signed-out', message)
        : error('refused', `The Lomas server refused your key: ${message} ${SIGN_IN}`);
    case 'FORBIDDEN':
      return error('forbidden', message);
    case 'UNAVAILABLE':
      return error('unreachable', message);
    default:
      return error(status >= 500 ? 'server' : 'invalid', message);
  }
}

/** Jupyter's own refusal or failure (no Lomas error body). */
function jupyterError(status: number, message: string | undefined): LomasRequestError {
  const error = (kind: RequestErrorKind, text: string) => new LomasRequestError(kind, text, status);
  if (status === 404) return error('no-extension', NO_EXTENSION_MESSAGE);
  if (status === 403)
    return error(
      'forbidden',
      "JupyterLab's server refused the request (403): reload the page, signing in to JupyterLab again if it asks."
    );
  return error(
    'server',
    `JupyterLab's server answered HTTP ${status}${message ? `: ${message}` : '.'}`
  );
}

export type Request = <T>(path: string, init?: RequestInit) => Promise<T>;

/**
 * GET/PUT/... `/lomas/<path>` on the Jupyter server, JSON in and out: `connection`,
 * `api/v1/me/budgets`, `api/admin/users`, ...
 */
export async function requestAPI<T>(
  path: string,
  init: RequestInit = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<T> {
  const url = URLExt.join(settings.baseUrl, 'lomas', path);
  const headers = new Headers(init.headers);
  if (init.body !== undefined) headers.set('Content-Type', 'application/json');
  let response: Response;
  try {
    // 'no-cache' rather than JupyterLab's default 'no-store', which appends a cache-busting
    // "?<time>" that Lomas would read as a query parameter; answers are sent no-store anyway.
    response = await ServerConnection.makeRequest(
      url,
      { cache: 'no-cache', ...init, headers },
      settings
    );
  } catch (err) {
    throw new LomasRequestError(
      'unreachable',
      `JupyterLab's server does not answer (${err instanceof Error ? err.message : String(err)}): is it still running?`
    );
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!response.ok) throw errorOf(response.status, body);
  if (body === undefined)
    throw new LomasRequestError('server', `JupyterLab's server sent no JSON for /lomas/${path}.`);
  return body as T;
}

/** JSON body helper: requestAPI(path, json('PUT', {...})). */
export function json(method: string, body?: unknown): RequestInit {
  return body === undefined ? { method } : { method, body: JSON.stringify(body) };
}
