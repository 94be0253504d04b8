/**
 * What the Python Lomas client (lomas-client 0.5.1) asks for, answered by this server's own
 * engine: SmartNoise-SQL calls go through the SQL front end (domain/sql.ts) and so through the same
 * checks, cost, ledger charge before any data, and archive as POST /v1/queries/sql. Everything
 * else the client can send (OpenDP pipelines, DiffPrivLib models, SmartNoise-Synth) is code-like
 * or a library this server does not run: refused before anything is read or charged.
 */
import { LomasError, type SqlOptions, type SqlReleaseResponse } from 'lomas-kernel/protocol';
import { applyPostProcess } from 'lomas-kernel/sql';
import type { ArchiveRecord, Store } from '../store/types';
import { datasetAccess } from './access';
import type { LomasJobs } from './lomasJobs';
import type {
  Cell,
  CsvwTable,
  LomasBudgets,
  LomasDummyDataset,
  LomasJob,
  LomasJobResult,
  LomasPreviousQueries,
  LomasPreviousQuery,
  LomasQueryResponse,
  LomasSqlCostRequest,
  LomasSqlDummyRequest,
  LomasSqlQueryRequest,
  TightFrame
} from './lomasSchemas';
import {
  asFloat,
  costFloats,
  csvwMetadata,
  dummyDtypes,
  lomasException,
  tightFrame
} from './lomasWire';
import type { AnalystService, Principal, SqlService } from './types';

/** SmartNoise-SQL's mechanism override keys (docs.smartnoise.org/sql/advanced.html). */
export const SMARTNOISE_MECHANISM_KEYS = [
  'count',
  'sum_int',
  'sum_large_int',
  'sum_float',
  'threshold'
] as const;

/** SmartNoise's mechanism names, by the noise family this engine calibrates for them. */
const MECHANISM_FAMILY: Record<string, 'laplace' | 'gaussian'> = {
  laplace: 'laplace',
  discrete_laplace: 'laplace',
  geometric: 'laplace',
  gaussian: 'gaussian',
  discrete_gaussian: 'gaussian',
  analytic_gaussian: 'gaussian'
};

/** The client's DP libraries that this server refuses, with why. */
export const REFUSED_LIBRARIES = {
  opendp: 'OpenDP pipelines are serialised programs',
  diffprivlib: 'DiffPrivLib pipelines are serialised (pickled) Python models',
  smartnoise_synth: 'SmartNoise-Synth synthesizers run Python model code'
} as const;
export type RefusedLibrary = keyof typeof REFUSED_LIBRARIES;

/** The client's calls of those libraries (routes `POST /lomas/<call>`), each refused. */
export const REFUSED_CALLS: Record<string, RefusedLibrary> = {
  estimate_opendp_cost: 'opendp',
  opendp_query: 'opendp',
  dummy_opendp_query: 'opendp',
  estimate_diffprivlib_cost: 'diffprivlib',
  diffprivlib_query: 'diffprivlib',
  dummy_diffprivlib_query: 'diffprivlib',
  estimate_smartnoise_synth_cost: 'smartnoise_synth',
  smartnoise_synth_query: 'smartnoise_synth',
  dummy_smartnoise_synth_query: 'smartnoise_synth'
};

function invalid(problem: string): LomasError {
  return new LomasError('INVALID_REQUEST', { problem });
}

/**
 * SmartNoise's `mechanisms` overrides → this engine's one `mechanism` option. Each statistic's
 * override must name a known key and a Laplace- or Gaussian-family mechanism, all of one family
 * (this engine calibrates one family per query, choosing the discrete or continuous form itself).
 */
export function mechanismOption(
  mechanisms: Record<string, string>
): 'laplace' | 'gaussian' | undefined {
  const families = new Set<'laplace' | 'gaussian'>();
  for (const [key, value] of Object.entries(mechanisms)) {
    if (!(SMARTNOISE_MECHANISM_KEYS as readonly string[]).includes(key))
      throw invalid(
        `mechanisms: "${key.slice(0, 64)}" is not a SmartNoise mechanism key (known: ${SMARTNOISE_MECHANISM_KEYS.join(', ')})`
      );
    if (key === 'threshold')
      throw invalid(
        'mechanisms: "threshold" is not supported: this server does not release group keys by a noisy threshold; GROUP BY keys come from the public metadata (the categories of the column)'
      );
    const family = MECHANISM_FAMILY[value];
    if (!family)
      throw invalid(
        `mechanisms.${key}: "${value.slice(0, 64)}" is not a mechanism this server runs (use laplace or gaussian)`
      );
    families.add(family);
  }
  if (families.size > 1)
    throw invalid(
      'mechanisms: this server noises all the statistics of one query with one mechanism family; ask for laplace everywhere or gaussian everywhere'
    );
  return [...families][0];
}

/**
 * The client's SmartNoise-SQL request as this server's SQL request. ε is the whole query's budget
 * (split equally across its aggregates). δ is read as the most the analyst accepts to spend: only
 * Gaussian noise spends δ here, so it is passed on only with a Gaussian override (Laplace noise,
 * the default, spends none, and a pure-DP dataset would refuse any δ).
 */
export function sqlRequestOf(r: LomasSqlCostRequest & { postprocess?: boolean }) {
  if (r.postprocess === false)
    throw invalid(
      'postprocess=false is not supported: SmartNoise then returns the raw noisy sums and counts behind each statistic; this server releases only the finished statistics. Send postprocess=True'
    );
  const mechanism = mechanismOption(r.mechanisms);
  if (mechanism === 'gaussian' && !(r.delta > 0))
    throw invalid('delta: Gaussian noise needs a delta above 0');
  const options: SqlOptions = {
    epsilon: r.epsilon,
    ...(mechanism === 'gaussian' ? { delta: r.delta } : {}),
    ...(mechanism ? { mechanism } : {})
  };
  return { sql: r.query_str, dataset: r.dataset_name, options };
}

/** A released SQL table as the client's DataFrame: the SELECT list's columns, in its order. */
export function releaseFrame(r: SqlReleaseResponse): TightFrame {
  return tightFrame(r.sql.postprocess.columns, r.rows);
}

function queryResponse(who: Principal, r: SqlReleaseResponse): LomasQueryResponse {
  return {
    ...costFloats(r.cost),
    requested_by: who.user,
    result: { type: 'smartnoise_sql', df: releaseFrame(r) }
  };
}

/** The one mechanism family a query was noised with, as SmartNoise overrides (none: default). */
function appliedMechanisms(m: SqlOptions['mechanism']): Record<string, string> {
  if (!m) return {};
  return Object.fromEntries(
    SMARTNOISE_MECHANISM_KEYS.filter(k => k !== 'threshold').map(k => [k, m])
  );
}

/** One archived SQL query in the form of Lomas's previous queries (`dp_library` smartnoise_sql). */
export function previousQuery(rec: ArchiveRecord): LomasPreviousQuery {
  const sql = rec.sql!;
  const options = (sql.options ?? {}) as SqlOptions;
  let response: LomasQueryResponse | null = null;
  if (rec.kind === 'release' && rec.release) {
    const release = applyPostProcess(
      rec.release as SqlReleaseResponse,
      sql.postprocess as SqlReleaseResponse['sql']['postprocess']
    );
    const columns = (sql.postprocess as { columns: string[] }).columns;
    response = {
      ...costFloats(rec.cost),
      requested_by: rec.user,
      result: {
        type: 'smartnoise_sql',
        df: tightFrame(columns, release.rows as Array<Record<string, Cell>>)
      }
    };
  }
  return {
    user_name: rec.user,
    dataset_name: rec.dataset,
    dp_library: 'smartnoise_sql',
    client_input: {
      dataset_name: rec.dataset,
      query_str: sql.text,
      epsilon: asFloat(options.epsilon === undefined ? undefined : String(options.epsilon)),
      delta: asFloat(options.delta === undefined ? undefined : String(options.delta)),
      mechanisms: appliedMechanisms(options.mechanism),
      postprocess: true
    },
    response,
    timestamp: Date.parse(rec.at) / 1000,
    query_id: rec.queryId,
    ...(rec.error ? { error: lomasException(LomasError.fromBody(rec.error)).body } : {})
  };
}

export interface LomasCompatDeps {
  store: Store;
  analyst: AnalystService;
  sql: SqlService;
  jobs: LomasJobs;
}

/** Most previous queries listed (the archive's newest, shown oldest first as Lomas lists them). */
export const LOMAS_HISTORY_LIMIT = 1000;

export function createLomasService(deps: LomasCompatDeps) {
  const { store, analyst, sql, jobs } = deps;

  /**
   * Runs a job's work now. Refusals (before any charge) are thrown: the route answers them at once.
   * A failure after the charge is a job that failed, as Lomas reports it (charge kept).
   */
  async function job(who: Principal, work: () => Promise<LomasJobResult>): Promise<LomasJob> {
    let result: LomasJobResult;
    try {
      result = await work();
    } catch (err) {
      if (!(err instanceof LomasError && err.code === 'QUERY_FAILED')) throw err;
      const { status, body } = lomasException(err);
      return jobs.finish(who.user, { error: body, status });
    }
    return jobs.finish(who.user, { result });
  }

  return {
    async metadata(who: Principal, dataset: string): Promise<CsvwTable> {
      const { dataset: d } = await datasetAccess(store, who, dataset);
      return csvwMetadata(d.metadata);
    },

    async dummyDataset(
      who: Principal,
      dataset: string,
      rows: number,
      seed: number
    ): Promise<LomasDummyDataset> {
      const { dataset: d } = await datasetAccess(store, who, dataset);
      const dummy = (await analyst.dummyRows(who, dataset, rows, seed)) as {
        columns: string[];
        rows: Array<Record<string, Cell>>;
      };
      return { dtypes: dummyDtypes(d.metadata), dummy_df: tightFrame(dummy.columns, dummy.rows) };
    },

    async budgets(who: Principal, dataset: string): Promise<LomasBudgets> {
      const s = await analyst.budget(who, dataset);
      return {
        initial: {
          initial_epsilon: asFloat(s.initial.epsilon),
          initial_delta: asFloat(s.initial.delta)
        },
        spent: {
          total_spent_epsilon: asFloat(s.spent.epsilon),
          total_spent_delta: asFloat(s.spent.delta)
        },
        remaining: {
          remaining_epsilon: asFloat(s.remaining.epsilon),
          remaining_delta: asFloat(s.remaining.delta)
        }
      };
    },

    /** Queries sent as SQL (the only kind the client can read back); others are left out. */
    async previousQueries(who: Principal, dataset: string): Promise<LomasPreviousQueries> {
      await datasetAccess(store, who, dataset);
      const records = await store.listArchive({
        user: who.user,
        dataset,
        limit: LOMAS_HISTORY_LIMIT
      });
      const listed = records
        .filter(r => r.sql !== undefined)
        .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
      return { previous_queries: listed.map(previousQuery) };
    },

    sqlCost(who: Principal, r: LomasSqlCostRequest): Promise<LomasJob> {
      const req = sqlRequestOf(r);
      return job(who, async () => costFloats((await sql.estimate(who, req)).cost));
    },

    sqlQuery(who: Principal, r: LomasSqlQueryRequest): Promise<LomasJob> {
      const req = sqlRequestOf(r);
      return job(who, async () => queryResponse(who, await sql.run(who, req, null)));
    },

    sqlDummy(who: Principal, r: LomasSqlDummyRequest): Promise<LomasJob> {
      const req = sqlRequestOf(r);
      const opts = { rows: r.dummy_nb_rows, seed: r.dummy_seed };
      return job(who, async () => queryResponse(who, await sql.dummy(who, req, opts)));
    },

    status(who: Principal, uid: string): LomasJob {
      return jobs.get(who.user, uid);
    },

    /**
     * A library this server does not run. The dataset is checked first (an analyst without access
     * learns nothing more here than elsewhere); then the refusal, before the payload is read.
     */
    async refuse(who: Principal, library: RefusedLibrary, dataset: unknown): Promise<never> {
      if (typeof dataset === 'string') await datasetAccess(store, who, dataset);
      throw invalid(
        `${library} requests are not supported by this server: ${REFUSED_LIBRARIES[library]}, which it will not execute. Nothing was charged. Write the query in SmartNoise SQL (client.smartnoise_sql), see docs/MIGRATION.md`
      );
    }
  };
}

export type LomasService = ReturnType<typeof createLomasService>;
