// One served client process: its own emulated KFD process (an EmuHost whose memory is shared files and
// whose ioctl pointers are the client's memory), the files it opened, and what it asked for.
import { EmuHost, type LiveObjects } from '../host.js';
import type { HangReport } from '../engine/context.js';
import type { DeviceSpec } from '../models/models.js';
import { OsError } from '../../os/errors.js';
import { ERRNO, errnoName } from '../../os/errno.js';
import { iocNr, iocSize, iocType } from '../../uapi/ioc.js';
import { KFD_IOC, KFD_IOCTL_BASE } from '../../uapi/kfd.js';
import { DRM_IOC } from '../../uapi/drm.js';
import { kfdIoctlNameOf } from '../kfd/dispatch.js';
import type { Backing } from '../process/backing.js';
import { EVENT_GENERATION_WORD, eventChange } from '../engine/event-table.js';
import type { SharedFileStats } from '../process/shared-files.js';
import { need, OP, ProtocolError, response, type Request } from './wire.js';

/** How often a served engine scans its doorbells while the client is active (the doorbell latency bound). */
export const SERVED_DOORBELL_POLL_MS = 0.05;

interface OpenHandle {
  readonly path: string;
  readonly fd: number;
  /** The client's own descriptor for it (ioctl arguments name files by the client's numbers). */
  readonly clientFd: number;
}

/** One ioctl as the client issued it, counted by name and outcome. */
export interface IoctlCount {
  readonly name: string;
  readonly ok: number;
  readonly failed: Readonly<Record<string, number>>;
  /** Why the emulated kernel refused it (the first few distinct reasons). */
  readonly why: readonly string[];
}

export interface SessionStats {
  readonly pid: number;
  readonly ioctls: readonly IoctlCount[];
  readonly opens: Readonly<Record<string, number>>;
  readonly mmaps: number;
  readonly shares: number;
  /** What the emulated kernel still held when the client went away (before the teardown freed it). */
  readonly heldAtExit: LiveObjects | undefined;
  /** What it still held after the teardown: all zero unless the emulated kernel leaks. */
  readonly leftAfterTeardown: LiveObjects | undefined;
  readonly memory: SharedFileStats | undefined;
  /** Queues the emulated GPU stopped (malformed packet, VM fault), with the decoded report. */
  readonly hangs: readonly HangReport[];
}

// drm_ioctl finds the handler by the request's number alone (libdrm's drmCommandWriteRead sends GEM_VA as
// DRM_IOWR where the header says DRM_IOW), so requests are named by number too.
const DRM_NAMES = new Map<number, string>(Object.values(DRM_IOC).map((d) => [d.nr, d.name]));
const WAIT_EVENTS_NR = KFD_IOC.WAIT_EVENTS.nr;
const ACQUIRE_VM_NR = KFD_IOC.ACQUIRE_VM.nr;
const MAX_REASONS = 3;
const TRACE = process.env.AMDGPU_TS_SERVE_TRACE === '1';
/** Long waits are re-checked at least this often, so a client that went away is noticed. */
const WAIT_SLICE_MS = 200;


export function ioctlName(path: string, request: number): string {
  const known = path === '/dev/kfd' ? kfdIoctlNameOf(request) : DRM_NAMES.get(iocNr(request));
  return known ?? `${path === '/dev/kfd' ? 'kfd' : 'drm'} ioctl 0x${request.toString(16)} (nr 0x${iocNr(request).toString(16)})`;
}

export class ServedProcess {
  readonly host: EmuHost;
  private readonly handles = new Map<number, OpenHandle>();
  private nextHandle = 1;
  private readonly counts = new Map<string, { ok: number; failed: Map<string, number>; why: Set<string> }>();
  private lastFailure: string | undefined;
  private readonly opens = new Map<string, number>();
  private mmaps = 0;
  private shares = 0;
  /** MMAP answers waiting for the client's MAPPED, by server fd. */
  private readonly offered = new Map<string, { backing: Backing; backingOffset: number; label: string }>();
  private heldAtExit: LiveObjects | undefined;
  private leftAfterTeardown: LiveObjects | undefined;
  private hangs: HangReport[] = [];
  private closed = false;

  constructor(readonly pid: number, spec: DeviceSpec, readonly serverPid: number) {
    this.host = new EmuHost(spec, { pid, doorbellPollMs: SERVED_DOORBELL_POLL_MS });
  }

  async handle(req: Request): Promise<Buffer> {
    const p = req.payload;
    switch (req.op) {
      case OP.OPEN: {
        need(req, 9, 'OPEN');
        const flags = p.getUint32(0, true);
        const clientFd = p.getInt32(4, true);
        const raw = new Uint8Array(p.buffer, p.byteOffset + 8, p.byteLength - 8);
        const end = raw.indexOf(0);
        const path = Buffer.from(end < 0 ? raw : raw.subarray(0, end)).toString('utf8');
        this.opens.set(path, (this.opens.get(path) ?? 0) + 1);
        return this.call(() => {
          const fd = this.host.open(path, flags);
          const h = this.nextHandle++;
          this.handles.set(h, { path, fd, clientFd });
          return h;
        });
      }
      case OP.CLOSE: {
        need(req, 4, 'CLOSE');
        const h = this.handles.get(p.getUint32(0, true));
        if (!h) return response(-ERRNO.EBADF);
        this.handles.delete(p.getUint32(0, true));
        return this.call(() => (this.host.close(h.fd), 0));
      }
      case OP.IOCTL:
        return this.ioctl(req);
      case OP.MMAP:
        return this.mmap(req);
      case OP.MAPPED: {
        need(req, 32, 'MAPPED');
        const h = this.handles.get(p.getUint32(0, true));
        const prot = p.getUint32(4, true);
        const addr = p.getBigUint64(8, true);
        const length = Number(p.getBigUint64(16, true));
        const key = h && `${h.fd}:${p.getBigUint64(24, true)}`;
        const offer = key && this.offered.get(key);
        if (!key || !offer) return response(-ERRNO.EINVAL);
        this.offered.delete(key);
        this.mmaps++;
        return this.call(() => (this.host.recordMapping(addr, length, prot, offer.backing, offer.backingOffset, offer.label), 0));
      }
      case OP.MUNMAP: {
        need(req, 16, 'MUNMAP');
        const addr = p.getBigUint64(0, true);
        const length = Number(p.getBigUint64(8, true));
        return this.call(() => (this.host.munmap(addr, length), 0));
      }
      case OP.SHARE: {
        need(req, 24, 'SHARE');
        const clientFd = p.getInt32(0, true);
        const addr = p.getBigUint64(8, true);
        const length = Number(p.getBigUint64(16, true));
        this.shares++;
        return this.call(() => (this.host.adoptClientPages(this.pid, clientFd, addr, length), 0));
      }
    }
    throw new ProtocolError(`unknown op ${req.op}`);
  }

  private async ioctl(req: Request): Promise<Buffer> {
    const p = req.payload;
    need(req, 16, 'IOCTL');
    const h = this.handles.get(p.getUint32(0, true));
    const request = Number(p.getBigUint64(8, true) & 0xffffffffn);
    const size = iocSize(request);
    need(req, 16 + size, 'IOCTL argument');
    const arg = new Uint8Array(p.buffer.slice(p.byteOffset + 16, p.byteOffset + 16 + size));
    const name = h ? ioctlName(h.path, request) : `ioctl 0x${request.toString(16)}`;
    if (!h) return this.count(name, response(-ERRNO.EBADF));
    if (h.path === '/dev/kfd' && iocType(request) === KFD_IOCTL_BASE && iocNr(request) === ACQUIRE_VM_NR && size >= 4) this.translateDrmFd(arg);
    if (TRACE) process.stderr.write(`[amdgpu-ts serve] pid ${this.pid} ${name}\n`);
    if (h.path === '/dev/kfd' && iocType(request) === KFD_IOCTL_BASE && iocNr(request) === WAIT_EVENTS_NR) {
      return this.count(name, await this.waitEvents(h.fd, arg));
    }
    return this.count(name, this.call(() => this.host.ioctl(h.fd, request, arg, name), arg));
  }

  /**
   * AMDKFD_IOC_ACQUIRE_VM names the render node by the client's fd number (the kernel's fget looks it up
   * in the caller's table): map it to the emulated kernel's descriptor, or to one that is never open.
   */
  private translateDrmFd(arg: Uint8Array): void {
    const dv = new DataView(arg.buffer, arg.byteOffset, arg.byteLength);
    const clientFd = dv.getInt32(0, true);
    const open = [...this.handles.values()].find((h) => h.clientFd === clientFd && h.clientFd >= 0);
    dv.setInt32(0, open ? open.fd : -1, true);
  }

  /** AMDKFD_IOC_WAIT_EVENTS sleeps in the "kernel" as long as it must, without stopping other clients. */
  private async waitEvents(fd: number, arg: Uint8Array): Promise<Buffer> {
    let wait;
    try {
      wait = this.host.beginWaitEvents(fd, arg);
    } catch (e) {
      return this.failure(e, arg);
    }
    const words = this.host.eventWords;
    for (;;) {
      const gen = Atomics.load(words, EVENT_GENERATION_WORD);
      if (wait.poll()) return response(0, arg);
      const left = wait.deadline - performance.now();
      if (left <= 0 || this.closed) {
        wait.timeOut();
        return response(0, arg);
      }
      await eventChange(words, gen, Math.min(left, WAIT_SLICE_MS));
    }
  }

  private mmap(req: Request): Buffer {
    const p = req.payload;
    need(req, 40, 'MMAP');
    const h = this.handles.get(p.getUint32(0, true));
    const length = Number(p.getBigUint64(24, true));
    const offset = p.getBigUint64(32, true);
    if (!h) return response(-ERRNO.EBADF);
    return this.call(() => {
      const target = this.host.mmapTarget(h.fd, offset, length);
      const fd = target.backing.fd;
      if (fd === undefined) throw new OsError({ call: 'mmap', errno: ERRNO.ENODEV, target: target.label, hint: 'memory the emulator cannot share' });
      this.offered.set(`${h.fd}:${offset}`, target);
      const out = Buffer.alloc(16);
      out.writeInt32LE(fd, 0);
      out.writeBigUInt64LE(BigInt(target.backingOffset), 8);
      return { result: 0, payload: out };
    });
  }

  /** Runs a kernel-side call: its value (or { result, payload }) as the response, an OsError as -errno. */
  private call(f: () => number | { result: number; payload: Uint8Array }, payload?: Uint8Array): Buffer {
    try {
      const r = f();
      return typeof r === 'number' ? response(r, payload) : response(r.result, r.payload);
    } catch (e) {
      return this.failure(e, payload);
    }
  }

  private failure(e: unknown, payload?: Uint8Array): Buffer {
    if (e instanceof OsError) {
      this.lastFailure = e.hint ?? e.message;
      return response(-e.errno, payload);
    }
    throw e;
  }

  private count(name: string, rsp: Buffer): Buffer {
    const c = this.counts.get(name) ?? { ok: 0, failed: new Map<string, number>(), why: new Set<string>() };
    this.counts.set(name, c);
    const result = rsp.readInt32LE(0);
    if (result >= 0) c.ok++;
    else {
      c.failed.set(errnoName(-result), (c.failed.get(errnoName(-result)) ?? 0) + 1);
      if (this.lastFailure && c.why.size < MAX_REASONS) c.why.add(this.lastFailure);
    }
    this.lastFailure = undefined;
    return rsp;
  }

  /** The client went away: everything it held is released, as when a process's last KFD reference closes. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.heldAtExit = this.host.liveObjects();
    this.hangs = this.currentHangs();
    for (const h of this.handles.values()) {
      try {
        this.host.close(h.fd);
      } catch {
        // already closed by the client: nothing more to release
      }
    }
    this.handles.clear();
    this.host.forgetClientMappings();
    this.leftAfterTeardown = this.host.liveObjects();
    await this.host.shutdown();
  }

  /** User-mode queues stopped for good, then every kernel-ring job that hung (the ring itself restarts). */
  private currentHangs(): HangReport[] {
    let queues: HangReport[] = [];
    try {
      queues = this.host.engineStatus().flatMap((g) => g.queues.flatMap((q) => (q.hang ? [q.hang] : [])));
    } catch {
      // the engines are gone: only the kernel rings' history is left
    }
    const rings = this.host.ringHangs().map((h): HangReport => h.report ?? { queueId: -1, kind: 'ring', ring: h.ring, reason: h.reason, rptr: '', wptr: '', packets: [] });
    return [...queues, ...rings];
  }

  stats(): SessionStats {
    return {
      pid: this.pid,
      ioctls: [...this.counts].map(([name, c]) => ({ name, ok: c.ok, failed: Object.fromEntries(c.failed), why: [...c.why] })),
      opens: Object.fromEntries(this.opens),
      mmaps: this.mmaps,
      shares: this.shares,
      heldAtExit: this.heldAtExit,
      leftAfterTeardown: this.leftAfterTeardown,
      memory: this.host.sharedFileStats(),
      hangs: this.closed ? this.hangs : this.currentHangs(),
    };
  }
}
