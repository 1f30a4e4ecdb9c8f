#include "common.h"
// Grid-stride fill: out[i] = value for all i < n; the stride uses hidden block_count_x * group_size_x,
// so a grid smaller than n must loop.
__kernel void fill(__global u32 *out, u32 value, u32 n) {
  u32 stride = block_count_x_from_hidden() * group_size_x_from_hidden();
  for (u32 i = global_id_x_hidden(); i < n; i += stride) out[i] = value;
}
