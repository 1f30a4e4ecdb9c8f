#include "common.h"
// c[i] = a[i] + b[i] (u32, wrapping) for i < n. Work-group size read from the AQL dispatch packet.
__kernel void vector_add(__global const u32 *a, __global const u32 *b, __global u32 *c, u32 n) {
  u32 i = global_id_x_packet();
  if (i < n) c[i] = a[i] + b[i];
}
