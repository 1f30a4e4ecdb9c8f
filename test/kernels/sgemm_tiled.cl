#include "common.h"
// C = A * B with 16x16 LDS tiles, row-major, A is MxK, B is KxN, C is MxN; M, N, K multiples of 16.
// 2-D grid: x spans columns, y spans rows; work-group 16x16.
#define TILE 16
__kernel void sgemm_tiled(__global const float *A, __global const float *B, __global float *C, u32 N, u32 K) {
  __local float As[TILE][TILE];
  __local float Bs[TILE][TILE];
  u32 tx = local_id_x(), ty = local_id_y();
  u32 col = group_id_x() * TILE + tx;
  u32 row = group_id_y() * TILE + ty;
  float acc = 0.0f;
  for (u32 t = 0; t < K; t += TILE) {
    As[ty][tx] = A[row * K + t + tx];
    Bs[ty][tx] = B[(t + ty) * N + col];
    LDS_BARRIER();
    for (u32 k = 0; k < TILE; ++k) acc = __builtin_fmaf(As[ty][k], Bs[k][tx], acc);
    LDS_BARRIER();
  }
  C[row * N + col] = acc;
}
