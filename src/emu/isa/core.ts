// The shader core: runs a dispatch workgroup by workgroup, the waves of a workgroup interleaved so
// s_barrier works, each instruction decoded once per PC and compiled to a handler.
//
// Initial wave state follows LLVM AMDGPUUsage "Initial Kernel Execution State": user SGPRs
// (COMPUTE_USER_DATA, RSRC2.USER_SGPR of them), then the system SGPRs RSRC2 enables in order
// workgroup id X, Y, Z, workgroup info, and on gfx90a the private-segment wave offset (gfx11 and gfx940+
// use architected flat scratch and have none). Work-item ids are packed in v0 (x | y << 10 | z << 20) on gfx90a/gfx940+
// and gfx11 ("Packed work-item IDs" in AMDGPUUsage's processor table).
//
// Private segment layout (the contract with the emulated CP): lane L of wave W of the running
// workgroup owns bytes [base + (W * waveSize + L) * bytesPerLane, + bytesPerLane) of setup.scratch.base;
// the CP maps at least workgroup-threads (rounded up to whole waves) * bytesPerLane bytes there. A slice
// of a dispatch running on another thread (WorkgroupSlice) counts W from its firstScratchWave, as
// hardware gives each resident wave its own slot of the scratch ring. On gfx90a
// the kernel addresses scratch itself (scratch V# in s[0:3] + wave offset, FLAT_SCRATCH from flat scratch
// init + wave offset): wave W's private segment starts W * bytesPerLane * waveSize bytes past the base,
// swizzled in 4-byte elements across the lanes (exec/vmem.ts).
import type { GpuVm, VmMapping } from '../gpu-vm.js';
import { GpuFault } from '../gpu-vm.js';
import { BLOCK_HOT, compileBlock, PREFIX_HOT, type Block } from './compile/block.js';
import { decodeInstruction, DecodeError } from './decode.js';
import { formatInstruction } from './disasm.js';
import { compileInstruction } from './exec/compile.js';
import type { GpuMemory } from './exec/mem.js';
import { EXEC_HI, EXEC_LO, rowBound, SETUP_ROWS, Wave, WaveStatus, type WorkgroupContext } from './exec/wave.js';
import { CodeEntry, codeKind, codeLocator, memoryOf, returnLds, takeLds, type CodeKind, type CodeLocator, type Compiled } from './thread-cache.js';
import { InstructionFault, ShaderFault, type LiveWave, type DispatchSetup, type RunningDispatch, type ShaderCore } from './types.js';

export { familyOf } from './thread-cache.js';

/** Instructions a wave runs before the next wave of its workgroup gets a turn. */
const QUANTUM = 256;

/**
 * Compiled instructions and blocks outlive their dispatch (thread-cache.ts): a kernel launched again
 * (or another kernel of the same code object) reuses them when the bytes at the PC are unchanged.
 * Handlers reach memory through `current`, which the dispatch that is stepping points at its own view
 * of the VM.
 */
const current: { mem: GpuMemory | undefined } = { mem: undefined };
const currentMem = (): GpuMemory => current.mem!;

/** Numbers the dispatches of this thread: a cache entry checked by a dispatch carries its number. */
let dispatchSerial = 0;

/** A view of the code at `pc` inside `m`, up to the end of the mapping. */
function codeView(m: VmMapping, pc: number): DataView {
  const at = m.offset + (pc - Number(m.start));
  return new DataView(m.bytes.buffer, m.bytes.byteOffset + at, Math.min(m.bytes.byteLength - at, Number(m.end) - pc));
}

/** Operand code of ttmp0 (RDNA and CDNA: 108). */
const TTMP0 = 108;

/**
 * How waves execute: `interp` decodes and runs one instruction at a time (the reference); `block`
 * runs compiled basic blocks (compile/block.ts) and the per-instruction path wherever a block cannot
 * be formed or would run past the wave's turn, so waves interleave exactly as in `interp`.
 */
export type ExecMode = 'interp' | 'block';
export const EXEC_MODES: readonly ExecMode[] = ['interp', 'block'];

export interface ShaderCoreOptions {
  readonly exec?: ExecMode;
  /**
   * Runs of a block (and of a prefix of one) before its function is generated; default 4 (8 for
   * prefixes). Tests use 1 so that code running once is compiled too.
   */
  readonly hotAfter?: number;
}

/**
 * Which workgroups a dispatch runs: by default all of them in order; a slice of a dispatch that other
 * threads run too (parallel/) claims the next unclaimed workgroup from a counter they share, and marks
 * the memory as shared so global atomics use Atomics, and gives its waves their own private segments.
 */
export interface WorkgroupSlice {
  /** The next workgroup (flat index, x fastest) to run, or -1 when this slice has none left. */
  claim(): number;
  readonly concurrent: boolean;
  /**
   * The scratch wave slot of this slice's wave 0: its workgroups' private segments start that many
   * waves past setup.scratch.base, so workgroups running at once on other threads do not share them.
   */
  readonly firstScratchWave: number;
}

class Dispatch implements RunningDispatch {
  instructions = 0;
  private readonly kind: CodeKind;
  /** This dispatch's number: cache entries it has checked carry it. */
  private readonly serial = ++dispatchSerial;
  /** Register rows any instruction this dispatch has run may touch (rowBound): what a wave reset clears. */
  private rowsUsed = SETUP_ROWS;
  private readonly mem: GpuMemory;
  private readonly code: CodeLocator;
  /** The waves of the running workgroup are waves[0, active); the array keeps them for the next workgroup. */
  private readonly waves: Wave[] = [];
  private active = 0;
  /** The wave whose turn it is, the instructions it has run in that turn, and whether any wave could run in this pass. */
  private turn = 0;
  private turnUsed = 0;
  private runningInPass = false;
  private nextGroup = 0;
  private finished = false;
  private readonly totalGroups: number;
  private readonly firstScratchWave: number;
  /** setup.entry as a number, converted once. */
  private readonly entry: number;
  private readonly group: WorkgroupContext;
  /** The workgroup running now (one at a time). */
  private readonly groupId: [number, number, number] = [0, 0, 0];

  private readonly exec: ExecMode;
  private readonly blockHot: number;
  private readonly prefixHot: number;

  constructor(private readonly setup: DispatchSetup, private readonly vm: GpuVm, options: ShaderCoreOptions, private readonly slice?: WorkgroupSlice) {
    this.exec = options.exec ?? 'block';
    this.blockHot = options.hotAfter ?? BLOCK_HOT;
    this.prefixHot = options.hotAfter ?? PREFIX_HOT;
    this.kind = codeKind(setup.target, setup.waveSize);
    this.mem = memoryOf(vm, slice?.concurrent ?? false);
    this.code = codeLocator(vm);
    const [nx, ny, nz] = setup.workgroups;
    this.totalGroups = nx * ny * nz;
    this.firstScratchWave = slice?.firstScratchWave ?? 0;
    this.entry = Number(setup.entry);
    this.group = takeLds(setup.ldsBytes);
  }

  step(budget: number): 'running' | 'done' {
    if (this.finished) return 'done';
    current.mem = this.mem;
    // Mappings may have changed between steps (the host unmapped a buffer): resolve them afresh.
    this.mem.forget();
    // Turns continue across steps (the round-robin position and what is left of the current wave's
    // quantum are kept), so how waves interleave, and so which wave of a racy or faulting workgroup acts
    // first, does not depend on the caller's budgets: an adaptive engine step and a pool thread's
    // chunk run a workgroup exactly as one long step would.
    let left = budget;
    while (left > 0) {
      if (this.active === 0) {
        const g = this.claim();
        if (g < 0) return this.finish();
        this.launchGroup(g);
        continue;
      }
      const w = this.waves[this.turn]!;
      if (w.status === WaveStatus.Running) {
        this.runningInPass = true;
        const ran = this.runWave(w, Math.min(QUANTUM - this.turnUsed, left));
        left -= ran;
        this.turnUsed += ran;
        // The budget ended inside this wave's turn: the next step resumes it.
        if (this.turnUsed < QUANTUM && w.status === WaveStatus.Running) continue;
      }
      this.turnUsed = 0;
      if (++this.turn < this.active) continue;
      // A whole pass over the workgroup's waves: if none could run, all are at a barrier (release it)
      // or done (the workgroup ends).
      this.turn = 0;
      if (!this.runningInPass) this.releaseBarrier();
      this.runningInPass = false;
    }
    if (this.active > 0) return 'running';
    const g = this.claim();
    if (g < 0) return this.finish();
    this.launchGroup(g);
    return 'running';
  }

  /** No wave could run: those at the barrier go on; if every wave is done, the workgroup ends. */
  private releaseBarrier(): void {
    let live = 0;
    for (let k = 0; k < this.active; k++) {
      const x = this.waves[k]!;
      if (x.status === WaveStatus.Done) continue;
      x.status = WaveStatus.Running;
      live++;
    }
    if (live === 0) this.active = 0;
  }

  liveWaves(): LiveWave[] {
    return this.waves.slice(0, this.active).filter((w) => w.status !== WaveStatus.Done).map((w) => ({ workgroup: [...this.groupId], wave: w.waveInGroup, pc: `0x${w.pc.toString(16)}`, instruction: this.instructionText(w.pc), instructions: w.instructions, atBarrier: w.status === WaveStatus.Barrier }));
  }

  /** The next workgroup (flat index, x fastest) to run, or -1 when none is left. */
  private claim(): number {
    if (this.slice) return this.slice.claim();
    return this.nextGroup < this.totalGroups ? this.nextGroup++ : -1;
  }

  private finish(): 'done' {
    this.finished = true;
    for (const w of this.waves) w.dirtyRows = Math.max(w.dirtyRows, this.rowsUsed);
    this.kind.returnWaves(this.waves);
    returnLds(this.group);
    return 'done';
  }

  private runWave(w: Wave, n: number): number {
    const code = this.kind.instructions;
    const blocks = this.exec === 'block' ? this.kind.blocks : undefined;
    const serial = this.serial;
    let i = 0;
    let pc = w.pc;
    /** The block whose run() is executing, to find the faulting instruction by w.pc. */
    let inBlock: Block | undefined;
    try {
      while (i < n && w.status === WaveStatus.Running) {
        pc = w.pc;
        if (blocks) {
          let e = blocks.get(pc);
          if (e === undefined || e.checkedBy !== serial) e = this.blockAt(pc, e);
          const b = e.value;
          if (b !== null) {
            // A turn ending inside the block runs exactly its first `left` instructions, as interp would.
            const count = Math.min(b.length, n - i);
            const fn = count === b.length ? (b.run ?? b.compiled(this.blockHot)) : b.prefix(count, this.prefixHot);
            if (fn) {
              inBlock = b;
              // A self-loop block may repeat as often as whole runs of it fit in the turn.
              i += fn(w, Math.floor((n - i) / b.length)) * count;
              inBlock = undefined;
              continue;
            }
            // Not hot yet: the block's handlers one by one.
            for (let k = 0; k < count; k++) {
              pc = b.pcs[k]!;
              w.pc = b.nexts[k]!;
              b.handlers[k]!(w);
            }
            i += count;
            continue;
          }
        }
        let e = code.get(pc);
        if (e === undefined || e.checkedBy !== serial) e = this.compileAt(pc, e);
        const c = e.value;
        w.pc = pc + c.size;
        c.run(w);
        i++;
      }
    } catch (e) {
      if (inBlock) {
        const k = inBlock.nexts.lastIndexOf(w.pc);
        pc = inBlock.pcs[k < 0 ? 0 : k]!;
      }
      // A memory fault of an instruction: say which wave, lane and instruction made it (what a
      // debugger would read from the halted wave; KFD's fault report has only the page).
      if (e instanceof GpuFault && !e.shader && e.client === 'shader') e.shader = { pc, lane: e.lane, workgroup: [...this.groupId], wave: w.waveInGroup, instruction: this.instructionText(pc) };
      // An instruction that compiled or ran into a field value the ISA leaves undefined: the wave
      // faults at that instruction, as hardware raises an illegal-instruction exception.
      if (e instanceof InstructionFault) throw new ShaderFault(pc, e.kind, `${e.kind === 'illegal' ? 'illegal instruction' : 'unimplemented'}: ${e.message} at 0x${pc.toString(16)}`);
      throw e;
    }
    w.instructions += i;
    this.instructions += i;
    return i;
  }

  private instructionText(pc: number): string {
    const m = this.vm.lookup(BigInt(pc));
    if (!m) return '?';
    try {
      return formatInstruction(this.kind.ctx.family, decodeInstruction(this.kind.ctx.family, codeView(m, pc), 0, pc));
    } catch {
      return '?';
    }
  }

  /** The block at `pc` for this dispatch: `cached` if its bytes are still there, else compiled anew. */
  private blockAt(pc: number, cached: CodeEntry<Block | null> | undefined): CodeEntry<Block | null> {
    let e = cached;
    if (e?.stillAt(this.code, pc)) e.checkedBy = this.serial;
    else {
      const m = this.vm.lookup(BigInt(pc));
      const block = m?.executable ? (compileBlock(this.kind.ctx, codeView(m, pc), pc, currentMem) ?? null) : null;
      e = new CodeEntry(block, block?.bytes, this.serial);
      this.kind.setBlock(pc, e, cached !== undefined);
    }
    if (e.value) this.rowsUsed = Math.max(this.rowsUsed, e.value.rows);
    return e;
  }

  /** The instruction at `pc` for this dispatch: `cached` if its bytes are still there, else compiled anew. */
  private compileAt(pc: number, cached: CodeEntry<Compiled> | undefined): CodeEntry<Compiled> {
    if (cached?.stillAt(this.code, pc)) {
      cached.checkedBy = this.serial;
      this.rowsUsed = Math.max(this.rowsUsed, cached.value.rows);
      return cached;
    }
    const m = this.vm.lookup(BigInt(pc));
    if (!m) throw new GpuFault(BigInt(pc), false, 'not-present', 'shader instruction fetch');
    if (!m.executable) throw new GpuFault(BigInt(pc), false, 'no-execute', 'shader instruction fetch');
    const view = codeView(m, pc);
    let ins;
    try {
      ins = decodeInstruction(this.kind.ctx.family, view, 0, pc);
    } catch (e) {
      if (e instanceof DecodeError) throw new ShaderFault(pc, 'illegal', e.message);
      throw e;
    }
    const c: Compiled = { run: compileInstruction(this.kind.ctx, ins, currentMem), size: ins.size, rows: rowBound(ins) };
    this.rowsUsed = Math.max(this.rowsUsed, c.rows);
    const e = new CodeEntry(c, new Uint8Array(view.buffer.slice(view.byteOffset, view.byteOffset + ins.size)), this.serial);
    this.kind.setInstruction(pc, e, cached !== undefined);
    return e;
  }

  private launchGroup(index: number): void {
    const s = this.setup;
    const [nx, ny] = s.workgroups;
    const id = this.groupId;
    id[0] = index % nx;
    id[1] = Math.floor(index / nx) % ny;
    id[2] = Math.floor(index / (nx * ny));
    const dx = this.extent(0), dy = this.extent(1), dz = this.extent(2);
    const threads = dx * dy * dz;
    const nWaves = Math.ceil(threads / s.waveSize);
    if (this.group.lds.length > 0) this.group.lds.fill(0);
    this.turn = 0;
    this.turnUsed = 0;
    this.runningInPass = false;
    for (let k = 0; k < nWaves; k++) {
      let w = this.waves[k];
      if (!w) this.waves.push((w = this.kind.takeWave()));
      this.initWave(w, k, nWaves, dx, dy, threads);
    }
    this.active = nWaves;
  }

  /** Work-items of the running workgroup along dimension d (the last workgroup of an AQL grid may be partial). */
  private extent(d: 0 | 1 | 2): number {
    const full = this.setup.workgroupSize[d];
    const grid = this.setup.gridSize?.[d];
    return grid === undefined ? full : Math.max(0, Math.min(full, grid - this.groupId[d] * full));
  }

  private initWave(w: Wave, k: number, nWaves: number, dx: number, dy: number, threads: number): void {
    const s = this.setup;
    const id = this.groupId;
    const family = this.kind.ctx.family;
    w.dirtyRows = Math.max(w.dirtyRows, this.rowsUsed);
    w.reset();
    w.group = this.group;
    w.waveInGroup = k;
    w.pc = this.entry;
    const rsrc1 = s.rsrc1, rsrc2 = s.rsrc2;
    // MODE from RSRC1: FLOAT_MODE [19:12] → MODE[7:0], DX10_CLAMP [21] → MODE[8], IEEE_MODE [23] → MODE[9].
    w.mode = ((rsrc1 >>> 12) & 0xff) | (((rsrc1 >>> 21) & 1) << 8) | (((rsrc1 >>> 23) & 1) << 9);
    const userCount = (rsrc2 >>> 1) & 0x1f;
    let sg = 0;
    for (; sg < userCount; sg++) w.S[sg] = (s.userSgprs[sg] ?? 0) >>> 0;
    if (rsrc2 & (1 << 7)) w.S[sg++] = id[0];
    if (rsrc2 & (1 << 8)) w.S[sg++] = id[1];
    if (rsrc2 & (1 << 9)) w.S[sg++] = id[2];
    // Work-group info: first_wave [31], ordered-append term, threadgroup size in waves [5:0].
    if (rsrc2 & (1 << 10)) w.S[sg++] = ((k === 0 ? 1 << 31 : 0) | (nWaves & 0x3f)) >>> 0;
    // RSRC2.SCRATCH_EN [0] on gfx90a: the private segment wave offset SGPR.
    if (family === 'cdna2' && rsrc2 & 1) w.S[sg++] = s.scratch ? (this.firstScratchWave + k) * Math.ceil(s.scratch.bytesPerLane / 4) * 4 * s.waveSize : 0;
    // gfx12 architected SGPRs (LLVM hasArchitectedSGPRs; AMDGPUUsage "Initial Kernel Execution State"):
    // ttmp9 = workgroup id X, ttmp7 = id Y [15:0] | id Z [31:16], ttmp8 [29:25] = wave id in the group.
    if (family === 'rdna4') {
      w.S[TTMP0 + 9] = id[0] >>> 0;
      w.S[TTMP0 + 7] = ((id[1] & 0xffff) | (id[2] << 16)) >>> 0;
      w.S[TTMP0 + 8] = ((k & 0x1f) << 25) >>> 0;
    }
    const first = k * s.waveSize;
    const live = Math.max(0, Math.min(s.waveSize, threads - first));
    w.S[EXEC_LO] = live >= 32 ? 0xffffffff : (2 ** live - 1) >>> 0;
    w.S[EXEC_HI] = s.waveSize === 64 && live > 32 ? (live >= 64 ? 0xffffffff : (2 ** (live - 32) - 1) >>> 0) : 0;
    const idMode = (rsrc2 >>> 11) & 3;
    for (let l = 0; l < live; l++) {
      const t = first + l;
      const x = t % dx, y = Math.floor(t / dx) % dy, z = Math.floor(t / (dx * dy));
      w.R[l] = x | (idMode >= 1 ? y << 10 : 0) | (idMode >= 2 ? z << 20 : 0);
    }
    if (s.scratch) {
      w.scratchLaneBase = Number(s.scratch.base) + this.firstScratchWave * s.waveSize * s.scratch.bytesPerLane;
      w.scratchBytesPerLane = s.scratch.bytesPerLane;
      if (family === 'cdna3') {
        const base = w.scratchLaneBase + k * s.waveSize * s.scratch.bytesPerLane;
        w.S[102] = base >>> 0;
        w.S[103] = Math.floor(base / 2 ** 32);
      }
    }
  }
}

export function createShaderCore(options: ShaderCoreOptions = {}): ShaderCore {
  return { start: (setup, vm) => new Dispatch(setup, vm, options) };
}

/** Starts the part of a dispatch that `slice` hands out (the other parts run on other threads). */
export function startSlice(setup: DispatchSetup, vm: GpuVm, slice: WorkgroupSlice, options: ShaderCoreOptions = {}): RunningDispatch {
  return new Dispatch(setup, vm, options, slice);
}
