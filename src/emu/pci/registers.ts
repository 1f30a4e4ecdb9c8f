// The emulated GPU's register BAR (resource5): 32-bit registers in shared memory, laid out as the IP
// discovery table and the kernel's register headers say (src/hw/regs). A read through the Host's MMIO
// accessor first refreshes the registers that mirror live engine state:
//  - GRBM_STATUS: GUI_ACTIVE and CP_BUSY while any engine has work in flight; GRBM_STATUS2 CPC_BUSY
//    likewise;
//  - SDMA0_STATUS_REG (gfx11): IDLE (bit 0) when no SDMA queue has work;
//  - SDMA0_QUEUE0/1_RB_RPTR/WPTR(_HI) (gfx11): the byte read/write pointers of the first two active
//    SDMA queues (the emulator's stand-in for the scheduler's queue-to-slot mapping);
//  - CP_HQD_* (gfx1100, gfx942, gfx90a): one compute queue's hardware queue descriptor. On hardware these
//    registers show the queue that GRBM_GFX_CNTL/SRBM selects (me, pipe, queue); the emulator has no
//    selection, so they show the compute queue (PM4 or AQL) that has work outstanding (read pointer
//    behind write pointer, or hung), lowest queue id first, else the most recently created compute
//    queue: CP_HQD_ACTIVE 1 while a compute queue exists, CP_HQD_PQ_BASE(_HI) its ring address >> 8,
//    CP_HQD_PQ_RPTR its read pointer in dwords modulo the ring, CP_HQD_PQ_WPTR_LO/HI its 64-bit write
//    pointer in dwords (an AQL queue counts 16 dwords a packet);
// Scratch registers (GRBM_SCRATCH_REG0..7) keep what is written. Everything else reads 0.
import type { Mapping, Mmio } from '../../os/host.js';
import { Backing } from '../process/backing.js';
import type { EmuGpu } from '../gpu.js';
import { CTRL } from '../engine/protocol.js';
import { REGISTER_TABLES, type RegisterDef } from '../../hw/regs/index.js';
import { IP_BLOCKS, HWID } from './discovery.js';

/** What the engines report per queue (EmuHost.engineStatus's shape). */
interface LiveQueues {
  readonly queues: readonly {
    readonly queueId: number;
    readonly kind: string;
    readonly rptr: string;
    readonly wptr: string;
    readonly state: string;
    readonly ringVa?: string;
    readonly ringSize?: number;
  }[];
}

/** The compute queue the CP_HQD_* registers show (see the header), its pointers in dwords. */
export function hqdQueue(live: LiveQueues): { rptr: bigint; wptr: bigint; ringVa: bigint; ringDwords: bigint } | undefined {
  const compute = live.queues
    .filter((q) => q.kind === 'pm4' || q.kind === 'aql')
    .map((q) => {
      const unit = q.kind === 'aql' ? 16n : 1n;
      return { id: q.queueId, state: q.state, rptr: BigInt(q.rptr) * unit, wptr: BigInt(q.wptr) * unit, ringVa: BigInt(q.ringVa ?? 0), ringDwords: BigInt((q.ringSize ?? 0) >>> 2) };
    })
    .sort((a, b) => a.id - b.id);
  const q = compute.find((x) => x.rptr !== x.wptr || x.state === 'hung') ?? compute.at(-1);
  return q && { rptr: q.rptr, wptr: q.wptr, ringVa: q.ringVa, ringDwords: q.ringDwords };
}

const GC_VERSION: Readonly<Record<string, string>> = { gfx1100: '11.0.0', gfx942: '9.4.3', gfx90a: '9.4.2' };

function fieldMask(def: RegisterDef | undefined, field: string, fallback: number): number {
  return def?.fields.find((f) => f.name === field)?.mask ?? fallback;
}

export class RegisterBar {
  readonly backing: Backing;
  private readonly u32: Uint32Array;
  /** dword index in the BAR → how to compute its value now. */
  private readonly live = new Map<number, () => number>();
  /** Scratch registers: the only ones a write changes. */
  private readonly writable = new Set<number>();

  constructor(readonly gpu: EmuGpu, readonly size: number, private readonly status: () => LiveQueues) {
    this.backing = new Backing(size, `register BAR of gpu ${gpu.gpuId}`);
    this.u32 = new Uint32Array(this.backing.bytes.buffer, this.backing.bytes.byteOffset, size >>> 2);
    const target = gpu.target.name;
    const table = REGISTER_TABLES.get(GC_VERSION[target] ?? '');
    const gc = IP_BLOCKS[target]?.find((b) => b.hwId === HWID.GC);
    if (!table || !gc) return;
    const dword = (d: RegisterDef): number => gc.bases[d.baseIndex]! + d.offset;
    const reg = (name: string): RegisterDef | undefined => table.registers.find((r) => r.name === name);
    const busy = (): boolean => Atomics.load(gpu.link.ctrl, CTRL.BUSY) !== 0;
    const grbm = reg('GRBM_STATUS');
    if (grbm) {
      // GUI_ACTIVE bit 31, CP_BUSY bit 29 (gc_9_4_3_sh_mask.h; the same bits on gfx10/11)
      const m = (fieldMask(grbm, 'GUI_ACTIVE', 0x80000000) | fieldMask(grbm, 'CP_BUSY', 0x20000000)) >>> 0;
      this.live.set(dword(grbm), () => (busy() ? m : 0));
    }
    const grbm2 = reg('GRBM_STATUS2');
    if (grbm2?.fields.length) {
      const m = fieldMask(grbm2, 'CPC_BUSY', 0);
      this.live.set(dword(grbm2), () => (busy() ? m : 0));
    }
    const sdmaQueues = (): { rptr: bigint; wptr: bigint; state: string }[] =>
      this.status().queues.filter((q) => q.kind === 'sdma').map((q) => ({ rptr: BigInt(q.rptr), wptr: BigInt(q.wptr), state: q.state }));
    const sdmaStatus = reg('SDMA0_STATUS_REG');
    if (sdmaStatus) this.live.set(dword(sdmaStatus), () => (sdmaQueues().some((q) => q.state !== 'idle' || q.rptr !== q.wptr) ? 0 : 1));
    for (const slot of [0, 1]) {
      for (const [suffix, pick] of [['RPTR', 'rptr'], ['WPTR', 'wptr']] as const) {
        const lo = reg(`SDMA0_QUEUE${slot}_RB_${suffix}`);
        const hi = reg(`SDMA0_QUEUE${slot}_RB_${suffix}_HI`);
        const value = (): bigint => sdmaQueues()[slot]?.[pick] ?? 0n;
        if (lo) this.live.set(dword(lo), () => Number(value() & 0xffffffffn));
        if (hi) this.live.set(dword(hi), () => Number((value() >> 32n) & 0xffffffffn));
      }
    }
    const hqd = (): ReturnType<typeof hqdQueue> => hqdQueue(this.status());
    const lo32 = (v: bigint): number => Number(v & 0xffffffffn);
    const hqdRegs: [string, (q: NonNullable<ReturnType<typeof hqdQueue>>) => number][] = [
      ['CP_HQD_ACTIVE', () => 1],
      ['CP_HQD_PQ_BASE', (q) => lo32(q.ringVa >> 8n)],
      ['CP_HQD_PQ_BASE_HI', (q) => lo32(q.ringVa >> 40n)],
      ['CP_HQD_PQ_RPTR', (q) => lo32(q.ringDwords > 0n ? q.rptr % q.ringDwords : q.rptr)],
      ['CP_HQD_PQ_WPTR_LO', (q) => lo32(q.wptr)],
      ['CP_HQD_PQ_WPTR_HI', (q) => lo32(q.wptr >> 32n)],
    ];
    for (const [name, f] of hqdRegs) {
      const r = reg(name);
      if (r) this.live.set(dword(r), () => {
        const q = hqd();
        return q ? f(q) : 0;
      });
    }
    for (const r of table.registers) if (r.writeSafe) this.writable.add(dword(r));
  }

  /** Brings one register up to date from the engines. */
  refresh(dword: number): void {
    const f = this.live.get(dword);
    if (f) Atomics.store(this.u32, dword, f() >>> 0);
  }

  mmio(mapping: Mapping): Mmio {
    const base = (mapping.bytes.byteOffset - this.backing.bytes.byteOffset) >>> 2;
    const u32 = this.u32;
    const word = (byteOffset: number): number => {
      if (byteOffset & 3 || byteOffset < 0 || byteOffset + 4 > mapping.length) throw new RangeError(`register access at byte 0x${byteOffset.toString(16)} of a ${mapping.length}-byte mapping`);
      return base + (byteOffset >>> 2);
    };
    return {
      load32: (byteOffset: number): number => {
        const d = word(byteOffset);
        this.refresh(d);
        return Atomics.load(u32, d) >>> 0;
      },
      store32: (byteOffset: number, value: number): void => {
        const d = word(byteOffset);
        if (this.writable.has(d)) Atomics.store(u32, d, value);
      },
      load64(): bigint {
        throw new RangeError('registers are read 32 bits at a time');
      },
      store64(): void {
        throw new RangeError('registers are written 32 bits at a time');
      },
    };
  }
}
