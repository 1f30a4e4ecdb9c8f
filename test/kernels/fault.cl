#include "common.h"
// Stores to the address it is given: pass an unmapped address to provoke a GPU memory fault.
__kernel void fault(__global u32 *target) {
  target[local_id_x()] = 0xdead0000u | local_id_x();
}
