import type { Response } from 'express';
import { LomasError } from 'lomas-kernel/protocol';
import type { Principal } from '../domain/types';

export type { Principal };

export function principalOf(res: Response): Principal {
  const p = res.locals.principal as Principal | undefined;
  if (!p) throw new LomasError('UNAUTHENTICATED');
  return p;
}
