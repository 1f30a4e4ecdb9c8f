// The kernel's own rings of one GPU, as the render node's command submission drives them: a compute
// ring (and a GFX ring where the GPU has one) run by the emulated CP and a DMA ring run by the emulated
// SDMA engine — the same engines that run user-mode queues. A submission writes into the ring what
// amdgpu_ib_schedule and amdgpu_fence_emit write (INDIRECT_BUFFER, then an end-of-pipe fence write of the
// ring's sequence number) and moves the ring's write pointer; a fence is signalled when the ring's fence
// word has reached its sequence number.
//
// The kernel keeps rings and fences in GART; the emulated GPU has one VM per GPU, so they live in the
// top of it, the range amdgpu_gem_va_ioctl refuses to user space (AMDGPU_VA_RESERVED_TOP).
import type { EmuGpu } from '../gpu.js';
import type { Backing, MemoryProvider } from '../process/backing.js';
import type { EngineStatus, HangReport } from '../engine/context.js';
import type { QueueDescriptor } from '../engine/protocol.js';
import { Pm4Builder } from '../../hw/pm4/builder.js';
import { pm4Header, PM4_OP } from '../../hw/pm4/opcodes.js';
import { SdmaBuilder } from '../../hw/sdma/builder.js';
import { SDMA_OP } from '../../hw/sdma/packets.js';
import { sdmaVersionOf } from '../../hw/sdma/decode.js';
import { lo32, hi32 } from '../../hw/dword-stream.js';
import { fail } from '../kfd/errors.js';
import { fenceSignaled, type Ctx, type Fence, type FenceRing, type GemObject, type RingIp } from './state.js';

/** amdgpu_vm.h: the VM size of gfx9+ parts (48 bits) and the ranges reserved at its ends. */
export const VM_SIZE = 1n << 48n;
export const AMDGPU_VA_RESERVED_BOTTOM = 1n << 16n;
/**
 * AMDGPU_VA_RESERVED_TRAP_SIZE (2 pages) + SEQ64_SIZE (2 MiB) + CSA_SIZE (2 MiB), as amdgpu_vm.h has it from the
 * TRAP reservation's introduction (checked against the patch that added it); later kernels add a 3-page
 * TRAP_UQ reservation for user queues, which the emulated 6.12-era kernel does not have.
 */
export const AMDGPU_VA_RESERVED_TOP = (2n << 12n) + (2n << 20n) + (2n << 20n);
/** amdgpu_gmc.h: the non-canonical hole of the 48-bit address space. */
export const AMDGPU_GMC_HOLE_START = 0x0000_8000_0000_0000n;
export const AMDGPU_GMC_HOLE_END = 0xffff_8000_0000_0000n;
export const AMDGPU_GMC_HOLE_MASK = 0x0000_ffff_ffff_ffffn;

const KERNEL_BASE = VM_SIZE - AMDGPU_VA_RESERVED_TOP;
const FENCE_PAGE_BYTES = 4096;
const RING_BYTES = 64 * 1024;
/** Where user-fence BOs get their kernel (GART) address, one page each. */
const GART_WINDOW = KERNEL_BASE + 0x100000n;
const GART_PAGES = 256;
/** Kernel ring queue ids sit far above KFD's (which count from 0 per process). */
const KERNEL_QUEUE_ID_BASE = 0x10000;
/** amdgpu_device.c lockup_timeout defaults: 10 s for GFX and SDMA, 60 s for compute. */
const LOCKUP_MS = { gfx: 10_000, compute: 60_000, dma: 10_000 } as const;
/** How often a waiting ioctl asks the engines whether a ring hung. */
const HANG_CHECK_MS = 10;
/** The VMID a job's IBs run under (any non-zero one: 0 is the kernel's). */
const JOB_VMID = 1;

export interface IbRef {
  readonly va: bigint;
  readonly bytes: number;
}

export interface JobSubmission {
  readonly ibs: readonly IbRef[];
  /** Fences the job must wait for (dependencies and in-syncobjs, across rings). */
  readonly waits: readonly Fence[];
  readonly userFence: { readonly va: bigint; readonly value: bigint } | undefined;
  readonly ctx: Ctx;
}

export class KernelRing implements FenceRing {
  readonly queueId: number;
  /** Last sequence number emitted (amdgpu_fence_driver.sync_seq). */
  private emitted = 0;
  /** Write pointer in dwords, monotonic since the ring was (re)started. */
  private wptrDw = 0;
  /** Unsignalled fences in submission order, with the write pointer just past each job. */
  private pending: { fence: Fence; endDw: number }[] = [];
  /** The write pointer up to which the engine has consumed the ring (the end of the last signalled job). */
  private consumedDw = 0;
  /** When the oldest pending job became the ring's head (drm_sched starts its job timer then). */
  private headSince = 0;
  /** How often the ring was reset and restarted. */
  private restarts = 0;

  constructor(
    readonly device: DrmDevice,
    readonly name: string,
    readonly ip: RingIp,
    index: number,
    private readonly ringBytes: Uint8Array,
    readonly ringVa: bigint,
    private readonly fenceWordOffset: number,
    readonly fenceVa: bigint,
    private readonly rptrVa: bigint,
  ) {
    this.queueId = KERNEL_QUEUE_ID_BASE + index;
  }

  get kind(): 'pm4' | 'sdma' {
    return this.ip === 'dma' ? 'sdma' : 'pm4';
  }

  descriptor(): QueueDescriptor {
    return {
      queueId: this.queueId,
      kind: this.kind,
      kfdType: 0,
      ringVa: this.ringVa,
      ringSize: RING_BYTES,
      rptrVa: this.rptrVa,
      wptrVa: this.rptrVa + 8n,
      doorbellByte: -1,
      eopVa: 0n,
      eopSize: 0,
      ctxSaveVa: 0n,
      ctxSaveSize: 0,
      sdmaEngine: 0,
      priority: 7,
      percentage: 100,
      kernelRing: this.name,
    };
  }

  /** The fence word the engine writes (amdgpu_fence_read). */
  private fenceWord(): number {
    return this.device.fencePage.getUint32(this.fenceWordOffset, true);
  }

  signaled(seq: number): boolean {
    // amdgpu_fence_process compares sequence numbers modulo 2^32.
    return ((this.fenceWord() - seq) | 0) >= 0;
  }

  /** Drops signalled fences from the pending list, moving the consumed pointer past their jobs. */
  retire(now: number): void {
    let i = 0;
    while (i < this.pending.length && this.signaled(this.pending[i]!.fence.seq)) this.consumedDw = this.pending[i++]!.endDw;
    if (i > 0) {
      this.pending = this.pending.slice(i);
      this.headSince = now;
    }
  }

  /** The newest fence still pending, if any. */
  newest(): Fence | undefined {
    return this.pending[this.pending.length - 1]?.fence;
  }

  get busy(): boolean {
    return this.pending.length > 0;
  }

  /** The oldest pending job has run longer than the ring's lockup timeout (amdgpu_job_timedout). */
  timedOut(now: number): boolean {
    return this.pending.length > 0 && now - this.headSince > LOCKUP_MS[this.ip];
  }

  private get nextSeq(): number {
    return (this.emitted + 1) >>> 0;
  }

  /** The job's dwords as they go at the current write pointer (SDMA pads relative to it). */
  private encode(job: JobSubmission): Uint32Array {
    return this.kind === 'pm4' ? this.pm4Job(job) : this.sdmaJob(job);
  }

  /** Writes a job and its fence into the ring and moves the write pointer; returns the job's fence. */
  submit(job: JobSubmission): Fence {
    let dwords = this.encode(job);
    const ringDw = RING_BYTES / 4;
    if (dwords.length > ringDw) fail('EINVAL', 'amdgpu_ring_alloc', `a job of ${dwords.length} dwords does not fit the ${ringDw}-dword ring ${this.name}`);
    // amdgpu_ring_alloc waits for room: the engine frees it as earlier jobs' fences signal. A reset while
    // waiting restarts the ring at 0, so the job is encoded again for its new place.
    const restarts = this.restarts;
    this.device.waitUntil(() => this.wptrDw + dwords.length - this.consumedDw <= ringDw, 'forever');
    if (this.restarts !== restarts) dwords = this.encode(job);
    const view = new DataView(this.ringBytes.buffer, this.ringBytes.byteOffset, RING_BYTES);
    for (let i = 0; i < dwords.length; i++) view.setUint32(((this.wptrDw + i) % ringDw) * 4, dwords[i]!, true);
    this.wptrDw += dwords.length;
    this.emitted = this.nextSeq;
    const fence: Fence = { ring: this, seq: this.emitted, error: undefined, ctx: job.ctx };
    if (this.pending.length === 0) this.headSince = performance.now();
    this.pending.push({ fence, endDw: this.wptrDw });
    const wptr = this.kind === 'pm4' ? BigInt(this.wptrDw) : BigInt(this.wptrDw) * 4n;
    this.device.gpu.link.post({ op: 'ring-wptr', queueId: this.queueId, wptr });
    return fence;
  }

  /** gfx_v*_ring_emit_ib_compute + emit_fence: dependency waits, the IBs, the user fence, the ring fence. */
  private pm4Job(job: JobSubmission): Uint32Array {
    const b = new Pm4Builder(this.device.gpu.target.family, 64);
    // The kernel's scheduler holds a job back until its dependencies signal; the emulated ring waits
    // for them in the CP instead, which delays the job the same way without a scheduler thread.
    for (const w of job.waits) b.waitMem32(w.ring!.fenceVa, 'GE', w.seq);
    for (const ib of job.ibs) {
      // INDIRECT_BUFFER: IB_BASE bits 31:2, IB_SIZE in dwords ORed with VALID and the VMID in 31:24,
      // as gfx_v11_0_ring_emit_ib_compute writes control (a size past 20 bits spills, as it does there).
      b.raw([pm4Header(PM4_OP.INDIRECT_BUFFER, 3), (lo32(ib.va) & ~3) >>> 0, hi32(ib.va) & 0xffff, ((ib.bytes >>> 2) | (1 << 23) | (JOB_VMID << 24)) >>> 0]);
    }
    if (job.userFence) b.releaseMem({ va: job.userFence.va, data: 'data64', value: job.userFence.value });
    b.releaseMem({ va: this.fenceVa, data: 'data32', value: BigInt(this.nextSeq), interrupt: true });
    return b.dwords.slice();
  }

  /** sdma_v*_ring_emit_ib + emit_fence: NOP padding so each IB packet ends on 8 dwords, FENCE, TRAP. */
  private sdmaJob(job: JobSubmission): Uint32Array {
    const b = new SdmaBuilder(sdmaVersionOf(this.device.gpu.target.sdma), 64);
    for (const w of job.waits) b.pollMem32(w.ring!.fenceVa, 'GE', w.seq);
    for (const ib of job.ibs) {
      const pad = (2 - (this.wptrDw + b.length)) & 7;
      for (let i = 0; i < pad; i++) b.nop(1);
      // "base must be 32 byte aligned": the kernel masks the low bits rather than checking them.
      b.raw([(SDMA_OP.INDIRECT | (JOB_VMID << 16)) >>> 0, (lo32(ib.va) & 0xffffffe0) >>> 0, hi32(ib.va), ib.bytes >>> 2, 0, 0]);
    }
    if (job.userFence) {
      b.fence(job.userFence.va, lo32(job.userFence.value));
      b.fence(job.userFence.va + 4n, hi32(job.userFence.value));
    }
    b.fence(this.fenceVa, this.nextSeq).trap(0);
    return b.dwords.slice();
  }

  /**
   * After a hang or a timeout: the running job's fence gets ETIME and its context is guilty, the queued
   * ones are cancelled, the fence word is forced to the last sequence number so every waiter wakes
   * (amdgpu_fence_driver_force_completion), and the ring restarts empty.
   */
  reset(): void {
    this.pending.forEach((p, i) => {
      p.fence.error = i === 0 ? 'ETIME' : 'ECANCELED';
      if (i === 0 && p.fence.ctx) p.fence.ctx.guilty = true;
    });
    this.pending = [];
    this.device.fencePage.setUint32(this.fenceWordOffset, this.emitted, true);
    this.wptrDw = 0;
    this.consumedDw = 0;
    this.restarts++;
  }
}

/** What became of a ring that hung: its engine report and when the kernel reset it. */
export interface RingHang {
  readonly ring: string;
  readonly report: HangReport | null;
  readonly reason: string;
}

/** The render-node side of one GPU: its kernel rings, fence page, user-fence GART window and deferred frees. */
export class DrmDevice {
  readonly rings: ReadonlyMap<RingIp, KernelRing>;
  readonly fencePage: DataView;
  readonly hangs: RingHang[] = [];
  private readonly kernelMemory: Backing;
  private readonly gartUsed = new Set<number>();
  private deferred: { fences: Fence[]; run: () => void; range?: readonly [bigint, bigint] }[] = [];
  private lastHangCheck = 0;

  constructor(readonly gpu: EmuGpu, memory: MemoryProvider, hasGfx: boolean) {
    const ips: RingIp[] = hasGfx ? ['gfx', 'compute', 'dma'] : ['compute', 'dma'];
    const bytes = FENCE_PAGE_BYTES + ips.length * RING_BYTES;
    this.kernelMemory = memory.allocate(bytes, `kernel rings of gpu ${gpu.gpuId}`);
    this.fencePage = new DataView(this.kernelMemory.bytes.buffer, this.kernelMemory.bytes.byteOffset, FENCE_PAGE_BYTES);
    gpu.share(this.kernelMemory);
    gpu.link.call({ op: 'map', start: KERNEL_BASE, size: bytes, backingId: this.kernelMemory.id, offset: 0, writable: true, executable: false, label: 'kernel rings and fences' });
    // amdgpu ring names: gfx_0.0.0, comp_1.0.0 (ME 1 pipe 0 queue 0), sdma0.
    const names: Record<RingIp, string> = { gfx: 'gfx_0.0.0', compute: 'comp_1.0.0', dma: 'sdma0' };
    const rings = new Map<RingIp, KernelRing>();
    ips.forEach((ip, i) => {
      const offset = FENCE_PAGE_BYTES + i * RING_BYTES;
      const ringBytes = this.kernelMemory.bytes.subarray(offset, offset + RING_BYTES);
      const ring = new KernelRing(this, names[ip], ip, i, ringBytes, KERNEL_BASE + BigInt(offset), i * 16, KERNEL_BASE + BigInt(i * 16), KERNEL_BASE + 0x800n + BigInt(i * 16));
      gpu.link.call({ op: 'create-queue', queue: ring.descriptor() });
      rings.set(ip, ring);
    });
    this.rings = rings;
  }

  /** Every ring's newest fence: work submitted so far is done when they all signal. */
  private frontier(): Fence[] {
    const out: Fence[] = [];
    for (const r of this.rings.values()) {
      const f = r.newest();
      if (f) out.push(f);
    }
    return out;
  }

  /**
   * Runs `fn` once everything submitted so far has finished: freeing memory or clearing a mapping that
   * in-flight work may still use waits for it, as the kernel's reservation objects and
   * amdgpu_vm_clear_freed do. `range` is the VA range the work unmaps, if any.
   */
  afterInFlight(fn: () => void, range?: readonly [bigint, bigint]): void {
    const fences = this.frontier();
    if (fences.every(fenceSignaled)) return fn();
    this.deferred.push({ fences, run: fn, ...(range ? { range } : {}) });
  }

  /** Runs the deferred frees whose work finished; checks the rings for hangs now and then. */
  progress(): void {
    const now = performance.now();
    for (const r of this.rings.values()) r.retire(now);
    if (this.deferred.length > 0) {
      const ready = this.deferred.filter((d) => d.fences.every(fenceSignaled));
      if (ready.length > 0) {
        this.deferred = this.deferred.filter((d) => !ready.includes(d));
        for (const d of ready) d.run();
      }
    }
    if (now - this.lastHangCheck >= HANG_CHECK_MS && [...this.rings.values()].some((r) => r.busy)) {
      this.lastHangCheck = now;
      this.checkHangs(now);
    }
  }

  /** Waits until a deferred unmap of a range overlapping [start, end) has run (a new mapping needs the VA). */
  flushUnmaps(start: bigint, end: bigint): void {
    const blocking = () => this.deferred.some((d) => d.range && d.range[0] < end && start < d.range[1]);
    if (blocking()) this.waitUntil(() => !blocking(), 'forever');
  }

  /** amdgpu_job_timedout, found by asking the engines rather than by a timer: a hung ring is reset. */
  private checkHangs(now: number): void {
    const status = this.gpu.link.call<EngineStatus>({ op: 'status' });
    for (const ring of this.rings.values()) {
      // Fences the engine wrote before it reported the hang count as done, not as the hung job.
      ring.retire(now);
      if (!ring.busy) continue;
      const q = status.queues.find((s) => s.queueId === ring.queueId);
      const hung = q?.hang ?? null;
      if (!hung && !ring.timedOut(now)) continue;
      const report = this.gpu.link.call<HangReport | null>({ op: 'destroy-queue', queueId: ring.queueId });
      this.hangs.push({ ring: ring.name, report, reason: hung ? `ring ${ring.name} hung: ${hung.reason}` : `ring ${ring.name} timed out (lockup_timeout ${LOCKUP_MS[ring.ip]} ms)` });
      ring.reset();
      this.gpu.link.call({ op: 'create-queue', queue: ring.descriptor() });
    }
  }

  /**
   * Blocks the calling ioctl (never the engine thread) until `done()` or the absolute deadline
   * (performance.now() ms; 'forever' for an unbounded wait); true when done.
   */
  waitUntil(done: () => boolean, deadline: number | 'forever'): boolean {
    const nap = new Int32Array(new SharedArrayBuffer(4));
    let spins = 0;
    for (;;) {
      this.progress();
      if (done()) return true;
      const now = performance.now();
      if (deadline !== 'forever' && now >= deadline) return false;
      // A short wait first (a fence usually follows quickly), then naps of up to a millisecond.
      const ms = Math.min(++spins < 20 ? 0.02 : 1, deadline === 'forever' ? 1 : Math.max(0, deadline - now));
      Atomics.wait(nap, 0, 0, ms);
    }
  }

  /** The kernel (GART) address of a user-fence BO, mapped on first use (amdgpu_ttm_alloc_gart). */
  gartVa(obj: GemObject): bigint {
    if (obj.gartVa !== undefined) return obj.gartVa;
    let slot = 0;
    while (this.gartUsed.has(slot)) slot++;
    if (slot >= GART_PAGES) fail('ENOMEM', 'amdgpu_ttm_alloc_gart', 'the emulated GART window for user fences is full');
    this.gartUsed.add(slot);
    const va = GART_WINDOW + BigInt(slot) * 4096n;
    this.gpu.share(obj.backing);
    this.gpu.link.call({ op: 'map', start: va, size: 4096, backingId: obj.backing.id, offset: obj.backingOffset, writable: true, executable: false, label: `user fence of GEM object ${obj.id}` });
    obj.gartVa = va;
    return va;
  }

  /** The object's GART mapping goes with it. */
  releaseGart(obj: GemObject): void {
    if (obj.gartVa === undefined) return;
    this.gpu.link.call({ op: 'unmap', start: obj.gartVa });
    this.gartUsed.delete(Number((obj.gartVa - GART_WINDOW) / 4096n));
    obj.gartVa = undefined;
  }

  ring(ip: RingIp): KernelRing | undefined {
    return this.rings.get(ip);
  }
}
