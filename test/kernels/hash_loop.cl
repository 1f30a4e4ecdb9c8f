#include "common.h"
// Integer mixing loop: 32-bit multiplies, shifts, rotates, xors and a 64-bit multiply (high half).
__kernel void hash_loop(__global const u32 *seeds, __global u32 *out, u32 rounds) {
  u32 i = global_id_x_packet();
  u32 h = seeds[i];
  for (u32 r = 0; r < rounds; ++r) {
    h ^= h >> 16;
    h *= 0x7feb352du;
    h ^= h >> 15;
    h *= 0x846ca68bu;
    h ^= h >> 16;
    h += r;
    u64 wide = (u64)h * 0x9e3779b97f4a7c15ul;
    h ^= (u32)(wide >> 32);
    h = (h << 7) | (h >> 25);
  }
  out[i] = h;
}
