import {
  decodeJwt,
  decodeProtectedHeader,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey
} from 'jose';
import { LomasError } from 'lomas-kernel/protocol';
import type { OidcSettings } from '../../config';
import { ProviderUnavailable } from './provider';

/** Beyond any real access token; a larger one is refused before it is parsed. */
export const MAX_TOKEN_LENGTH = 16 * 1024;

/** A refusal of the token: 401 UNAUTHENTICATED, its message chosen by `reason` (protocol/errors.ts). */
export function tokenRefused(
  reason: string,
  facts: Record<string, string | undefined> = {}
): LomasError {
  return new LomasError('UNAUTHENTICATED', { reason, ...facts });
}

interface Unverified {
  alg: string;
  iss: unknown;
}

/** Header and issuer read before verification, only to refuse early (never to accept). */
function readUnverified(token: string): Unverified {
  if (token.length > MAX_TOKEN_LENGTH) throw tokenRefused('malformed');
  try {
    const header = decodeProtectedHeader(token);
    const payload = decodeJwt(token);
    if (typeof header.alg !== 'string') throw new Error('no alg');
    return { alg: header.alg, iss: payload.iss };
  } catch {
    throw tokenRefused('malformed');
  }
}

/** jose's error (code, and for claim checks the claim) → the reason the caller is told. */
function reasonOf(err: unknown): string {
  const e = err as { code?: string; claim?: string; reason?: string };
  switch (e?.code) {
    case 'ERR_JWT_EXPIRED':
      return 'expired';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (e.claim === 'aud') return 'audience';
      if (e.claim === 'iss') return 'issuer';
      if (e.claim === 'exp' && e.reason === 'missing') return 'no_expiry';
      if (e.claim === 'nbf' || e.claim === 'iat') return 'not_yet_valid';
      return 'malformed';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'signature';
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return 'unknown_key';
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return 'algorithm';
    default:
      return 'malformed';
  }
}

export type AccessTokenVerifier = (token: string) => Promise<JWTPayload>;

/**
 * Verifies an access token that is a JWT: signature by one of the issuer's published keys with
 * an allowed algorithm, then issuer, audience, expiry and not-before (with a small clock
 * tolerance). Every refusal is a 401 whose message says why and what to do; a provider that
 * cannot be read is a 503. jose's errors carry the token's claims: they are never passed on.
 */
export function accessTokenVerifier(
  settings: OidcSettings,
  getKey: JWTVerifyGetKey
): AccessTokenVerifier {
  const facts = {
    issuer: settings.issuer,
    audience: settings.audiences.map(a => `"${a}"`).join(' or '),
    accepted: settings.algorithms.join(', ')
  };
  return async token => {
    const unverified = readUnverified(token);
    if (!settings.algorithms.includes(unverified.alg))
      throw tokenRefused('algorithm', { ...facts, algorithm: unverified.alg.slice(0, 32) });
    // A token of another issuer is refused here, so it never makes us download our JWKS again.
    if (unverified.iss !== settings.issuer) throw tokenRefused('issuer', facts);
    try {
      const { payload } = await jwtVerify(token, getKey, {
        issuer: settings.issuer,
        audience: settings.audiences,
        algorithms: settings.algorithms,
        clockTolerance: settings.clockToleranceSec,
        requiredClaims: ['exp']
      });
      return payload;
    } catch (err) {
      if (err instanceof ProviderUnavailable)
        throw new LomasError('UNAVAILABLE', {
          problem: 'the sign-in provider cannot be reached to check the access token'
        });
      throw tokenRefused(reasonOf(err), facts);
    }
  };
}
