import { LomasError } from 'lomas-kernel/protocol';
import type { OidcSettings } from '../../config';
import type { Role, Store, UserRecord } from '../../store/types';
import { identityOf, type TokenIdentity } from './identity';
import { providerKeys, type ProviderKeysOptions } from './provider';
import { accessTokenVerifier, type AccessTokenVerifier } from './verify';

/** A signed-in Lomas user. */
export interface TokenUser {
  user: string;
  role: Role;
}

export interface TokenSignIn {
  /** The user an access token names, or a LomasError (401 bad token, 403 refused account, 503). */
  signIn(token: string): Promise<TokenUser>;
}

function unknownUser(name: string): LomasError {
  return new LomasError('FORBIDDEN', {
    action: `use Lomas as "${name}"`,
    reason: `You signed in, but no Lomas user "${name}" exists. Ask the administrator to create it (npm run admin -- users create ${name}) and to grant you a budget.`
  });
}

/** The stored user, created at first sign-in when the settings allow it. */
async function userOf(
  store: Store,
  identity: TokenIdentity,
  autoCreate: boolean
): Promise<UserRecord> {
  const found = await store.getUser(identity.user);
  if (found) return found;
  if (!autoCreate) throw unknownUser(identity.user);
  const record: UserRecord = {
    name: identity.user,
    role: identity.admin ? 'admin' : 'analyst',
    active: true,
    createdAt: new Date().toISOString()
  };
  try {
    await store.createUser(record);
    return record;
  } catch (err) {
    // Two first requests at once: the other one created it.
    if (err instanceof LomasError && err.code === 'CONFLICT') {
      const again = await store.getUser(identity.user);
      if (again) return again;
    }
    throw err;
  }
}

/**
 * OpenID Connect sign-in: verify the token, map its claims to a Lomas user (created at first
 * sign-in, or refused, by configuration), and take the role from the admin claim when one is
 * configured (the provider is then the authority for the admin role), else from the store.
 * A deactivated user stays out whatever the token says.
 */
export function createTokenSignIn(
  settings: OidcSettings,
  store: Store,
  opts: Omit<ProviderKeysOptions, 'issuer'> = {},
  verify: AccessTokenVerifier = accessTokenVerifier(
    settings,
    providerKeys({ ...opts, issuer: settings.issuer })
  )
): TokenSignIn {
  return {
    async signIn(token) {
      const identity = identityOf(await verify(token), settings);
      const user = await userOf(store, identity, settings.autoCreate);
      if (!user.active)
        throw new LomasError('FORBIDDEN', {
          action: `use Lomas as "${user.name}"`,
          reason: 'This Lomas user is deactivated. Ask the administrator to reactivate it.'
        });
      const role: Role =
        identity.admin === undefined ? user.role : identity.admin ? 'admin' : 'analyst';
      return { user: user.name, role };
    }
  };
}
