// What the shader core of one thread keeps from dispatch to dispatch, so that a short dispatch costs
// little more than its instructions: compiled instructions and blocks by PC (checked against the code
// bytes by the first visit of every dispatch), idle waves, LDS buffers, and one memory accessor per VM.
import type { GpuVm } from '../gpu-vm.js';
import type { Block } from './compile/block.js';
import type { CompileContext, Handler } from './exec/context.js';
import { GpuMemory } from './exec/mem.js';
import { Wave, type WorkgroupContext } from './exec/wave.js';
import type { IsaFamily } from './types.js';

export interface Compiled {
  readonly run: Handler;
  readonly size: number;
  /** Register rows the instruction may touch (rowBound). */
  readonly rows: number;
}

const NO_BYTES = new Uint8Array(0);

/**
 * Where a VM's code is: the executable mapping found last, its bounds as numbers, until the page tables
 * change. The check of a cached entry, once per PC per dispatch, then needs no BigInt mapping lookup.
 * One per VM, in a WeakMap: it ends with the VM.
 */
export class CodeLocator {
  private version = -1;
  private start = 0;
  private end = 0;
  private offset = 0;
  /** The mapping's backing and the index past its last byte that the mapping covers. */
  private bytes: Uint8Array = NO_BYTES;
  private bytesEnd = 0;

  constructor(private readonly vm: GpuVm) {}

  /**
   * Whether the `raw.length` executable bytes at `pc` are `raw` (false also where pc is not in
   * executable memory, or the mapping ends first: the caller's compile path reports that).
   */
  holds(pc: number, raw: Uint8Array): boolean {
    if (this.version !== this.vm.version || pc < this.start || pc >= this.end) {
      const m = this.vm.lookup(BigInt(pc));
      if (!m?.executable) return false;
      this.version = this.vm.version;
      this.start = Number(m.start);
      this.end = Number(m.end);
      this.offset = m.offset;
      this.bytes = m.bytes;
      this.bytesEnd = Math.min(m.bytes.byteLength, m.offset + (this.end - this.start));
    }
    const at = this.offset + (pc - this.start);
    if (at + raw.length > this.bytesEnd) return false;
    const s = this.bytes;
    for (let i = 0; i < raw.length; i++) if (s[at + i] !== raw[i]) return false;
    return true;
  }
}

const locators = new WeakMap<GpuVm, CodeLocator>();

export function codeLocator(vm: GpuVm): CodeLocator {
  let l = locators.get(vm);
  if (!l) locators.set(vm, (l = new CodeLocator(vm)));
  return l;
}

/**
 * Compiled code for one PC and the machine code it was made from. A dispatch may use it once the bytes
 * at the PC have been found equal to `raw` since the dispatch started (a kernel re-uploaded at the same
 * address must run its new code; inside one dispatch code is not re-read, as a wave's instruction cache
 * is not). An entry holds no VM or memory: a finished process's address space is not kept alive by it.
 */
export class CodeEntry<T> {
  /** `raw`: the bytes it was compiled from (none: the entry holds for the dispatch `checkedBy` only). */
  constructor(readonly value: T, private readonly raw: Uint8Array | undefined, public checkedBy: number) {}

  /** Whether the executable bytes at `pc` are still the ones this was compiled from. */
  stillAt(code: CodeLocator, pc: number): boolean {
    return this.raw !== undefined && code.holds(pc, this.raw);
  }
}

/** Cached PCs per kind at most (a block holds a generated function: fewer of those). */
const INSTRUCTIONS_LIMIT = 1 << 16;
const BLOCKS_LIMIT = 1 << 12;
const IDLE_WAVES_PER_KIND = 64;

/** Everything kept for one ISA family and wave size. */
export class CodeKind {
  readonly ctx: CompileContext;
  readonly instructions = new Map<number, CodeEntry<Compiled>>();
  /** Blocks by start PC; a null value where none can start (kept for the dispatch that found it only). */
  readonly blocks = new Map<number, CodeEntry<Block | null>>();
  /** Waves of finished dispatches: a wave's register file is 132 KiB (launchGroup resets what it reuses). */
  private readonly idleWaves: Wave[] = [];

  constructor(family: IsaFamily, waveSize: 32 | 64) {
    this.ctx = { family, waveSize };
  }

  /** Stores an entry for `pc`, starting afresh when the cache is full (`replacing`: pc has one already). */
  setInstruction(pc: number, e: CodeEntry<Compiled>, replacing: boolean): void {
    if (!replacing && this.instructions.size >= INSTRUCTIONS_LIMIT) this.instructions.clear();
    this.instructions.set(pc, e);
  }

  setBlock(pc: number, e: CodeEntry<Block | null>, replacing: boolean): void {
    if (!replacing && this.blocks.size >= BLOCKS_LIMIT) this.blocks.clear();
    this.blocks.set(pc, e);
  }

  takeWave(): Wave {
    return this.idleWaves.pop() ?? new Wave(this.ctx.family, this.ctx.waveSize);
  }

  /** Takes back the waves of a finished dispatch (which no longer touches them). */
  returnWaves(waves: readonly Wave[]): void {
    for (const w of waves) if (this.idleWaves.length < IDLE_WAVES_PER_KIND) this.idleWaves.push(w);
  }
}

const familyByTarget = new Map<string, IsaFamily>();
/** Per family: the wave32 kind, then the wave64 one. */
const kinds = new Map<IsaFamily, [CodeKind | undefined, CodeKind | undefined]>();

export function familyOf(target: string): IsaFamily {
  const known = familyByTarget.get(target);
  if (known) return known;
  let family: IsaFamily;
  if (/^gfx11/.test(target)) family = 'rdna3';
  else if (/^gfx12/.test(target)) family = 'rdna4';
  else if (/^gfx94/.test(target)) family = 'cdna3';
  else if (target === 'gfx90a') family = 'cdna2';
  else throw new Error(`no shader core for target ${target}`);
  familyByTarget.set(target, family);
  return family;
}

export function codeKind(target: string, waveSize: 32 | 64): CodeKind {
  const family = familyOf(target);
  let pair = kinds.get(family);
  if (!pair) kinds.set(family, (pair = [undefined, undefined]));
  const i = waveSize === 32 ? 0 : 1;
  return (pair[i] ??= new CodeKind(family, waveSize));
}

/**
 * LDS of finished dispatches by size. A dispatch holds its own until it finishes: dispatches of two
 * queues interleave their steps on one thread, each with a workgroup's LDS live.
 */
const idleLds = new Map<number, WorkgroupContext[]>();
const IDLE_LDS_PER_SIZE = 4;
const IDLE_LDS_SIZES = 16;

export function takeLds(bytes: number): WorkgroupContext {
  const g = idleLds.get(bytes)?.pop();
  if (g) return g;
  const lds = new Uint8Array(bytes);
  return { lds, ldsWords: new Uint32Array(lds.buffer, 0, lds.length >> 2) };
}

export function returnLds(g: WorkgroupContext): void {
  let pool = idleLds.get(g.lds.length);
  if (!pool) {
    if (idleLds.size >= IDLE_LDS_SIZES) idleLds.clear();
    idleLds.set(g.lds.length, (pool = []));
  }
  if (pool.length < IDLE_LDS_PER_SIZE) pool.push(g);
}

/**
 * One memory accessor per VM (and per kind: plain, or with atomics for concurrent slices). Dispatches
 * on one thread may share it: every step points the handlers at it and drops its cached windows first.
 */
const memories = [new WeakMap<GpuVm, GpuMemory>(), new WeakMap<GpuVm, GpuMemory>()] as const;

export function memoryOf(vm: GpuVm, concurrent: boolean): GpuMemory {
  const byVm = memories[concurrent ? 1 : 0];
  let m = byVm.get(vm);
  if (!m) byVm.set(vm, (m = new GpuMemory(vm, concurrent)));
  return m;
}
