import type { NextFunction, Request, Response } from 'express';
import { LomasError } from 'lomas-kernel/protocol';
import { parseKey, secretMatches } from '../auth/keys';
import type { Store } from '../store/types';
import type { Principal } from './principal';

/**
 * Bearer-key authentication. The identity comes only from the key: no header names a user.
 * Unknown ids, wrong secrets, revoked keys and inactive users all get the same 401.
 */
export function authenticate(store: Store) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const header = req.headers.authorization;
    const token =
      typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7).trim() : '';
    const parsed = parseKey(token);
    const record = parsed ? await store.getKey(parsed.id) : null;
    const ok = secretMatches(record, parsed ? parsed.secret : 'x');
    if (!ok || !record || record.revokedAt !== null) throw new LomasError('UNAUTHENTICATED');
    const user = await store.getUser(record.user);
    if (!user || !user.active) throw new LomasError('UNAUTHENTICATED');
    const principal: Principal = { user: user.name, role: user.role, keyId: record.id };
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
