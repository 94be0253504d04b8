import { ResultBundle } from 'lomas-kernel/protocol';

/**
 * Checks a MIME payload against the protocol's ResultBundle schema (the one the server builds its
 * releases with) without trusting it. Pure and DOM-free so it can be unit-tested; the renderer
 * shows `problems` in an error box instead of crashing.
 */
export type Parsed = { ok: true; bundle: ResultBundle } | { ok: false; problems: string[] };

/** A zod path as people read it: rows[0].a, mechanisms[1].cost.delta. */
function pathText(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`))
    .join('');
}

export function parseResultBundle(data: unknown): Parsed {
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    return { ok: false, problems: ['the payload is not a JSON object'] };
  const version = (data as { version?: unknown }).version;
  if (version !== 1)
    return {
      ok: false,
      problems: [`unsupported version ${JSON.stringify(version)} (expected 1)`]
    };
  const r = ResultBundle.safeParse(data);
  if (r.success) return { ok: true, bundle: r.data };
  return {
    ok: false,
    problems: r.error.issues
      .slice(0, 20)
      .map(i => `${pathText(i.path) || '(payload)'}: ${i.message}`)
  };
}
