#include "common.h"
// Lane-divergent control flow: if/else chains, loops with lane-dependent trip counts and early
// exit, a bounded Collatz walk, a switch, and integer division/modulo by constants.
__kernel void divergent(__global const u32 *in, __global u32 *out) {
  u32 i = global_id_x_packet();
  u32 v = in[i];
  u32 acc;
  if (v & 1) acc = v * 3 + 1;
  else if (v & 2) acc = v >> 1;
  else acc = ~v;
  for (u32 k = 0; k < (v & 31); ++k) {
    acc = acc * 33 + k;
    if ((acc & 0xff) == 0x5a) break;
  }
  u32 c = v % 97 + 1;
  u32 steps = 0;
  while (c != 1 && steps < 200) {
    c = (c & 1) ? 3 * c + 1 : c >> 1;
    ++steps;
  }
  switch (v % 5) {
  case 0: acc += 7; break;
  case 1: acc ^= 0x5555; break;
  case 2: acc = acc / 3; break;
  case 3: acc -= v / 7; break;
  default: acc = (acc << 3) | (acc >> 29); break;
  }
  out[i] = acc ^ (steps << 24);
}
