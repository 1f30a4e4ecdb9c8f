// Result comparison for the corpus: bit-exact for integers, ULP or absolute tolerance for floats.
// Messages name the buffer, the first mismatching index, expected and actual values, and the count.
import { ulpDistanceF32 } from './fp.js';

const MAX_LISTED = 4;

function hex(v: number | bigint): string {
  return `0x${v.toString(16)}`;
}

function report(name: string, bad: number[], total: number, describe: (i: number) => string): string | undefined {
  if (bad.length === 0) return undefined;
  const listed = bad.slice(0, MAX_LISTED).map(describe).join('; ');
  return `${name}: ${bad.length} of ${total} elements differ: ${listed}${bad.length > MAX_LISTED ? '; …' : ''}`;
}

/** Bit-exact comparison of integer arrays (u16/u32/u64). */
export function compareExact(
  name: string,
  actual: ArrayLike<number | bigint> | undefined,
  expected: ArrayLike<number | bigint>,
): string | undefined {
  if (!actual) return `${name}: buffer missing from outputs`;
  if (actual.length < expected.length) return `${name}: ${actual.length} elements, expected ${expected.length}`;
  const bad: number[] = [];
  for (let i = 0; i < expected.length; i++) if (actual[i] !== expected[i]) bad.push(i);
  return report(name, bad, expected.length, (i) => `[${i}] expected ${hex(expected[i]!)} got ${hex(actual[i]!)}`);
}

export interface FloatTolerance {
  /** Maximum distance in f32 ulps (0 = bit-exact apart from NaN payloads). */
  readonly ulps?: number;
  /** Maximum absolute error, used instead of ulps when given. */
  readonly abs?: number;
}

export function compareF32(
  name: string,
  actual: ArrayLike<number> | undefined,
  expected: ArrayLike<number>,
  tol: FloatTolerance,
  only?: (i: number) => boolean,
): string | undefined {
  if (!actual) return `${name}: buffer missing from outputs`;
  if (actual.length < expected.length) return `${name}: ${actual.length} elements, expected ${expected.length}`;
  const bad: number[] = [];
  for (let i = 0; i < expected.length; i++) {
    if (only && !only(i)) continue;
    const a = actual[i]!;
    const e = expected[i]!;
    const ok = tol.abs !== undefined ? Math.abs(a - e) <= tol.abs : ulpDistanceF32(a, e) <= (tol.ulps ?? 0);
    if (!ok) bad.push(i);
  }
  return report(name, bad, expected.length, (i) => `[${i}] expected ${expected[i]} got ${actual[i]}`);
}

/** First failure among several checks. */
export function firstFailure(...results: (string | undefined)[]): string | undefined {
  return results.find((r) => r !== undefined);
}
