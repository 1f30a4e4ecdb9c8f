#include "common.h"
// Static LDS (st, 64 words) plus dynamic LDS (the __local pointer argument: the runtime places it
// after the static segment and passes its LDS offset in the kernarg), and hidden arguments.
// The grid need not be a multiple of the work-group size (last group partial).
// out[i] = dyn[l ^ 1] + st[l >> 1] where dyn[l] = in[i] and st[l] = 3 * l (l = local id < 64; the
// partial group must have an even size so that l ^ 1 exists).
// info (written by global work-item 0): block_count_x, group_size_x, remainder_x, grid_dims, dynamic_lds_size.
__kernel void lds_dynamic(__global const u32 *in, __local u32 *dyn, __global u32 *out, __global u32 *info, u32 n) {
  __local u32 st[64];
  u32 l = local_id_x();
  u32 i = global_id_x_hidden();
  if (i < n) dyn[l] = in[i];
  st[l % 64] = 3 * l;
  LDS_BARRIER();
  if (i < n) out[i] = dyn[l ^ 1] + st[l >> 1];
  if (i == 0) {
    info[0] = block_count_x_from_hidden();
    info[1] = group_size_x_from_hidden();
    info[2] = hidden_u16(18);
    info[3] = hidden_u16(64);
    info[4] = hidden_u32(120);
  }
}
