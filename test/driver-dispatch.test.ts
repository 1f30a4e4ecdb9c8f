// Driver dispatch on the emulated GPU: SDMA copies of every size class (a 256 MiB one split into
// packets and submissions), kernel arguments packed from the code-object metadata (hidden arguments,
// __local pointers), corpus kernels on PM4 and AQL queues against the CPU reference, waits between
// SDMA and AQL queues in both directions, and argument errors.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { EmuHost } from '../src/emu/host.js';
import { Kfd } from '../src/driver/kfd.js';
import { Pm4Queue } from '../src/driver/queues/pm4-queue.js';
import { AqlQueue } from '../src/driver/queues/aql-queue.js';
import { SdmaQueue } from '../src/driver/queues/sdma-queue.js';
import { packKernargs, dynamicLdsOfArgs, KernargError, type KernelArg } from '../src/driver/kernargs.js';
import { DriverError } from '../src/driver/errors.js';
import { Pm4Builder } from '../src/hw/pm4/builder.js';
import { decodeSdma } from '../src/hw/sdma/decode.js';
import { amdSignal, AMD_SIGNAL_BYTES, AMD_SIGNAL_KIND } from '../src/uapi/hsa.js';
import type { KernelInfo, KernelArgMetadata } from '../src/codeobj/index.js';
import { corpusKernel } from '../src/harness/corpus/index.js';
import { corpusProgram, corpusTargetOf, runCorpusKernel } from '../src/harness/corpus-run.js';
import type { Device } from '../src/driver/device.js';
import type { GpuBuffer } from '../src/driver/memory.js';

const MiB = 1 << 20;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
const u32 = (b: GpuBuffer, n = b.size / 4): Uint32Array => new Uint32Array(b.view.buffer, b.view.byteOffset, n);

function fillWords(b: Uint8Array, seed: number): void {
  const w = new Uint32Array(b.buffer, b.byteOffset, b.length >> 2);
  for (let i = 0; i < w.length; i++) w[i] = Math.imul(i + seed, 2654435761) >>> 0;
  for (let i = w.length * 4; i < b.length; i++) b[i] = (i * 7 + seed) & 0xff;
}

/** Reads a little-endian unsigned value of `size` bytes. */
function readArg(bytes: Uint8Array, a: KernelArgMetadata): bigint {
  let v = 0n;
  for (let i = a.size - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[a.offset + i]!);
  return v;
}

interface Session {
  host: EmuHost;
  kfd: Kfd;
  dev: Device;
}

function open(model: string): Session {
  const host = new EmuHost(model);
  const kfd = Kfd.open(host);
  return { host, kfd, dev: kfd.device(0) };
}

async function close(s: Session): Promise<void> {
  s.kfd.close();
  const live = s.host.liveObjects();
  await s.host.shutdown();
  assert.deepEqual(Object.values(live).filter((v) => v !== 0), [], `live objects after close: ${JSON.stringify(live)}`);
}

describe('SDMA copies on emu:gfx1100 and emu:gfx942', () => {
  for (const model of ['emu:gfx1100', 'emu:gfx942']) {
    it(`${model}: 1 B, 4 KiB and odd sizes, every VRAM/GTT direction, byte for byte and nothing outside`, async () => {
      const s = open(model);
      try {
        const q = SdmaQueue.create(s.dev);
        const bufs = {
          gtt: [s.dev.alloc(2 * MiB, { domain: 'gtt' }), s.dev.alloc(2 * MiB, { domain: 'gtt' })],
          vram: [s.dev.alloc(2 * MiB, { domain: 'vram', hostVisible: true }), s.dev.alloc(2 * MiB, { domain: 'vram', hostVisible: true })],
        };
        for (const [from, to] of [['gtt', 'vram'], ['vram', 'gtt'], ['vram', 'vram'], ['gtt', 'gtt']] as const) {
          const src = bufs[from][0]!;
          const dst = bufs[to][1]!;
          for (const [n, so, doff] of [[1, 0, 0], [1, 3, 1], [4096, 0, 0], [4095, 1, 2], [4097, 0, 7], [12345, 5, 3], [MiB + 1, 2, 0]] as const) {
            fillWords(src.view, n + so);
            dst.view.fill(0xee, 0, n + doff + 16);
            q.wait(q.copy(dst.va + BigInt(doff), src.va + BigInt(so), n), 5000);
            assert.ok(same(dst.view.subarray(doff, doff + n), src.view.subarray(so, so + n)), `${from}→${to} ${n} B (src+${so}, dst+${doff})`);
            assert.equal(dst.view[doff + n], 0xee, `${from}→${to} ${n} B: no byte written after the end`);
            if (doff > 0) assert.equal(dst.view[doff - 1], 0xee, `${from}→${to} ${n} B: no byte written before the start`);
          }
        }
      } finally {
        await close(s);
      }
    });
  }

  it('emu:gfx942: 256 MiB GTT → VRAM is split into 4 MiB COPY_LINEAR packets (and over several submissions on a small ring), copied exactly', async () => {
    const s = open('emu:gfx942');
    try {
      const n = 256 * MiB;
      const q = SdmaQueue.create(s.dev, { ringBytes: 4096 });
      // SDMA 4.x holds bytes - 1 in a 22-bit count: 4 MiB per packet (sdma_v4_0 SDMA_PKT_COPY_LINEAR).
      const packets = decodeSdma(q.builder().copy(0x10_0000_0000n, 0x20_0000_0000n, n).dwords, q.version);
      assert.equal(packets.length, 64);
      assert.ok(packets.every((p) => p.name === 'COPY_LINEAR' && p.fields.count === 4 * MiB - 1));
      assert.equal(packets[63]!.fields.dst_addr_lo, 63 * 4 * MiB);
      const src = s.dev.alloc(n, { domain: 'gtt' });
      const dst = s.dev.alloc(n, { domain: 'vram', hostVisible: true });
      fillWords(src.view, 1);
      const before = q.timeline.value;
      const c = q.copy(dst.va, src.va, n);
      q.wait(c, 60_000);
      // A 4 KiB ring holds 36 seven-dword packets per submission, so 64 packets take two fences.
      assert.equal(c.value - before, 2n, 'two submissions');
      assert.ok(same(dst.view, src.view), '256 MiB identical');
      src.free();
      dst.free();
    } finally {
      await close(s);
    }
  });
});

describe('kernel arguments of lds_dynamic (hidden arguments, static + dynamic LDS)', () => {
  let s: Session;
  let info: KernelInfo;
  before(() => {
    s = open('emu:gfx1100');
    const k = corpusKernel('lds_dynamic');
    info = corpusProgram(s.dev, k, corpusTargetOf(s.dev)!).kernel(k.kernel).info;
  });
  after(() => close(s));

  const hidden = { queuePtr: 0x7000_1000n, privateBase: 0x1234_0000_0000_0000n, sharedBase: 0x5678_0000_0000_0000n };

  function pack(k: KernelInfo, args: readonly KernelArg[], grid: [number, number, number], block: [number, number, number], dynamicLds: number): Uint8Array {
    const out = new Uint8Array(k.metadata.kernargSegmentSize).fill(0xcc);
    packKernargs(k, args, { grid, block, dynamicLds }, hidden, out);
    return out;
  }

  it('the metadata has the arguments the test relies on', () => {
    assert.deepEqual(info.explicitArgs.map((a) => [a.name, a.valueKind, a.offset]), [['in', 'global_buffer', 0], ['dyn', 'dynamic_shared_pointer', 8], ['out', 'global_buffer', 16], ['info', 'global_buffer', 24], ['n', 'by_value', 32]]);
    assert.equal(info.explicitArgs[1]!.pointeeAlign, 4);
    assert.equal(info.descriptor.groupSegmentFixedSize, 256, 'static LDS: 64 words');
    const kinds = info.hiddenArgs.map((a) => a.valueKind);
    for (const want of ['hidden_block_count_x', 'hidden_block_count_y', 'hidden_block_count_z', 'hidden_group_size_x', 'hidden_group_size_y', 'hidden_group_size_z', 'hidden_remainder_x', 'hidden_remainder_y', 'hidden_remainder_z', 'hidden_grid_dims', 'hidden_dynamic_lds_size']) assert.ok(kinds.includes(want), `hidden ${want}`);
  });

  for (const shape of [
    { grid: [250, 1, 1], block: [64, 1, 1], dims: 1 },
    { grid: [100, 30, 1], block: [16, 8, 1], dims: 2 },
    { grid: [100, 30, 5], block: [16, 8, 2], dims: 3 },
  ] as const) {
    it(`grid ${shape.grid.join('x')} block ${shape.block.join('x')}: every argument at its metadata offset`, () => {
      const inVa = 0x1_0000_1000n;
      const outVa = 0x1_0000_2000n;
      const args: KernelArg[] = [{ va: inVa }, 256, { va: outVa }, 0x1_0000_3000n, 250];
      const dyn = dynamicLdsOfArgs(info, args);
      assert.equal(dyn, 256);
      const bytes = pack(info, args, [...shape.grid], [...shape.block], dyn);
      const e = info.explicitArgs;
      assert.deepEqual(e.map((a) => readArg(bytes, a)), [inVa, 256n, outVa, 0x1_0000_3000n, 250n]);
      const want: Record<string, bigint> = {};
      ['x', 'y', 'z'].forEach((axis, i) => {
        want[`hidden_block_count_${axis}`] = BigInt(Math.ceil(shape.grid[i]! / shape.block[i]!));
        want[`hidden_group_size_${axis}`] = BigInt(shape.block[i]!);
        want[`hidden_remainder_${axis}`] = BigInt(shape.grid[i]! % shape.block[i]!);
        want[`hidden_global_offset_${axis}`] = 0n;
      });
      want.hidden_grid_dims = BigInt(shape.dims);
      want.hidden_dynamic_lds_size = 256n;
      want.hidden_queue_ptr = hidden.queuePtr;
      want.hidden_private_base = hidden.privateBase >> 32n;
      want.hidden_shared_base = hidden.sharedBase >> 32n;
      let checked = 0;
      for (const a of info.hiddenArgs) {
        if (!(a.valueKind in want)) continue;
        assert.equal(readArg(bytes, a), want[a.valueKind], `${a.valueKind} at offset ${a.offset} (${a.size} bytes)`);
        checked++;
      }
      assert.ok(checked >= 11, `${checked} hidden arguments checked`);
      // Bytes no argument covers are zero (the segment is cleared before packing).
      const covered = new Uint8Array(bytes.length);
      for (const a of [...e, ...info.hiddenArgs]) covered.fill(1, a.offset, a.offset + a.size);
      for (let i = 0; i < bytes.length; i++) if (!covered[i]) assert.equal(bytes[i], 0, `padding byte ${i}`);
    });
  }

  it('the __local argument is placed after the static LDS at its .pointee_align (16 when absent)', () => {
    const variant = (staticBytes: number, pointeeAlign: number | undefined): KernelInfo => ({
      ...info,
      descriptor: { ...info.descriptor, groupSegmentFixedSize: staticBytes },
      explicitArgs: info.explicitArgs.map((a) => {
        if (a.valueKind !== 'dynamic_shared_pointer') return a;
        const { pointeeAlign: _drop, ...rest } = a;
        return pointeeAlign === undefined ? rest : { ...rest, pointeeAlign };
      }),
    });
    const dynArg = info.explicitArgs[1]!;
    for (const [staticBytes, align, offset] of [[256, 4, 256], [250, 4, 252], [250, 64, 256], [260, 64, 320], [250, undefined, 256], [257, undefined, 272]] as const) {
      const k = variant(staticBytes, align);
      const args: KernelArg[] = [{ va: 0n }, 100, { va: 0n }, { va: 0n }, 1];
      const dyn = dynamicLdsOfArgs(k, args);
      assert.equal(dyn, offset + 100 - staticBytes, `static ${staticBytes}, align ${align}: LDS ends right after the argument's bytes`);
      const bytes = pack(k, args, [64, 1, 1], [64, 1, 1], dyn);
      assert.equal(readArg(bytes, dynArg), BigInt(offset), `static ${staticBytes}, pointee_align ${align}`);
      const dynSize = k.hiddenArgs.find((a) => a.valueKind === 'hidden_dynamic_lds_size')!;
      assert.equal(readArg(bytes, dynSize), BigInt(dyn));
    }
  });

  it('on the GPU the kernel reads the same hidden values and LDS layout (PM4 and AQL)', () => {
    const k = corpusKernel('lds_dynamic');
    for (const q of [Pm4Queue.create(s.dev), AqlQueue.create(s.dev)]) {
      const r = runCorpusKernel(s.dev, q, k, 10_000);
      assert.equal(r.mismatch, undefined, `${q.label}: ${r.mismatch}`);
      assert.deepEqual([...new Uint32Array(r.outputs.get('info')!.buffer, r.outputs.get('info')!.byteOffset, 5)], [4, 64, 250 % 64, 1, 256]);
      q.destroy();
    }
  });
});

for (const model of ['emu:gfx1100', 'emu:gfx1201', 'emu:gfx942', 'emu:gfx90a']) {
  describe(`corpus dispatch on ${model}`, () => {
    let s: Session;
    before(() => (s = open(model)));
    after(() => close(s));

    // scratch_spill: architected flat scratch on gfx1100/gfx942, the scratch V# and wave offset on gfx90a.
    for (const id of ['vector_add', 'saxpy', 'reduce_sum', 'sgemm_tiled', 'scratch_spill']) {
      it(`${id} on a PM4 and an AQL queue matches the CPU reference`, () => {
        const k = corpusKernel(id);
        for (const q of [Pm4Queue.create(s.dev), AqlQueue.create(s.dev)]) {
          const small = s.dev.liveSmallObjects;
          const r = runCorpusKernel(s.dev, q, k, 20_000);
          assert.equal(r.mismatch, undefined, `${id} on ${q.label}: ${r.mismatch}`);
          assert.ok(r.outputs.size >= 1);
          assert.equal(q.timeline.value, 1n, 'one completion');
          assert.equal(s.dev.liveSmallObjects, small, 'the kernel arguments went back to the pool once the dispatch retired');
          q.destroy();
        }
      });
    }
  });
}

describe('waits between SDMA and compute queues through AQL (emu:gfx1100)', () => {
  let s: Session;
  let aql: AqlQueue;
  let sdma: SdmaQueue;
  before(() => {
    s = open('emu:gfx1100');
    aql = AqlQueue.create(s.dev);
    sdma = SdmaQueue.create(s.dev);
  });
  after(() => close(s));

  it('an AQL queue holds a PM4-IB WAIT_REG_MEM until an SDMA fence lands', async () => {
    const mem = s.dev.alloc(4096, { domain: 'gtt', uncached: true });
    const w = u32(mem, 4);
    const c = aql.pm4(new Pm4Builder(s.dev.target.family).waitMem32(mem.va, 'EQ', 7).writeData(mem.va + 4n, [9]).dwords);
    await sleep(30);
    assert.equal(aql.isDone(c), false, 'the AQL queue waits');
    assert.equal(w[1], 0, 'nothing after the wait ran');
    sdma.wait(sdma.submit(sdma.builder().fence(mem.va, 7).dwords), 5000);
    aql.wait(c, 5000);
    assert.deepEqual([w[0], w[1]], [7, 9]);
    mem.free();
  });

  it('an AQL barrier-AND waits for a signal an SDMA fence clears', async () => {
    const sig = s.dev.allocSmall(AMD_SIGNAL_BYTES, 64);
    amdSignal.encode({ kind: BigInt(AMD_SIGNAL_KIND.USER), value: 1n }, sig.bytes, 0);
    const mem = s.dev.alloc(4096, { domain: 'gtt', uncached: true });
    const w = u32(mem, 4);
    aql.barrier([sig.va]);
    const c = aql.pm4(new Pm4Builder(s.dev.target.family).writeData(mem.va, [0xb1]).dwords);
    await sleep(30);
    assert.equal(aql.isDone(c), false, 'the barrier holds the queue');
    assert.equal(w[0], 0);
    sdma.wait(sdma.submit(sdma.builder().fence64(sig.va + BigInt(amdSignal.offsetOf('value')), 0n).dwords), 5000);
    aql.wait(c, 5000);
    assert.equal(w[0], 0xb1);
    mem.free();
    s.dev.freeSmall(sig);
  });

  it('an AQL barrier-AND waits for every one of its signals, a barrier-OR for any one; null entries count for neither', async () => {
    const sigs = [0, 1, 2].map(() => {
      const sig = s.dev.allocSmall(AMD_SIGNAL_BYTES, 64);
      amdSignal.encode({ kind: BigInt(AMD_SIGNAL_KIND.USER), value: 1n }, sig.bytes, 0);
      return sig;
    });
    const clear = (k: number): void => void Atomics.store(new BigInt64Array(sigs[k]!.bytes.buffer, sigs[k]!.bytes.byteOffset + amdSignal.offsetOf('value'), 1), 0, 0n);
    const [a, b, c] = sigs.map((x) => x.va) as [bigint, bigint, bigint];
    const and = aql.barrier([a, 0n, b]);
    await sleep(20);
    clear(0);
    await sleep(20);
    assert.equal(aql.isDone(and), false, 'AND holds while one of its two signals is still 1');
    clear(1);
    aql.wait(and, 5000);
    const or = aql.barrier([0n, c, a], 'or');
    aql.wait(or, 5000); // a is 0 already
    const orHeld = aql.barrier([c], 'or');
    await sleep(20);
    assert.equal(aql.isDone(orHeld), false, 'OR of one signal at 1 holds');
    clear(2);
    aql.wait(orHeld, 5000);
    aql.wait(aql.barrier([], 'or'), 5000); // no signals: nothing to wait for
    for (const x of sigs) s.dev.freeSmall(x);
  });

  it("an SDMA queue polls an AQL kernel's completion signal and copies the kernel's results after it", async () => {
    const k = corpusKernel('vector_add');
    const kernel = corpusProgram(s.dev, k, corpusTargetOf(s.dev)!).kernel(k.kernel);
    const n = 1024;
    const [a, b, c, out] = [0, 1, 2, 3].map(() => s.dev.alloc(n * 4, { domain: 'gtt' })) as [GpuBuffer, GpuBuffer, GpuBuffer, GpuBuffer];
    u32(a).forEach((_, i, x) => (x[i] = i * 3));
    u32(b).forEach((_, i, x) => (x[i] = 1000 + i));
    // A CPU-held gate keeps the kernel from running before SDMA starts polling.
    const gate = s.dev.allocSmall(AMD_SIGNAL_BYTES, 64);
    amdSignal.encode({ kind: BigInt(AMD_SIGNAL_KIND.USER), value: 1n }, gate.bytes, 0);
    aql.barrier([gate.va]);
    const kc = kernel.dispatch(aql, { grid: n, block: 64, args: [a, b, c, n] });
    // The completion signal counts down once per packet: after kc it holds raw - (kc - now).
    const valueAt = aql.timeline.va + BigInt(amdSignal.offsetOf('value'));
    const raw = new DataView(aql.timeline.slice.bytes.buffer, aql.timeline.slice.bytes.byteOffset + amdSignal.offsetOf('value'), 8).getBigUint64(0, true);
    const target = Number((raw - (kc.value - aql.timeline.value)) & 0xffffffffn);
    const cs = sdma.submit(sdma.builder().pollMem32(valueAt, 'EQ', target).copy(out.va, c.va, n * 4).dwords);
    await sleep(30);
    assert.equal(sdma.isDone(cs), false, 'SDMA waits for the kernel');
    assert.equal(aql.isDone(kc), false);
    Atomics.store(new BigInt64Array(gate.bytes.buffer, gate.bytes.byteOffset + amdSignal.offsetOf('value'), 1), 0, 0n);
    sdma.wait(cs, 5000);
    assert.ok(aql.isDone(kc), 'the kernel finished before SDMA went on');
    assert.deepEqual([...u32(out)], Array.from({ length: n }, (_, i) => i * 3 + 1000 + i));
    for (const x of [a, b, c, out]) x.free();
    s.dev.freeSmall(gate);
  });
});

describe('Kernel.dispatch argument errors (emu:gfx1100)', () => {
  let s: Session;
  before(() => (s = open('emu:gfx1100')));
  after(() => close(s));

  it('name the kernel and the argument, submit nothing and keep no kernarg memory', () => {
    const k = corpusKernel('vector_add');
    const kernel = corpusProgram(s.dev, k, corpusTargetOf(s.dev)!).kernel(k.kernel);
    const q = AqlQueue.create(s.dev);
    const buf = s.dev.alloc(4096, { domain: 'gtt' });
    const small = s.dev.liveSmallObjects;
    const cases: [string, () => unknown, RegExp, new (...a: never[]) => Error][] = [
      ['too few', () => kernel.dispatch(q, { grid: 64, block: 64, args: [buf, buf, buf] }), /^kernel vector_add: takes 4 argument\(s\) \(a: .*, b: .*, c: .*, n: u32\), got 3$/, KernargError],
      ['too many', () => kernel.dispatch(q, { grid: 64, block: 64, args: [buf, buf, buf, 1, 2] }), /^kernel vector_add: takes 4 argument\(s\) .*got 5$/, KernargError],
      ['buffer for a scalar', () => kernel.dispatch(q, { grid: 64, block: 64, args: [buf, buf, buf, buf] }), /^kernel vector_add: argument 3 \(n: u32\) is a value, not a pointer/, KernargError],
      ['number for a pointer', () => kernel.dispatch(q, { grid: 64, block: 64, args: [buf, 4096, buf, 16] }), /^kernel vector_add: argument 1 \(b: .*\*\) is a pointer: pass a buffer or a bigint address, got the number 4096/, KernargError],
      ['block too large', () => kernel.dispatch(q, { grid: 4096, block: 2048, args: [buf, buf, buf, 16] }), /kernel vector_add: a block of 2048 work-items exceeds its max_flat_workgroup_size \d+/, DriverError],
      ['zero grid', () => kernel.dispatch(q, { grid: 0, block: 64, args: [buf, buf, buf, 16] }), /kernel vector_add: grid 0x1x1 and block 64x1x1 must be positive integers/, DriverError],
    ];
    for (const [what, run, message, type] of cases) {
      assert.throws(run, (e: unknown) => {
        assert.ok(e instanceof type, `${what}: ${String(e)}`);
        assert.match(e.message, message, what);
        return true;
      });
    }
    assert.equal(q.submitted, 0n, 'nothing reached the ring');
    assert.equal(s.dev.liveSmallObjects, small, 'no kernarg slice leaked');
    // The same kernel with correct arguments still runs.
    q.wait(kernel.dispatch(q, { grid: 64, block: 64, args: [buf, buf, buf, 0] }), 5000);
    q.destroy();
    buf.free();
  });
});
