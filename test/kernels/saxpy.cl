#include "common.h"
// y[i] = fma(a, x[i], y[i]) (f32) for i < n. Work-group size from the hidden argument group_size_x.
__kernel void saxpy(float a, __global const float *x, __global float *y, u32 n) {
  u32 i = global_id_x_hidden();
  if (i < n) y[i] = __builtin_fmaf(a, x[i], y[i]);
}
