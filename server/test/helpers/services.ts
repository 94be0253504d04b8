/**
 * Real services that the test run (.ci/test.sh) starts once and hands to every suite through
 * environment variables (Trino, the Python tools; FerretDB has its own helper).
 *
 * serviceEnv(service, names, howToStart):
 * - every variable set: returns their values;
 * - some missing, CI not set: prints why and returns undefined, and the suite skips itself
 *   (a developer running one file without the services);
 * - some missing under CI: throws, so the suite fails. In CI a missing service is a failure,
 *   never a silent skip.
 */
export function serviceEnv<K extends string>(
  service: string,
  names: readonly K[],
  howToStart: string
): Record<K, string> | undefined {
  const missing = names.filter(n => !process.env[n]);
  if (missing.length === 0) {
    return Object.fromEntries(names.map(n => [n, process.env[n] as string])) as Record<K, string>;
  }
  const why = `${service}: ${missing.join(', ')} not set. ${howToStart}`;
  if (underCi()) throw new Error(`${why} (CI is set, so this is a failure, not a skip)`);
  // Not console.warn: jest hides the console output of a suite whose tests are all skipped.
  process.stderr.write(`Skipping the ${service} tests. ${why}\n`);
  return undefined;
}

/** CI=true (or any value but '', '0', 'false'), as CI systems set it. */
export function underCi(): boolean {
  const ci = (process.env.CI ?? '').trim().toLowerCase();
  return ci !== '' && ci !== '0' && ci !== 'false';
}

/** `describe` when the service is there, `describe.skip` when serviceEnv said to skip. */
export function describeWith(env: unknown): jest.Describe {
  return env ? describe : describe.skip;
}
