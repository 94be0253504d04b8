#!/usr/bin/env node
/**
 * lomas-admin: the admin command-line tool. It talks HTTP to a running Lomas server with an admin
 * key, so it works the same against a local or a remote server and goes through the same checks
 * as any other admin request.
 */
import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import YAML from 'yaml';
import { ConfigFile } from '../admin/config';
import { exactDecimal } from '../admin/service';
import { canonicalJson } from '../ledger/chain';
import { ConnectorSettings, DatasetMetadata } from '../http/schemas';
import { withDecimals } from './amounts';
import { GRANT_FLAGS, grantBody, GrantFlagError, type Accounting } from './grants';

export interface CliIO {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  env: NodeJS.ProcessEnv;
  fetch?: typeof fetch;
}

/** Exit codes. */
export const EXIT = { OK: 0, ERROR: 1, USAGE: 2, AUDIT_FAILED: 3, UNREACHABLE: 4 } as const;

const USAGE = `Usage: lomas-admin [--url URL] [--key KEY] [--json] <command> [arguments]

Connection: --url (or LOMAS_URL, default http://127.0.0.1:8765), --key (or LOMAS_ADMIN_KEY).

Users and keys
  users list
  users show <name>
  users create <name> [--role analyst|admin] [--inactive] [--no-key] [--label TEXT]
  users deactivate <name>
  users reactivate <name>
  keys list <user>
  keys issue <user> [--label TEXT]          prints the key once
  keys revoke <key-id>
Grants, in the dataset's own measure (exact decimals; a δ not given is 0)
  grants list [--dataset D] [--user U]
  grants show <dataset> <user>
  grants set <dataset> <user> AMOUNT
  grants raise <dataset> <user> AMOUNT
  grants lower <dataset> <user> AMOUNT      never below what is spent
    AMOUNT on a pure DP dataset:        ${GRANT_FLAGS.pure}
           on an approximate DP one:    ${GRANT_FLAGS.approx}
           on a zCDP one:               ${GRANT_FLAGS.zcdp}   (δ only for private key discovery)
Datasets
  datasets list
  datasets show <name>
  datasets create <file.yaml|json>           one dataset: name, connector, metadata, accounting, cap
  datasets update <name> <file.yaml|json>    the fields to change (the version is bumped)
  datasets remove <name>
Ledger, archive, audit
  ledger [--dataset D] [--user U] [--after-seq N] [--limit N]
                                             amounts as decimals (--json: the exact fractions)
  archive [--dataset D] [--user U] [--limit N]
  archive show <query-id>
  audit [--dataset D]                        verifies the hash chain (exit code 3 if broken)
Configuration
  load <file.yaml|json> [--dry-run]          users, datasets, grants; idempotent; prints issued keys
  dump [--format yaml|json]                  the configuration without secrets
                                             (through npm: npm run --silent admin -- dump > file)
`;

/** What the admin API answers (only the fields the CLI reads are typed). */
type Json = Record<string, unknown> & {
  key?: string;
  id?: string;
  ok?: boolean;
  entries?: number;
  heads?: Record<string, unknown>;
  dataset?: string;
  firstBadSeq?: number;
  problem?: string;
};
type AmountLike = string | number;
interface BudgetLike {
  epsilon: AmountLike;
  delta: AmountLike;
  rho?: AmountLike;
}
interface ServerUser {
  name: string;
  role: string;
  active: boolean;
}
interface ServerDataset {
  name: string;
  description?: string;
  connector: unknown;
  metadata: unknown;
  accounting: string;
  delta?: string;
  cap: BudgetLike | null;
}
interface ServerGrant {
  user: string;
  dataset: string;
  budget: BudgetLike;
}

class UsageError extends Error {}
class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string
  ) {
    super(message);
  }
}
class Unreachable extends Error {}

interface Args {
  positional: string[];
  flags: Map<string, string | true>;
}

const BOOLEAN_FLAGS = new Set(['json', 'inactive', 'no-key', 'dry-run', 'help']);

export function parseArgs(argv: string[]): Args {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      if (eq > 0) flags.set(name, a.slice(eq + 1));
      else if (BOOLEAN_FLAGS.has(name)) flags.set(name, true);
      else {
        const v = argv[i + 1];
        if (v === undefined || v.startsWith('--')) throw new UsageError(`--${name} needs a value`);
        flags.set(name, v);
        i++;
      }
    } else if (a === '-h') flags.set('help', true);
    else positional.push(a);
  }
  return { positional, flags };
}

function flag(args: Args, name: string): string | undefined {
  const v = args.flags.get(name);
  if (v === true) throw new UsageError(`--${name} needs a value`);
  return v;
}

function need(args: Args, index: number, what: string): string {
  const v = args.positional[index];
  if (v === undefined) throw new UsageError(`missing ${what}`);
  return v;
}

/**
 * A file named on the command line, read from where the user typed the command: `npm run admin`
 * runs the tool in the server workspace, and npm keeps the user's directory in INIT_CWD.
 */
function readDataFile(name: string, env: NodeJS.ProcessEnv): unknown {
  const path = resolve(env.INIT_CWD ?? process.cwd(), name);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(
      `cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`
    );
  }
  if (NPM_BANNER.test(text))
    throw new UsageError(
      `${path} starts with npm's script banner ("${text.trim().split('\n')[0]}"), not with the configuration: ` +
        'it was written by `npm run admin -- dump > file`, where npm prints its banner into the file. ' +
        'Write it again with `npm run --silent admin -- dump > file`.'
    );
  try {
    return extname(path).toLowerCase() === '.json' ? JSON.parse(text) : YAML.parse(text);
  } catch (e) {
    throw new UsageError(
      `${path} is not valid ${extname(path).toLowerCase() === '.json' ? 'JSON' : 'YAML'}: ${(e as Error).message}`
    );
  }
}

function grantFlags(args: Args): { epsilon?: string; delta?: string; rho?: string } {
  return { epsilon: flag(args, 'epsilon'), delta: flag(args, 'delta'), rho: flag(args, 'rho') };
}

/** npm's script banner ("> package@version script") at the top of a file written through npm. */
const NPM_BANNER = /^\s*> \S+@\S+ \S+/;

function query(args: Args, names: Record<string, string>): string {
  const q = new URLSearchParams();
  for (const [flagName, param] of Object.entries(names)) {
    const v = flag(args, flagName);
    if (v !== undefined) q.set(param, v);
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

const enc = encodeURIComponent;

export async function runCli(argv: string[], io: CliIO): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (e) {
    io.stderr(`lomas-admin: ${(e as Error).message}\n\n${USAGE}`);
    return EXIT.USAGE;
  }
  if (args.flags.get('help') || args.positional.length === 0) {
    (args.flags.get('help') ? io.stdout : io.stderr)(USAGE);
    return args.flags.get('help') ? EXIT.OK : EXIT.USAGE;
  }
  const url = (flag(args, 'url') ?? io.env.LOMAS_URL ?? 'http://127.0.0.1:8765').replace(
    /\/+$/,
    ''
  );
  const key = flag(args, 'key') ?? io.env.LOMAS_ADMIN_KEY;
  const doFetch = io.fetch ?? fetch;
  const asJson = args.flags.get('json') === true;

  async function api<T = Json>(method: string, path: string, body?: unknown): Promise<T> {
    if (!key) throw new UsageError('no admin key: pass --key or set LOMAS_ADMIN_KEY');
    let res: Response;
    try {
      res = await doFetch(url + path, {
        method,
        headers: {
          authorization: `Bearer ${key}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {})
        },
        body: body !== undefined ? JSON.stringify(body) : undefined
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new Unreachable(
        `cannot reach ${url}: ${cause?.code ?? cause?.message ?? (e as Error).message}`
      );
    }
    const text = await res.text();
    let parsed: { code?: unknown; message?: string } | undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!res.ok) {
      if (parsed && typeof parsed.code === 'string')
        throw new ApiError(res.status, parsed.code, String(parsed.message ?? ''));
      throw new ApiError(res.status, 'HTTP', `${res.status} ${res.statusText}`);
    }
    return parsed as T;
  }

  const print = (value: unknown) =>
    io.stdout(asJson ? JSON.stringify(value, null, 2) + '\n' : YAML.stringify(value));

  try {
    const [group, sub] = args.positional;
    switch (group) {
      case 'users': {
        switch (sub) {
          case 'list':
            print(await api('GET', '/admin/users'));
            return EXIT.OK;
          case 'show':
            print(await api('GET', `/admin/users/${enc(need(args, 2, 'user name'))}`));
            return EXIT.OK;
          case 'create': {
            const name = need(args, 2, 'user name');
            const user = await api('POST', '/admin/users', {
              name,
              role: flag(args, 'role') ?? 'analyst',
              active: args.flags.get('inactive') !== true
            });
            const out: Record<string, unknown> = { user };
            if (args.flags.get('no-key') !== true) {
              const k = await api('POST', `/admin/users/${enc(name)}/keys`, {
                label: flag(args, 'label') ?? ''
              });
              out.key = k.key;
              out.keyId = k.id;
              io.stderr('The key is shown once: store it now.\n');
            }
            print(out);
            return EXIT.OK;
          }
          case 'deactivate':
          case 'reactivate':
            print(
              await api('PATCH', `/admin/users/${enc(need(args, 2, 'user name'))}`, {
                active: sub === 'reactivate'
              })
            );
            return EXIT.OK;
        }
        break;
      }
      case 'keys': {
        switch (sub) {
          case 'list':
            print(await api('GET', `/admin/users/${enc(need(args, 2, 'user name'))}/keys`));
            return EXIT.OK;
          case 'issue': {
            const k = await api('POST', `/admin/users/${enc(need(args, 2, 'user name'))}/keys`, {
              label: flag(args, 'label') ?? ''
            });
            io.stderr('The key is shown once: store it now.\n');
            print(k);
            return EXIT.OK;
          }
          case 'revoke':
            print(await api('DELETE', `/admin/keys/${enc(need(args, 2, 'key id'))}`));
            return EXIT.OK;
        }
        break;
      }
      case 'grants': {
        if (sub === 'list') {
          print(
            await api('GET', `/admin/grants${query(args, { dataset: 'dataset', user: 'user' })}`)
          );
          return EXIT.OK;
        }
        if (sub === 'show' || sub === 'set' || sub === 'raise' || sub === 'lower') {
          const dataset = need(args, 2, 'dataset');
          const path = `/admin/grants/${enc(dataset)}/${enc(need(args, 3, 'user'))}`;
          if (sub === 'show') {
            print(await api('GET', path));
            return EXIT.OK;
          }
          const ds = await api<ServerDataset>('GET', `/admin/datasets/${enc(dataset)}`);
          const body = grantBody(dataset, ds.accounting as Accounting, grantFlags(args));
          if (sub === 'set') print(await api('PUT', path, body));
          else print(await api('POST', `${path}/${sub}`, body));
          return EXIT.OK;
        }
        break;
      }
      case 'datasets': {
        switch (sub) {
          case 'list':
            print(await api('GET', '/admin/datasets'));
            return EXIT.OK;
          case 'show':
            print(await api('GET', `/admin/datasets/${enc(need(args, 2, 'dataset name'))}`));
            return EXIT.OK;
          case 'create':
            print(
              await api(
                'POST',
                '/admin/datasets',
                readDataFile(need(args, 2, 'dataset file'), io.env)
              )
            );
            return EXIT.OK;
          case 'update':
            print(
              await api(
                'PATCH',
                `/admin/datasets/${enc(need(args, 2, 'dataset name'))}`,
                readDataFile(need(args, 3, 'file of changes'), io.env)
              )
            );
            return EXIT.OK;
          case 'remove':
            print(await api('DELETE', `/admin/datasets/${enc(need(args, 2, 'dataset name'))}`));
            return EXIT.OK;
        }
        break;
      }
      case 'ledger': {
        const entries = await api<unknown>(
          'GET',
          `/admin/ledger${query(args, { dataset: 'dataset', user: 'user', 'after-seq': 'afterSeq', limit: 'limit' })}`
        );
        print(asJson ? entries : withDecimals(entries));
        return EXIT.OK;
      }
      case 'archive':
        if (sub === 'show') {
          print(await api('GET', `/admin/archive/${enc(need(args, 2, 'query id'))}`));
          return EXIT.OK;
        }
        if (sub !== undefined) break;
        print(
          await api(
            'GET',
            `/admin/archive${query(args, { dataset: 'dataset', user: 'user', limit: 'limit' })}`
          )
        );
        return EXIT.OK;
      case 'audit': {
        const report = await api('GET', `/admin/audit${query(args, { dataset: 'dataset' })}`);
        if (asJson) print(report);
        else if (report.ok)
          io.stdout(
            `OK: the hash chain verifies (${report.entries} entries, ${Object.keys(report.heads ?? {}).length} datasets).\n`
          );
        else
          io.stdout(
            `BROKEN: dataset "${report.dataset}", entry ${report.firstBadSeq}: ${report.problem}\n`
          );
        return report.ok ? EXIT.OK : EXIT.AUDIT_FAILED;
      }
      case 'dump': {
        const format = flag(args, 'format') ?? (asJson ? 'json' : 'yaml');
        if (format !== 'yaml' && format !== 'json')
          throw new UsageError('--format is yaml or json');
        const config = await api('GET', '/admin/config');
        io.stdout(
          format === 'json' ? JSON.stringify(config, null, 2) + '\n' : YAML.stringify(config)
        );
        return EXIT.OK;
      }
      case 'load':
        return await load(need(args, 1, 'configuration file'), args.flags.get('dry-run') === true);
    }
    throw new UsageError(`unknown command: ${args.positional.join(' ')}`);
  } catch (e) {
    if (e instanceof UsageError || e instanceof GrantFlagError) {
      io.stderr(`lomas-admin: ${e.message}\nRun lomas-admin --help for the commands.\n`);
      return EXIT.USAGE;
    }
    if (e instanceof ApiError) {
      io.stderr(`lomas-admin: ${e.code} (${e.status}): ${e.message}\n`);
      return EXIT.ERROR;
    }
    if (e instanceof Unreachable) {
      io.stderr(`lomas-admin: ${e.message}\n`);
      return EXIT.UNREACHABLE;
    }
    io.stderr(`lomas-admin: ${(e as Error).message}\n`);
    return EXIT.ERROR;
  }

  /** Brings the server to the file's users, datasets and grants; changes only what differs. */
  async function load(path: string, dryRun: boolean): Promise<number> {
    const parsed = ConfigFile.safeParse(readDataFile(path, io.env));
    if (!parsed.success) {
      const lines = parsed.error.issues
        .slice(0, 20)
        .map(i => `  ${i.path.join('.') || '(file)'}: ${i.message}`);
      throw new UsageError(`${path} is not a valid configuration:\n${lines.join('\n')}`);
    }
    const file = parsed.data;
    const log: string[] = [];
    const keys: Array<{ user: string; key: string }> = [];
    const act = async (line: string, fn: () => Promise<unknown>) => {
      log.push((dryRun ? 'would ' : '') + line);
      if (!dryRun) await fn();
    };

    const users = new Map((await api<ServerUser[]>('GET', '/admin/users')).map(u => [u.name, u]));
    for (const u of file.users) {
      const have = users.get(u.name);
      if (!have) {
        await act(`create user ${u.name} (${u.role})`, () =>
          api('POST', '/admin/users', { name: u.name, role: u.role, active: u.active })
        );
        if (u.issueKey && !dryRun) {
          const k = await api('POST', `/admin/users/${enc(u.name)}/keys`, {
            label: 'lomas-admin load'
          });
          keys.push({ user: u.name, key: String(k.key) });
        }
        continue;
      }
      if (have.role !== u.role)
        log.push(
          `warning: user ${u.name} is ${have.role} on the server, ${u.role} in the file (roles are not changed by load)`
        );
      if (have.active !== u.active)
        await act(`${u.active ? 'reactivate' : 'deactivate'} user ${u.name}`, () =>
          api('PATCH', `/admin/users/${enc(u.name)}`, { active: u.active })
        );
    }

    const budget = (
      b:
        | { epsilon: string | number; delta: string | number; rho?: string | number }
        | null
        | undefined
    ) =>
      b
        ? {
            epsilon: exactDecimal(b.epsilon),
            delta: exactDecimal(b.delta),
            rho: exactDecimal(b.rho ?? '0')
          }
        : null;
    const same = (a: unknown, b: unknown) => canonicalJson(a) === canonicalJson(b);

    const datasets = new Map(
      (await api<ServerDataset[]>('GET', '/admin/datasets')).map(d => [d.name, d])
    );
    for (const d of file.datasets) {
      const body: Record<string, unknown> = {
        name: d.name,
        connector: d.connector,
        metadata: d.metadata,
        accounting: d.accounting,
        cap: d.cap
      };
      if (d.description !== undefined) body.description = d.description;
      if (d.delta !== undefined) body.delta = d.delta;
      const have = datasets.get(d.name);
      if (!have) {
        await act(`register dataset ${d.name}`, () => api('POST', '/admin/datasets', body));
        continue;
      }
      const patch: Record<string, unknown> = {};
      if (d.description !== undefined && d.description !== have.description)
        patch.description = d.description;
      const redacted = JSON.stringify(d.connector).includes('redacted');
      if (!redacted && !same(ConnectorSettings.parse(d.connector), have.connector))
        patch.connector = d.connector;
      if (!same(DatasetMetadata.parse(d.metadata), have.metadata)) patch.metadata = d.metadata;
      if (d.accounting !== have.accounting) patch.accounting = d.accounting;
      if (
        d.delta !== undefined &&
        (have.delta === undefined || exactDecimal(d.delta) !== exactDecimal(have.delta))
      )
        patch.delta = d.delta;
      if (!same(budget(d.cap), budget(have.cap))) patch.cap = d.cap;
      if (Object.keys(patch).length > 0)
        await act(`update dataset ${d.name} (${Object.keys(patch).join(', ')})`, () =>
          api('PATCH', `/admin/datasets/${enc(d.name)}`, patch)
        );
    }

    const grants = new Map(
      (await api<ServerGrant[]>('GET', '/admin/grants')).map(g => [`${g.dataset}\0${g.user}`, g])
    );
    for (const g of file.grants) {
      const have = grants.get(`${g.dataset}\0${g.user}`);
      if (have && same(budget(g.budget), budget(have.budget))) continue;
      await act(`${have ? 'change' : 'set'} grant of ${g.user} on ${g.dataset}`, () =>
        api('PUT', `/admin/grants/${enc(g.dataset)}/${enc(g.user)}`, g.budget)
      );
    }

    if (asJson) print({ dryRun, changes: log, keys });
    else {
      io.stdout(
        log.length
          ? log.map(l => `${l}\n`).join('')
          : 'Nothing to change: the server already matches the file.\n'
      );
      for (const k of keys) io.stdout(`key for ${k.user} (shown once): ${k.key}\n`);
    }
    return EXIT.OK;
  }
}

if (require.main === module) {
  // Output piped into `head` and the like: stop quietly when the reader goes away.
  process.stdout.on('error', err => {
    if ((err as NodeJS.ErrnoException).code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  runCli(process.argv.slice(2), {
    stdout: s => process.stdout.write(s),
    stderr: s => process.stderr.write(s),
    env: process.env
  }).then(
    code => {
      process.exitCode = code;
    },
    err => {
      process.stderr.write(`lomas-admin: ${(err as Error).message}\n`);
      process.exitCode = 1;
    }
  );
}
