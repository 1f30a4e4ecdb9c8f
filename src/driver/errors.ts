// Errors the driver raises about the GPU (as opposed to OS call failures, which are OsError).
import { AmdgpuError, type ErrorKind } from '../errors.js';

/**
 * Base class: every driver error names the device it is about. Runtime by default (the GPU or the
 * kernel failed); the caller's mistakes (a size no GPU can hold, a closed device) say `input`.
 */
export class DriverError extends AmdgpuError {
  constructor(readonly device: string, message: string, options?: ErrorOptions & { kind?: ErrorKind }) {
    super(options?.kind ?? 'runtime', `${device}: ${message}`, options);
    this.name = 'DriverError';
  }
}

/**
 * A buffer, queue or event used or released after it was released: always the caller's bug, so it
 * fails loudly instead of succeeding silently or reaching the kernel with a stale handle.
 */
export class UseAfterFreeError extends DriverError {
  constructor(device: string, readonly what: string, readonly operation: string) {
    const thing = what.startsWith(`${device} `) ? what.slice(device.length + 1) : what;
    super(device, `${thing}: ${operation} after it was ${/queue|event/i.test(what) ? 'destroyed' : 'freed'}`, { kind: 'input' });
    this.name = 'UseAfterFreeError';
  }
}

/** A GPU memory access to an address that is not mapped (or not writable), as KFD reported it. */
export class GpuFaultError extends DriverError {
  /** `faultKind`: what KFD said about the access (page not present, write to read-only page, …). */
  constructor(device: string, readonly va: bigint, readonly faultKind: string, readonly gpuId: number, detail: string) {
    super(device, `GPU memory fault at 0x${va.toString(16)} (${faultKind}) on gpu_id ${gpuId}${detail ? `: ${detail}` : ''}`);
    this.name = 'GpuFaultError';
  }
}

/** A wait that ran out of time; the message says what was waited for and the queue's state. */
export class WaitTimeoutError extends DriverError {
  constructor(device: string, readonly what: string, readonly ms: number, readonly queueReport: string) {
    super(device, `timed out after ${ms} ms waiting for ${what}${queueReport ? `\n${queueReport}` : ''}`);
    this.name = 'WaitTimeoutError';
  }
}

/** The kernel reported a hardware exception (GPU hang / reset) for this device. */
export class GpuHangError extends DriverError {
  constructor(device: string, readonly detail: string) {
    super(device, `GPU hang reported by the kernel: ${detail}`);
    this.name = 'GpuHangError';
  }
}
