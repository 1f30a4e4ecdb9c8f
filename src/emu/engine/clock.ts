// The emulated GPU clock: a 100 MHz counter derived from wall-clock time, so every engine thread and
// the CPU side read the same timeline.
export const GPU_CLOCK_HZ = 100_000_000;

const TICKS_PER_MS = GPU_CLOCK_HZ / 1000;
/**
 * This thread's time origin in ticks, converted once. The whole count (about 1.8e17 in 2026) is past
 * 2^53, where a double holds only multiples of 32: counting it as one double made every timestamp a
 * multiple of 320 ns; the time since the origin, added as a BigInt, keeps 10 ns steps.
 */
const ORIGIN_TICKS = BigInt(Math.round(performance.timeOrigin * TICKS_PER_MS));

export function gpuClock(): bigint {
  return ORIGIN_TICKS + BigInt(Math.round(performance.now() * TICKS_PER_MS));
}
