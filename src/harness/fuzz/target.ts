// What every fuzz target provides: a fast-check property over one random input, and counts of what
// the inputs came to (accepted, rejected with a typed error, hung, faulted …). A property fails when
// the code under test does something the error discipline does not allow: a JS exception that is not
// an AmdgpuError, a typed error of the wrong kind, a spin past the time bound, a crashed engine thread.
import type * as fc from 'fast-check';
import { isExpectedError } from '../../errors.js';

export const TARGET_NAMES = ['parser', 'decoders', 'engines', 'ioctls', 'shader'] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

/** A property over some generated input; sync or async (fast-check runs both the same way). */
export type AnyProperty = fc.IRawProperty<unknown, boolean>;

/** One opened target: its property (over resources it keeps, e.g. an emulated GPU) and its counters. */
export interface TargetSession {
  readonly property: AnyProperty;
  /** Outcome name → how many inputs ended that way. */
  readonly counts: Map<string, number>;
  close(): Promise<void>;
}

export interface FuzzTarget {
  readonly name: TargetName;
  /** One line: what is fed to what. */
  readonly what: string;
  /** Inputs per batch in `npm test` (the test keeps every batch fast) and in `npm run fuzz`. */
  readonly batch: number;
  open(): Promise<TargetSession> | TargetSession;
}

/** A property's way to say "this input broke the contract"; the message names what was expected. */
export class FuzzViolation extends Error {
  override name = 'FuzzViolation';
}

export function bump(counts: Map<string, number>, outcome: string): void {
  counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
}

/**
 * Runs `body`, classifying its outcome: returns 'ok' or the typed error's kind; anything that is not an
 * AmdgpuError (TypeError, RangeError, a library's own error class …) is re-thrown as a violation.
 */
export function expectTyped(what: string, body: () => void, allowed: readonly ('input' | 'runtime')[] = ['input']): 'ok' | 'input' | 'runtime' {
  try {
    body();
    return 'ok';
  } catch (e) {
    if (isExpectedError(e) && allowed.includes(e.kind)) return e.kind;
    if (isExpectedError(e)) throw new FuzzViolation(`${what}: a ${e.kind} error where only ${allowed.join('/')} is expected: ${e.name}: ${e.message}`, { cause: e });
    throw new FuzzViolation(`${what}: untyped exception escaped: ${describeError(e)}`, { cause: e });
  }
}

export function describeError(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}${e.stack ? `\n${e.stack.split('\n').slice(1, 6).join('\n')}` : ''}`;
  return String(e);
}

/** Milliseconds since `start`, for the time bounds. */
export const since = (start: number): number => performance.now() - start;
