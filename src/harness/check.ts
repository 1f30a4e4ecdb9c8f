// A self-test check: one behaviour, isolated, with what it proves when it passes.
import type { Host } from '../os/host.js';
import type { Kfd } from '../driver/kfd.js';
import type { Device } from '../driver/device.js';

export interface CheckContext {
  readonly host: Host;
  readonly kfd: Kfd;
  /** Every GPU of the system, opened. */
  readonly devices: readonly Device[];
  /** The GPU most checks run on. */
  readonly device: Device;
  /** Per-check timeout for GPU waits. */
  readonly timeoutMs: number;
}

/** Thrown by a check that cannot run here (single GPU, no shader core, unknown target…). */
export class Skip extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'Skip';
  }
}

export interface Check {
  readonly name: string;
  /** What a pass proves (printed when it fails). */
  readonly proves: string;
  /** Runs the check; returns a short detail line. Throws on failure, Skip when not applicable. */
  run(ctx: CheckContext): string | Promise<string>;
}

export type CheckStatus = 'passed' | 'failed' | 'skipped';

export interface CheckResult {
  readonly name: string;
  readonly status: CheckStatus;
  readonly ms: number;
  readonly detail: string;
}

export class CheckFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckFailure';
  }
}

export function expect(cond: unknown, message: string): asserts cond {
  if (!cond) throw new CheckFailure(message);
}

/** First differing byte of two equal-length arrays, or -1. */
export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  if (Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length))) return -1;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

export function fillPattern(bytes: Uint8Array, seed: number): void {
  let x = seed >>> 0 || 1;
  for (let i = 0; i < bytes.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
}
