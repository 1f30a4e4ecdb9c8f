// Errors the driver raises about the GPU (as opposed to OS call failures, which are OsError).

/** Base class: every driver error names the device it is about. */
export class DriverError extends Error {
  constructor(readonly device: string, message: string, options?: ErrorOptions) {
    super(`${device}: ${message}`, options);
    this.name = 'DriverError';
  }
}

/** A GPU memory access to an address that is not mapped (or not writable), as KFD reported it. */
export class GpuFaultError extends DriverError {
  constructor(device: string, readonly va: bigint, readonly kind: string, readonly gpuId: number, detail: string) {
    super(device, `GPU memory fault at 0x${va.toString(16)} (${kind}) on gpu_id ${gpuId}${detail ? `: ${detail}` : ''}`);
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
