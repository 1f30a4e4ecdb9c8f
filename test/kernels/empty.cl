// Does nothing: measures dispatch overhead.
__kernel void empty(void) {}
