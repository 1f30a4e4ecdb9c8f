#include "common.h"
// Per-work-group inclusive prefix sum (Hillis-Steele, double-buffered LDS, u32 wrapping).
__kernel void prefix_scan(__global const u32 *in, __global u32 *out) {
  __local u32 buf[2][256];
  u32 l = local_id_x();
  u32 size = group_size_x_from_packet();
  u32 i = group_id_x() * size + l;
  u32 src = 0;
  buf[0][l] = in[i];
  LDS_BARRIER();
  for (u32 offset = 1; offset < size; offset <<= 1) {
    u32 v = buf[src][l];
    if (l >= offset) v += buf[src][l - offset];
    buf[src ^ 1][l] = v;
    src ^= 1;
    LDS_BARRIER();
  }
  out[i] = buf[src][l];
}
