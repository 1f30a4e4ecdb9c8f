// The process's KFD session: /dev/kfd opened once (backend/kfd-process), the topology read, and the
// GPUs opened on demand as Devices over the KFD backend. Everything it opened is released by close().
import type { Host } from '../os/host.js';
import { KFD_ABI_NEWEST } from '../uapi/kfd.js';
import { DriverError } from './errors.js';
import { readTopology, type GpuNode, type Topology } from './topology.js';
import { Device } from './device.js';
import { KfdBackend } from './backend/kfd.js';
import { DrmBackend } from './backend/drm.js';
import { KfdProcess, type KfdVersion } from './backend/kfd-process.js';
import type { EventPage } from './backend/kfd-events.js';
import type { IoctlScratch } from './scratch.js';

export type { KfdVersion };

export interface KfdOptions {
  /** Devices start with `checkBounds` on: buffers from `alloc` get the guarded placement (AllocOptions.guard). */
  readonly checkBounds?: boolean;
}

/** How messages name a GPU of the topology. */
export function gpuName(node: GpuNode, index: number): string {
  return `GPU ${index} (${node.gfxTarget}, gpu_id ${node.gpuId})`;
}

export class Kfd {
  readonly topology: Topology;
  readonly process: KfdProcess;
  private readonly opened = new Map<number, { device: Device; backend: KfdBackend }>();
  private readonly renderOpened = new Map<number, Device>();
  private closed = false;

  private constructor(readonly host: Host, readonly options: KfdOptions = {}) {
    this.topology = readTopology(host);
    this.process = new KfdProcess(host);
  }

  static open(host: Host, options: KfdOptions = {}): Kfd {
    return new Kfd(host, options);
  }

  /** Newest ABI features this driver knows; a newer kernel is used at this level. */
  static readonly newestAbi = KFD_ABI_NEWEST;

  get fd(): number {
    return this.process.fd;
  }

  get version(): KfdVersion {
    return this.process.version;
  }

  /** Process memory for the arrays some ioctls take by pointer. */
  get scratch(): IoctlScratch {
    return this.process.scratch;
  }

  get gpus(): readonly GpuNode[] {
    return this.topology.gpus;
  }

  /** Opens (once) the GPU at `index` among the topology's GPU nodes. */
  device(index = 0): Device {
    if (this.closed) throw new DriverError('/dev/kfd', 'the KFD session is closed', { kind: 'input' });
    const node = this.topology.gpus[index];
    if (!node) throw new DriverError('/dev/kfd', `no GPU #${index}: the topology has ${this.topology.gpus.length} GPU(s)`, { kind: 'input' });
    const open = this.opened.get(index);
    if (open) return open.device;
    const backend = new KfdBackend(this.process, node, gpuName(node, index));
    let device: Device;
    try {
      device = new Device(backend, index);
    } catch (e) {
      backend.close();
      throw e;
    }
    device.checkBounds = this.options.checkBounds ?? false;
    this.process.join(backend);
    this.opened.set(index, { device, backend });
    return device;
  }

  /**
   * The GPU at `index` opened a second way, through its render node alone (DrmBackend: GEM memory in
   * a VM of its own, work on kernel-scheduled rings through CsQueue). Opened once; closed with the session.
   */
  renderDevice(index = 0): Device {
    if (this.closed) throw new DriverError('/dev/kfd', 'the KFD session is closed', { kind: 'input' });
    const node = this.topology.gpus[index];
    if (!node) throw new DriverError('/dev/kfd', `no GPU #${index}: the topology has ${this.topology.gpus.length} GPU(s)`, { kind: 'input' });
    const open = this.renderOpened.get(index);
    if (open) return open;
    const device = openRenderDevice(this.host, node, index);
    this.renderOpened.set(index, device);
    return device;
  }

  /** Every GPU of the system, opened. */
  devices(): Device[] {
    return this.topology.gpus.map((_, i) => this.device(i));
  }

  /** The KFD backend under a device of this session (its render node, for DRM info queries). */
  backendOf(device: Device): KfdBackend {
    const open = this.opened.get(device.index);
    if (open?.device !== device) throw new DriverError(device.name, 'is not a device of this KFD session', { kind: 'input' });
    return open.backend;
  }

  /** The process-wide event page, created on the first device that needs interrupts. */
  events(owner: Device): EventPage {
    return this.process.events(this.backendOf(owner));
  }

  /** Closes every device (freeing queues and memory), then /dev/kfd. */
  close(): void {
    if (this.closed) return;
    const devices = [...this.opened.values()].map((o) => o.device).reverse();
    for (const d of devices) d.releaseQueues();
    this.process.releaseEvents();
    for (const d of devices) d.close();
    for (const d of this.renderOpened.values()) d.close();
    this.renderOpened.clear();
    this.opened.clear();
    this.process.close();
    this.closed = true;
  }
}

/** A GPU opened through its render node alone (see Kfd.renderDevice); close() releases it. */
export function openRenderDevice(host: Host, node: GpuNode, index: number): Device {
  const backend = new DrmBackend(host, node, `${gpuName(node, index)} render node`);
  try {
    return new Device(backend, index);
  } catch (e) {
    backend.close();
    throw e;
  }
}
