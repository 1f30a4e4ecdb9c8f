// This process's /dev/kfd: opened once, the ABI version checked, and what every GPU of the process
// shares — the ioctl scratch page, the event page (one per process, mapped into every GPU that
// raises events) and the memory-fault reports, which name their GPU whichever wait sees them.
import { O_CLOEXEC, O_RDWR, type Host } from '../../os/host.js';
import { KFD_ABI_OLDEST, KFD_EVENT_PAGE_BYTES, KFD_IOC, KFD_RUNTIME_ENABLE_MODE, createQueueIoctlFor } from '../../uapi/kfd.js';
import { DriverError } from '../errors.js';
import { ioctl } from '../ioctl.js';
import { IoctlScratch } from '../scratch.js';
import type { BackendEvent, MemoryFault, WaitOutcome } from './backend.js';
import { EventPage } from './kfd-events.js';
import { kfdAlloc, kfdMap, type KfdFile, type KfdGpu } from './kfd-memory.js';

export interface KfdVersion {
  readonly major: number;
  readonly minor: number;
}

/** A GPU of this process as the shared state needs it: where to map the event page, where a fault lands. */
export interface KfdProcessGpu extends KfdGpu {
  vmFault: MemoryFault | undefined;
}

export class KfdProcess implements KfdFile {
  readonly fd: number;
  readonly version: KfdVersion;
  readonly createQueueIoctl: ReturnType<typeof createQueueIoctlFor>;
  readonly scratch: IoctlScratch;
  private readonly gpus: KfdProcessGpu[] = [];
  private page: EventPage | undefined;

  constructor(readonly host: Host) {
    this.fd = host.open('/dev/kfd', O_RDWR | O_CLOEXEC);
    this.scratch = new IoctlScratch(host);
    try {
      const v = ioctl(host, this.fd, KFD_IOC.GET_VERSION, {});
      this.version = { major: v.major_version, minor: v.minor_version };
      if (v.major_version !== KFD_ABI_OLDEST.major || v.minor_version < KFD_ABI_OLDEST.minor) {
        throw new DriverError('/dev/kfd', `KFD ${v.major_version}.${v.minor_version} is older than ${KFD_ABI_OLDEST.major}.${KFD_ABI_OLDEST.minor} (Linux 6.1), the oldest ABI amdgpu-ts speaks`);
      }
      this.createQueueIoctl = createQueueIoctlFor(v.minor_version);
      if (v.minor_version >= KFD_IOC.RUNTIME_ENABLE.since) {
        ioctl(host, this.fd, KFD_IOC.RUNTIME_ENABLE, { r_debug: 0n, mode_mask: KFD_RUNTIME_ENABLE_MODE.ENABLE_MASK, capabilities_mask: 0 });
      }
    } catch (e) {
      this.scratch.release();
      host.close(this.fd);
      throw e;
    }
  }

  /**
   * A GPU opened for use joins the process: the event page (if there is one) is mapped into it, and
   * memory faults naming it are recorded on it.
   */
  join(gpu: KfdProcessGpu): void {
    this.gpus.push(gpu);
    if (this.page) kfdMap(this, this.page.page, [gpu.gpuId]);
  }

  /** The process-wide event page, created (in `owner`'s GTT) on the first GPU that needs interrupts. */
  events(owner: KfdGpu): EventPage {
    if (!this.page) {
      const page = kfdAlloc(this, owner, { bytes: KFD_EVENT_PAGE_BYTES, domain: 'gtt', hostVisible: true, uncached: true, executable: false, readOnly: false, guardPages: false });
      const gpuIds = [owner.gpuId, ...this.gpus.map((g) => g.gpuId).filter((id) => id !== owner.gpuId)];
      kfdMap(this, page, gpuIds);
      this.page = new EventPage(this, page);
    }
    return this.page;
  }

  /**
   * Sleeps on `events` for `waiter`. A memory fault is recorded on the GPU it names (the first one
   * sticks: KFD evicted that GPU's queues for good), or on the waiter's when that GPU is not open here.
   */
  wait(waiter: KfdProcessGpu, events: readonly BackendEvent[], timeoutMs: number): WaitOutcome {
    const out = this.events(waiter).wait(events, timeoutMs);
    const f = out.memoryFault;
    if (f) {
      const owner = this.gpus.find((g) => g.gpuId === f.gpuId) ?? waiter;
      owner.vmFault ??= f;
    }
    return out;
  }

  /** Destroys the event page's events and lets the kernel have the page (before the GPUs' memory goes). */
  releaseEvents(): void {
    this.page?.destroy();
    this.page = undefined;
  }

  close(): void {
    this.releaseEvents();
    this.scratch.release();
    this.host.close(this.fd);
  }
}
