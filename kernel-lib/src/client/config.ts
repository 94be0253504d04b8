import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LomasError } from '../protocol';

export interface ConnectOptions {
  /** Server URL, e.g. http://127.0.0.1:8765. Default: $LOMAS_URL, then ~/.lomas/config.json. */
  url?: string;
  /** API key. Default: $LOMAS_API_KEY, then ~/.lomas/config.json. */
  token?: string;
  /** Render results in the notebook as they arrive (default true inside a kernel). */
  display?: boolean;
  /** Request timeout in milliseconds (default 120000). */
  timeoutMs?: number;
}

export interface ResolvedConfig {
  url: string;
  token: string;
  display: boolean;
  timeoutMs: number;
}

interface FileConfig {
  url?: string;
  token?: string;
}

function readFileConfig(): FileConfig {
  const file = process.env.LOMAS_CONFIG ?? path.join(os.homedir(), '.lomas', 'config.json');
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as FileConfig) : {};
  } catch {
    return {};
  }
}

/** Options first, then the environment, then the user's config file. */
export function resolveConfig(options: ConnectOptions = {}): ResolvedConfig {
  const file = readFileConfig();
  const url = options.url ?? process.env.LOMAS_URL ?? file.url;
  const token = options.token ?? process.env.LOMAS_API_KEY ?? file.token;
  if (!url)
    throw new LomasError('INVALID_PARAMETER', {
      parameter: 'url',
      rule: 'no server URL is configured',
      fix: 'Call connect({ url: "http://127.0.0.1:8765" }), set LOMAS_URL, or write ~/.lomas/config.json.'
    });
  if (!token)
    throw new LomasError('INVALID_PARAMETER', {
      parameter: 'token',
      rule: 'no API key is configured',
      fix: 'Call connect({ token: "lomas_…" }), set LOMAS_API_KEY, or write ~/.lomas/config.json.'
    });
  return {
    url: url.replace(/\/+$/, ''),
    token,
    display: options.display ?? true,
    timeoutMs: options.timeoutMs ?? 120000
  };
}
