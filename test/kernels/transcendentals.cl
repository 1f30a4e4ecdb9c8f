#include "common.h"
// Hardware transcendental approximations (no libm): out[8i+k] for k =
// 0 sqrt(x), 1 1/x, 2 1/sqrt(x), 3 exp2(x/8), 4 log2(x), 5 sin(2*pi*(x/64)), 6 cos(2*pi*(x/64)),
// 7 x*x + 1 as separate mul and add (no fma). Inputs in [2, 64).
__kernel void transcendentals(__global const float *x, __global float *out, u32 n) {
  u32 i = global_id_x_packet();
  if (i >= n) return;
  float v = x[i];
  out[8 * i + 0] = __builtin_amdgcn_sqrtf(v);
  out[8 * i + 1] = __builtin_amdgcn_rcpf(v);
  out[8 * i + 2] = __builtin_amdgcn_rsqf(v);
  out[8 * i + 3] = __builtin_amdgcn_exp2f(v * 0.125f);
  out[8 * i + 4] = __builtin_amdgcn_logf(v);
  float turns = v * 0.015625f;
  out[8 * i + 5] = __builtin_amdgcn_sinf(turns);
  out[8 * i + 6] = __builtin_amdgcn_cosf(turns);
  float square = v * v;
  out[8 * i + 7] = square + 1.0f;
}
