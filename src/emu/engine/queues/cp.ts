// The command processor's execution of PM4 packets (shared by PM4 queues and the PM4 IBs of AQL
// vendor packets): register state, memory writes, waits, fences, interrupts and dispatch launch.
import { PM4_OP, compare } from '../../../hw/pm4/opcodes.js';
import type { Pm4Packet } from '../../../hw/pm4/decode.js';
import { COMPUTE_REGS, DISPATCH_INITIATOR, RSRC2, bitsOf, LDS_ENCODE_GRANULARITY, registerName } from '../../../hw/pm4/registers.js';
import { address } from '../../../hw/packet-fields.js';
import type { GfxFamily } from '../../../hw/targets.js';
import type { EngineContext } from '../context.js';
import type { DispatchSetup, LiveWave, RunningDispatch } from '../../isa/types.js';
import { shaderCore } from './shader.js';
import { QueueStop } from './ring.js';

/**
 * A dispatch step aims at about this long, so the GPU's other queues (an SDMA copy, another compute
 * queue) and the kernel side's requests get their turn between steps whatever the kernel's speed.
 */
const DISPATCH_STEP_MS = 0.25;
/** Bounds of the instructions per step that the aim adjusts (the first step starts at 4096). */
const MIN_STEP_INSTRUCTIONS = 256;
const MAX_STEP_INSTRUCTIONS = 1 << 20;
const SH_BASE = 0x2c00;
const SH_END = 0x3000;

export type CpResult = { readonly kind: 'done' } | { readonly kind: 'started' } | { readonly kind: 'wait'; readonly what: string | (() => string) } | { readonly kind: 'ib'; readonly va: bigint; readonly dwords: number };
const DONE: CpResult = { kind: 'done' };
/** A dispatch was launched and keeps running; the packet is consumed. */
const STARTED: CpResult = { kind: 'started' };
const STALLED_WAIT: CpResult = { kind: 'wait', what: 'WAIT_REG_MEM (stalled by fault injection)' };

/** A 64-bit address from its packet fields (what packet-fields' address() gives, without building field names per packet). */
function fieldAddress(lo: number, hi: number): bigint {
  return (BigInt(hi) << 32n) | BigInt(lo);
}

export class CommandProcessor {
  readonly sh = new Uint32Array(SH_END - SH_BASE);
  readonly otherRegs = new Map<number, number>();
  private running: RunningDispatch | undefined;
  /** Instructions per dispatch step, halved after a step that took over twice DISPATCH_STEP_MS, doubled after one under half. */
  private stepInstructions = 4096;
  dispatches = 0;
  /** The WAIT_REG_MEM last run: its packet, the address it polls and the value it read there. */
  private readonly wait: { packet: Pm4Packet | undefined; addr: bigint; value: number } = { packet: undefined, addr: 0n, value: 0 };
  private readonly unmetWait: CpResult = { kind: 'wait', what: () => this.describeWait() };

  constructor(private readonly ctx: EngineContext, private readonly family: GfxFamily, private readonly client: string) {}

  get busy(): boolean {
    return this.running !== undefined;
  }

  private reg(r: number): number {
    if (r >= SH_BASE && r < SH_END) return this.sh[r - SH_BASE]!;
    return this.otherRegs.get(r) ?? 0;
  }

  private setReg(r: number, v: number): void {
    if (r >= SH_BASE && r < SH_END) this.sh[r - SH_BASE] = v;
    else this.otherRegs.set(r, v);
  }

  /** The running dispatch's live waves, for status reports. */
  waves(): LiveWave[] {
    return this.running?.liveWaves?.() ?? [];
  }

  /** Drops an in-flight dispatch (its queue is being destroyed), stopping any threads that run it. */
  cancel(): void {
    this.running?.cancel?.();
    this.running = undefined;
  }

  /** Advances an in-flight dispatch; true when it finished. */
  stepDispatch(): boolean {
    if (!this.running) return true;
    const started = performance.now();
    if (this.running.step(this.stepInstructions) === 'done') {
      this.running = undefined;
      return true;
    }
    // Only a step that used its whole budget says how fast the budget runs.
    const ms = performance.now() - started;
    if (ms > 2 * DISPATCH_STEP_MS) this.stepInstructions = Math.max(MIN_STEP_INSTRUCTIONS, this.stepInstructions >> 1);
    else if (ms < DISPATCH_STEP_MS / 2) this.stepInstructions = Math.min(MAX_STEP_INSTRUCTIONS, this.stepInstructions * 2);
    return false;
  }

  execute(p: Pm4Packet, dw: Uint32Array): CpResult {
    const f = p.fields;
    const vm = this.ctx.vm;
    switch (p.op) {
      case PM4_OP.NOP:
      case PM4_OP.ACQUIRE_MEM:
        return DONE;
      case PM4_OP.SET_SH_REG:
      case PM4_OP.SET_UCONFIG_REG:
      case PM4_OP.SET_CONFIG_REG:
        for (const r of p.regs!) {
          if (p.op === PM4_OP.SET_SH_REG && (r.reg < SH_BASE || r.reg >= SH_END)) throw new QueueStop(`SET_SH_REG to 0x${r.reg.toString(16)} is outside the SH register space`);
          this.setReg(r.reg, r.value);
        }
        return DONE;
      case PM4_OP.WRITE_DATA: {
        const dst = fieldAddress(f.dst_addr_lo!, f.dst_addr_hi!);
        const one = f.wr_one_addr === 1;
        for (let i = 0; i < p.data!.length; i++) {
          if (f.dst_sel === 0) this.setReg(Number(dst & 0xffffn) + (one ? 0 : i), p.data![i]!);
          else if (f.dst_sel === 1 || f.dst_sel === 2 || f.dst_sel === 5) {
            if ((dst & 3n) !== 0n) throw new QueueStop(`WRITE_DATA to unaligned address 0x${dst.toString(16)}`);
            vm.write32(dst + (one ? 0n : BigInt(4 * i)), p.data![i]!, this.client);
          } else throw new QueueStop(`WRITE_DATA dst_sel ${f.dst_sel} is not supported by the emulated CP`);
        }
        return DONE;
      }
      case PM4_OP.WAIT_REG_MEM:
        return this.waitRegMem(p);
      case PM4_OP.INDIRECT_BUFFER: {
        if (f.valid !== 1) throw new QueueStop('INDIRECT_BUFFER without the VALID bit');
        return { kind: 'ib', va: address(f, 'ib_base', 2), dwords: f.ib_size! };
      }
      case PM4_OP.COPY_DATA: {
        const wide = f.count_sel === 1;
        const src = fieldAddress(f.src_addr_lo!, f.src_addr_hi!);
        let v: bigint;
        switch (f.src_sel) {
          case 0: v = BigInt(this.reg(Number(src & 0xffffn))); break;
          case 1: case 2: v = wide ? vm.read64(src, this.client) : BigInt(vm.read32(src, this.client)); break;
          case 5: v = wide ? src : src & 0xffffffffn; break;
          case 9: case 10: v = this.ctx.clock(); break;
          default: throw new QueueStop(`COPY_DATA src_sel ${f.src_sel} is not supported by the emulated CP`);
        }
        const dst = fieldAddress(f.dst_addr_lo!, f.dst_addr_hi!);
        if (f.dst_sel === 0) this.setReg(Number(dst & 0xffffn), Number(v & 0xffffffffn));
        else if (f.dst_sel === 1 || f.dst_sel === 2 || f.dst_sel === 5) {
          if (wide) vm.write64(dst, v, this.client);
          else vm.write32(dst, Number(v & 0xffffffffn), this.client);
        } else throw new QueueStop(`COPY_DATA dst_sel ${f.dst_sel} is not supported by the emulated CP`);
        return DONE;
      }
      case PM4_OP.EVENT_WRITE:
        return this.running ? { kind: 'wait', what: 'EVENT_WRITE behind a running dispatch' } : DONE;
      case PM4_OP.RELEASE_MEM: {
        if (this.running) return { kind: 'wait', what: 'RELEASE_MEM behind a running dispatch' };
        const a = fieldAddress(f.addr_lo!, f.addr_hi!);
        switch (f.data_sel) {
          case 0: break;
          case 1:
            if ((a & 3n) !== 0n) throw new QueueStop(`RELEASE_MEM data32 to unaligned address 0x${a.toString(16)}`);
            vm.write32(a, f.data_lo!, this.client);
            break;
          case 2: case 3: case 4:
            if ((a & 7n) !== 0n) throw new QueueStop(`RELEASE_MEM 64-bit write to address 0x${a.toString(16)} that is not 8-byte aligned`);
            vm.write64(a, f.data_sel === 2 ? (BigInt(f.data_hi!) << 32n) | BigInt(f.data_lo!) : this.ctx.clock(), this.client);
            break;
          default: throw new QueueStop(`RELEASE_MEM data_sel ${f.data_sel} is reserved`);
        }
        if (f.int_sel === 1 || f.int_sel === 2) this.ctx.interrupt(f.int_ctxid!, this.client);
        else if (f.int_sel !== 0) throw new QueueStop(`RELEASE_MEM int_sel ${f.int_sel} is reserved`);
        return DONE;
      }
      case PM4_OP.DISPATCH_DIRECT:
        return this.launch([f.dim_x!, f.dim_y!, f.dim_z!], f.dispatch_initiator!);
      case PM4_OP.DISPATCH_INDIRECT: {
        const a = fieldAddress(f.addr_lo!, f.addr_hi!);
        return this.launch([vm.read32(a, this.client), vm.read32(a + 4n, this.client), vm.read32(a + 8n, this.client)], f.dispatch_initiator!);
      }
      default:
        throw new QueueStop(`PM4 ${p.name} is not supported by the emulated CP (header 0x${dw[0]!.toString(16)})`);
    }
  }

  /**
   * WAIT_REG_MEM: the condition is read afresh on every call (a blocked queue calls again with the same
   * packet until it holds); the packet's address is worked out once, and an unmet condition returns
   * the same result object each time, its text made only if a status report asks.
   */
  private waitRegMem(p: Pm4Packet): CpResult {
    const f = p.fields;
    if (f.operation !== 0) throw new QueueStop(`WAIT_REG_MEM operation ${f.operation} (write-wait-write) is not supported by the emulated CP`);
    const w = this.wait;
    if (w.packet !== p) {
      const addr = fieldAddress(f.poll_addr_lo!, f.poll_addr_hi!);
      if (f.mem_space === 1 && (addr & 3n) !== 0n) throw new QueueStop(`WAIT_REG_MEM on unaligned address 0x${addr.toString(16)}`);
      w.packet = p;
      w.addr = addr;
    }
    w.value = f.mem_space === 1 ? this.ctx.vm.read32(w.addr, this.client) : this.reg(Number(w.addr & 0xffffn));
    if (this.ctx.inject.has('stall-queue')) return STALLED_WAIT;
    return compare(f.function!, (w.value & f.mask!) >>> 0, f.reference!) ? DONE : this.unmetWait;
  }

  /** The unmet WAIT_REG_MEM's text, from the packet and the value it read last. */
  private describeWait(): string {
    const { packet, addr, value } = this.wait;
    const f = packet!.fields;
    const where = f.mem_space === 1 ? `mem 0x${addr.toString(16)}` : `reg ${registerName(this.family, Number(addr & 0xffffn))}`;
    return `WAIT_REG_MEM ${where} (0x${value.toString(16)} & 0x${f.mask!.toString(16)}) func ${f.function} 0x${f.reference!.toString(16)}`;
  }

  private launch(dims: [number, number, number], initiator: number): CpResult {
    if (this.running) return { kind: 'wait', what: 'dispatch behind a running dispatch' };
    if (!(initiator & DISPATCH_INITIATOR.COMPUTE_SHADER_EN)) throw new QueueStop(`dispatch initiator 0x${initiator.toString(16)} lacks COMPUTE_SHADER_EN`);
    const R = COMPUTE_REGS[this.family];
    const wg: [number, number, number] = [this.reg(R.NUM_THREAD_X) & 0x3ff, this.reg(R.NUM_THREAD_Y) & 0x3ff, this.reg(R.NUM_THREAD_Z) & 0x3ff];
    if (wg[0] === 0 || wg[1] === 0 || wg[2] === 0) throw new QueueStop(`dispatch with a zero workgroup size (COMPUTE_NUM_THREAD = ${wg.join('x')})`);
    const threads = (initiator & DISPATCH_INITIATOR.USE_THREAD_DIMENSIONS) !== 0;
    const groups: [number, number, number] = threads ? [Math.ceil(dims[0] / wg[0]), Math.ceil(dims[1] / wg[1]), Math.ceil(dims[2] / wg[2])] : dims;
    if (groups[0] === 0 || groups[1] === 0 || groups[2] === 0) return DONE;
    const rsrc2 = this.reg(R.PGM_RSRC2);
    const waveSize: 32 | 64 = this.family !== 'gfx9' && (initiator & DISPATCH_INITIATOR.CS_W32_EN) !== 0 ? 32 : 64;
    const entry = ((BigInt(this.reg(R.PGM_HI)) << 32n) | BigInt(this.reg(R.PGM_LO))) << 8n;
    const userCount = bitsOf(rsrc2, RSRC2.USER_SGPR);
    const userSgprs: number[] = [];
    for (let i = 0; i < userCount; i++) userSgprs.push(this.reg(R.USER_DATA_0 + i));
    return this.start({
      target: this.ctx.target,
      entry,
      rsrc1: this.reg(R.PGM_RSRC1),
      rsrc2,
      rsrc3: this.reg(R.PGM_RSRC3),
      userSgprs,
      workgroupSize: wg,
      workgroups: groups,
      gridSize: threads ? dims : undefined,
      waveSize,
      ldsBytes: bitsOf(rsrc2, RSRC2.LDS_SIZE) * LDS_ENCODE_GRANULARITY,
      scratch: bitsOf(rsrc2, RSRC2.SCRATCH_EN) ? this.scratch(waveSize) : undefined,
    });
  }

  /** The private segment a dispatch with SCRATCH_EN gets from COMPUTE_TMPRING_SIZE and COMPUTE_DISPATCH_SCRATCH_BASE. */
  private scratch(waveSize: 32 | 64): DispatchSetup['scratch'] {
    const R = COMPUTE_REGS[this.family];
    const tmpring = this.reg(R.TMPRING_SIZE);
    // TMPRING_SIZE.WAVESIZE: per-wave scratch in 256-dword units on gfx9, 64-dword units on gfx11+ (gc sh_mask headers).
    const waveScratch = ((tmpring >>> 12) & 0x1fff) * (this.family === 'gfx9' ? 1024 : 256);
    const base = ((BigInt(this.reg(R.DISPATCH_SCRATCH_BASE_HI)) << 32n) | BigInt(this.reg(R.DISPATCH_SCRATCH_BASE_LO))) << 8n;
    return { bytesPerLane: waveScratch / waveSize, base };
  }

  /** Starts a dispatch whose state the caller (PM4 registers or the AQL packet processor) assembled. */
  start(setup: DispatchSetup): CpResult {
    const core = shaderCore();
    if (!core) throw new QueueStop(`unsupported: dispatch of the program at 0x${setup.entry.toString(16)} needs the shader core, which this build of the emulator does not have`);
    this.dispatches++;
    this.running = core.start(setup, this.ctx.vm);
    return this.stepDispatch() ? DONE : STARTED;
  }
}
