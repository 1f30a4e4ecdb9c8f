#include "common.h"
// Cross-lane operations; lane = local id modulo the wavefront size (32 on gfx1100, 64 on gfx942).
// row_scan: inclusive prefix sum within each 16-lane DPP row (row_shr 1,2,4,8, zero fill);
// wave_sum: butterfly sum over the whole wave with ds_bpermute; quad_swap: DPP quad_perm [1,0,3,2].
__kernel void wave_ops(__global const u32 *in, __global u32 *row_scan, __global u32 *wave_sum,
                       __global u32 *quad_swap) {
  u32 i = global_id_x_packet();
  u32 wave = __builtin_amdgcn_wavefrontsize();
  u32 lane = local_id_x() % wave;
  u32 v = in[i];
  u32 s = v;
  s += __builtin_amdgcn_update_dpp(0u, s, 0x111, 0xf, 0xf, false);
  s += __builtin_amdgcn_update_dpp(0u, s, 0x112, 0xf, 0xf, false);
  s += __builtin_amdgcn_update_dpp(0u, s, 0x114, 0xf, 0xf, false);
  s += __builtin_amdgcn_update_dpp(0u, s, 0x118, 0xf, 0xf, false);
  row_scan[i] = s;
  u32 t = v;
  for (u32 m = 1; m < wave; m <<= 1) t += (u32)__builtin_amdgcn_ds_bpermute((int)((lane ^ m) << 2), (int)t);
  wave_sum[i] = t;
  quad_swap[i] = __builtin_amdgcn_mov_dpp(v, 0xb1, 0xf, 0xf, false);
}
