import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

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

interface ErrorBody {
  code?: unknown;
  message?: unknown;
  details?: unknown;
}

/** A failed answer as a typed error with advice (pure: unit-tested). */
export function errorOf(status: number, body: unknown): LomasRequestError {
  const b = (typeof body === 'object' && body !== null ? body : {}) as ErrorBody;
  const code = typeof b.code === 'string' ? b.code : undefined;
  const message = typeof b.message === 'string' ? b.message : undefined;
  const details =
    typeof b.details === 'object' && b.details !== null
      ? (b.details as Record<string, unknown>)
      : {};
  const fromJupyter = details.via === 'jupyterlab_lomas';
  const error = (kind: RequestErrorKind, text: string) =>
    new LomasRequestError(kind, text, status, code, details);
  if (!code) {
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
  const text = message ?? code;
  switch (code) {
    case 'UNAUTHENTICATED':
      return fromJupyter
        ? error('signed-out', text)
        : error('refused', `The Lomas server refused your key: ${text} ${SIGN_IN}`);
    case 'FORBIDDEN':
      return error('forbidden', text);
    case 'UNAVAILABLE':
      return error('unreachable', text);
    default:
      return error(status >= 500 ? 'server' : 'invalid', text);
  }
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
