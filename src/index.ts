// The public API of amdgpu-ts: open the KFD (real or emulated), then devices, memory, queues, code
// objects and dispatch. See README.md for a walk-through.
import { selectHost, knownDevices } from './host-select.js';
import { Kfd } from './driver/kfd.js';
import type { Host } from './os/host.js';
import type { Device } from './driver/device.js';

export { Kfd } from './driver/kfd.js';
export { Device } from './driver/device.js';
export type { Apertures } from './driver/backend/backend.js';
export { GpuBuffer, type AllocOptions, type Domain } from './driver/memory.js';
export { Pm4Queue, type QueueOptions } from './driver/queues/pm4-queue.js';
export { SdmaQueue, type SdmaQueueOptions, type PreparedCopy } from './driver/queues/sdma-queue.js';
export { AqlQueue, type AqlCompletion } from './driver/queues/aql-queue.js';
export type { Completion } from './driver/queues/ring-queue.js';
export { Program, Kernel, type DispatchOptions, type Dim3 } from './driver/program.js';
export type { PreparedLaunch } from './driver/launch.js';
export type { KernelArg } from './driver/kernargs.js';
export { Tracer, type TraceEvent } from './driver/tracer.js';
export { AmdgpuError, InputError, isExpectedError, type ErrorKind } from './errors.js';
export { DriverError, GpuFaultError, WaitTimeoutError, GpuHangError, UseAfterFreeError, describeBoundsFault, type BoundsFault } from './driver/errors.js';
export { OsError } from './os/errors.js';
export { loadCodeObject, type CodeObject, type KernelInfo } from './codeobj/index.js';
export { Pm4Builder } from './hw/pm4/builder.js';
export { SdmaBuilder } from './hw/sdma/builder.js';
export { decodePm4, formatPm4Packet } from './hw/pm4/decode.js';
export { decodeSdma, formatSdmaPacket } from './hw/sdma/decode.js';
export { chromeTrace } from './harness/trace-file.js';
export { knownDevices };
export type { Host };

export interface OpenOptions {
  /** `auto` (default: the real GPU when /dev/kfd works, else the emulated RX 7900 XTX), `native`, or `emu:<model>`. */
  readonly device?: string;
  /** Receives the one-line note printed when `auto` falls back to the emulator. */
  readonly note?: (line: string) => void;
  /** The bounds checker: every device's `checkBounds` starts on (buffers get guard pages; see AllocOptions.guard). */
  readonly checkBounds?: boolean;
}

/** A KFD session on a host, with its GPUs opened on demand. */
export interface Session {
  readonly host: Host;
  readonly kfd: Kfd;
  /** True when the GPU is the emulated one. */
  readonly emulated: boolean;
  device(index?: number): Device;
  devices(): Device[];
  /** Frees every queue and buffer, closes /dev/kfd and stops the emulator's engine threads. */
  close(): Promise<void>;
}

export function open(options: OpenOptions = {}): Session {
  const host = selectHost(options.device, options.note);
  let kfd: Kfd;
  try {
    kfd = Kfd.open(host, { checkBounds: options.checkBounds });
  } catch (e) {
    void host.shutdown();
    throw e;
  }
  return {
    host,
    kfd,
    emulated: host.description.emulated,
    device: (i = 0) => kfd.device(i),
    devices: () => kfd.devices(),
    async close() {
      kfd.close();
      await host.shutdown();
    },
  };
}
