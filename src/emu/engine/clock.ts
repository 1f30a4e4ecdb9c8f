// The emulated GPU clock: a 100 MHz counter derived from wall-clock time, so every engine thread and
// the CPU side read the same timeline.
export const GPU_CLOCK_HZ = 100_000_000;

export function gpuClock(): bigint {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * (GPU_CLOCK_HZ / 1000)));
}
