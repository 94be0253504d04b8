/**
 * The TypeScript kernel Lomas notebooks run: tslab 1.0.22 itself, started the way `tslab kernel`
 * starts it, with what a notebook user expects from a kernel added:
 *  - the value of a cell's last expression is displayed like show() does (an arquero table as a
 *    table, a result as its card, a budget as its bar), once: a value the cell already displayed
 *    is not drawn again. tslab only console.logs it (an arquero table's internals);
 *  - history_request (JupyterLab asks it when a notebook opens) gets its reply, an empty history
 *    (tslab keeps none), instead of "unknown msg_type" on the terminal;
 *  - the kernel exits when its parent (the Jupyter server) is gone, instead of living on orphaned
 *    when Jupyter was killed before it could shut its kernels down.
 *
 * Kernelspec argv: ["node", "<repo>/kernel-lib/dist/client/kernel.js", "--config-path",
 * "{connection_file}"]. It leans on tslab internals (dist/main, dist/executor, dist/jupyter),
 * hence the exact tslab version in package.json.
 */
import { readFileSync } from 'node:fs';
import { beginCell, Display, isDisplayable, shownThisCell } from './display';
import { bundlesOf, isTable } from './show';

type Console = { log: (...a: unknown[]) => void; error: (...a: unknown[]) => void };
interface Executor {
  execute(src: string): Promise<boolean>;
}
interface ParsedMessage {
  header: { msg_type: string };
  createReply(): {
    header: { msg_type: string };
    content: unknown;
    signAndSend(key: string, sock: unknown): void;
  };
}
interface ZmqServer {
  connInfo: { key: string };
  shell: unknown;
  publishStatus(status: string, parent: ParsedMessage): void;
}

/* eslint-disable @typescript-eslint/no-require-imports -- tslab's internals are CommonJS modules */
const tslabMain = () =>
  require('tslab/dist/main') as {
    startKernel(o: { configPath: string; enableFindLocal: boolean; jsKernel: boolean }): void;
  };
const tslabExecutor = () =>
  require('tslab/dist/executor') as {
    createExecutor: (root: string, convs: unknown, console: Console) => Executor;
  };
const tslabJupyter = () => require('tslab/dist/jupyter') as { ZmqServer: { prototype: ZmqServer } };
/* eslint-enable @typescript-eslint/no-require-imports */

/** What the Lomas kernel shows for a cell's last expression, or null to echo it as tslab does. */
export function lastValueBundles(value: unknown): Record<string, unknown>[] | null | 'shown' {
  if (shownThisCell(value)) return 'shown';
  if (isDisplayable(value) || isTable(value)) return bundlesOf(value);
  return null;
}

/** Last expressions displayed; each cell counted, so that a value it displayed is not repeated. */
function patchExecutor(): void {
  const mod = tslabExecutor();
  const create = mod.createExecutor;
  mod.createExecutor = (root, convs, cons) => {
    const echo: Console = {
      error: cons.error,
      log: (...args) => {
        const bundles = args.length === 1 ? lastValueBundles(args[0]) : null;
        if (bundles === 'shown') return;
        if (bundles) new Display().showAll(bundles);
        else cons.log(...args);
      }
    };
    const executor = create(root, convs, echo);
    const execute = executor.execute.bind(executor);
    executor.execute = src => {
      beginCell();
      return execute(src);
    };
    return executor;
  };
}

/** history_request: answered between the busy and idle statuses tslab publishes for it. */
function patchHistory(): void {
  const proto = tslabJupyter().ZmqServer.prototype;
  const publish = proto.publishStatus;
  proto.publishStatus = function (this: ZmqServer, status, parent) {
    publish.call(this, status, parent);
    if (status !== 'busy' || parent.header.msg_type !== 'history_request') return;
    const reply = parent.createReply();
    reply.header.msg_type = 'history_reply';
    reply.content = { status: 'ok', history: [] };
    reply.signAndSend(this.connInfo.key, this.shell);
  };
  // tslab still reaches its "unknown msg_type" branch for the request it no longer ignores.
  const warn = console.warn.bind(console);
  console.warn = (...args: unknown[]) => {
    if (args.length === 1 && args[0] === 'unknown msg_type: history_request') return;
    warn(...args);
  };
}

/** The current parent pid (process.ppid is fixed at start): from /proc on Linux. */
function currentParent(): number | null {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Exits once the parent process is gone (ipykernel's parent poller does the same). */
function watchParent(): void {
  const parent = process.ppid;
  setInterval(() => {
    const now = currentParent();
    if (now === null ? !alive(parent) : now !== parent) process.exit(0);
  }, 1000).unref();
}

export function startKernel(argv: string[]): void {
  const i = argv.indexOf('--config-path');
  const configPath = i >= 0 ? argv[i + 1] : undefined;
  if (!configPath) {
    process.stderr.write('usage: kernel.js --config-path <connection file>\n');
    process.exit(2);
  }
  patchExecutor();
  patchHistory();
  watchParent();
  tslabMain().startKernel({ configPath, enableFindLocal: false, jsKernel: false });
}

if (require.main === module) startKernel(process.argv.slice(2));
