#include "common.h"
// A 96-entry private array indexed with data-dependent indices cannot live in registers: it is
// placed in scratch (private segment), exercising scratch setup and buffer/scratch loads/stores.
#define SLOTS 96
__kernel void scratch_spill(__global const u32 *in, __global u32 *out) {
  u32 priv[SLOTS];
  u32 i = global_id_x_packet();
  u32 s = in[i];
  for (u32 k = 0; k < SLOTS; ++k) priv[k] = s ^ (k * 0x9e3779b9u);
  for (u32 k = 0; k < 64; ++k) {
    u32 j = priv[(s + k) % SLOTS] % SLOTS;
    priv[j] += k;
    s = (s * 1664525u + 1013904223u) ^ priv[j];
  }
  out[i] = s ^ priv[s % SLOTS];
}
