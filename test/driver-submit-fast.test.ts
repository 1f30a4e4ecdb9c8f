// The allocation-free submission forms write the same packets as the forms they shortcut (prepared
// streams add NOPs to land 8-byte aligned, nothing else): prepared
// launches through enqueue() against submit() and against dispatch()'s full encoding (a new Kernel
// object each time, so nothing is reused), a repeated dispatch() against the same, and repeated SDMA
// copies. Each side runs on its own emulated GPU built the same way (same allocations, same
// addresses), with doorbells that record their values but never reach the engines: the rings keep
// exactly what the driver wrote.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { EmuHost } from '../src/emu/host.js';
import type { Host, Mapping, Mmio } from '../src/os/host.js';
import { storeUint53, storeNextUint53, releaseStore64, high32 } from '../src/os/store-order.js';
import { Kfd } from '../src/driver/kfd.js';
import { Program, type Kernel } from '../src/driver/program.js';
import { Pm4Queue } from '../src/driver/queues/pm4-queue.js';
import { AqlQueue } from '../src/driver/queues/aql-queue.js';
import { SdmaQueue } from '../src/driver/queues/sdma-queue.js';
import { kernelDispatchPacket } from '../src/uapi/hsa.js';
import { decodePm4 } from '../src/hw/pm4/decode.js';
import { decodeSdma } from '../src/hw/sdma/decode.js';
import { packagePath } from '../src/os/package-root.js';
import { pairCopierFor } from '../src/driver/queues/dword-copy.js';
import type { Device } from '../src/driver/device.js';
import type { GpuBuffer } from '../src/driver/memory.js';

/** Doorbells that remember every value rung and store nothing the engines could see. */
class RecordingDoorbells implements Mmio {
  readonly rung: number[] = [];
  store64(_o: number, v: bigint): void {
    this.rung.push(Number(v));
  }
  ringDoorbell(_o: number, v: number): void {
    this.rung.push(v);
  }
  store32(): void {}
  load64(): bigint {
    return 0n;
  }
  load32(): number {
    return 0;
  }
}

interface Side {
  readonly dev: Device;
  readonly fill: () => Kernel;
  readonly out: GpuBuffer;
  readonly doorbells: RecordingDoorbells[];
  close(): Promise<void>;
}

function side(model: string): Side {
  const emu = new EmuHost(model);
  const doorbells: RecordingDoorbells[] = [];
  const host = new Proxy(emu, {
    get(target, prop) {
      if (prop === 'mmio') {
        return (_m: Mapping): Mmio => {
          const d = new RecordingDoorbells();
          doorbells.push(d);
          return d;
        };
      }
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  }) as Host;
  const kfd = Kfd.open(host);
  const dev = kfd.device(0);
  const program = Program.load(dev, new Uint8Array(readFileSync(packagePath(`test/kernels/fill.${dev.target.name}.co`))));
  const out = dev.alloc(4096, { domain: 'gtt' });
  return {
    dev,
    fill: () => program.kernel('fill'),
    out,
    doorbells,
    close: async () => {
      kfd.close();
      await emu.shutdown();
    },
  };
}

/** What a queue wrote: its ring, its kernel-argument ring and the doorbells rung. */
function written(q: Pm4Queue | AqlQueue | SdmaQueue, s: Side): { ring: Uint8Array; kernargs: Uint8Array; doorbells: number[] } {
  const ring = (q as unknown as { buffers?: { ring: GpuBuffer }; ring?: GpuBuffer }).buffers?.ring ?? (q as unknown as { ring: GpuBuffer }).ring;
  return { ring: ring.view.slice(), kernargs: q.kernargs.bytes.slice(), doorbells: s.doorbells.flatMap((d) => d.rung) };
}

/**
 * The ring's packets up to the last doorbell, NOPs left out: a prepared stream is padded to whole
 * 8-byte pairs and lands 8-byte aligned (a one-dword NOP before it when needed), which the full
 * forms do not do; every other dword must be the same.
 */
function packetsWritten(q: Pm4Queue | SdmaQueue, w: ReturnType<typeof written>): string[] {
  const words = new Uint32Array(w.ring.buffer, w.ring.byteOffset, w.ring.byteLength / 4);
  const end = w.doorbells.at(-1)! / (q instanceof SdmaQueue ? 4 : 1);
  const packets = q instanceof SdmaQueue ? decodeSdma(words, q.version, 0, end) : decodePm4(words, q.device.target.family, 0, end);
  assert.ok(packets.every((p) => !p.error), 'the ring decodes');
  return packets.filter((p) => p.name !== 'NOP').map((p) => Array.from(words.subarray(p.offset, p.offset + p.size), (x) => x.toString(16)).join(' '));
}

const LAUNCHES = 5;

for (const model of ['emu:gfx1100', 'emu:gfx942']) {
  describe(`allocation-free submissions on ${model} write what the full forms write`, () => {
    it('PM4: prepared enqueue() = prepared submit() = dispatch() encoded anew = dispatch() repeated', async () => {
      const runs: Record<string, (s: Side, q: Pm4Queue) => void> = {
        encoded: (s, q) => {
          for (let i = 0; i < LAUNCHES; i++) s.fill().dispatch(q, { grid: 64, block: 32, args: [s.out, 7, 64] });
        },
        repeated: (s, q) => {
          const k = s.fill();
          for (let i = 0; i < LAUNCHES; i++) k.dispatch(q, { grid: 64, block: 32, args: [s.out, 7, 64] });
        },
        submit: (s, q) => {
          const l = s.fill().prepare(q, { grid: 64, block: 32, args: [s.out, 7, 64] });
          for (let i = 0; i < LAUNCHES; i++) assert.equal(l.submit().value, BigInt(i + 1));
        },
        enqueue: (s, q) => {
          const l = s.fill().prepare(q, { grid: 64, block: 32, args: [s.out, 7, 64] });
          for (let i = 0; i < LAUNCHES; i++) l.enqueue();
          assert.equal(q.submitted, BigInt(LAUNCHES));
        },
      };
      const got: Record<string, ReturnType<typeof written>> = {};
      const packets: Record<string, string[]> = {};
      for (const [name, run] of Object.entries(runs)) {
        const s = side(model);
        const q = Pm4Queue.create(s.dev, { ringBytes: 64 * 1024 });
        run(s, q);
        got[name] = written(q, s);
        packets[name] = packetsWritten(q, got[name]!);
        q.destroy();
        await s.close();
      }
      const ref = got.encoded!;
      assert.ok(ref.doorbells.length === LAUNCHES && ref.ring.some((b) => b !== 0), 'the full encoding wrote the ring and rang once per launch');
      for (const name of ['repeated', 'submit', 'enqueue']) {
        assert.equal(got[name]!.doorbells.length, LAUNCHES, `${name}: one doorbell per launch`);
        assert.deepEqual(packets[name], packets.encoded, `${name}: ring packets differ from the full encoding's`);
        assert.ok(Buffer.from(got[name]!.kernargs).equals(Buffer.from(ref.kernargs)), `${name}: kernel-argument bytes differ from the full encoding's`);
      }
    });

    it('AQL: prepared enqueue() = prepared submit(); dispatch() repeated = dispatch() encoded anew, but for where the arguments live', async () => {
      const shape = { grid: 64, block: 32 } as const;
      const runs: Record<string, (s: Side, q: AqlQueue) => void> = {
        encoded: (s, q) => {
          for (let i = 0; i < LAUNCHES; i++) s.fill().dispatch(q, { ...shape, args: [s.out, 7, 64] });
        },
        repeated: (s, q) => {
          const k = s.fill();
          for (let i = 0; i < LAUNCHES; i++) k.dispatch(q, { ...shape, args: [s.out, 7, 64] });
        },
        submit: (s, q) => {
          const l = s.fill().prepare(q, { ...shape, args: [s.out, 7, 64] });
          for (let i = 0; i < LAUNCHES; i++) assert.equal(l.submit().value, BigInt(i + 1));
        },
        enqueue: (s, q) => {
          const l = s.fill().prepare(q, { ...shape, args: [s.out, 7, 64] });
          for (let i = 0; i < LAUNCHES; i++) l.enqueue();
          assert.equal(q.submitted, BigInt(LAUNCHES));
        },
      };
      const got: Record<string, ReturnType<typeof written> & { kernargVa: bigint }> = {};
      for (const [name, run] of Object.entries(runs)) {
        const s = side(model);
        const q = AqlQueue.create(s.dev, { packets: 64 });
        run(s, q);
        got[name] = { ...written(q, s), kernargVa: q.kernargs.va };
        q.destroy();
        await s.close();
      }
      assert.deepEqual(got.enqueue!.doorbells, got.submit!.doorbells);
      assert.deepEqual(got.enqueue!.doorbells, [0, 1, 2, 3, 4], 'an AQL doorbell carries the index of the packet written');
      assert.ok(Buffer.from(got.enqueue!.ring).equals(Buffer.from(got.submit!.ring)), 'enqueue and submit wrote different packets');
      assert.ok(Buffer.from(got.enqueue!.kernargs).equals(Buffer.from(got.submit!.kernargs)), 'enqueue and submit wrote different arguments');
      // dispatch() keeps the packet-shaped range before the arguments that PM4 queues need; the
      // prepared form of a repeated dispatch puts the arguments alone. Everything else is equal.
      const at = kernelDispatchPacket.offsetOf('kernarg_address');
      const enc = got.encoded!;
      const rep = got.repeated!;
      assert.deepEqual(rep.doorbells, enc.doorbells);
      for (let i = 0; i < LAUNCHES; i++) {
        const a = new DataView(enc.ring.buffer, i * 64, 64);
        const b = new DataView(rep.ring.buffer, i * 64, 64);
        for (let o = 0; o < 64; o += 4) if (o !== at && o !== at + 4) assert.equal(b.getUint32(o, true), a.getUint32(o, true), `packet ${i}, byte ${o}`);
        const argsOf = (w: typeof enc, v: DataView): Uint8Array => {
          const off = Number(v.getBigUint64(at, true) - w.kernargVa);
          return w.kernargs.slice(off, off + 24);
        };
        assert.deepEqual(argsOf(rep, b), argsOf(enc, a), `packet ${i}: the arguments it points at`);
      }
    });

    it('SDMA: copy() repeated (its encoding and fence reused) = a prepared copy = the copy packet through submit() each time', async () => {
      const got: ReturnType<typeof written>[] = [];
      const packets: string[][] = [];
      for (const form of ['submit', 'copy', 'prepared'] as const) {
        const s = side(model);
        const q = SdmaQueue.create(s.dev, { ringBytes: 64 * 1024 });
        const dst = s.dev.alloc(8192, { domain: 'vram' });
        const prepared = q.prepareCopy(dst.va, s.out.va, 4096);
        for (let i = 0; i < LAUNCHES; i++) {
          const c = form === 'copy' ? q.copy(dst.va, s.out.va, 4096) : form === 'prepared' ? prepared.submit() : q.submit(q.builder().copyLinear(dst.va, s.out.va, 4096).dwords);
          assert.equal(c.value, BigInt(i + 1));
        }
        got.push(written(q, s));
        packets.push(packetsWritten(q, got.at(-1)!));
        q.destroy();
        dst.free();
        await s.close();
      }
      assert.ok(got[0]!.ring.some((b) => b !== 0));
      for (const [i, form] of [[1, 'copy()'], [2, 'the prepared copy']] as const) {
        assert.equal(got[i]!.doorbells.length, LAUNCHES, `${form}: one doorbell per copy`);
        assert.deepEqual(packets[i], packets[0], `${form} wrote different packets`);
      }
    });
  });
}

describe('64-bit stores from numbers', () => {
  it('storeUint53 and releaseStore64 store exactly the integer, across the 32-bit boundary and up to 2^53 - 1', () => {
    const cell = new BigUint64Array(new SharedArrayBuffer(16));
    for (const v of [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 2 ** 32, 2 ** 32 + 5, 0x12345678_9abc, 2 ** 52 + 3, Number.MAX_SAFE_INTEGER]) {
      storeUint53(cell, 0, v);
      releaseStore64(cell, 1, v);
      assert.equal(cell[0], BigInt(v), `storeUint53(${v})`);
      assert.equal(cell[1], BigInt(v), `releaseStore64(${v})`);
      assert.equal(high32(v) >>> 0, Number(BigInt(v) >> 32n), `high32(${v})`);
    }
  });

  it('storeNextUint53 counts through the 32-bit wraps (low half alone, the whole cell at a wrap)', () => {
    const buffer = new SharedArrayBuffer(16);
    const cell = new BigUint64Array(buffer);
    const words = new Int32Array(buffer);
    for (const start of [0, 2 ** 32 - 3, 2 ** 33 - 2, 2 ** 52 - 2]) {
      storeUint53(cell, 1, start);
      for (let v = start + 1; v < start + 6; v++) {
        storeNextUint53(cell, words, 1, v);
        assert.equal(cell[1], BigInt(v), `after ${v - 1}`);
      }
    }
    assert.equal(cell[0], 0n, 'the neighbouring cell is untouched');
  });
});

describe('generated pair copiers', () => {
  // Dword pairs that read as NaNs when taken as doubles: signalling, quiet, the hole NaN V8 uses in
  // its double arrays, negative ones, infinities. They must arrive bit for bit.
  const NAN_PAIRS = [[0x00000001, 0x7ff00000], [0x00000000, 0x7ff80000], [0xfff7ffff, 0xfff7ffff], [0xffffffff, 0xffffffff], [0x12345678, 0xfff00001], [0, 0x7ff00000], [0, 0xfff00000], [0xdeadbeef, 0x7fffffff]];

  it('copy exactly the stream, every length from 1 to past the unrolled limit, and touch nothing around it', () => {
    const ring = new Uint32Array(512);
    const ringPairs = new Float64Array(ring.buffer);
    for (let pairs = 1; pairs <= 65; pairs++) {
      const from = Uint32Array.from({ length: 2 * pairs }, (_, i) => (i % 5 === 4 ? NAN_PAIRS[i % NAN_PAIRS.length]![i & 1]! : Math.imul(i + pairs, 0x9e3779b1) >>> 0));
      ring.fill(0x5a5a5a5a);
      const at = pairs % 7;
      pairCopierFor(pairs)(ringPairs, at, new Float64Array(from.buffer));
      assert.deepEqual(Array.from(ring.subarray(2 * at, 2 * (at + pairs))), Array.from(from), `${pairs} pairs`);
      assert.ok(ring.subarray(0, 2 * at).every((w) => w === 0x5a5a5a5a) && ring.subarray(2 * (at + pairs)).every((w) => w === 0x5a5a5a5a), `${pairs} pairs: outside the range`);
      assert.equal(pairCopierFor(pairs), pairCopierFor(pairs), `${pairs} pairs: generated once`);
    }
  });

  it('carry NaN bit patterns intact, in cold code and once the copier is optimized', () => {
    const from = new Uint32Array(NAN_PAIRS.flat());
    const copy = pairCopierFor(NAN_PAIRS.length);
    const to = new Uint32Array(from.length);
    const toPairs = new Float64Array(to.buffer);
    const fromPairs = new Float64Array(from.buffer);
    for (let round = 0; round < 200_000; round++) {
      copy(toPairs, 0, fromPairs);
      if (round % 20_000 === 0 || round === 199_999) {
        assert.deepEqual(Array.from(to), Array.from(from), `round ${round}`);
        to.fill(0);
      }
    }
  });
});
