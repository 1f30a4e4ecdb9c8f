// The emulated GPU as a Host: /dev/kfd, /dev/dri/renderD*, the sysfs topology and mmap, served by an
// emulated kernel whose engines run on their own threads.
import { OsError } from '../os/errors.js';
import { ERRNO } from '../os/errno.js';
import { MAP_ANONYMOUS, MAP_FIXED, MAP_FIXED_NOREPLACE, PROT_NONE, type Host, type HostDescription, type Mapping, type Mmio, type PollFd } from '../os/host.js';
import { releaseStore64 } from '../os/store-order.js';
import { AddressSpace, PAGE } from './process/address-space.js';
import { Backing, SAB_MEMORY, type MemoryProvider, type MmapTarget } from './process/backing.js';
import { SharedFileMemory, type SharedFileStats } from './process/shared-files.js';
import { addressSpaceMemory, processMemory } from './kfd/user-memory.js';
import { beginWaitEvents, type EventWait } from './kfd/event-ioctls.js';
import { parseEmuSpec, type DeviceSpec } from './models/models.js';
import { layoutSystem } from './models/system.js';
import { buildSysfs, directoryIndex } from './sysfs-tree.js';
import { EmuGpu } from './gpu.js';
import { EventTable } from './engine/event-table.js';
import { KfdError } from './kfd/errors.js';
import { kfdIoctl, kfdIoctlNameOf } from './kfd/dispatch.js';
import { DRM_FILE_OFFSET_START } from './kfd/memory-ioctls.js';
import { teardownProcess } from './kfd/teardown.js';
import { kfdMmapTarget, renderBoMmapTarget } from './kfd/mmap.js';
import { renderIoctl } from './drm/render-ioctls.js';
import { TARGET_INFO } from './models/target-ip.js';
import { DrmState, sideFileMapping, type DrmSideFile } from './drm/kernel.js';
import { DrmFile } from './drm/state.js';
import { releaseDrmFile } from './drm/dispatch.js';
import type { RingHang } from './drm/rings.js';
import type { KfdState } from './kfd/state.js';
import { CTRL } from './engine/protocol.js';
import type { EngineStatus } from './engine/context.js';
import { emuPciFunction, pciSysfsFiles, type EmuPciFunction } from './pci/function.js';
import { RegisterBar } from './pci/registers.js';

type OpenFile =
  | { kind: 'kfd' }
  | { kind: 'render'; gpu: EmuGpu; drm: DrmFile }
  | { kind: 'bar'; gpu: EmuGpu; bar: number; path: string }
  /** A dma-buf, sync object or sync file the render node handed out. */
  | { kind: 'drm-side'; file: DrmSideFile };

export type { EngineStatus };

/** Counts of everything the emulated kernel holds for the process: all zero after a clean teardown. */
export interface LiveObjects {
  readonly bos: number;
  readonly queues: number;
  readonly events: number;
  readonly gpuMappings: number;
  readonly cpuMappings: number;
  readonly openFiles: number;
}

class EmuMmio implements Mmio {
  private readonly u64: BigUint64Array;
  private readonly u32: Uint32Array;
  constructor(bytes: Uint8Array, private readonly kick: (() => void) | undefined) {
    this.u64 = new BigUint64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 3);
    this.u32 = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 2);
  }
  store64(byteOffset: number, value: bigint): void {
    Atomics.store(this.u64, byteOffset >>> 3, value);
    this.kick?.();
  }
  ringDoorbell(byteOffset: number, value: number): void {
    releaseStore64(this.u64, byteOffset >>> 3, value);
    this.kick?.();
  }
  store32(byteOffset: number, value: number): void {
    Atomics.store(this.u32, byteOffset >>> 2, value);
    this.kick?.();
  }
  load64(byteOffset: number): bigint {
    return Atomics.load(this.u64, byteOffset >>> 3);
  }
  load32(byteOffset: number): number {
    return Atomics.load(this.u32, byteOffset >>> 2);
  }
}

export class EmuHost implements Host {
  readonly description: HostDescription;
  readonly spec: DeviceSpec;
  readonly gpus: readonly EmuGpu[];
  private readonly files: Map<string, string>;
  private readonly binaryFiles: Map<string, Uint8Array>;
  /** The GPUs' PCI functions (config space, BARs, IP discovery table). */
  readonly pciFunctions: readonly EmuPciFunction[];
  private readonly registerBars = new Map<EmuGpu, RegisterBar>();
  private readonly dirs: Map<string, Set<string>>;
  private readonly fds = new Map<number, OpenFile>();
  private nextFd = 3;
  private readonly state: KfdState;
  private readonly drm: DrmState;
  private stopped = false;

  /** Set when this host serves another process: its memory is shared files that process maps too. */
  readonly sharedFiles: SharedFileMemory | undefined;

  /**
   * `serving.pid`: the emulated kernel serves that process (its memory is shared files, pointers in its
   * ioctl arguments are its own memory, and its doorbell stores are polled), not this one.
   */
  constructor(spec: string | DeviceSpec, serving?: { readonly pid: number; readonly doorbellPollMs: number }) {
    this.spec = typeof spec === 'string' ? parseEmuSpec(spec) : spec;
    const { model, options } = this.spec;
    const instances = layoutSystem(model, options.kfdMinor);
    this.files = buildSysfs(model, instances);
    this.pciFunctions = instances.map(emuPciFunction);
    const pci = pciSysfsFiles(this.pciFunctions);
    for (const [k, v] of pci.text) this.files.set(k, v);
    this.binaryFiles = pci.binary;
    this.dirs = directoryIndex([...this.files.keys(), ...this.binaryFiles.keys(), ...pci.entries, '/dev/kfd', ...instances.map((g) => `/dev/dri/renderD${g.renderMinor}`)]);
    const events = new EventTable();
    this.sharedFiles = serving ? new SharedFileMemory() : undefined;
    const memory: MemoryProvider = this.sharedFiles ?? SAB_MEMORY;
    this.gpus = instances.map((inst) => new EmuGpu(inst, options, events.sab, memory, serving?.doorbellPollMs));
    const addressSpace = new AddressSpace();
    this.description = {
      device: this.spec.spec,
      emulated: true,
      summary: `emulated ${model.description} (${this.gpus.length} GPU${this.gpus.length > 1 ? 's' : ''}, KFD 1.${options.kfdMinor})`,
    };
    this.state = {
      gpus: this.gpus,
      addressSpace,
      memory,
      user: serving ? processMemory(serving.pid) : addressSpaceMemory(addressSpace),
      events,
      kfdMinor: options.kfdMinor,
      vmAcquired: new Map(),
      bos: new Map(),
      boByMmapOffset: new Map(),
      queues: new Map(),
      eventRecords: new Map(),
      eventPage: undefined,
      runtimeEnabled: false,
      nextBoId: 1,
      nextMmapPage: DRM_FILE_OFFSET_START,
      renderFds: new Map(),
      importDmabuf: (fd) => this.drm.importForKfd(fd),
      exportDmabuf: (bo) => this.drm.exportForKfd(bo),
      renderMappings: (gpu) => this.drm.mappingsOn(gpu),
    };
    const fds = this.fds;
    this.drm = new DrmState(
      this.state,
      {
        install: (file) => {
          const fd = this.nextFd++;
          fds.set(fd, { kind: 'drm-side', file });
          return fd;
        },
        lookup: (fd) => {
          const f = fds.get(fd);
          if (!f) throw new OsError({ call: 'fget', errno: ERRNO.EBADF, target: `fd ${fd}` });
          return f.kind === 'drm-side' ? f.file : undefined;
        },
      },
      (gpu) => TARGET_INFO[gpu.target.name]?.hasGfx ?? false,
    );
  }

  // ---- files ----

  open(path: string, _flags: number): number {
    let file: OpenFile | undefined;
    if (path === '/dev/kfd') file = { kind: 'kfd' };
    const m = /^\/dev\/dri\/renderD(\d+)$/.exec(path);
    if (m) {
      const gpu = this.gpus.find((g) => g.instance.renderMinor === Number(m[1]));
      if (gpu) {
        const drm = new DrmFile(gpu);
        this.drm.files.add(drm);
        file = { kind: 'render', gpu, drm };
      }
    }
    const bar = /^(\/sys\/bus\/pci\/devices\/[^/]+)\/resource(\d)$/.exec(path);
    if (bar) {
      const fi = this.pciFunctions.findIndex((f) => f.dir === bar[1]);
      const index = Number(bar[2]);
      if (fi >= 0 && this.pciFunctions[fi]!.layout.bars.some((b) => b.index === index && b.kind === 'memory')) file = { kind: 'bar', gpu: this.gpus[fi]!, bar: index, path };
    }
    if (!file) {
      if (this.files.has(path) || this.binaryFiles.has(path)) throw new OsError({ call: 'open', errno: ERRNO.EACCES, target: path, hint: 'sysfs files are read with readText, not opened' });
      throw new OsError({ call: 'open', errno: ERRNO.ENOENT, target: path });
    }
    const fd = this.nextFd++;
    this.fds.set(fd, file);
    if (file.kind === 'render') this.state.renderFds.set(fd, file.gpu);
    return fd;
  }

  close(fd: number): void {
    const f = this.fds.get(fd);
    if (!f) throw new OsError({ call: 'close', errno: ERRNO.EBADF, target: `fd ${fd}` });
    this.fds.delete(fd);
    if (f.kind === 'render') {
      this.state.renderFds.delete(fd);
      releaseDrmFile(this.drm, f.drm);
    }
    if (f.kind === 'drm-side') this.releaseSideFile(f.file);
    if (f.kind === 'kfd' && ![...this.fds.values()].some((o) => o.kind === 'kfd')) teardownProcess(this.state);
  }

  ioctl(fd: number, request: number, arg: Uint8Array, name?: string): number {
    const f = this.fds.get(fd);
    const label = name ?? kfdIoctlNameOf(request) ?? `0x${request.toString(16)}`;
    if (!f) throw new OsError({ call: 'ioctl', errno: ERRNO.EBADF, target: `${label} on fd ${fd}` });
    if (f.kind === 'bar') throw new OsError({ call: 'ioctl', errno: ERRNO.ENOTTY, target: `${label} on ${f.path}` });
    if (f.kind === 'drm-side') throw new OsError({ call: 'ioctl', errno: ERRNO.ENOTTY, target: `${label} on a ${f.file.kind} fd` });
    const path = f.kind === 'kfd' ? '/dev/kfd' : `/dev/dri/renderD${f.gpu.instance.renderMinor}`;
    try {
      if (f.kind === 'kfd') kfdIoctl(this.state, request, arg, this.spec.model.systemMemoryBytes);
      else renderIoctl(this.state, this.drm, f.drm, request, arg);
      this.sweepSharedFiles();
      return 0;
    } catch (e) {
      if (e instanceof KfdError) throw new OsError({ call: 'ioctl', errno: e.errno, target: `${label} on ${path}`, hint: `emulated kernel, ${e.where}: ${e.why}` });
      throw e;
    }
  }

  // ---- memory ----

  mmap(address: bigint, length: number, prot: number, flags: number, fd: number, offset: bigint): Mapping {
    const as = this.state.addressSpace;
    const fail = (errno: keyof typeof ERRNO, why: string): never => {
      throw new OsError({ call: 'mmap', errno: ERRNO[errno], target: `${length} bytes at offset 0x${offset.toString(16)}`, hint: `emulated kernel: ${why}` });
    };
    if (length <= 0) fail('EINVAL', 'length is 0');
    const len = Math.ceil(length / Number(PAGE)) * Number(PAGE);
    if ((flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) && address % PAGE !== 0n) fail('EINVAL', 'fixed address not page-aligned');
    let start: bigint;
    if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
      if ((flags & MAP_FIXED_NOREPLACE) && as.overlaps(address, address + BigInt(len))) fail('EEXIST', 'MAP_FIXED_NOREPLACE range is in use');
      start = address;
    } else if (address !== 0n && address % PAGE === 0n && !as.overlaps(address, address + BigInt(len))) {
      start = address;
    } else {
      start = as.pickAddress(len);
    }
    let backing: Backing | undefined;
    let backingOffset = 0;
    let label: string;
    if (flags & MAP_ANONYMOUS) {
      label = prot === PROT_NONE ? 'reserved' : 'anonymous';
      backing = prot === PROT_NONE ? undefined : new Backing(len, 'anonymous');
    } else {
      ({ backing, backingOffset, label } = this.mmapTarget(fd, offset, length));
    }
    as.install({ start, end: start + BigInt(len), prot, backing, backingOffset, label });
    const bytes = backing && prot !== PROT_NONE ? backing.bytes.subarray(backingOffset, backingOffset + length) : new Uint8Array(0);
    return { address: start, length, bytes };
  }

  /** What an mmap of `fd` at `offset` maps, validated as the kernel's mmap handlers do (OsError otherwise). */
  mmapTarget(fd: number, offset: bigint, length: number): { backing: Backing; backingOffset: number; label: string } {
    const fail = (errno: keyof typeof ERRNO, why: string): never => {
      throw new OsError({ call: 'mmap', errno: ERRNO[errno], target: `${length} bytes at offset 0x${offset.toString(16)}`, hint: `emulated kernel: ${why}` });
    };
    if (length <= 0) fail('EINVAL', 'length is 0');
    const len = Math.ceil(length / Number(PAGE)) * Number(PAGE);
    const f = this.fds.get(fd);
    if (!f) return fail('EBADF', `fd ${fd} is not open`);
    if (f.kind === 'bar') return this.barMapping(f.gpu, f.bar, offset, len, fail);
    let r: MmapTarget;
    if (f.kind === 'drm-side') r = sideFileMapping(f.file, offset, len);
    else if (f.kind === 'render') r = this.drm.gemMapping(offset, len) ?? renderBoMmapTarget(this.state, f.gpu, offset, len);
    else r = kfdMmapTarget(this.state, this.gpus, offset, len);
    return 'errno' in r ? fail(r.errno, r.why) : r;
  }

  /** A BAR file (pci_mmap_resource): only the register BAR is backed here; the range must lie in the BAR. */
  private barMapping(gpu: EmuGpu, bar: number, offset: bigint, len: number, fail: (e: keyof typeof ERRNO, why: string) => never): { backing: Backing; backingOffset: number; label: string } {
    const fn = this.pciFunctions[this.gpus.indexOf(gpu)]!;
    const layout = fn.layout.bars.find((b) => b.index === bar)!;
    if (offset < 0n || offset + BigInt(len) > layout.bytes) return fail('EINVAL', `range lies outside the ${layout.bytes}-byte BAR ${bar} (pci_mmap_fits)`);
    if (bar !== fn.layout.registerBar) return fail('ENODEV', `the emulated GPU backs only its register BAR (resource${fn.layout.registerBar}) with memory`);
    return { backing: this.registerBar(gpu).backing, backingOffset: Number(offset), label: `BAR ${bar} registers` };
  }

  /** The register BAR of a GPU: live engine state behind the status and ring registers. */
  registerBar(gpu: EmuGpu): RegisterBar {
    let r = this.registerBars.get(gpu);
    if (!r) {
      const fn = this.pciFunctions[this.gpus.indexOf(gpu)]!;
      const bytes = Number(fn.layout.bars.find((b) => b.index === fn.layout.registerBar)!.bytes);
      r = new RegisterBar(gpu, bytes, () => gpu.link.call<EngineStatus>({ op: 'status' }));
      this.registerBars.set(gpu, r);
    }
    return r;
  }

  private releaseSideFile(file: DrmSideFile): void {
    if (file.kind === 'dmabuf') this.drm.unref(file.obj);
    else if (file.kind === 'syncobj') file.syncobj.refs--;
  }

  munmap(address: bigint, length: number): void {
    if (address % PAGE !== 0n || length <= 0) throw new OsError({ call: 'munmap', errno: ERRNO.EINVAL, target: `0x${address.toString(16)}+${length}` });
    this.state.addressSpace.remove(address, address + BigInt(Math.ceil(length / 4096) * 4096));
    this.sweepSharedFiles();
  }

  // ---- a served client: its own mmap made the mapping; the emulated kernel records it ----

  /** The client mapped `length` bytes of `backing` at `address` (after MMAP answered with the backing's file). */
  recordMapping(address: bigint, length: number, prot: number, backing: Backing, backingOffset: number, label: string): void {
    if (address % PAGE !== 0n || length <= 0) throw new OsError({ call: 'mmap', errno: ERRNO.EINVAL, target: `0x${address.toString(16)}+${length}` });
    this.state.addressSpace.install({ start: address, end: address + BigInt(Math.ceil(length / 4096) * 4096), prot, backing, backingOffset, label });
    this.sweepSharedFiles();
  }

  /** The client moved its own pages [address, +length) into a memfd it holds as `clientFd` (userptr). */
  adoptClientPages(pid: number, clientFd: number, address: bigint, length: number): void {
    if (!this.sharedFiles) throw new OsError({ call: 'share', errno: ERRNO.EINVAL, target: `0x${address.toString(16)}`, hint: 'this emulated GPU serves no other process' });
    const b = this.sharedFiles.adopt(pid, clientFd, length, `userptr pages @0x${address.toString(16)}`);
    this.recordMapping(address, length, 3, b, 0, b.label);
  }

  /** A served client exited: its CPU mappings went with it, so memory only they held can go. */
  forgetClientMappings(): void {
    this.state.addressSpace.clear();
    this.sweepSharedFiles();
  }

  /** KFD_IOC_WAIT_EVENTS without blocking: the caller polls the returned wait when events change. */
  beginWaitEvents(fd: number, arg: Uint8Array): EventWait {
    const f = this.fds.get(fd);
    if (f?.kind !== 'kfd') throw new OsError({ call: 'ioctl', errno: f ? ERRNO.ENOTTY : ERRNO.EBADF, target: `AMDKFD_IOC_WAIT_EVENTS on fd ${fd}` });
    try {
      return beginWaitEvents(this.state, arg);
    } catch (e) {
      if (e instanceof KfdError) throw new OsError({ call: 'ioctl', errno: e.errno, target: 'AMDKFD_IOC_WAIT_EVENTS on /dev/kfd', hint: `emulated kernel, ${e.where}: ${e.why}` });
      throw e;
    }
  }

  /** The event table's words: its generation word changes whenever an event fires. */
  get eventWords(): Int32Array {
    return this.state.events.words;
  }

  private sweepSharedFiles(): void {
    const pool = this.sharedFiles;
    if (!pool?.hasRetired) return;
    const s = this.state;
    pool.sweep((b) => s.addressSpace.references(b) || [...s.bos.values()].some((bo) => bo.backing === b) || s.eventPage?.backing === b);
  }

  sharedFileStats(): SharedFileStats | undefined {
    return this.sharedFiles?.stats;
  }

  poll(fds: readonly PollFd[], _timeoutMs: number): number[] {
    return fds.map(() => 0);
  }

  mmio(mapping: Mapping): Mmio {
    for (const r of this.registerBars.values()) if (mapping.bytes.buffer === r.backing.bytes.buffer) return r.mmio(mapping);
    const gpu = this.gpus.find((g) => mapping.bytes.buffer === g.doorbells.bytes.buffer);
    return new EmuMmio(mapping.bytes, gpu ? () => gpu.link.kick() : undefined);
  }

  // ---- sysfs ----

  readText(path: string): string {
    const t = this.files.get(path) ?? (this.binaryFiles.has(path) ? Buffer.from(this.binaryFiles.get(path)!).toString('latin1') : undefined);
    if (t === undefined) throw new OsError({ call: 'read', errno: this.dirs.has(path) ? ERRNO.EISDIR : ERRNO.ENOENT, target: path });
    return t;
  }

  readBytes(path: string): Uint8Array {
    const b = this.binaryFiles.get(path);
    if (b) return b.slice();
    return new TextEncoder().encode(this.readText(path));
  }

  listDir(path: string): string[] {
    const d = this.dirs.get(path);
    if (!d) throw new OsError({ call: 'readdir', errno: this.files.has(path) ? ERRNO.ENOTDIR : ERRNO.ENOENT, target: path });
    return [...d];
  }

  exists(path: string): boolean {
    if (this.files.has(path) || this.binaryFiles.has(path) || this.dirs.has(path)) return true;
    const cut = path.lastIndexOf('/');
    return this.dirs.get(path.slice(0, cut) || '/')?.has(path.slice(cut + 1)) ?? false;
  }

  // ---- the emulator's own controls (not part of the kernel interface) ----

  /**
   * The emulated GPU's byte-exact bounds diagnostic (what hardware, mapping whole pages, cannot do):
   * of the buffer object that holds [va, va+size), only those bytes may be accessed by the GPUs that
   * map it; any other byte of its pages faults like an unmapped one. For `run --check-bounds`, whose
   * guarded buffers end at a page end: this adds the bytes before the start inside the first page.
   */
  checkBytes(va: bigint, size: number): void {
    const end = va + BigInt(size);
    const bo = [...this.state.bos.values()].find((b) => va >= b.va && end <= b.va + BigInt(b.size));
    if (!bo) throw new Error(`checkBytes: no buffer object holds 0x${va.toString(16)}+${size}`);
    for (const g of bo.mappedOn) g.link.call({ op: 'restrict', start: bo.va, validStart: va, validEnd: end });
  }

  /** Queue states and hang reports, per GPU. */
  /** Per GPU: the VRAM and GTT this process's BOs hold, and whether its engine thread has work in flight. */
  gpuUse(): { vramUsed: bigint; gttUsed: bigint; busy: boolean }[] {
    return this.gpus.map((g) => {
      let gttUsed = 0n;
      for (const bo of this.state.bos.values()) if (bo.kind === 'gtt' && bo.gpu === g) gttUsed += BigInt(bo.size);
      return { vramUsed: g.vramUsed, gttUsed, busy: Atomics.load(g.link.ctrl, CTRL.BUSY) !== 0 };
    });
  }

  /** Render-node rings the emulated kernel found hung (or timed out) and reset, with the engine's report. */
  ringHangs(): readonly (RingHang & { readonly gpuId: number })[] {
    return this.drm.startedDevices.flatMap((d) => d.hangs.map((h) => ({ ...h, gpuId: d.gpu.gpuId })));
  }

  engineStatus(): EngineStatus[] {
    return this.gpus.map((g) => g.link.call<EngineStatus>({ op: 'status' }));
  }

  liveObjects(): LiveObjects {
    const s = this.state;
    return {
      bos: s.bos.size,
      queues: s.queues.size,
      events: s.eventRecords.size,
      gpuMappings: [...s.bos.values()].reduce((n, b) => n + b.mappedOn.size, 0),
      cpuMappings: s.addressSpace.size,
      openFiles: this.fds.size,
    };
  }

  /**
   * A full garbage collection in every engine thread. A freed BO's SharedArrayBuffer is released only
   * when every thread that saw it has collected; an idle engine thread may not for a long time, so a
   * leak measurement asks for it.
   */
  collectGarbage(): void {
    for (const g of this.gpus) g.link.call({ op: 'collect-garbage' });
  }

  /** Waits until no engine has work in flight (or `timeoutMs`); true when idle. */
  idle(timeoutMs = 5000): boolean {
    const end = performance.now() + timeoutMs;
    while (performance.now() < end) {
      if (this.gpus.every((g) => Atomics.load(g.link.ctrl, CTRL.BUSY) === 0)) return true;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
    return false;
  }

  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all(this.gpus.map((g) => g.link.stop()));
    // The engine threads are gone with their views; now the kernel side's views can go too.
    this.sharedFiles?.releaseAll();
  }
}
