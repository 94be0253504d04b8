import { spawn } from 'node:child_process';
import { privateKernelspec } from './runNotebook';

/**
 * The Lomas tslab kernel (kernel-lib/src/client/kernel.ts), driven by jupyter_client as Jupyter
 * drives it: history requests get their reply, and the kernel does not outlive a Jupyter that was
 * killed before it could shut its kernels down.
 */

/** Starts a kernel from Python, runs `body` with `km` and `kc`, and streams Python's output. */
function python(body: string) {
  const script = `
import sys, time
from jupyter_client import KernelManager
km = KernelManager(kernel_name='tslab')
km.start_kernel()
kc = km.client()
kc.start_channels()
kc.wait_for_ready(timeout=60)
print('kernel pid', km.provisioner.pid, flush=True)
try:
${body.replace(/^/gm, '    ')}
finally:
    km.shutdown_kernel(now=True)
`;
  const child = spawn('python3', ['-c', script], {
    env: { ...process.env, JUPYTER_PATH: privateKernelspec() },
    stdio: ['ignore', 'pipe', 'pipe']
  });
  let out = '';
  child.stdout.on('data', d => (out += d));
  child.stderr.on('data', d => (out += d));
  const exited = new Promise<number | null>(ok => child.once('exit', code => ok(code)));
  const waitFor = async (re: RegExp, ms = 90000): Promise<RegExpMatchArray> => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      const m = re.exec(out);
      if (m) return m;
      await new Promise(r => setTimeout(r, 100));
    }
    throw new Error(`no ${re} in:\n${out}`);
  };
  return { child, exited, waitFor, output: () => out };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('history_request gets a reply, and nothing is printed about it', async () => {
  const p = python(`
msg_id = kc.history(hist_access_type='tail', n=10)
reply = kc.get_shell_msg(timeout=20)
while reply['parent_header'].get('msg_id') != msg_id:
    reply = kc.get_shell_msg(timeout=20)
print('reply', reply['msg_type'], reply['content']['status'], len(reply['content']['history']), flush=True)
time.sleep(1)
kc.stop_channels()
`);
  expect(await p.exited).toBe(0);
  expect(p.output()).toContain('reply history_reply ok 0');
  expect(p.output()).not.toContain('unknown msg_type');
}, 120000);

test('the kernel exits when Jupyter is killed before it can shut it down', async () => {
  const p = python('time.sleep(600)');
  const pid = Number((await p.waitFor(/kernel pid (\d+)/))[1]);
  expect(alive(pid)).toBe(true);
  p.child.kill('SIGKILL');
  await p.exited;
  const end = Date.now() + 10000;
  while (alive(pid) && Date.now() < end) await new Promise(r => setTimeout(r, 200));
  const orphan = alive(pid);
  if (orphan) process.kill(pid, 'SIGKILL'); // never leave one behind, even when the test fails
  expect(orphan).toBe(false);
}, 120000);
