// Small timing helpers shared by the benchmarks: a monotonic clock in ns, percentiles, busy polls.

/** Nanoseconds from an arbitrary origin (process.hrtime, as a double: exact to well below 1 ns for a run's span). */
export const nowNs = (): number => Number(process.hrtime.bigint());

/** The p-th percentile (0..100) of `xs` by nearest rank; NaN for an empty list. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const rank = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[rank]!;
}

export const median = (xs: readonly number[]): number => percentile(xs, 50);

/** Rounds for reports: 3 significant digits, small numbers kept readable. */
export function round3(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(x))));
  const f = 10 ** Math.min(digits, 6);
  return Math.round(x * f) / f;
}

/** Spins until `ready()` holds; throws after `timeoutMs` (checked every 1024 polls to keep the loop tight). */
export function spinUntil(ready: () => boolean, timeoutMs: number, what: string): void {
  const deadline = performance.now() + timeoutMs;
  for (let n = 1; !ready(); n++) {
    if ((n & 1023) === 0 && performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
  }
}
