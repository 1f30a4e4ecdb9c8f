// Code objects loaded into GPU memory, and kernel launches on PM4 or AQL queues.
import { loadCodeObject, type CodeObject, type KernelInfo } from '../codeobj/index.js';
import { COMPUTE_REGS, DISPATCH_INITIATOR, LDS_ENCODE_GRANULARITY } from '../hw/pm4/registers.js';
import { writeDispatchPacket } from '../hw/aql.js';
import { prepareLaunch, unpreparedLaunch, type PreparedLaunch } from './launch.js';
import { lo32, hi32 } from '../hw/dword-stream.js';
import { amdQueue, AQL_PACKET_BYTES } from '../uapi/hsa.js';
import type { Pm4Builder } from '../hw/pm4/builder.js';
import { DriverError } from './errors.js';
import type { Device } from './device.js';
import { GpuBuffer } from './memory.js';
import { packKernargs, dynamicLdsOfArgs, type KernelArg } from './kernargs.js';
import { Pm4Queue } from './queues/pm4-queue.js';
import type { CsComputeQueue, CsCompletion } from './queues/cs-queue.js';
import { AqlQueue, type AqlCompletion } from './queues/aql-queue.js';
import type { Completion } from './queues/ring-queue.js';
import type { GfxFamily } from '../hw/targets.js';
import { scratchResourceDescriptor } from '../hw/buffer-rsrc.js';

/** What a PM4 dispatch stream is encoded for and submitted to: a user-mode PM4 queue or the kernel's compute ring. */
type Pm4Stream = Pm4Queue | CsComputeQueue;

export type Dim3 = number | readonly [number] | readonly [number, number] | readonly [number, number, number];

export interface DispatchOptions {
  /** Work-items per dimension (HIP's global size; a partial last workgroup is allowed). */
  readonly grid: Dim3;
  /** Work-items per workgroup. */
  readonly block: Dim3;
  readonly args?: readonly KernelArg[];
  /** Extra LDS bytes beyond the kernel's static group segment (besides what `__local` arguments ask for). */
  readonly dynamicLds?: number;
}

const positiveDims = (d: readonly number[]): boolean => Number.isInteger(d[0]) && d[0]! >= 1 && Number.isInteger(d[1]) && d[1]! >= 1 && Number.isInteger(d[2]) && d[2]! >= 1;

const dim3 = (d: Dim3): [number, number, number] => {
  const a = typeof d === 'number' ? [d] : [...d];
  return [a[0] ?? 1, a[1] ?? 1, a[2] ?? 1];
};

/**
 * Whether `d` is the dimensions `to` (as dim3 would make them), without making an array. The array
 * form is apart: a caller passing numbers never runs it, so the optimizing compiler does not spend its
 * inlining budget for the launch loop on it.
 */
const sameDims = (d: Dim3, to: readonly number[]): boolean => (typeof d === 'number' ? d === to[0] && to[1] === 1 && to[2] === 1 : sameDimsArray(d, to));
const sameDimsArray = (d: Exclude<Dim3, number>, to: readonly number[]): boolean => (d[0] ?? 1) === to[0] && (d[1] ?? 1) === to[1] && (d[2] ?? 1) === to[2];

const NO_ARGS: readonly KernelArg[] = [];

/**
 * A dispatch's options in the form that says whether a later dispatch is the same launch: its
 * arguments kept by identity (numbers, bigints and GpuBuffers, whose address never changes; byte
 * arrays and address objects could change under the same identity, so they are never compared).
 */
interface LaunchKey {
  readonly queue: Pm4Queue | AqlQueue;
  readonly grid: readonly number[];
  readonly block: readonly number[];
  readonly dynamicLds: number;
  readonly args: readonly KernelArg[];
}

function sameLaunch(k: LaunchKey, queue: object, o: DispatchOptions): boolean {
  if (k.queue !== queue || !sameDims(o.grid, k.grid) || !sameDims(o.block, k.block) || (o.dynamicLds ?? 0) !== k.dynamicLds) return false;
  const args = o.args ?? NO_ARGS;
  if (args.length !== k.args.length) return false;
  for (let i = 0; i < args.length; i++) if (args[i] !== k.args[i]) return false;
  return true;
}

const comparableArgs = (args: readonly KernelArg[]): boolean => args.every((a) => typeof a === 'number' || typeof a === 'bigint' || a instanceof GpuBuffer);

/** Scratch wave slots the driver provides per compute unit (TMPRING_SIZE.WAVES is 12 bits, so at most 4095). */
const SCRATCH_WAVE_SLOTS_PER_CU = 2;

export class Program {
  readonly code: CodeObject;
  readonly image: GpuBuffer;

  static load(device: Device, bytes: Uint8Array): Program {
    return new Program(device, bytes);
  }

  private constructor(readonly device: Device, bytes: Uint8Array) {
    this.code = loadCodeObject(bytes, { target: device.target.name });
    const size = Math.max(4096, Math.ceil(this.code.imageSize / 4096) * 4096);
    this.image = device.alloc(size, { domain: 'gtt', executable: true, guard: false, label: 'code object' });
    this.image.view.set(this.code.relocate(this.image.va));
  }

  kernel(name: string): Kernel {
    return new Kernel(this, this.code.kernel(name));
  }

  get kernelNames(): string[] {
    return [...this.code.kernels.keys()];
  }

  free(): void {
    this.image.free();
  }
}

interface ScratchSetup {
  readonly base: bigint;
  readonly waveBytes: number;
  readonly waves: number;
}

/**
 * A kernel's PM4 dispatch stream with every per-launch dword located: launches without scratch copy
 * it and patch LDS size, user-SGPR pointers, block and grid instead of encoding it again.
 */
interface Pm4Template {
  readonly family: GfxFamily;
  readonly dwords: Uint32Array;
  readonly rsrc2At: number;
  /** Dword positions of the dispatch-packet and kernarg pointers (low dword; -1 when not enabled). */
  readonly dispatchPtrAt: number;
  readonly kernargPtrAt: number;
  readonly blockAt: number;
  readonly gridAt: number;
}

interface UserSgprs {
  readonly values: number[];
  /** Index in `values` of the dispatch-packet pointer's low dword, -1 when the kernel does not take it. */
  readonly dispatchPtr: number;
  readonly kernargPtr: number;
}

export class Kernel {
  readonly name: string;
  private pm4Template: Pm4Template | undefined;
  /** The options of the last dispatch() that could be prepared; the same options twice in a row prepare them. */
  private lastKey: LaunchKey | undefined;
  /** The launch prepared for `lastKey` once it came twice: dispatch() with the same options again submits it. */
  private repeated: PreparedLaunch<Pm4Queue | AqlQueue> | undefined;
  /** Whether the repeated launch has guarded buffers (each dispatch notes them for fault reports). */
  private repeatedGuarded = false;

  /** The AQL kernel_object: address of the kernel descriptor in the loaded image. */
  private readonly kernelObject: bigint;
  /** kernelObject as a number (GPU addresses are below 2^53), for the dispatch path. */
  private readonly kernelObjectVa: number;
  /** Whether any argument is an OpenCL `__local` pointer (dynamic LDS sized at launch). */
  private readonly hasLocalArgs: boolean;

  constructor(readonly program: Program, readonly info: KernelInfo) {
    this.name = info.name;
    this.kernelObject = info.descriptorAddress(program.image.va);
    this.kernelObjectVa = Number(this.kernelObject);
    this.hasLocalArgs = info.explicitArgs.some((a) => a.valueKind === 'dynamic_shared_pointer');
  }

  get device(): Device {
    return this.program.device;
  }

  private get waveSize(): 32 | 64 {
    return this.device.target.family !== 'gfx9' && this.info.descriptor.properties.wavefrontSize32 ? 32 : 64;
  }

  /** Launches the kernel; the returned completion is waited on the same queue. */
  dispatch(queue: AqlQueue, o: DispatchOptions): AqlCompletion;
  dispatch(queue: Pm4Queue, o: DispatchOptions): Completion;
  /** Through the render node: the same PM4 dispatch stream as an IB on the kernel's compute ring. */
  dispatch(queue: CsComputeQueue, o: DispatchOptions): CsCompletion;
  dispatch(queue: Pm4Queue | AqlQueue, o: DispatchOptions): Completion | AqlCompletion;
  dispatch(queue: Pm4Queue | AqlQueue | CsComputeQueue, o: DispatchOptions): Completion | AqlCompletion | CsCompletion {
    const key = this.lastKey;
    return key !== undefined && sameLaunch(key, queue, o) ? this.dispatchAgain(key, o) : this.dispatchNew(queue, o);
  }

  /** The same launch as the last dispatch (validated then): its prepared form, made on the first repeat. */
  private dispatchAgain(key: LaunchKey, o: DispatchOptions): Completion | AqlCompletion {
    let launch = this.repeated;
    if (!launch) {
      launch = this.repeated = this.prepare(key.queue, o);
      this.repeatedGuarded = key.args.some((a) => a instanceof GpuBuffer && a.guard !== undefined);
    }
    if (this.repeatedGuarded) this.noteGuardedArgs(o.args);
    launch.enqueue();
    return key.queue.latest();
  }

  private dispatchNew(queue: Pm4Queue | AqlQueue | CsComputeQueue, o: DispatchOptions): Completion | AqlCompletion | CsCompletion {
    const grid = dim3(o.grid);
    const block = dim3(o.block);
    if (!positiveDims(grid) || !positiveDims(block)) throw new DriverError(this.device.name, `kernel ${this.name}: grid ${grid.join('x')} and block ${block.join('x')} must be positive integers`);
    const threads = block[0] * block[1] * block[2];
    if (threads > this.info.metadata.maxFlatWorkgroupSize) throw new DriverError(this.device.name, `kernel ${this.name}: a block of ${threads} work-items exceeds its max_flat_workgroup_size ${this.info.metadata.maxFlatWorkgroupSize}`);
    const dynamicLds = (o.dynamicLds ?? 0) + (this.hasLocalArgs ? dynamicLdsOfArgs(this.info, o.args ?? []) : 0);
    const ldsBytes = this.info.descriptor.groupSegmentFixedSize + dynamicLds;
    const ldsLimit = this.device.node.ldsSizeKb * 1024;
    if (ldsBytes > ldsLimit) throw new DriverError(this.device.name, `kernel ${this.name}: ${ldsBytes} bytes of LDS exceed the ${ldsLimit} a workgroup can have`);
    const kernargBytes = Math.max(this.info.metadata.kernargSegmentSize, 16);
    // One range of the queue's kernarg ring holds the AQL-format dispatch packet (the kernel's
    // dispatch_ptr) and the kernel arguments after it.
    const ring = queue.kernargs;
    const size = AQL_PACKET_BYTES + kernargBytes;
    const at = ring.reserve(size, Math.max(64, this.info.metadata.kernargSegmentAlign), queue);
    const ap = this.device.apertures;
    packKernargs(this.info, o.args ?? [], { grid, block, dynamicLds }, { queuePtr: queue instanceof AqlQueue ? queue.amdQueueVa : 0n, privateBase: ap.scratchBase, sharedBase: ap.ldsBase }, ring.bytes.subarray(at + AQL_PACKET_BYTES, at + size));
    this.noteGuardedArgs(o.args);
    this.rememberLaunch(queue, grid, block, o);
    const scratch = this.scratchFor(queue);
    const packetVa = ring.vaNumber + at;
    const kernargVa = packetVa + AQL_PACKET_BYTES;
    // completionSignal is what the PM4 path's dispatch packet carries; an AQL queue puts its own.
    const packet = { workgroup: block, grid, privateSegmentBytes: this.info.descriptor.privateSegmentFixedSize, groupSegmentBytes: ldsBytes, kernelObject: this.kernelObjectVa, kernarg: kernargVa, completionSignal: 0 };
    let c: Completion | AqlCompletion | CsCompletion;
    if (queue instanceof AqlQueue) {
      c = queue.dispatch(packet, this.name);
    } else {
      writeDispatchPacket(ring.data, ring.words, at, packet);
      c = queue.submit(this.pm4Dispatch(queue, grid, block, ldsBytes, packetVa, kernargVa, scratch), { label: this.name });
    }
    return c;
  }

  /**
   * Encodes a launch once for repeated submission on `queue` (arguments are captured now); each
   * `submit()` costs a copy and a doorbell. Kernels with a private segment launch through dispatch().
   */
  prepare<Q extends Pm4Queue | AqlQueue>(queue: Q, o: DispatchOptions): PreparedLaunch<Q> {
    const grid = dim3(o.grid);
    const block = dim3(o.block);
    if (this.needsScratch) return unpreparedLaunch(queue, () => this.dispatch(queue, o));
    // Validate and encode through the generic path once, on a scratch image.
    const dynamicLds = (o.dynamicLds ?? 0) + (this.hasLocalArgs ? dynamicLdsOfArgs(this.info, o.args ?? []) : 0);
    const ldsBytes = this.info.descriptor.groupSegmentFixedSize + dynamicLds;
    const kernargBytes = Math.max(this.info.metadata.kernargSegmentSize, 16);
    const image = new Uint8Array(AQL_PACKET_BYTES + kernargBytes);
    const ap = this.device.apertures;
    packKernargs(this.info, o.args ?? [], { grid, block, dynamicLds }, { queuePtr: queue instanceof AqlQueue ? queue.amdQueueVa : 0n, privateBase: ap.scratchBase, sharedBase: ap.ldsBase }, image.subarray(AQL_PACKET_BYTES));
    const packet = { workgroup: block, grid, privateSegmentBytes: 0, groupSegmentBytes: ldsBytes, kernelObject: this.kernelObject, kernarg: 0n, completionSignal: 0n };
    const words = new Uint32Array(AQL_PACKET_BYTES / 4);
    writeDispatchPacket(new DataView(image.buffer, image.byteOffset, AQL_PACKET_BYTES), new Int32Array(image.buffer, image.byteOffset, AQL_PACKET_BYTES / 4), 0, packet);
    this.noteGuardedArgs(o.args);
    const align = Math.max(64, this.info.metadata.kernargSegmentAlign);
    if (queue instanceof AqlQueue) {
      words.set(new Uint32Array(image.buffer, image.byteOffset, AQL_PACKET_BYTES / 4));
      return prepareLaunch(queue, { label: this.name, image: image.slice(AQL_PACKET_BYTES), align, words, kernargAt: -1, packetAt: -1 });
    }
    const t = this.pm4TemplateFor(queue as Pm4Queue, queue.device.target.family);
    const stream = t.dwords.slice();
    stream[t.rsrc2At] = this.rsrc2(ldsBytes);
    stream.set(block, t.blockAt);
    stream.set(grid, t.gridAt);
    return prepareLaunch(queue, { label: this.name, image, align, words: stream, kernargAt: t.kernargPtrAt, packetAt: t.dispatchPtrAt });
  }

  /**
   * Keeps a validated dispatch's options (before its arguments are packed, so a packing error keeps
   * nothing), for dispatch() to recognise the same launch next time. Launches needing scratch, through
   * the render node or with arguments that cannot be compared by identity are not kept.
   */
  private rememberLaunch(queue: Pm4Queue | AqlQueue | CsComputeQueue, grid: readonly number[], block: readonly number[], o: DispatchOptions): void {
    this.repeated = undefined;
    this.lastKey = undefined;
    const args = o.args ?? NO_ARGS;
    if (this.needsScratch || !(queue instanceof Pm4Queue || queue instanceof AqlQueue) || !comparableArgs(args)) return;
    this.lastKey = { queue, grid, block, dynamicLds: o.dynamicLds ?? 0, args: args.slice() };
  }

  /** Guarded (bounds-checked) buffer arguments are remembered, so a guard-page fault can name them. */
  private noteGuardedArgs(args: readonly KernelArg[] | undefined): void {
    if (!args) return;
    let guarded: { index: number; name: string | undefined; buffer: GpuBuffer }[] | undefined;
    args.forEach((a, index) => {
      if (typeof a === 'object' && 'guard' in a && a.guard) (guarded ??= []).push({ index, name: this.info.explicitArgs[index]?.name, buffer: a });
    });
    if (guarded) this.device.noteLaunch({ kernel: this.name, args: guarded });
  }

  private get needsScratch(): boolean {
    return this.info.descriptor.privateSegmentFixedSize > 0 || this.info.descriptor.properties.usesDynamicStack;
  }

  /** Scratch for kernels with a private segment: per-queue backing, grown as kernels need. */
  private scratchFor(queue: Pm4Stream | AqlQueue): ScratchSetup | undefined {
    const perLane = this.info.descriptor.privateSegmentFixedSize;
    if (perLane === 0 && !this.info.descriptor.properties.usesDynamicStack) return undefined;
    const lane = Math.max(perLane, 16);
    const waveBytes = Math.ceil((lane * this.waveSize) / 1024) * 1024;
    const waves = Math.min(4095, Math.max(1, this.device.node.cuCount * SCRATCH_WAVE_SLOTS_PER_CU));
    const s = this.device.scratchBuffer(waveBytes * waves);
    if (queue instanceof AqlQueue) {
      const q = queue.queueMem.view;
      const dv = new DataView(q.buffer, q.byteOffset, 256);
      dv.setBigUint64(amdQueue.offsetOf('scratch_backing_memory_location'), s.va, true);
      dv.setBigUint64(amdQueue.offsetOf('scratch_backing_memory_byte_size'), BigInt(s.size), true);
      dv.setUint32(amdQueue.offsetOf('scratch_wave64_lane_byte_size'), lane, true);
      dv.setUint32(amdQueue.offsetOf('compute_tmpring_size'), this.tmpring(waves, waveBytes), true);
      scratchResourceDescriptor(s.va, s.size).forEach((w, i) => dv.setUint32(amdQueue.offsetOf('scratch_resource_descriptor') + 4 * i, w, true));
    }
    return { base: s.va, waveBytes, waves };
  }

  /** COMPUTE_TMPRING_SIZE: WAVES [11:0], WAVESIZE [24:12] in 1 KiB units on gfx9, 256 B on gfx10+. */
  private tmpring(waves: number, waveBytes: number): number {
    const unit = this.device.target.family === 'gfx9' ? 1024 : 256;
    return (waves | ((waveBytes / unit) << 12)) >>> 0;
  }

  private userSgprs(packetVa: bigint, kernargVa: bigint, scratch: ScratchSetup | undefined): UserSgprs {
    const p = this.info.descriptor.properties;
    const out: number[] = [];
    const push64 = (v: bigint): void => void out.push(Number(v & 0xffffffffn), Number(v >> 32n));
    let dispatchPtr = -1;
    let kernargPtr = -1;
    if (p.enableSgprPrivateSegmentBuffer) out.push(...(scratch ? scratchResourceDescriptor(scratch.base, scratch.waveBytes * scratch.waves) : [0, 0, 0, 0]));
    if (p.enableSgprDispatchPtr) {
      dispatchPtr = out.length;
      push64(packetVa);
    }
    if (p.enableSgprQueuePtr) push64(0n);
    if (p.enableSgprKernargSegmentPtr) {
      kernargPtr = out.length;
      push64(kernargVa);
    }
    if (p.enableSgprDispatchId) push64(0n);
    if (p.enableSgprFlatScratchInit) push64(scratch?.base ?? 0n);
    if (p.enableSgprPrivateSegmentSize) out.push(this.info.descriptor.privateSegmentFixedSize);
    return { values: out, dispatchPtr, kernargPtr };
  }

  /** COMPUTE_PGM_RSRC2 with the LDS size of this launch (LLVM leaves LDS_SIZE, bits 23:15, zero). */
  private rsrc2(ldsBytes: number): number {
    return ((this.info.descriptor.computePgmRsrc2 & ~(0x1ff << 15)) | (Math.ceil(ldsBytes / LDS_ENCODE_GRANULARITY) << 15)) >>> 0;
  }

  private pm4Dispatch(queue: Pm4Stream, grid: readonly number[], block: readonly number[], ldsBytes: number, packetVa: number, kernargVa: number, scratch: ScratchSetup | undefined): Uint32Array {
    // Scratch setup depends on the (growing) scratch backing: those launches encode the whole stream.
    if (scratch) return this.encodePm4Dispatch(queue.builder(), grid, block, ldsBytes, BigInt(packetVa), BigInt(kernargVa), scratch).b.dwords;
    const family = queue.device.target.family;
    let t = this.pm4Template;
    if (!t || t.family !== family) t = this.pm4Template = this.pm4TemplateFor(queue, family);
    const w = t.dwords;
    w[t.rsrc2At] = this.rsrc2(ldsBytes);
    if (t.dispatchPtrAt >= 0) {
      w[t.dispatchPtrAt] = lo32(packetVa);
      w[t.dispatchPtrAt + 1] = hi32(packetVa);
    }
    if (t.kernargPtrAt >= 0) {
      w[t.kernargPtrAt] = lo32(kernargVa);
      w[t.kernargPtrAt + 1] = hi32(kernargVa);
    }
    w[t.blockAt] = block[0]!;
    w[t.blockAt + 1] = block[1]!;
    w[t.blockAt + 2] = block[2]!;
    w[t.gridAt] = grid[0]!;
    w[t.gridAt + 1] = grid[1]!;
    w[t.gridAt + 2] = grid[2]!;
    return w;
  }

  private pm4TemplateFor(queue: Pm4Stream, family: GfxFamily): Pm4Template {
    const e = this.encodePm4Dispatch(queue.builder(), [1, 1, 1], [1, 1, 1], 0, 0n, 0n, undefined);
    const at = (i: number): number => (i < 0 ? -1 : e.userAt + i);
    return { family, dwords: e.b.dwords.slice(), rsrc2At: e.rsrc2At, dispatchPtrAt: at(e.user.dispatchPtr), kernargPtrAt: at(e.user.kernargPtr), blockAt: e.blockAt, gridAt: e.gridAt };
  }

  /** Encodes the full dispatch stream and says where its per-launch dwords are. */
  private encodePm4Dispatch(b: Pm4Builder, grid: readonly number[], block: readonly number[], ldsBytes: number, packetVa: bigint, kernargVa: bigint, scratch: ScratchSetup | undefined): { b: Pm4Builder; user: UserSgprs; userAt: number; rsrc2At: number; blockAt: number; gridAt: number } {
    const d = this.info.descriptor;
    const R = COMPUTE_REGS[b.family];
    const entry = this.info.entryAddress(this.program.image.va);
    if ((entry & 0xffn) !== 0n) throw new DriverError(this.device.name, `kernel ${this.name}: entry 0x${entry.toString(16)} is not 256-byte aligned, COMPUTE_PGM_LO cannot hold it`);
    const user = this.userSgprs(packetVa, kernargVa, scratch);
    const initiator = DISPATCH_INITIATOR.COMPUTE_SHADER_EN | DISPATCH_INITIATOR.PARTIAL_TG_EN | DISPATCH_INITIATOR.FORCE_START_AT_000 | DISPATCH_INITIATOR.USE_THREAD_DIMENSIONS | (this.waveSize === 32 ? DISPATCH_INITIATOR.CS_W32_EN : 0);
    b.acquireMem();
    b.setShRegs(R.PGM_LO, Number((entry >> 8n) & 0xffffffffn), Number(entry >> 40n));
    b.setShRegs(R.PGM_RSRC1, d.computePgmRsrc1, this.rsrc2(ldsBytes));
    const rsrc2At = b.length - 1;
    b.setShRegs(R.PGM_RSRC3, d.computePgmRsrc3);
    if (scratch) {
      b.setShRegs(R.TMPRING_SIZE, this.tmpring(scratch.waves, scratch.waveBytes));
      b.setShRegs(R.DISPATCH_SCRATCH_BASE_LO, Number((scratch.base >> 8n) & 0xffffffffn), Number(scratch.base >> 40n));
    }
    // SET_SH_REG: header, register offset, then the values.
    const userAt = b.length + 2;
    if (user.values.length) b.setShRegs(R.USER_DATA_0, ...user.values);
    b.setShRegs(R.RESOURCE_LIMITS, 0);
    b.setShRegs(R.START_X, 0, 0, 0, block[0]!, block[1]!, block[2]!);
    const blockAt = b.length - 3;
    b.dispatchDirect(grid[0]!, grid[1]!, grid[2]!, initiator);
    const gridAt = b.length - 4;
    b.csPartialFlush();
    return { b, user, userAt, rsrc2At, blockAt, gridAt };
  }
}
