// Faults and hangs among good work on several queues, as the kernel handles them:
// - a never-ending kernel (asm_hang: s_branch to itself) is not noticed by KFD at all (no watchdog for
//   user-mode compute queues); the runtime's wait times out with the queue dump, the other queues go
//   on, and destroying the hung queue preempts it (DESTROY_QUEUE → destroy_queue_cpsch unmaps it; CWSR
//   saves the spinning wave, which is then dropped), after which new dispatches run;
// - a VM fault evicts every queue of the process on that GPU for good (kfd_set_dbg_ev_from_interrupt
//   → kfd_dqm_evict_pasid): the waits report the fault at once, and reopening /dev/kfd recovers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EmuHost } from '../src/emu/host.js';
import { Kfd } from '../src/driver/kfd.js';
import { Program, type Kernel } from '../src/driver/program.js';
import { AqlQueue } from '../src/driver/queues/aql-queue.js';
import { Pm4Queue } from '../src/driver/queues/pm4-queue.js';
import { GpuFaultError, WaitTimeoutError } from '../src/driver/errors.js';
import type { Device } from '../src/driver/device.js';
import type { GpuBuffer } from '../src/driver/memory.js';
import { main } from '../src/cli/main.js';
import { REPO_ROOT } from './fixtures/topology/index.js';

const KERNELS = join(REPO_ROOT, 'test', 'kernels');
const N = 1000;

function words(b: GpuBuffer, n: number): Uint32Array {
  return new Uint32Array(b.view.buffer, b.view.byteOffset, n);
}

/** vector_add's inputs (a[i] = i, b[i] = 7i) and an output, checked by expectSums. */
function addBuffers(dev: Device): [GpuBuffer, GpuBuffer, GpuBuffer] {
  const [a, b, c] = [0, 1, 2].map(() => dev.alloc(4096, { domain: 'gtt' })) as [GpuBuffer, GpuBuffer, GpuBuffer];
  words(a, N).forEach((_, i, w) => (w[i] = i));
  words(b, N).forEach((_, i, w) => (w[i] = 7 * i));
  return [a, b, c];
}

function expectSums(c: GpuBuffer, what: string): void {
  const w = words(c, N);
  for (let i = 0; i < N; i++) if (w[i] !== 8 * i) assert.fail(`${what}: c[${i}] = ${w[i]}, want ${8 * i}`);
}

function load(dev: Device, name: string, kernel: string): Kernel {
  return Program.load(dev, readFileSync(join(KERNELS, `${name}.${dev.target.name}.co`))).kernel(kernel);
}

for (const [model, hangOn] of [['gfx1100', 'aql'], ['gfx90a', 'pm4']] as const) {
  test(`long runs (${model}): a never-ending kernel on a ${hangOn.toUpperCase()} queue among good work is cut off by the wait timeout with the queue dump; the others and new dispatches keep working`, async () => {
    const host = new EmuHost(`emu:${model}`);
    const kfd = Kfd.open(host);
    try {
      const dev = kfd.device(0);
      const hang = load(dev, 'asm_hang', 'asm_hang');
      const add = load(dev, 'vector_add', 'vector_add');
      const marker = dev.alloc(4096, { domain: 'gtt' });
      const hung = hangOn === 'aql' ? AqlQueue.create(dev) : Pm4Queue.create(dev);
      const good = [AqlQueue.create(dev), Pm4Queue.create(dev), AqlQueue.create(dev)];
      const outs = good.map(() => addBuffers(dev));
      const h = hang.dispatch(hung, { grid: 64, block: 64, args: [marker] });
      // Good work on the other queues, several rounds, while the hung kernel spins.
      for (let round = 0; round < 3; round++) {
        outs.forEach(([, , c]) => words(c, N).fill(0));
        const done = good.map((q, i) => add.dispatch(q, { grid: 1024, block: 64, args: [...outs[i]!, N] }));
        good.forEach((q, i) => q.wait(done[i]!.value, 20_000));
        outs.forEach(([, , c], i) => expectSums(c, `round ${round}, queue ${i}`));
      }
      // The hung kernel started (every lane stored its marker) and never finishes: the wait gives up after
      // its timeout, not before and not much later, and says where the queue stands.
      assert.equal(words(marker, 1)[0], 0x4a4e4700);
      const t0 = performance.now();
      let err: unknown;
      try {
        hung.wait(h.value, 800, 'kernel asm_hang');
      } catch (e) {
        err = e;
      }
      const ms = performance.now() - t0;
      assert.ok(err instanceof WaitTimeoutError, `a WaitTimeoutError, got ${String(err)}`);
      assert.ok(ms >= 790 && ms < 3000, `detected after ${ms.toFixed(0)} ms for an 800 ms timeout`);
      assert.match(err.message, /timed out after 800 ms waiting for kernel asm_hang/);
      if (hangOn === 'aql') assert.match(err.message, /AQL queue \d+: read_dispatch_id 0, write_dispatch_id 1 \(1 pending\), completed 0\n=> \[ +0\] KERNEL_DISPATCH /);
      else assert.match(err.message, /PM4 queue \d+: read pointer \d+ dwords, write pointer \d+ dwords \(\d+ pending\), timeline 0 of 1\n=> /);
      // The emulated GPU's own view: that queue is busy, its wave spinning on the s_branch.
      const st = host.engineStatus()[0]!.queues.find((q) => q.queueId === hung.queueId)!;
      assert.equal(st.state, 'busy');
      assert.match(st.waves?.[0]?.instruction ?? '', /^s_branch /);
      // Destroying the hung queue preempts it; the other queues, and a new one, run new work.
      hung.destroy();
      const fresh = AqlQueue.create(dev);
      for (const q of [...good, fresh]) {
        const [a, b, c] = addBuffers(dev);
        q.wait(add.dispatch(q, { grid: 1024, block: 64, args: [a, b, c, N] }).value, 20_000);
        expectSums(c, `after the hang, ${q.constructor.name} ${q.queueId}`);
      }
      assert.ok(host.engineStatus()[0]!.queues.every((q) => q.state === 'idle'), 'nothing left running');
    } finally {
      kfd.close();
      await host.shutdown();
    }
  });
}

test('long runs: a VM fault among good work evicts the process\'s queues on that GPU; waits say so at once, and reopening /dev/kfd recovers', async () => {
  const host = new EmuHost('emu:gfx942');
  const first = Kfd.open(host);
  try {
    const dev = first.device(0);
    const add = load(dev, 'vector_add', 'vector_add');
    const fault = load(dev, 'fault', 'fault');
    const a = AqlQueue.create(dev);
    const b = Pm4Queue.create(dev);
    const [x, y, z] = addBuffers(dev);
    b.wait(add.dispatch(b, { grid: 1024, block: 64, args: [x, y, z, N] }), 20_000);
    expectSums(z, 'before the fault');
    // A store to an unmapped address on queue a.
    assert.throws(() => a.wait(fault.dispatch(a, { grid: 64, block: 64, args: [0x7a5a_0000_0000n] }), 20_000), (e: unknown) => e instanceof GpuFaultError && e.va === 0x7a5a_0000_0000n && /KFD evicted every queue of this process/.test(e.message));
    assert.ok(dev.vmFault, 'the device remembers the fault');
    // Work submitted afterwards, on the other queue or a new one, never runs: the wait says why at once.
    for (const q of [b, AqlQueue.create(dev)] as const) {
      const t0 = performance.now();
      assert.throws(() => q.wait(add.dispatch(q, { grid: 1024, block: 64, args: [x, y, z, N] }).value, 20_000), (e: unknown) => e instanceof GpuFaultError && /this fault happened earlier; KFD evicted every queue/.test(e.message));
      assert.ok(performance.now() - t0 < 2000, 'not after the 20 s timeout');
    }
    const st = host.engineStatus()[0]!;
    assert.match(st.evicted ?? '', /^VM fault at 0x7a5a00000000/);
    assert.ok(st.queues.filter((q) => q.hang === null).every((q) => q.state.startsWith('evicted')), JSON.stringify(st.queues));
  } finally {
    first.close();
  }
  // A new KFD process on the same (emulated) kernel starts clean.
  const second = Kfd.open(host);
  try {
    const dev = second.device(0);
    const add = load(dev, 'vector_add', 'vector_add');
    const q = AqlQueue.create(dev);
    const [x, y, z] = addBuffers(dev);
    q.wait(add.dispatch(q, { grid: 1024, block: 64, args: [x, y, z, N] }), 20_000);
    expectSums(z, 'after reopening');
    assert.equal(host.engineStatus()[0]!.evicted, null);
  } finally {
    second.close();
    await host.shutdown();
  }
});

test('long runs: run on a never-ending kernel exits 1 after --timeout with the queue dump and where the wave spins', async () => {
  const err: string[] = [];
  const code = await main(['run', join(KERNELS, 'asm_hang.gfx1100.co'), 'asm_hang', '--device', 'emu:gfx1100', '--grid', '64', '--block', '64', '--arg', 'buf:256', '--timeout', '500'], { out: () => {}, err: (l) => err.push(...l.split('\n')), interactive: false });
  assert.equal(code, 1, err.join('\n'));
  assert.match(err[0]!, /^amdgpu-ts run: .*timed out after 500 ms waiting for kernel asm_hang/);
  assert.ok(err.some((l) => /^=> \[ +\d+\] KERNEL_DISPATCH /.test(l)), err.join('\n'));
  assert.ok(err.some((l) => /^emulated GPU: AQL queue \d+ \(busy\): workgroup 0,0,0 wave [01] at pc 0x[0-9a-f]+ \(code object offset 0x[0-9a-f]+\): s_branch /.test(l)), err.join('\n'));
});

test('long runs: a submission waiting for ring space on a queue a VM fault evicted fails with the fault at once, not after the ring timeout', async () => {
  const host = new EmuHost('emu:gfx1100');
  const kfd = Kfd.open(host);
  try {
    const dev = kfd.device(0);
    const add = load(dev, 'vector_add', 'vector_add');
    const fault = load(dev, 'fault', 'fault');
    // Small rings that fill after a few dozen launches (KFD's smallest ring: 1 KiB, 16 AQL packets).
    const rings = [Pm4Queue.create(dev, { ringBytes: 4096 }), AqlQueue.create(dev, { packets: 16 })] as const;
    const [x, y, z] = addBuffers(dev);
    // The fault on another queue, not waited for: the driver has not seen KFD's memory event yet.
    fault.dispatch(AqlQueue.create(dev), { grid: 64, block: 64, args: [0x7a5a_0000_0000n] });
    for (const end = performance.now() + 5000; !host.engineStatus()[0]!.evicted; ) {
      if (performance.now() > end) assert.fail('the fault did not evict the queues');
      await new Promise((r) => setTimeout(r, 2));
    }
    for (const q of rings) {
      const t0 = performance.now();
      assert.throws(
        () => {
          for (let i = 0; i < 200; i++) add.dispatch(q, { grid: 1024, block: 64, args: [x, y, z, N] });
        },
        (e: unknown) => e instanceof GpuFaultError && e.va === 0x7a5a_0000_0000n && /KFD evicted every queue of this process/.test(e.message),
      );
      assert.ok(performance.now() - t0 < 2000, `${q.constructor.name}: failed after ${(performance.now() - t0).toFixed(0)} ms, not after the 10 s ring timeout`);
    }
  } finally {
    kfd.close();
    await host.shutdown();
  }
});
