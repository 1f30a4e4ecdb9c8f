// The emulated GPU's register BAR (resource5): 32-bit registers in shared memory, laid out as the IP
// discovery table and the kernel's register headers say (src/hw/regs: one table per GC, SDMA0 and NBIO
// version the model reports). A read through the Host's MMIO accessor first refreshes the registers that
// mirror live engine state:
//  - GRBM_STATUS: GUI_ACTIVE and CP_BUSY while any engine has work in flight; GRBM_STATUS2 CPC_BUSY
//    likewise;
//  - SDMA status (SDMA0_STATUS_REG on gfx11 and gfx90a, SDMA_STATUS_REG on gfx942): IDLE and RB_EMPTY while no SDMA
//    queue has work, both clear while one has (a copy runs, or a poll waits);
//  - SDMA ring pointers of the first two active SDMA queues, in bytes: gfx11 SDMA0_QUEUE0/1_RB_RPTR/WPTR(_HI),
//    gfx942 SDMA_RLC0/1_RB_RPTR/WPTR(_HI), gfx90a SDMA0_RLC0/1_* (KFD user queues run on the RLC queues
//    there). The emulator's
//    stand-in for the scheduler's queue-to-slot mapping; the registers are engine instance 0's;
//  - CP_HQD_* (gfx1100, gfx942, gfx90a): one compute queue's hardware queue descriptor. On hardware these
//    registers show the queue that GRBM_GFX_CNTL/SRBM selects (me, pipe, queue); the emulator has no
//    selection, so they show the compute queue (PM4 or AQL) that has work outstanding (read pointer
//    behind write pointer, or hung), lowest queue id first, else the most recently created compute
//    queue: CP_HQD_ACTIVE 1 while a compute queue exists, CP_HQD_PQ_BASE(_HI) its ring address >> 8,
//    CP_HQD_PQ_RPTR its read pointer in dwords modulo the ring, CP_HQD_PQ_WPTR_LO/HI its 64-bit write
//    pointer in dwords (an AQL queue counts 16 dwords a packet);
//  - NBIO BIF_BX0_BIOS_SCRATCH_7: ASIC_INIT_COMPLETE (the emulated ASIC is posted); BIOS_SCRATCH_3:
//    GUI_ENGINE_HUNG while a queue is hung (the flag the kernel raises while it recovers a hung engine).
// Scratch registers (GRBM_SCRATCH_REG0..7) keep what is written. Everything else reads 0.
import type { Mapping, Mmio } from '../../os/host.js';
import { Backing } from '../process/backing.js';
import type { EmuGpu } from '../gpu.js';
import { CTRL } from '../engine/protocol.js';
import { registerTable, type RegisterDef, type RegisterTable } from '../../hw/regs/index.js';
import { ATOM_S3_ASIC_GUI_ENGINE_HUNG, ATOM_S7_ASIC_INIT_COMPLETE_MASK } from '../../hw/regs/atombios.js';
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

/** soc15_hw_ip.h names by hardware id, as the register database keys its tables. */
const HW_NAME: ReadonlyMap<number, string> = new Map(Object.entries(HWID).map(([name, id]) => [id, name]));

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
    // the model's blocks that have a table, each with the bases of the block its offsets are relative to
    const blocks = IP_BLOCKS[gpu.target.name] ?? [];
    const tables: { table: RegisterTable; bases: readonly number[] }[] = [];
    for (const b of blocks) {
      const table = registerTable(HW_NAME.get(b.hwId) ?? '', b.version.join('.'));
      const bases = table && blocks.find((x) => HW_NAME.get(x.hwId) === table.baseBlock)?.bases;
      if (table && bases) tables.push({ table, bases });
    }
    const regOf = (block: string) => {
      const t = tables.find((x) => x.table.block === block);
      return (name: string): { def: RegisterDef; dword: number } | undefined => {
        const def = t?.table.registers.find((r) => r.name === name);
        return t && def && { def, dword: t.bases[def.baseIndex]! + def.offset };
      };
    };
    const gc = regOf('GC');
    const sdma = regOf('SDMA0');
    const nbio = regOf('NBIO');
    const live = (r: { dword: number } | undefined, f: () => number): void => {
      if (r) this.live.set(r.dword, f);
    };
    const busy = (): boolean => Atomics.load(gpu.link.ctrl, CTRL.BUSY) !== 0;
    const grbm = gc('GRBM_STATUS');
    // GUI_ACTIVE bit 31, CP_BUSY bit 29 (gc_9_4_3_sh_mask.h; the same bits on gfx10/11)
    const grbmBusy = (fieldMask(grbm?.def, 'GUI_ACTIVE', 0x80000000) | fieldMask(grbm?.def, 'CP_BUSY', 0x20000000)) >>> 0;
    live(grbm, () => (busy() ? grbmBusy : 0));
    const grbm2 = gc('GRBM_STATUS2');
    if (grbm2?.def.fields.length) {
      const m = fieldMask(grbm2.def, 'CPC_BUSY', 0);
      live(grbm2, () => (busy() ? m : 0));
    }
    const sdmaQueues = (): { rptr: bigint; wptr: bigint; state: string }[] =>
      this.status().queues.filter((q) => q.kind === 'sdma').map((q) => ({ rptr: BigInt(q.rptr), wptr: BigInt(q.wptr), state: q.state }));
    const sdmaStatus = sdma('SDMA0_STATUS_REG') ?? sdma('SDMA_STATUS_REG');
    if (sdmaStatus) {
      const idle = (fieldMask(sdmaStatus.def, 'IDLE', 0x1) | fieldMask(sdmaStatus.def, 'RB_EMPTY', 0x4)) >>> 0;
      live(sdmaStatus, () => (sdmaQueues().some((q) => q.state !== 'idle' || q.rptr !== q.wptr) ? 0 : idle));
    }
    for (const slot of [0, 1]) {
      for (const [suffix, pick] of [['RPTR', 'rptr'], ['WPTR', 'wptr']] as const) {
        const value = (): bigint => sdmaQueues()[slot]?.[pick] ?? 0n;
        for (const ring of [`SDMA0_QUEUE${slot}`, `SDMA_RLC${slot}`, `SDMA0_RLC${slot}`]) {
          live(sdma(`${ring}_RB_${suffix}`), () => Number(value() & 0xffffffffn));
          live(sdma(`${ring}_RB_${suffix}_HI`), () => Number((value() >> 32n) & 0xffffffffn));
        }
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
      live(gc(name), () => {
        const q = hqd();
        return q ? f(q) : 0;
      });
    }
    live(nbio('BIF_BX0_BIOS_SCRATCH_7'), () => ATOM_S7_ASIC_INIT_COMPLETE_MASK);
    live(nbio('BIF_BX0_BIOS_SCRATCH_3'), () => (this.status().queues.some((q) => q.state === 'hung') ? ATOM_S3_ASIC_GUI_ENGINE_HUNG : 0));
    for (const { table, bases } of tables) for (const r of table.registers) if (r.writeSafe) this.writable.add(bases[r.baseIndex]! + r.offset);
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
      ringDoorbell(): void {
        throw new RangeError('the register BAR has no doorbells');
      },
    };
  }
}
