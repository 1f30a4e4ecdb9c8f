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

/**
 * A fault in a guard page of a bounds-checked buffer (AllocOptions.guard): which buffer, which side,
 * how far out, and the kernel argument it was passed as (the newest launch that had it).
 */
export interface BoundsFault {
  readonly buffer: string;
  readonly bufferVa: bigint;
  readonly bufferBytes: number;
  readonly side: 'after' | 'before';
  /**
   * How far the first bad byte lies past the end (`after`: 0 is the byte right after the last one) or
   * before the start (`before`: 1 is the byte right before the first one): a range when only the
   * faulting page is known (what KFD reports), one value when the address is exact.
   */
  readonly from: bigint;
  readonly to: bigint;
  readonly kernel: string | undefined;
  readonly argIndex: number | undefined;
  readonly argName: string | undefined;
}

/**
 * One line, e.g. "out of bounds: kernel off_by_one, argument 0 (out), a 4000-byte buffer at 0x…: an
 * access 0 bytes past its end (offset 4000)".
 */
export function describeBoundsFault(f: BoundsFault): string {
  const buf = `a ${f.bufferBytes}-byte buffer at 0x${f.bufferVa.toString(16)}`;
  const who = f.kernel && f.argIndex !== undefined ? `kernel ${f.kernel}, argument ${f.argIndex}${f.argName ? ` (${f.argName})` : ''}, ${buf}` : `${f.buffer} (no recorded launch was given it)`;
  const exact = f.from === f.to;
  const span = (x: bigint, y: bigint): string => (x === y ? `${x}` : `${x} to ${y}`);
  const size = BigInt(f.bufferBytes);
  const where = f.side === 'after' ? `${span(f.from, f.to)} bytes past its end (offset ${span(size + f.from, size + f.to)})` : `${span(f.from, f.to)} bytes before its start (offset ${span(-f.to, -f.from)})`;
  return `out of bounds: ${who}: an access ${where}${exact ? '' : '; KFD reports only the faulting page'}`;
}

/** A GPU memory access to an address that is not mapped (or not writable), as KFD reported it. */
export class GpuFaultError extends DriverError {
  /**
   * `faultKind`: what KFD said about the access (page not present, write to read-only page, …).
   * `bounds`: set when the fault lies in a guard page of a bounds-checked buffer.
   */
  constructor(device: string, readonly va: bigint, readonly faultKind: string, readonly gpuId: number, detail: string, readonly bounds?: BoundsFault) {
    super(device, `GPU memory fault at 0x${va.toString(16)} (${faultKind}) on gpu_id ${gpuId}${bounds ? `: ${describeBoundsFault(bounds)}` : ''}${detail ? `${bounds ? '\n' : ': '}${detail}` : ''}`);
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
