#include "common.h"
// Out-of-bounds bugs for `run --check-bounds`.
// off_by_one: the loop bound is `<=` instead of `<`, so work-item n writes out[n], the 4 bytes just
// past an n-element buffer (when the grid has more than n work-items).
__kernel void off_by_one(__global u32 *out, u32 n) {
  u32 i = global_id_x_packet();
  if (i <= n) out[i] = 0xb0000000u | i;
}
// read_before: out[i] = in[i - 1], so work-item 0 reads in[-1], the 4 bytes just before the buffer.
__kernel void read_before(__global const u32 *in, __global u32 *out, u32 n) {
  u32 i = global_id_x_packet();
  if (i < n) out[i] = in[(int)i - 1];
}
