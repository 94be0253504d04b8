import type { JWTPayload } from 'jose';
import { LomasError, UserName } from 'lomas-kernel/protocol';
import type { OidcSettings } from '../../config';
import { tokenRefused } from './verify';

/** Who a verified token names, in Lomas terms. */
export interface TokenIdentity {
  user: string;
  /** From the admin claim when one is configured; undefined leaves the stored role in charge. */
  admin?: boolean;
}

/**
 * A claim by exact name (names such as "https://example.org/roles" contain dots), else by
 * dotted path into nested objects (Keycloak's "realm_access.roles").
 */
export function claimValue(claims: JWTPayload, name: string): unknown {
  if (Object.prototype.hasOwnProperty.call(claims, name)) return claims[name];
  let value: unknown = claims;
  for (const part of name.split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    if (!Object.prototype.hasOwnProperty.call(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function isAdmin(claims: JWTPayload, claim: string, expected: string): boolean {
  const value = claimValue(claims, claim);
  if (typeof value === 'string') return value === expected;
  return Array.isArray(value) && value.some(v => v === expected);
}

/** The Lomas user name and admin flag of verified claims, or a refusal that says what is wrong. */
export function identityOf(claims: JWTPayload, settings: OidcSettings): TokenIdentity {
  const name = claimValue(claims, settings.userClaim);
  if (typeof name !== 'string' || name.length === 0)
    throw tokenRefused('no_user_claim', { claim: settings.userClaim });
  // An address the provider has not verified could belong to anyone who typed it.
  if (settings.userClaim === 'email' && claims.email_verified === false)
    throw new LomasError('FORBIDDEN', {
      action: `sign in as "${name.slice(0, 64)}"`,
      reason:
        'The sign-in provider has not verified this email address. Verify it with the provider, then sign in again.'
    });
  if (!UserName.safeParse(name).success)
    throw new LomasError('FORBIDDEN', {
      action: 'sign in with this account',
      reason: `Its "${settings.userClaim}" claim cannot be a Lomas user name (1 to 64 letters, digits and _.@-). Ask the administrator to choose another claim (LOMAS_OIDC_USER_CLAIM).`
    });
  const identity: TokenIdentity = { user: name };
  if (settings.adminClaim && settings.adminValue)
    identity.admin = isAdmin(claims, settings.adminClaim, settings.adminValue);
  return identity;
}
