#include "common.h"
// Atomics: LDS histogram (ds_add), merged with global atomic adds; global umax/umin/or, a 64-bit
// global add, and a ticket counter whose returned values must cover 0..n-1 exactly once.
// stats: [0] max, [1] min, [2] or of (1 << (v & 31)), [3] ticket counter; sum64 is one u64.
__kernel void histogram(__global const u32 *in, __global u32 *bins, __global u32 *stats,
                        __global u64 *sum64, __global u32 *seen) {
  __local u32 local_bins[16];
  __local u32 local_max;
  u32 l = local_id_x();
  if (l < 16) local_bins[l] = 0;
  if (l == 0) local_max = 0;
  LDS_BARRIER();
  u32 v = in[global_id_x_packet()];
  __atomic_fetch_add(&local_bins[v & 15], 1u, __ATOMIC_RELAXED);
  __atomic_fetch_max(&local_max, v, __ATOMIC_RELAXED);
  __atomic_fetch_min(&stats[1], v, __ATOMIC_RELAXED);
  __atomic_fetch_or(&stats[2], 1u << (v & 31), __ATOMIC_RELAXED);
  __atomic_fetch_add(sum64, (u64)v, __ATOMIC_RELAXED);
  u32 ticket = __atomic_fetch_add(&stats[3], 1u, __ATOMIC_RELAXED);
  seen[ticket] = 1;
  LDS_BARRIER();
  if (l < 16) __atomic_fetch_add(&bins[l], local_bins[l], __ATOMIC_RELAXED);
  if (l == 0) __atomic_fetch_max(&stats[0], local_max, __ATOMIC_RELAXED);
}
