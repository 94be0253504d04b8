import type { NextFunction, Request, Response } from 'express';
import { LomasError } from 'lomas-kernel/protocol';
import { parseKey, secretMatches } from '../auth/keys';
import type { TokenSignIn } from '../auth/oidc/signIn';
import { tokenRefused } from '../auth/oidc/verify';
import type { Store } from '../store/types';
import type { Principal } from './principal';

/** Three base64url parts: a JWS in compact form (an empty signature is refused later, clearly). */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

function bearerToken(req: Request): string {
  const header = req.headers.authorization;
  return typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7).trim() : '';
}

/** Unknown ids, wrong secrets, revoked keys and inactive users all get the same 401. */
async function keyPrincipal(store: Store, key: string): Promise<Principal> {
  const parsed = parseKey(key);
  const record = parsed ? await store.getKey(parsed.id) : null;
  const ok = secretMatches(record, parsed ? parsed.secret : 'x');
  if (!ok || !record || record.revokedAt !== null) throw new LomasError('UNAUTHENTICATED');
  const user = await store.getUser(record.user);
  if (!user || !user.active) throw new LomasError('UNAUTHENTICATED');
  return { user: user.name, role: user.role, credential: `key:${record.id}` };
}

async function tokenPrincipal(oidc: TokenSignIn | undefined, token: string): Promise<Principal> {
  if (!oidc) throw tokenRefused('not_accepted');
  const { user, role } = await oidc.signIn(token);
  return { user, role, credential: `oidc:${user}` };
}

/**
 * Bearer authentication: the identity comes only from the credential, never from a header that
 * names a user. The credential's shape chooses how it is checked: an API key is
 * `lomas_<id>_<secret>`; anything shaped like a JWT is an OpenID Connect access token (when the
 * server accepts them); the rest is refused.
 */
export function authenticate(store: Store, oidc?: TokenSignIn) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const credential = bearerToken(req);
    let principal: Principal;
    if (credential.startsWith('lomas_')) principal = await keyPrincipal(store, credential);
    else if (JWT_SHAPE.test(credential)) principal = await tokenPrincipal(oidc, credential);
    else throw new LomasError('UNAUTHENTICATED');
    res.locals.principal = principal;
    next();
  };
}

export function requireAdmin(_req: Request, res: Response, next: NextFunction): void {
  const p = res.locals.principal as Principal | undefined;
  if (!p) throw new LomasError('UNAUTHENTICATED');
  if (p.role !== 'admin')
    throw new LomasError('FORBIDDEN', {
      action: 'use the admin route',
      reason: 'It needs the admin role.'
    });
  next();
}
