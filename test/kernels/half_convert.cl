#include "common.h"
#pragma OPENCL EXTENSION cl_khr_fp16 : enable
// f16 and bf16 arithmetic and conversions. Separate statements keep each operation individually
// rounded (fp-contract only fuses within one expression).
// out_h[4i..4i+3] = f16 bits of: (half)a, (half)a * (half)b, that + (half)a, packed half2 product lane 1.
// out_bf[i] = bf16 bits of (__bf16)a (round to nearest even); out_f[i] = (float)sum + (float)bf16.
__kernel void half_convert(__global const float *a, __global const float *b, __global u16 *out_h,
                           __global u16 *out_bf, __global float *out_f, u32 n) {
  u32 i = global_id_x_packet();
  if (i >= n) return;
  half ha = (half)a[i];
  half hb = (half)b[i];
  half product = ha * hb;
  half sum = product + ha;
  half2 pa = (half2)(hb, ha);
  half2 pb = (half2)(ha, product);
  half2 pp = pa * pb;
  out_h[4 * i + 0] = as_ushort(ha);
  out_h[4 * i + 1] = as_ushort(product);
  out_h[4 * i + 2] = as_ushort(sum);
  out_h[4 * i + 3] = as_ushort(pp.y);
  __bf16 bf = (__bf16)a[i];
  out_bf[i] = __builtin_bit_cast(u16, bf);
  float widened = (float)sum;
  out_f[i] = widened + (float)bf;
}
