// DRM sync objects on a render-node device: what one kernel-scheduled submission signals and another
// (or the CPU) waits for. Point 0 is the binary payload; other points make it a timeline.
import { DriverError, UseAfterFreeError, WaitTimeoutError } from '../errors.js';
import type { Device } from '../device.js';
import { DrmBackend } from '../backend/drm.js';
import { DEFAULT_WAIT_MS } from '../timeline.js';

/** The render-node backend under `device`, or an input error naming what needed it. */
export function renderNodeOf(device: Device, what: string): DrmBackend {
  const b = device.backend;
  if (!(b instanceof DrmBackend)) throw new DriverError(device.name, `${what} needs the GPU opened through its render node (Kfd.renderDevice / openRenderDevice)`, { kind: 'input' });
  return b;
}

/** CLOCK_MONOTONIC now + `ms`, the absolute form DRM timeouts take (libuv's hrtime reads CLOCK_MONOTONIC). */
export function deadlineNs(ms: number): bigint {
  return process.hrtime.bigint() + BigInt(Math.round(ms * 1e6));
}

export class Syncobj {
  readonly handle: number;
  readonly label: string;
  private destroyed = false;

  private constructor(private readonly backend: DrmBackend, readonly device: Device, signaled: boolean) {
    this.handle = backend.file.syncobjCreate(signaled);
    this.label = `${device.name} syncobj ${this.handle}`;
  }

  static create(device: Device, opts: { readonly signaled?: boolean } = {}): Syncobj {
    return new Syncobj(renderNodeOf(device, 'a sync object'), device, opts.signaled ?? false);
  }

  /** This syncobj at a timeline point (for CsQueue.submit's waitFor / signal). */
  at(point: bigint): { readonly syncobj: Syncobj; readonly point: bigint } {
    return { syncobj: this, point };
  }

  /** Blocks until the point (0: the binary payload) is signalled; a point not yet submitted is waited for. */
  wait(point = 0n, timeoutMs = DEFAULT_WAIT_MS): void {
    this.assertLive('wait');
    if (!this.backend.file.syncobjWait(this.handle, point, deadlineNs(timeoutMs))) {
      throw new WaitTimeoutError(this.device.name, `${this.label}${point ? ` point ${point}` : ''}`, timeoutMs, `${this.label}: last signalled timeline point ${this.signalledPoint}`);
    }
  }

  /** The last signalled timeline point (0 for a binary syncobj). */
  get signalledPoint(): bigint {
    this.assertLive('query');
    return this.backend.file.syncobjQuery(this.handle);
  }

  /** Signals a point from the CPU. */
  signal(point = 0n): void {
    this.assertLive('signal');
    this.backend.file.syncobjSignal(this.handle, point);
  }

  private assertLive(op: string): void {
    if (this.destroyed) throw new UseAfterFreeError(this.device.name, this.label, op);
  }

  destroy(): void {
    this.assertLive('destroy');
    this.destroyed = true;
    this.backend.file.syncobjDestroy(this.handle);
  }
}
