import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';
import { z } from 'zod';

/** The provider (discovery document or JWKS) could not be read: not the caller's fault. */
export class ProviderUnavailable extends Error {
  constructor(problem: string) {
    super(problem);
    this.name = 'ProviderUnavailable';
  }
}

export interface ProviderKeysOptions {
  issuer: string;
  /** Least time between two JWKS downloads caused by an unknown key id (jose's cooldown). */
  refetchCooldownMs?: number;
  /** A JWKS older than this is downloaded again before use. */
  jwksMaxAgeMs?: number;
  /** The discovery document is read again after this long (the JWKS address may move). */
  discoveryMaxAgeMs?: number;
  /** After a failed discovery, requests fail fast for this long instead of hammering the provider. */
  retryAfterFailureMs?: number;
  timeoutMs?: number;
  /** Told (without any token material) when the provider cannot be read. */
  onUnavailable?: (problem: string) => void;
  now?: () => number;
}

const Discovery = z.object({ issuer: z.string(), jwks_uri: z.string().url() });

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** `<issuer>/.well-known/openid-configuration` (OpenID Connect Discovery 1.0, section 4). */
export function discoveryUrl(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
}

async function fetchJson(url: string, timeoutMs: number): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, {
      signal: AbortSignal.timeout(timeoutMs),
      headers: { accept: 'application/json' },
      redirect: 'error'
    });
  } catch (err) {
    throw new ProviderUnavailable(`${url} could not be fetched (${(err as Error).message})`);
  }
  if (res.status !== 200) throw new ProviderUnavailable(`${url} answered HTTP ${res.status}`);
  try {
    return await res.json();
  } catch {
    throw new ProviderUnavailable(`${url} did not answer JSON`);
  }
}

/** Reads the discovery document; its issuer must be exactly the configured one (Discovery §4.3). */
async function discoverJwksUri(issuer: string, timeoutMs: number): Promise<URL> {
  const url = discoveryUrl(issuer);
  const doc = Discovery.safeParse(await fetchJson(url, timeoutMs));
  if (!doc.success) throw new ProviderUnavailable(`${url} has no valid "issuer" and "jwks_uri"`);
  if (doc.data.issuer !== issuer)
    throw new ProviderUnavailable(
      `${url} names the issuer ${doc.data.issuer}, not the configured ${issuer}`
    );
  const jwks = new URL(doc.data.jwks_uri);
  if (jwks.protocol !== 'https:' && !(jwks.protocol === 'http:' && LOOPBACK.has(jwks.hostname)))
    throw new ProviderUnavailable(`the JWKS address ${jwks.href} is not https`);
  return jwks;
}

/** jose errors that mean "the provider could not be read", as opposed to "this token is bad". */
const PROVIDER_ERROR_CODES = new Set(['ERR_JWKS_TIMEOUT', 'ERR_JWKS_INVALID', 'ERR_JOSE_GENERIC']);

function isProviderFailure(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code !== 'string' || !code.startsWith('ERR_J') || PROVIDER_ERROR_CODES.has(code);
}

/**
 * The issuer's signing keys, for jose's jwtVerify. Nothing is fetched until the first token
 * arrives. The JWKS is cached; a token whose key id is not in the cache makes jose download it
 * once more (at most once per cooldown), which is how a key rotation is picked up. Failures to
 * read the provider become ProviderUnavailable; key problems (no matching key) stay jose errors.
 */
export function providerKeys(opts: ProviderKeysOptions): JWTVerifyGetKey {
  const now = opts.now ?? Date.now;
  const timeoutMs = opts.timeoutMs ?? 5000;
  const discoveryMaxAgeMs = opts.discoveryMaxAgeMs ?? 3600_000;
  const retryAfterFailureMs = opts.retryAfterFailureMs ?? 5000;
  let current: { jwks: JWTVerifyGetKey; at: number } | null = null;
  let pending: Promise<JWTVerifyGetKey> | null = null;
  let failedAt = -Infinity;

  const unavailable = (err: unknown): ProviderUnavailable => {
    const e =
      err instanceof ProviderUnavailable
        ? err
        : new ProviderUnavailable(`the JWKS could not be read (${(err as Error).message})`);
    opts.onUnavailable?.(e.message);
    return e;
  };

  async function discover(): Promise<JWTVerifyGetKey> {
    const uri = await discoverJwksUri(opts.issuer, timeoutMs);
    const jwks = createRemoteJWKSet(uri, {
      timeoutDuration: timeoutMs,
      cooldownDuration: opts.refetchCooldownMs ?? 30_000,
      cacheMaxAge: opts.jwksMaxAgeMs ?? 600_000
    });
    current = { jwks, at: now() };
    return jwks;
  }

  async function keySet(): Promise<JWTVerifyGetKey> {
    if (current && now() - current.at < discoveryMaxAgeMs) return current.jwks;
    if (now() - failedAt < retryAfterFailureMs) {
      if (current) return current.jwks;
      throw new ProviderUnavailable(`${discoveryUrl(opts.issuer)} failed moments ago`);
    }
    pending ??= discover().finally(() => (pending = null));
    try {
      return await pending;
    } catch (err) {
      failedAt = now();
      // A stale key set beats none when the provider is briefly down.
      if (current) return current.jwks;
      throw unavailable(err);
    }
  }

  return async (header, token) => {
    const jwks = await keySet();
    try {
      return await jwks(header, token);
    } catch (err) {
      throw isProviderFailure(err) ? unavailable(err) : err;
    }
  };
}
