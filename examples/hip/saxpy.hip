// saxpy: y = a*x + y on the GPU, every element checked on the host bit for bit (the GPU computes
// fmaf, as does the host reference: hipcc contracts a*x[i]+y[i] into v_fma_f32 / v_fmac_f32).
#include <hip/hip_runtime.h>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#define CHECK(call)                                                                          \
  do {                                                                                       \
    hipError_t e_ = (call);                                                                  \
    if (e_ != hipSuccess) {                                                                  \
      std::fprintf(stderr, "%s failed: %s (%d)\n", #call, hipGetErrorString(e_), (int)e_);  \
      std::exit(2);                                                                          \
    }                                                                                        \
  } while (0)

__global__ void saxpy(int n, float a, const float *x, float *y) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = fmaf(a, x[i], y[i]);
}

int main(int argc, char **argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 100000;
  const float a = 2.5f;
  std::vector<float> x(n), y(n), out(n);
  for (int i = 0; i < n; i++) {
    x[i] = (float)i * 0.5f - 17.25f;
    y[i] = 1.0f / (float)(i + 1);
  }
  hipDeviceProp_t prop;
  CHECK(hipGetDeviceProperties(&prop, 0));
  std::printf("device: %s (%s), %d CUs, %zu MiB\n", prop.name, prop.gcnArchName, prop.multiProcessorCount,
              prop.totalGlobalMem >> 20);
  float *dx, *dy;
  CHECK(hipMalloc(&dx, n * sizeof(float)));
  CHECK(hipMalloc(&dy, n * sizeof(float)));
  CHECK(hipMemcpy(dx, x.data(), n * sizeof(float), hipMemcpyHostToDevice));
  CHECK(hipMemcpy(dy, y.data(), n * sizeof(float), hipMemcpyHostToDevice));
  saxpy<<<(n + 255) / 256, 256>>>(n, a, dx, dy);
  CHECK(hipGetLastError());
  CHECK(hipMemcpy(out.data(), dy, n * sizeof(float), hipMemcpyDeviceToHost));
  CHECK(hipFree(dx));
  CHECK(hipFree(dy));
  for (int i = 0; i < n; i++) {
    float want = std::fmaf(a, x[i], y[i]);
    if (std::memcmp(&want, &out[i], sizeof want) != 0) {
      std::printf("FAIL y[%d] = %a, want %a\n", i, out[i], want);
      return 1;
    }
  }
  std::printf("ok saxpy n=%d bit-exact\n", n);
  return 0;
}
