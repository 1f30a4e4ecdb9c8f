#include "common.h"
// A program-scope table of pointers to other program-scope arrays: the linker leaves dynamic
// relocations (R_AMDGPU_RELATIVE64) that the loader must apply for the load address.
// out[l] = tables[l & 1][l & 3] + counter (counter is a mutable program-scope global).
__constant u32 table_a[4] = {1, 2, 3, 4};
__constant u32 table_b[4] = {10, 20, 30, 40};
__constant u32 *__constant tables[2] = {table_a, table_b};
__global u32 counter = 1000;
__kernel void reloc_table(__global u32 *out) {
  u32 l = local_id_x();
  out[l] = tables[l & 1][l & 3] + counter;
}
