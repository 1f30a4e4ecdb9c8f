// A shared-memory tree reduction: each block sums 512 uint32 values in LDS (with __syncthreads
// barriers), one partial sum per block; the host adds the partials and checks against its own sum
// (integers, wrapping: the result is exact whatever the order).
#include <hip/hip_runtime.h>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#define CHECK(call)                                                                          \
  do {                                                                                       \
    hipError_t e_ = (call);                                                                  \
    if (e_ != hipSuccess) {                                                                  \
      std::fprintf(stderr, "%s failed: %s (%d)\n", #call, hipGetErrorString(e_), (int)e_);  \
      std::exit(2);                                                                          \
    }                                                                                        \
  } while (0)

constexpr int kBlock = 256;

__global__ void block_sum(const uint32_t *in, uint32_t *partial, int n) {
  __shared__ uint32_t s[kBlock];
  int t = threadIdx.x;
  int i = blockIdx.x * (kBlock * 2) + t;
  uint32_t v = 0;
  if (i < n) v += in[i];
  if (i + kBlock < n) v += in[i + kBlock];
  s[t] = v;
  __syncthreads();
  for (int stride = kBlock / 2; stride > 0; stride >>= 1) {
    if (t < stride) s[t] += s[t + stride];
    __syncthreads();
  }
  if (t == 0) partial[blockIdx.x] = s[0];
}

int main(int argc, char **argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 1 << 18;
  int blocks = (n + kBlock * 2 - 1) / (kBlock * 2);
  std::vector<uint32_t> in(n), partial(blocks);
  uint32_t want = 0;
  for (int i = 0; i < n; i++) {
    in[i] = (uint32_t)i * 2654435761u;
    want += in[i];
  }
  uint32_t *din, *dpartial;
  CHECK(hipMalloc(&din, n * sizeof(uint32_t)));
  CHECK(hipMalloc(&dpartial, blocks * sizeof(uint32_t)));
  CHECK(hipMemcpy(din, in.data(), n * sizeof(uint32_t), hipMemcpyHostToDevice));
  CHECK(hipMemset(dpartial, 0xff, blocks * sizeof(uint32_t)));
  block_sum<<<blocks, kBlock>>>(din, dpartial, n);
  CHECK(hipGetLastError());
  CHECK(hipMemcpy(partial.data(), dpartial, blocks * sizeof(uint32_t), hipMemcpyDeviceToHost));
  uint32_t got = 0;
  for (int b = 0; b < blocks; b++) {
    uint32_t ref = 0;
    for (int i = b * kBlock * 2; i < n && i < (b + 1) * kBlock * 2; i++) ref += in[i];
    if (partial[b] != ref) {
      std::printf("FAIL partial[%d] = %u, want %u\n", b, partial[b], ref);
      return 1;
    }
    got += partial[b];
  }
  if (got != want) {
    std::printf("FAIL sum = %u, want %u\n", got, want);
    return 1;
  }
  CHECK(hipFree(din));
  CHECK(hipFree(dpartial));
  std::printf("ok reduce n=%d blocks=%d sum=%u\n", n, blocks, got);
  return 0;
}
