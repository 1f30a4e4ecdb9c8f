#include "common.h"
// Work-group tree reduction in LDS: partial[g] = sum of in[g*G .. g*G+G-1] (u32, wrapping).
// G (power of two, <= 256) comes from the hidden argument group_size_x.
__kernel void reduce_sum(__global const u32 *in, __global u32 *partial) {
  __local u32 tmp[256];
  u32 l = local_id_x();
  u32 size = group_size_x_from_hidden();
  tmp[l] = in[group_id_x() * size + l];
  LDS_BARRIER();
  for (u32 s = size / 2; s > 0; s >>= 1) {
    if (l < s) tmp[l] += tmp[l + s];
    LDS_BARRIER();
  }
  if (l == 0) partial[group_id_x()] = tmp[0];
}
