// Kernel-scheduled queues: the render node's COMPUTE and DMA rings, fed through DRM_IOCTL_AMDGPU_CS.
// submit() takes the same Pm4Builder / SdmaBuilder streams the user-mode queues take, copies them into
// an indirect buffer (a range of a host-visible ring of IB memory, reused once its submission retired)
// and submits that IB on a context of this queue's own. Fences are the sequence numbers CS hands out
// (waited for with WAIT_CS); ordering between queues goes through sync objects (binary or timeline).
import { Pm4Builder } from '../../hw/pm4/builder.js';
import { decodePm4, formatPm4Packet } from '../../hw/pm4/decode.js';
import { SdmaBuilder } from '../../hw/sdma/builder.js';
import { decodeSdma, formatSdmaPacket, sdmaVersionOf } from '../../hw/sdma/decode.js';
import type { SdmaVersion } from '../../hw/sdma/packets.js';
import type { CsIp, CsWaitResult, SyncobjPoint } from '../backend/drm-file.js';
import { renderNodeError } from '../backend/drm-file.js';
import type { DrmBackend } from '../backend/drm.js';
import type { Device, DeviceResource } from '../device.js';
import { DriverError, GpuHangError, UseAfterFreeError, WaitTimeoutError } from '../errors.js';
import { DEFAULT_WAIT_MS } from '../timeline.js';
import { KernargRing, type KernargOwner } from './kernarg-ring.js';
import { deadlineNs, renderNodeOf, type Syncobj } from './syncobj.js';

/** A point on a CS queue: done when the kernel signalled submission `value` of its context's ring. */
export interface CsCompletion {
  readonly queue: CsQueue;
  readonly value: bigint;
}

/** A sync object, at a timeline point or (point 0 or none) as a binary one. */
export type SyncRef = Syncobj | { readonly syncobj: Syncobj; readonly point: bigint };

export interface CsSubmitOptions {
  /** The operation's name in reports. */
  readonly label?: string;
  /** The kernel starts the IB only once these are signalled. */
  readonly waitFor?: readonly SyncRef[];
  /** Signalled by the kernel when the IB finished. */
  readonly signal?: readonly SyncRef[];
}

/** IBs start on 256-byte boundaries (the CP needs 4, SDMA's INDIRECT_BUFFER 32). */
const IB_ALIGN = 256;
const IB_RING_BYTES = 1 << 20;
const NO_OPTIONS: CsSubmitOptions = {};
/** AMDGPU_CTX_QUERY2_FLAGS_GUILTY (amdgpu_drm.h): the context's job caused a reset or timeout. */
const CTX_GUILTY = 4n;
/** Outstanding submissions past which the IB and kernel-argument rings ask the kernel what retired. */
const POLL_OUTSTANDING = 32;

interface InFlight {
  readonly value: number;
  readonly at: number;
  readonly dwords: number;
  readonly label: string;
}

function syncPoint(s: SyncRef): SyncobjPoint {
  return 'syncobj' in s ? { handle: s.syncobj.handle, point: s.point } : { handle: s.handle, point: 0n };
}

export abstract class CsQueue implements DeviceResource, KernargOwner {
  abstract readonly kind: 'pm4' | 'sdma';
  readonly label: string;
  /** The ring as the driver addresses it: the IP type and ring index of the IB chunk. */
  readonly ring: string;
  readonly ctxId: number;
  readonly kernargs: KernargRing;
  private readonly ibs: KernargRing;
  private readonly backend: DrmBackend;
  private submittedSeq = 0;
  private completedSeq = 0;
  /** Submissions not yet known done, oldest first: what a timeout report decodes. */
  private inFlight: InFlight[] = [];
  /** Submissions the kernel failed (its lockup timeout, or cancelled behind one that hung). */
  private readonly failed = new Map<number, CsWaitResult>();
  private destroyed = false;
  /** Reads of timeline.count since the last submission. */
  private countReads = 0;
  /** What KernargRing retires by: the sequence numbers known done (asking the kernel when behind). */
  readonly timeline: { readonly count: number };

  protected constructor(readonly device: Device, readonly ip: CsIp) {
    this.backend = renderNodeOf(device, `a ${ip.toUpperCase()} ring queue`);
    this.ring = `${ip.toUpperCase()} ring 0`;
    try {
      this.ctxId = this.backend.file.ctxAlloc();
    } catch (e) {
      throw renderNodeError(device.name, 'cannot create a context on the render node', e);
    }
    this.label = `${device.name} kernel ${this.ring} (context ${this.ctxId})`;
    this.kernargs = new KernargRing(device, this.label);
    this.ibs = new KernargRing(device, this.label, IB_RING_BYTES, 'indirect buffers');
    // Asking the kernel costs an ioctl; a ring that has room does not need to know. The first read
    // after a submission answers from what is known unless many submissions are outstanding; a second
    // read (a ring retrying for space) asks.
    const count = (): number => (this.submittedSeq - this.completedSeq >= POLL_OUTSTANDING || this.countReads++ > 0 ? this.poll() : this.completedSeq);
    this.timeline = {
      get count(): number {
        return count();
      },
    };
    device.own(this);
  }

  protected abstract decodeIb(dwords: Uint32Array): string[];

  get submitted(): bigint {
    return BigInt(this.submittedSeq);
  }

  /** KernargOwner: the sequence number of the newest submission (every range the rings handed out is at or below it once submitted). */
  get submittedCount(): number {
    return this.submittedSeq;
  }

  /** Copies `packets` into an IB and submits it on this queue's ring; the completion is its sequence number. */
  submit(packets: Uint32Array, opts: CsSubmitOptions = NO_OPTIONS): CsCompletion {
    if (this.destroyed) throw new UseAfterFreeError(this.device.name, this.label, 'submit');
    if (packets.length === 0) throw new DriverError(this.device.name, `${this.label}: an empty IB`, { kind: 'input' });
    const bytes = packets.length * 4;
    const ring = this.ibs;
    const at = ring.reserve(bytes, IB_ALIGN, this);
    new Uint32Array(ring.bytes.buffer, ring.bytes.byteOffset + at, packets.length).set(packets);
    let seq: bigint;
    try {
      seq = this.backend.file.cs(this.ctxId, {
        ip: this.ip,
        ibVa: ring.va + BigInt(at),
        ibBytes: bytes,
        boHandles: this.backend.liveHandles(),
        ...(opts.waitFor ? { waitFor: opts.waitFor.map(syncPoint) } : {}),
        ...(opts.signal ? { signal: opts.signal.map(syncPoint) } : {}),
      });
    } catch (e) {
      throw renderNodeError(this.device.name, `${this.label}: CS refused ${opts.label ?? 'the submission'}`, e);
    }
    const value = Number(seq);
    this.submittedSeq = value;
    this.countReads = 0;
    this.inFlight.push({ value, at, dwords: packets.length, label: opts.label ?? 'submit' });
    return { queue: this, value: seq };
  }

  /** Asks the kernel how far the ring got (without waiting); returns the newest sequence number known done. */
  private poll(): number {
    const file = this.backend.file;
    if (this.completedSeq < this.submittedSeq) {
      const newest = file.waitCs(this.ctxId, this.ip, BigInt(this.submittedSeq), 0n);
      if (newest !== 'busy') this.retire(this.submittedSeq, newest);
      else while (this.completedSeq + 1 < this.submittedSeq) {
        const next = this.completedSeq + 1;
        const r = file.waitCs(this.ctxId, this.ip, BigInt(next), 0n);
        if (r === 'busy') break;
        this.retire(next, r);
      }
    }
    return this.completedSeq;
  }

  private retire(value: number, result: CsWaitResult): void {
    if (result === 'timed-out' || result === 'cancelled') this.failed.set(value, result);
    if (value > this.completedSeq) this.completedSeq = value;
    let i = 0;
    while (i < this.inFlight.length && this.inFlight[i]!.value <= value) i++;
    if (i) this.inFlight = this.inFlight.slice(i);
  }

  isDone(c: CsCompletion): boolean {
    return Number(c.value) <= this.poll();
  }

  /**
   * Blocks until the submission finished. Past `timeoutMs` it throws WaitTimeoutError naming the ring
   * with the IB decoded; a job the kernel gave up on (its lockup timeout: ETIME, or cancelled behind
   * one: ECANCELED) throws GpuHangError with the same report.
   */
  wait(c: CsCompletion | bigint = this.submitted, timeoutMs = DEFAULT_WAIT_MS, what?: string): void {
    if (this.destroyed) throw new UseAfterFreeError(this.device.name, this.label, 'wait');
    const value = Number(typeof c === 'bigint' ? c : c.value);
    if (value > this.submittedSeq) throw new DriverError(this.device.name, `${this.label}: fence ${value} was never submitted (last ${this.submittedSeq})`, { kind: 'input' });
    const name = what ?? `fence ${value} of ${this.label}`;
    if (value > this.completedSeq) {
      const r = this.backend.file.waitCs(this.ctxId, this.ip, BigInt(value), deadlineNs(timeoutMs));
      if (r === 'busy') throw new WaitTimeoutError(this.device.name, `${name} (the kernel has not signalled it)`, timeoutMs, `${this.report(value)}\n${this.device.registerSnapshot()}`);
      // The report is taken before the failed IB retires, while its memory still holds it.
      const report = r === 'done' ? '' : this.report(value);
      this.retire(value, r);
      if (r !== 'done') throw this.hangError(name, r, report);
    } else {
      const r = this.failed.get(value);
      if (r) throw this.hangError(name, r, this.report(value));
    }
  }

  private hangError(what: string, r: CsWaitResult, report: string): GpuHangError {
    const verdict = r === 'timed-out' ? 'the kernel timed the job out on its ring (WAIT_CS: ETIME)' : 'the kernel cancelled the job behind one that hung (WAIT_CS: ECANCELED)';
    return new GpuHangError(this.device.name, `${what}: ${verdict}\n${report}\n${this.device.registerSnapshot()}`);
  }

  /** The queue's state as the driver knows it: counts, the context's state, and the IBs not known done, decoded. */
  report(upTo = this.submittedSeq): string {
    let state = '';
    try {
      const flags = this.backend.file.ctxState(this.ctxId);
      state = flags & CTX_GUILTY ? ', context guilty (its job hung)' : flags ? `, context state flags 0x${flags.toString(16)}` : '';
    } catch {
      state = ', context state unreadable';
    }
    const lines = [`${this.label}: ${this.completedSeq} of ${this.submittedSeq} submissions known done${state}`];
    for (const s of this.inFlight) {
      if (s.value > upTo) break;
      const words = this.ibs.words;
      const dw = new Uint32Array(words.buffer, words.byteOffset + s.at, s.dwords);
      lines.push(`submission ${s.value} (${s.label}): IB at 0x${(this.ibs.va + BigInt(s.at)).toString(16)}, ${s.dwords} dwords:`);
      lines.push(...this.decodeIb(dw).map((l, i) => `${i === 0 ? '=>' : '  '} ${l}`));
    }
    return lines.join('\n');
  }

  diagnose(): string {
    return this.report();
  }

  /** Frees the context and the queue's memory; work still running keeps what it uses alive in the kernel. */
  destroy(): void {
    if (this.destroyed) throw new UseAfterFreeError(this.device.name, this.label, 'destroy');
    this.destroyed = true;
    this.device.disown(this);
    this.backend.file.ctxFree(this.ctxId);
    this.kernargs.destroy();
    this.ibs.destroy();
  }
}

/** The kernel's compute ring: PM4 streams (Pm4Queue's packets, dispatches included). */
export class CsComputeQueue extends CsQueue {
  readonly kind = 'pm4' as const;

  static create(device: Device): CsComputeQueue {
    return new CsComputeQueue(device);
  }

  private constructor(device: Device) {
    super(device, 'compute');
  }

  builder(): Pm4Builder {
    return new Pm4Builder(this.device.target.family);
  }

  protected decodeIb(dw: Uint32Array): string[] {
    const fam = this.device.target.family;
    return decodePm4(dw, fam).map((p) => formatPm4Packet(p, fam));
  }
}

/** The kernel's DMA ring: SDMA streams (SdmaQueue's packets). */
export class CsDmaQueue extends CsQueue {
  readonly kind = 'sdma' as const;
  readonly version: SdmaVersion = sdmaVersionOf(this.device.target.sdma);
  private readonly copyBuilder = new SdmaBuilder(this.version, 64);

  static create(device: Device): CsDmaQueue {
    return new CsDmaQueue(device);
  }

  private constructor(device: Device) {
    super(device, 'dma');
  }

  builder(): SdmaBuilder {
    return new SdmaBuilder(this.version);
  }

  /** Copies `bytes` from `src` to `dst` (GPU addresses) in one IB of as many packets as needed. */
  copy(dst: bigint, src: bigint, bytes: number, opts: CsSubmitOptions = NO_OPTIONS): CsCompletion {
    return this.submit(this.copyBuilder.reset().copy(dst, src, bytes).dwords, opts.label ? opts : { ...opts, label: `copy ${bytes} B` });
  }

  fill(dst: bigint, pattern: number, bytes: number, opts: CsSubmitOptions = NO_OPTIONS): CsCompletion {
    return this.submit(this.builder().fill(dst, pattern, bytes).dwords, opts.label ? opts : { ...opts, label: `fill ${bytes} B` });
  }

  protected decodeIb(dw: Uint32Array): string[] {
    return decodeSdma(dw, this.version).map((p) => formatSdmaPacket(p, this.version));
  }
}
