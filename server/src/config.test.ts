import { ConfigError, loadConfig } from './config';
import { ENGINE_DEFAULTS } from './engine/limits';
import { TIMING_DEFAULTS } from './http/timing';

describe('server configuration', () => {
  test('timing protection is on by default, with the documented floor and jitter', () => {
    const c = loadConfig({});
    expect(c.minLatencyMs).toBe(TIMING_DEFAULTS.minLatencyMs);
    expect(c.latencyJitterMs).toBe(TIMING_DEFAULTS.jitterMs);
    expect(c.minLatencyMs).toBeGreaterThan(0);
    expect(c.latencyJitterMs).toBeGreaterThan(0);
    expect(loadConfig({ LOMAS_MIN_LATENCY_MS: '0', LOMAS_LATENCY_JITTER_MS: '0' })).toMatchObject({
      minLatencyMs: 0,
      latencyJitterMs: 0
    });
  });

  test('engine limits: documented defaults, overridden by LOMAS_DUCKDB_* and LOMAS_QUERY_TIMEOUT_MS', () => {
    expect(loadConfig({}).engine).toEqual(ENGINE_DEFAULTS);
    expect(
      loadConfig({
        LOMAS_DUCKDB_MEMORY_LIMIT: '512MB',
        LOMAS_DUCKDB_THREADS: '4',
        LOMAS_QUERY_TIMEOUT_MS: '2500'
      }).engine
    ).toEqual({ memoryLimit: '512MB', threads: 4, queryTimeoutMs: 2500 });
  });

  test.each([
    ['LOMAS_DUCKDB_MEMORY_LIMIT', 'lots'],
    ['LOMAS_DUCKDB_MEMORY_LIMIT', '2GB; SET x = 1'],
    ['LOMAS_DUCKDB_MEMORY_LIMIT', '0GB'],
    ['LOMAS_DUCKDB_THREADS', '0'],
    ['LOMAS_DUCKDB_THREADS', '1.5'],
    ['LOMAS_QUERY_TIMEOUT_MS', '0'],
    ['LOMAS_QUERY_TIMEOUT_MS', 'soon'],
    ['LOMAS_MIN_LATENCY_MS', '-1']
  ])('refuses to start with %s=%s', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });
});
