// The emulated GPU served to unmodified Debian ROCm 5.2.3 user space (rocminfo, libhsa-runtime64,
// libhsakmt, libdrm_amdgpu): AMD's code is the oracle for our kernel interface. Every ioctl the stack
// issues must be handled; the only refusals allowed are listed below with the kernel's reason.
import { after, test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runServed, type ServedRunResult } from '../src/emu/serve/run.js';
import { buildPreload } from '../src/emu/serve/preload-build.js';
import { REDIRECTED_PREFIXES, writeServedTree } from '../src/emu/serve/tree.js';
import { parseEmuSpec, MODELS } from '../src/emu/models/models.js';
import { packagePath } from '../src/os/package-root.js';
import type { ServerStats } from '../src/emu/serve/server.js';
import { requireOracle } from './support/tools.js';

const SPEC = parseEmuSpec('emu:gfx90a');
const HSA_NEEDS = { commands: ['cc', 'rocminfo'], files: ['/usr/include/hsa/hsa.h', '/usr/lib/x86_64-linux-gnu/libhsa-runtime64.so'] };
const INSTALL = 'apt-get install -y rocminfo libhsakmt1 libhsa-runtime64-1 libhsa-runtime-dev gcc';

/**
 * Refusals the unmodified stack meets on a real upstream kernel too: ROCm's thunk probes its
 * out-of-tree debugger ioctl (AMDKFD_IOC_DBG_TRAP, nr 0x82, past AMDKFD_COMMAND_END upstream) and
 * treats the failure as "not supported" (libhsakmt debug.c hsaKmtRuntimeEnable).
 */
const EXPECTED_REFUSALS = new Map([['kfd ioctl 0xc0284b82 (nr 0x82)', 'ENOTTY']]);

function unexpectedRefusals(stats: ServerStats): string[] {
  const out: string[] = [];
  for (const s of stats.sessions) {
    for (const c of s.ioctls) {
      for (const errno of Object.keys(c.failed)) {
        if (EXPECTED_REFUSALS.get(c.name) !== errno) out.push(`${c.name} → ${errno} (${c.why.join('; ')})`);
      }
    }
  }
  return out;
}

function assertCleanServe(r: ServedRunResult): void {
  assert.deepEqual(unexpectedRefusals(r.stats), [], 'every ioctl of the unmodified stack is handled as the kernel would');
  assert.deepEqual(r.stats.internalErrors, []);
  assert.deepEqual(r.stats.protocolErrors, []);
  for (const s of r.stats.sessions) {
    assert.deepEqual(s.hangs, [], 'no queue of the client was stopped');
    const left = s.leftAfterTeardown!;
    assert.deepEqual({ ...left }, { bos: 0, queues: 0, events: 0, gpuMappings: 0, cpuMappings: 0, openFiles: 0 }, 'the teardown releases everything');
    assert.equal(s.memory!.live, 0, 'every shared file is released');
  }
}

/**
 * This file's scratch folder, removed when it ends: the compiled clients, and the temporary folders of
 * emulators the tests kill (a SIGKILLed emulator cannot remove its own; they get it as TMPDIR).
 */
let scratch: string | undefined;
const scratchDir = (): string => (scratch ??= mkdtempSync(join(tmpdir(), 'amdgpu-ts-served-test-')));
after(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** Compiles a C client of test/served into the scratch folder (once per name). */
function buildClient(name: string, libs: string[] = []): string {
  const exe = join(scratchDir(), name);
  const r = spawnSync('cc', ['-O2', '-Wall', '-Wextra', '-Werror', '-o', exe, packagePath('test', 'served', `${name}.c`), ...libs], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return exe;
}

/** True while `pid` exists and is not a zombie waiting for its (new) parent to reap it. */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** The agents rocminfo printed, each as key → value (first occurrence of each key). */
function rocminfoAgents(text: string): Map<string, string>[] {
  return text.split(/\*{7}\s*\nAgent \d+\s*\n\*{7}/).slice(1).map((block) => {
    const m = new Map<string, string>();
    for (const line of block.split('\n')) {
      const kv = /^\s*([^:]+):\s*(.*?)\s*$/.exec(line);
      if (kv && !m.has(kv[1]!)) m.set(kv[1]!, kv[2]!);
    }
    return m;
  });
}

describe('served emu:gfx90a: unmodified ROCm 5.2.3 user space', { concurrency: false }, () => {
  test('rocminfo lists the CPU agent and a GPU agent whose name, CUs, wave size, ISA and pools are the model\'s', async (t) => {
    if (!requireOracle(t, { ...HSA_NEEDS, install: INSTALL })) return;
    const r = await runServed({ spec: SPEC, command: 'rocminfo', args: [], stdio: 'pipe', timeoutMs: 60_000 });
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
    assert.doesNotMatch(r.stderr, /ERROR|could not open/, 'lsmod (libkmod) finds every module file it reads');
    const agents = rocminfoAgents(r.stdout);
    const cpu = agents.find((a) => a.get('Device Type') === 'CPU');
    const gpu = agents.find((a) => a.get('Device Type') === 'GPU');
    assert.ok(cpu, 'a CPU agent');
    assert.ok(gpu, 'a GPU agent');
    const model = MODELS.get('gfx90a')!.gpu;
    const props = new Map(model.properties.split('\n').map((l) => l.split(' ') as [string, string]));
    assert.equal(gpu.get('Name'), 'gfx90a');
    assert.equal(gpu.get('Marketing Name'), 'AMD Instinct MI210', 'libdrm names it from the PCI id and revision');
    assert.equal(Number(gpu.get('Compute Unit')), Number(props.get('simd_count')) / Number(props.get('simd_per_cu')));
    assert.equal(gpu.get('Wavefront Size'), `${props.get('wave_front_size')}(0x40)`);
    assert.match(r.stdout, /Name:\s+amdgcn-amd-amdhsa--gfx90a(:sramecc[+-])?(:xnack[+-])?\s*\n/);
    // The device's global pool is its VRAM, in KiB; the group segment is the LDS.
    assert.match(r.stdout, new RegExp(`Segment:\\s+GLOBAL; FLAGS: COARSE GRAINED\\s*\\n\\s*Size:\\s+${model.vramBytes / 1024n}\\(`));
    assert.match(r.stdout, /Segment:\s+GROUP\s*\n\s*Size:\s+64\(0x40\) KB/);
    assertCleanServe(r);
  });

  for (const co of ['vector_add.gfx90a.co', 'vector_add.gfx90a.cov4.co']) {
    test(`an HSA program: ${co} loaded and dispatched through ROCr, 1 MiB async copies host→device→host`, async (t) => {
      if (!requireOracle(t, { ...HSA_NEEDS, install: INSTALL })) return;
      const exe = buildClient('hsa_vector_add', ['-lhsa-runtime64']);
      const r = await runServed({ spec: SPEC, command: exe, args: [packagePath('test', 'kernels', co), String(1 << 20)], stdio: 'pipe', timeoutMs: 90_000 });
      assert.equal(r.exitCode, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /^ok vector_add 1000 elements$/m);
      assert.match(r.stdout, /^ok async copy host->device->host 1048576 bytes$/m);
      assertCleanServe(r);
      const ioctls = new Map(r.stats.sessions[0]!.ioctls.map((c) => [c.name, c.ok]));
      assert.ok((ioctls.get('AMDKFD_IOC_CREATE_QUEUE') ?? 0) >= 2, 'an AQL queue and an SDMA queue');
      // ROCr keeps system memory (signals, rings, kernargs) in userptr BOs: the client's own pages, moved
      // into shared memory by the preload library before the allocation reaches the emulator.
      assert.ok(r.stats.sessions[0]!.shares > 0, 'userptr pages were shared');
      assert.ok((ioctls.get('AMDKFD_IOC_WAIT_EVENTS') ?? 0) > 0, 'ROCr slept in WAIT_EVENTS (interrupt signals)');
    });
  }

  test('a client that exits holding a queue, memory and events: the emulator frees all of it', async (t) => {
    if (!requireOracle(t, { ...HSA_NEEDS, install: INSTALL })) return;
    const exe = buildClient('hsa_vector_add', ['-lhsa-runtime64']);
    const r = await runServed({ spec: SPEC, command: exe, args: [packagePath('test', 'kernels', 'vector_add.gfx90a.co'), '--exit-without-cleanup'], stdio: 'pipe', timeoutMs: 90_000 });
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
    const s = r.stats.sessions[0]!;
    assert.ok(s.heldAtExit!.bos > 0 && s.heldAtExit!.queues > 0 && s.heldAtExit!.events > 0, `held at exit: ${JSON.stringify(s.heldAtExit)}`);
    assertCleanServe(r);
  });

  test('two clients at once are two KFD processes with their own address spaces', async (t) => {
    if (!requireOracle(t, { ...HSA_NEEDS, install: INSTALL })) return;
    const exe = buildClient('hsa_vector_add', ['-lhsa-runtime64']);
    const co = packagePath('test', 'kernels', 'vector_add.gfx90a.co');
    const script = `"${exe}" "${co}" 65536 & a=$!; "${exe}" "${co}" 65536 & b=$!; wait $a && wait $b`;
    const r = await runServed({ spec: SPEC, command: 'sh', args: ['-c', script], stdio: 'pipe', timeoutMs: 120_000 });
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
    assert.equal(r.stdout.match(/^ok vector_add/gm)?.length, 2);
    const pids = r.stats.sessions.map((s) => s.pid);
    assert.equal(new Set(pids).size, 2, `sessions: ${pids.join(', ')}`);
    assertCleanServe(r);
  });
});

describe('our own driver as a served client', { concurrency: false }, () => {
  test('unchanged, through its native host (libc via koffi), it passes its self-test on a served emu:gfx90ax2, peers included', async (t) => {
    if (!requireOracle(t, { commands: ['cc'] })) return;
    const only = ['device', 'topology', 'memory', 'queues', 'pm4', 'sdma', 'sync.compute-waits', 'timestamps', 'dispatch.aql.vector_add$', 'dispatch.pm4.saxpy', 'peer', 'fault'];
    const args = [packagePath('bin', 'amdgpu-ts.js'), 'selftest', '--device', 'native', '--json', ...only.flatMap((o) => ['--only', o])];
    const r = await runServed({ spec: parseEmuSpec('emu:gfx90ax2'), command: process.execPath, args, stdio: 'pipe', timeoutMs: 240_000 });
    assert.equal(r.exitCode, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { emulated: boolean; checks: { name: string; status: string; detail: string }[] };
    assert.equal(report.emulated, false, 'the driver ran on its native host');
    const failed = report.checks.filter((c) => c.status !== 'passed').map((c) => `${c.name}: ${c.status} ${c.detail}`);
    assert.deepEqual(failed, []);
    for (const name of ['memory.alloc.userptr', 'peer.copy', 'peer.access', 'fault.vm', 'dispatch.aql.vector_add']) assert.ok(report.checks.some((c) => c.name === name), name);
    assertCleanServe(r);
  });
});

describe('served path failures', { concurrency: false }, () => {
  test('no emulator at the socket: /dev/kfd fails with ENODEV and the library says why in one line', async (t) => {
    if (!requireOracle(t, { commands: ['cc'] })) return;
    const exe = buildClient('kfd_wait');
    const dir = mkdtempSync(join(tmpdir(), 'amdgpu-ts-nosrv-'));
    try {
      writeServedTree(join(dir, 'root'), SPEC);
      const r = spawnSync(exe, [], {
        encoding: 'utf8',
        timeout: 20_000,
        env: { ...process.env, LD_PRELOAD: buildPreload(), AMDGPU_TS_SOCKET: join(dir, 'no-such-socket'), AMDGPU_TS_ROOT: join(dir, 'root'), AMDGPU_TS_PREFIXES: REDIRECTED_PREFIXES.join(':') },
      });
      assert.equal(r.status, 3);
      assert.equal(r.stdout.trim(), 'open failed: ENODEV');
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, /^amdgpu-ts preload: .*no-such-socket.*: /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const how of ['started by the emulator', 'started by another process'] as const) {
    test(`the emulator dies mid-run, client ${how}: nothing is left running`, async (t) => {
      if (!requireOracle(t, { commands: ['cc'] })) return;
      const exe = buildClient('kfd_wait');
      // The client either is the emulator's child (it dies with it: PR_SET_PDEATHSIG) or a grandchild
      // (its next ioctl fails with EIO and it exits on its own).
      const args = how === 'started by the emulator' ? [exe] : ['sh', '-c', `"${exe}"; echo "client exit $?"; sleep 0.2`];
      const emu = spawn(process.execPath, [packagePath('bin', 'amdgpu-ts.js'), 'emulate', '--quiet', '--', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: scratchDir() } });
      let out = '';
      emu.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      const deadline = Date.now() + 30_000;
      while (!/connected (\d+)/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const pid = Number(/connected (\d+)/.exec(out)?.[1]);
      assert.ok(pid > 0, `the client connected: ${out}`);
      emu.kill('SIGKILL');
      const gone = Date.now() + 5_000;
      let alive = true;
      while (alive && Date.now() < gone) {
        await new Promise((r) => setTimeout(r, 50));
        alive = running(pid);
      }
      if (alive) process.kill(pid, 'SIGKILL');
      assert.equal(alive, false, `client ${pid} still running 5 s after the emulator died`);
    });
  }
});
