// Workgroups on worker threads (?workers=N): the same bytes and the same fault reports with 1, 2 and 3
// threads (3 splits uneven grids unevenly); global atomics stay atomic across threads; a fault in a
// middle workgroup names that workgroup; a never-ending multi-workgroup kernel is still seen hanging,
// with the waves of every thread, and destroying its queue stops the threads; teardown leaves none.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { GpuFault } from '../src/emu/gpu-vm.js';
import { ShaderFault } from '../src/emu/isa/types.js';
import { GpuMemory } from '../src/emu/isa/exec/mem.js';
import { GpuVm } from '../src/emu/gpu-vm.js';
import { parseEmuSpec } from '../src/emu/models/models.js';
import { CORPUS, corpusContext, corpusKernel, type CorpusKernel, type CorpusTarget } from '../src/harness/corpus/index.js';
import { EmuHost } from '../src/emu/host.js';
import { Kfd } from '../src/driver/kfd.js';
import { Program } from '../src/driver/program.js';
import { AqlQueue } from '../src/driver/queues/aql-queue.js';
import type { GpuBuffer } from '../src/driver/memory.js';
import { GpuFaultError, WaitTimeoutError } from '../src/driver/errors.js';
import { runCorpusKernel } from './support/isa-harness.js';
import { REPO_ROOT } from './fixtures/topology/index.js';

const KERNELS = join(REPO_ROOT, 'test', 'kernels');
const TARGETS: readonly CorpusTarget[] = ['gfx1100', 'gfx942'];

/** What a run leaves behind: its output bytes, or its error as the hang report would show it. */
function outcome(k: CorpusKernel, target: CorpusTarget, workers: number, maxInstructions?: number): unknown {
  try {
    const r = runCorpusKernel(k, target, maxInstructions, workers);
    const groups = k.grid.reduce((n, g, d) => n * Math.ceil(g / k.block[d]!), 1);
    assert.equal(r.parallel, workers > 1 && groups > 1, `${k.id}: ran on ${r.parallel ? 'several threads' : 'one thread'}`);
    return { outputs: [...r.outputs].map(([name, bytes]) => [name, Buffer.from(bytes).toString('hex')]) };
  } catch (e) {
    if (e instanceof GpuFault) return { fault: e.message, va: e.va, write: e.write, kind: e.kind, lane: e.lane, shader: e.shader };
    if (e instanceof ShaderFault) return { shaderFault: e.message, pc: e.pc, kind: e.kind };
    throw e;
  }
}

test('?workers=N: parsed from the device name, 1..64, whole numbers only', () => {
  assert.equal(parseEmuSpec('emu:gfx1100?workers=3').options.workers, 3);
  assert.equal(parseEmuSpec('emu:gfx1100').options.workers, undefined);
  for (const bad of ['0', '65', '1.5', 'two', '']) assert.throws(() => parseEmuSpec(`emu:gfx1100?workers=${bad}`), { name: 'DeviceSpecError', message: /workers=.*whole number of threads from 1 to 64/ });
});

for (const target of TARGETS) {
  test(`corpus on ${target}: every kernel gives the same bytes (or the same fault) on 1, 2 and 3 worker threads`, () => {
    let multiGroup = 0;
    for (const k of CORPUS) {
      if (!k.targets.includes(target)) continue;
      const groups = k.grid.reduce((n, g, d) => n * Math.ceil(g / k.block[d]!), 1);
      if (groups > 1) multiGroup++;
      const max = k.expect === 'complete' || k.expect === 'fault' ? undefined : 1_000_000;
      const one = outcome(k, target, 1, max);
      for (const workers of [2, 3]) assert.deepEqual(outcome(k, target, workers, max), one, `${k.id} on ${target} with ${workers} workers`);
    }
    assert.ok(multiGroup >= 8, `${multiGroup} corpus kernels have several workgroups`);
  });
}

test('an idle pool thread sleeps: for 800 ms after a dispatch the threads its pool started take (next to) no CPU, and the next dispatch runs on them again', async () => {
  const tasks = (): string[] => readdirSync('/proc/self/task');
  // utime + stime in clock ticks (fields 14 and 15 of /proc/<tid>/stat; USER_HZ is 100 on Linux).
  const cpuMs = (tid: string): number => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  };
  const before = new Set(tasks());
  const k = corpusKernel('hash_loop');
  // A shader core of its own (hotAfter sets it apart from the other tests'), so its pool thread is new here.
  const core = { hotAfter: 3 };
  const first = runCorpusKernel(k, 'gfx1100', undefined, 2, core);
  assert.equal(first.parallel, true);
  const fresh = tasks().filter((t) => !before.has(t));
  assert.ok(fresh.length >= 1, 'the dispatch started a pool thread');
  const start = fresh.map(cpuMs);
  await new Promise((r) => setTimeout(r, 800));
  // A sleeping thread takes 0 ticks; one that polled would take hundreds of ms (still 50+ with 10 other busy threads on 2 cores).
  fresh.forEach((t, i) => assert.ok(cpuMs(t) - start[i]! <= 20, `thread ${t} took ${cpuMs(t) - start[i]!} ms of CPU while idle`));
  const again = runCorpusKernel(k, 'gfx1100', undefined, 2, core);
  assert.equal(again.parallel, true);
  assert.deepEqual(again.outputs, first.outputs);
  assert.equal(k.check(again.outputs, corpusContext('gfx1100')), undefined, 'the hashes are right');
});

test('global atomics from every workgroup on 2 threads: the ticket counter, the 64-bit sum and the bins are exact', () => {
  const base = corpusKernel('histogram');
  const n = 128 * 64;
  const input = Uint32Array.from({ length: n }, (_, i) => (Math.imul(i, 2654435761) >>> 7) & 0xffff);
  const k: CorpusKernel = {
    ...base,
    grid: [n, 1, 1],
    args: () => [
      { kind: 'buffer', name: 'in', data: new Uint8Array(input.buffer.slice(0)) },
      { kind: 'buffer', name: 'bins', data: new Uint8Array(64) },
      { kind: 'buffer', name: 'stats', data: new Uint8Array(Uint32Array.of(0, 0xffffffff, 0, 0).buffer) },
      { kind: 'buffer', name: 'sum64', data: new Uint8Array(8) },
      { kind: 'buffer', name: 'seen', data: new Uint8Array(4 * n) },
    ],
  };
  for (const target of TARGETS) {
    const r = runCorpusKernel(k, target, undefined, 2);
    const u32 = (name: string): Uint32Array => new Uint32Array(r.outputs.get(name)!.slice().buffer);
    const stats = u32('stats');
    assert.equal(stats[3], n, `${target}: every work-item took one ticket`);
    assert.ok(u32('seen').every((s) => s === 1), `${target}: the tickets are 0..n-1, each once`);
    assert.equal(new BigUint64Array(r.outputs.get('sum64')!.slice().buffer)[0], input.reduce((s, v) => s + BigInt(v), 0n), `${target}: 64-bit sum`);
    assert.equal(u32('bins').reduce((s, v) => s + v, 0), n, `${target}: bins`);
    const counts = new Array<number>(16).fill(0);
    for (const v of input) counts[v & 15]!++;
    assert.deepEqual([...u32('bins')], counts, `${target}: each bin`);
    assert.equal(stats[0], Math.max(...input));
    assert.equal(stats[1], Math.min(...input));
  }
});

test('GpuMemory.update32/update64 on shared memory: 4 threads x 20,000 adds each lose none', async () => {
  const sab = new SharedArrayBuffer(4096);
  const memUrl = new URL('../src/emu/isa/exec/mem.js', import.meta.url).href;
  const vmUrl = new URL('../src/emu/gpu-vm.js', import.meta.url).href;
  const code = `
    const { workerData, parentPort } = require('node:worker_threads');
    (async () => {
      const { GpuMemory } = await import(workerData.memUrl);
      const { GpuVm } = await import(workerData.vmUrl);
      const vm = new GpuVm();
      vm.map({ start: 0x10000n, end: 0x11000n, bytes: new Uint8Array(workerData.sab), offset: 0, writable: true, executable: false, label: 'counter' });
      const mem = new GpuMemory(vm, true);
      for (let i = 0; i < 20000; i++) {
        mem.update32(0x10000, (o) => o + 1);
        mem.update64(0x10008, (lo, hi) => { const c = lo + 0xffffffff; return [c >>> 0, (hi + Math.floor(c / 2 ** 32)) >>> 0]; });
      }
      parentPort.postMessage('done');
    })();`;
  await Promise.all([0, 1, 2, 3].map(() => new Promise<void>((resolve, reject) => {
    const w = new Worker(code, { eval: true, workerData: { sab, memUrl, vmUrl } });
    w.once('message', () => void w.terminate().then(() => resolve()));
    w.once('error', reject);
  })));
  assert.equal(new Uint32Array(sab)[0], 80_000);
  assert.equal(new BigUint64Array(sab)[1], 80_000n * 0xffffffffn);
  // The one-thread form is the plain read and write it always was, and faults the same way.
  const vm = new GpuVm();
  vm.map({ start: 0x10000n, end: 0x11000n, bytes: new Uint8Array(4096), offset: 0, writable: false, executable: false, label: 'ro' });
  for (const concurrent of [false, true]) {
    assert.throws(() => new GpuMemory(vm, concurrent).update32(0x10000, (o) => o + 1), (e: unknown) => e instanceof GpuFault && e.kind === 'read-only' && e.write && e.va === 0x10000n);
    assert.throws(() => new GpuMemory(vm, concurrent).update32(0x20000, (o) => o + 1), (e: unknown) => e instanceof GpuFault && e.kind === 'not-present' && !e.write && e.va === 0x20000n);
  }
});

test('a fault in a middle workgroup (16 of 32) is reported with that workgroup, wave, lane and pc on 1, 2 and 3 threads', () => {
  const base = corpusKernel('vector_add');
  // bounds.cl off_by_one: work-item n (= 1024, workgroup 16 lane 0) stores just past its 4 KiB buffer,
  // onto the unmapped page the harness leaves after every buffer.
  const k: CorpusKernel = {
    ...base,
    id: 'bounds.off_by_one',
    kernel: 'off_by_one',
    file: (t) => `test/kernels/bounds.${t}.co`,
    grid: [2048, 1, 1],
    block: [64, 1, 1],
    expect: 'fault',
    args: () => [{ kind: 'buffer', name: 'out', data: new Uint8Array(4096) }, { kind: 'u32', name: 'n', value: 1024 }],
  };
  for (const target of TARGETS) {
    const one = outcome(k, target, 1) as { shader?: { workgroup: number[]; wave: number; lane: number } };
    assert.deepEqual(one.shader?.workgroup, [16, 0, 0], `${target}: ${JSON.stringify(one, (_, v: unknown) => (typeof v === 'bigint' ? v.toString(16) : v))}`);
    assert.equal(one.shader?.wave, 0);
    assert.equal(one.shader?.lane, 0);
    for (const workers of [2, 3]) assert.deepEqual(outcome(k, target, workers), one, `${target}, ${workers} workers`);
  }
});

test('emu:gfx1100?workers=2: a never-ending kernel of 4 workgroups is cut off by the wait timeout, the status shows the waves of both threads spinning, destroying the queue stops the threads and later dispatches run', async () => {
  const host = new EmuHost('emu:gfx1100?workers=2');
  const kfd = Kfd.open(host);
  try {
    const dev = kfd.device(0);
    const hang = Program.load(dev, readFileSync(join(KERNELS, 'asm_hang.gfx1100.co'))).kernel('asm_hang');
    const add = Program.load(dev, readFileSync(join(KERNELS, 'vector_add.gfx1100.co'))).kernel('vector_add');
    const marker = dev.alloc(4096, { domain: 'gtt' });
    const q = AqlQueue.create(dev);
    const h = hang.dispatch(q, { grid: 256, block: 64, args: [marker] });
    assert.throws(() => q.wait(h.value, 500, 'kernel asm_hang'), (e: unknown) => e instanceof WaitTimeoutError);
    // Every lane of every workgroup stored its marker (each workgroup writes the same 64 words).
    const words = new Uint32Array(marker.view.buffer, marker.view.byteOffset, 64);
    assert.ok(words.every((w, i) => w === (0x4a4e4700 | i)));
    const st = host.engineStatus()[0]!.queues.find((s) => s.queueId === q.queueId)!;
    assert.equal(st.state, 'busy');
    // Each thread spins in its first workgroup for good: workgroups 0 and 1, two wave32s each, are live.
    assert.deepEqual(st.waves!.map((w) => `${w.workgroup.join(',')}/${w.wave}`), ['0,0,0/0', '0,0,0/1', '1,0,0/0', '1,0,0/1'], 'the waves of both threads, in workgroup order');
    assert.ok(st.waves!.every((w) => /^s_branch /.test(w.instruction)));
    q.destroy();
    const n = 64 * 1024;
    const [a, b, c] = [0, 1, 2].map(() => dev.alloc(4 * n, { domain: 'gtt' }));
    const view = (x: typeof a): Uint32Array => new Uint32Array(x!.view.buffer, x!.view.byteOffset, n);
    view(a).forEach((_, i, w) => (w[i] = i));
    view(b).forEach((_, i, w) => (w[i] = 3 * i));
    const fresh = AqlQueue.create(dev);
    fresh.wait(add.dispatch(fresh, { grid: n, block: 64, args: [a!, b!, c!, n] }).value, 20_000);
    assert.ok(view(c).every((v, i) => v === 4 * i), 'vector_add after the hang');
  } finally {
    kfd.close();
    await host.shutdown();
  }
});

test('emu:gfx942?workers=2: a VM fault on another queue evicts a never-ending multi-workgroup kernel, and its worker threads stop with it (their waves stand still)', async () => {
  const host = new EmuHost('emu:gfx942?workers=2');
  const kfd = Kfd.open(host);
  try {
    const dev = kfd.device(0);
    const load = (name: string): ReturnType<Program['kernel']> => Program.load(dev, readFileSync(join(KERNELS, `${name}.gfx942.co`))).kernel(name);
    const hang = load('asm_hang');
    const fault = load('fault');
    const marker = dev.alloc(4096, { domain: 'gtt' });
    const spinning = AqlQueue.create(dev);
    const h = hang.dispatch(spinning, { grid: 256, block: 64, args: [marker] });
    assert.throws(() => spinning.wait(h.value, 300, 'kernel asm_hang'), (e: unknown) => e instanceof WaitTimeoutError);
    const other = AqlQueue.create(dev);
    assert.throws(() => other.wait(fault.dispatch(other, { grid: 64, block: 64, args: [0x7a5a_0000_0000n] }).value, 20_000), (e: unknown) => e instanceof GpuFaultError);
    const progress = (): number[] => host.engineStatus()[0]!.queues.find((s) => s.queueId === spinning.queueId)!.waves!.map((w) => w.instructions);
    await new Promise((r) => setTimeout(r, 300));
    const before = progress();
    assert.equal(before.length, 2, 'workgroups 0 and 1, one wave64 each');
    await new Promise((r) => setTimeout(r, 400));
    assert.deepEqual(progress(), before, 'no wave moved while the queue is evicted');
  } finally {
    kfd.close();
    await host.shutdown();
  }
});

for (const workers of [1, 2]) {
  test(`emu:gfx1100?workers=${workers}: freeing (unmapping) an output buffer while a long dispatch runs faults at a page of that buffer`, async () => {
    const host = new EmuHost(`emu:gfx1100?workers=${workers}`);
    const kfd = Kfd.open(host);
    try {
      const dev = kfd.device(0);
      const add = Program.load(dev, readFileSync(join(KERNELS, 'vector_add.gfx1100.co'))).kernel('vector_add');
      const n = 1 << 22;
      const [a, b, c] = [0, 1, 2].map(() => dev.alloc(4 * n, { domain: 'gtt' })) as [GpuBuffer, GpuBuffer, GpuBuffer];
      new Uint32Array(a.view.buffer, a.view.byteOffset, 1)[0] = 1;
      const q = AqlQueue.create(dev);
      const s = add.dispatch(q, { grid: n, block: 64, args: [a, b, c, n] });
      // Free c once the first workgroup has stored into it: the dispatch is running (65,536 workgroups).
      const first = new Uint32Array(c.view.buffer, c.view.byteOffset, 1);
      const until = performance.now() + 20_000;
      while (first[0] !== 1 && performance.now() < until) await new Promise((r) => setTimeout(r, 1));
      assert.equal(first[0], 1, 'the dispatch started');
      const start = c.va;
      c.free();
      assert.throws(() => q.wait(s.value, 60_000), (e: unknown) => e instanceof GpuFaultError && e.va >= start && e.va < start + BigInt(4 * n));
    } finally {
      kfd.close();
      await host.shutdown();
    }
  });
}

test('teardown: a process that ran multi-workgroup dispatches on 3 worker threads exits by itself; the pool was there while it ran', () => {
  const script = `
    import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
    const { EmuHost } = await import(${JSON.stringify(new URL('../src/emu/host.js', import.meta.url).href)});
    const { Kfd } = await import(${JSON.stringify(new URL('../src/driver/kfd.js', import.meta.url).href)});
    const { Program } = await import(${JSON.stringify(new URL('../src/driver/program.js', import.meta.url).href)});
    const { AqlQueue } = await import(${JSON.stringify(new URL('../src/driver/queues/aql-queue.js', import.meta.url).href)});
    const threads = () => Number(/Threads:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]);
    const out = {};
    for (const workers of [1, 3]) {
      const host = new EmuHost('emu:gfx942?workers=' + workers);
      const kfd = Kfd.open(host);
      const dev = kfd.device(0);
      const add = Program.load(dev, readFileSync(${JSON.stringify(join(KERNELS, 'vector_add.gfx942.co'))})).kernel('vector_add');
      const n = 4096;
      const [a, b, c] = [0, 1, 2].map(() => dev.alloc(4 * n, { domain: 'gtt' }));
      const q = AqlQueue.create(dev);
      q.wait(add.dispatch(q, { grid: n, block: 64, args: [a, b, c, n] }).value, 20000);
      out[workers] = threads();
      kfd.close();
      await host.shutdown();
    }
    console.log(JSON.stringify(out));`;
  const dir = mkdtempSync(join(tmpdir(), 'amdgpu-ts-workers-'));
  const file = join(dir, 'teardown.mjs');
  writeFileSync(file, script);
  const r = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 60_000 });
  rmSync(dir, { recursive: true, force: true });
  assert.equal(r.signal, null, `the process did not exit by itself (killed by ${r.signal}); stderr: ${r.stderr}`);
  assert.equal(r.status, 0, r.stderr);
  const threads = JSON.parse(r.stdout) as Record<string, number>;
  assert.equal(threads[3]! - threads[1]!, 2, `two pool threads beside the engine thread: ${r.stdout}`);
});
