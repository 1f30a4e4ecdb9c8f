// The process's KFD session: /dev/kfd opened once, the ABI version checked, the topology read, and
// the GPUs opened on demand. Everything it opened is released by close().
import { O_CLOEXEC, O_RDWR, type Host } from '../os/host.js';
import { KFD_ABI_NEWEST, KFD_ABI_OLDEST, KFD_IOC, KFD_RUNTIME_ENABLE_MODE, createQueueIoctlFor } from '../uapi/kfd.js';
import { DriverError } from './errors.js';
import { ioctl } from './ioctl.js';
import { readTopology, type GpuNode, type Topology } from './topology.js';
import { Device } from './device.js';
import { EventPage } from './events.js';
import { IoctlScratch } from './scratch.js';

export interface KfdVersion {
  readonly major: number;
  readonly minor: number;
}

export interface KfdOptions {
  /** Devices start with `checkBounds` on: buffers from `alloc` get the guarded placement (AllocOptions.guard). */
  readonly checkBounds?: boolean;
}

export class Kfd {
  readonly fd: number;
  readonly version: KfdVersion;
  readonly topology: Topology;
  readonly createQueueIoctl: ReturnType<typeof createQueueIoctlFor>;
  readonly scratch: IoctlScratch;
  private readonly opened = new Map<number, Device>();
  private eventPage: EventPage | undefined;
  private closed = false;

  private constructor(readonly host: Host, readonly options: KfdOptions = {}) {
    this.topology = readTopology(host);
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

  static open(host: Host, options: KfdOptions = {}): Kfd {
    return new Kfd(host, options);
  }

  /** Newest ABI features this driver knows; a newer kernel is used at this level. */
  static readonly newestAbi = KFD_ABI_NEWEST;

  get gpus(): readonly GpuNode[] {
    return this.topology.gpus;
  }

  /** Opens (once) the GPU at `index` among the topology's GPU nodes. */
  device(index = 0): Device {
    if (this.closed) throw new DriverError('/dev/kfd', 'the KFD session is closed', { kind: 'input' });
    const node = this.topology.gpus[index];
    if (!node) throw new DriverError('/dev/kfd', `no GPU #${index}: the topology has ${this.topology.gpus.length} GPU(s)`, { kind: 'input' });
    let d = this.opened.get(index);
    if (!d) {
      d = new Device(this, node, index);
      d.checkBounds = this.options.checkBounds ?? false;
      this.opened.set(index, d);
      this.eventPage?.attach(d);
    }
    return d;
  }

  /** Every GPU of the system, opened. */
  devices(): Device[] {
    return this.topology.gpus.map((_, i) => this.device(i));
  }

  get openDevices(): readonly Device[] {
    return [...this.opened.values()];
  }

  /** The process-wide event page, created on the first device that needs interrupts. */
  events(owner: Device): EventPage {
    if (!this.eventPage) {
      this.eventPage = new EventPage(this, owner);
      for (const d of this.opened.values()) if (d !== owner) this.eventPage.attach(d);
    }
    return this.eventPage;
  }

  /** Closes every device (freeing queues and memory), then /dev/kfd. */
  close(): void {
    if (this.closed) return;
    const devices = [...this.opened.values()].reverse();
    for (const d of devices) d.releaseQueues();
    this.eventPage?.destroy();
    this.eventPage = undefined;
    for (const d of devices) d.close();
    this.opened.clear();
    this.scratch.release();
    this.host.close(this.fd);
    this.closed = true;
  }
}
