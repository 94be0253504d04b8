import type { Response } from 'express';
import { LomasError } from 'lomas-kernel/protocol';
import type { Role } from '../store/types';

/** Who is calling, established by the auth middleware from the credential alone. */
export interface Principal {
  user: string;
  role: Role;
  /** What the caller signed in with (rate limits count per credential): `key:<key id>` or `oidc:<user>`. */
  credential: string;
}

export function principalOf(res: Response): Principal {
  const p = res.locals.principal as Principal | undefined;
  if (!p) throw new LomasError('UNAUTHENTICATED');
  return p;
}
