// A multi-stream pipeline: the input is cut into chunks; each chunk goes host -> device (pinned
// memory, hipMemcpyAsync), through two kernels on its own stream (scale, then a second stream waits
// on an event of the first with hipStreamWaitEvent and adds an offset), and back device -> host.
// Also: hipMemsetAsync, a device-to-device copy, hipEventSynchronize and hipStreamSynchronize.
// Every output element is checked on the host bit for bit.
#include <hip/hip_runtime.h>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#define CHECK(call)                                                                          \
  do {                                                                                       \
    hipError_t e_ = (call);                                                                  \
    if (e_ != hipSuccess) {                                                                  \
      std::fprintf(stderr, "%s failed: %s (%d)\n", #call, hipGetErrorString(e_), (int)e_);  \
      std::exit(2);                                                                          \
    }                                                                                        \
  } while (0)

constexpr int kStreams = 3;

__global__ void scale(uint32_t *v, int n, uint32_t k) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) v[i] = v[i] * k;
}

__global__ void add_from(uint32_t *dst, const uint32_t *src, int n, uint32_t c) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) dst[i] = dst[i] + src[i] + c;
}

int main(int argc, char **argv) {
  int chunk = argc > 1 ? std::atoi(argv[1]) : 16384;
  int chunks = 6;
  int n = chunk * chunks;
  size_t bytes = (size_t)n * sizeof(uint32_t), cbytes = (size_t)chunk * sizeof(uint32_t);
  uint32_t *host_in, *host_out;
  CHECK(hipHostMalloc(&host_in, bytes, hipHostMallocDefault));
  CHECK(hipHostMalloc(&host_out, bytes, hipHostMallocDefault));
  for (int i = 0; i < n; i++) host_in[i] = (uint32_t)i * 40503u + 7u;
  std::memset(host_out, 0, bytes);
  uint32_t *dv, *dw;
  CHECK(hipMalloc(&dv, bytes));
  CHECK(hipMalloc(&dw, bytes));
  hipStream_t compute[kStreams], side[kStreams];
  hipEvent_t scaled[kStreams];
  for (int s = 0; s < kStreams; s++) {
    CHECK(hipStreamCreate(&compute[s]));
    CHECK(hipStreamCreate(&side[s]));
    CHECK(hipEventCreateWithFlags(&scaled[s], hipEventDisableTiming));
  }
  for (int c = 0; c < chunks; c++) {
    int s = c % kStreams;
    uint32_t *v = dv + (size_t)c * chunk, *w = dw + (size_t)c * chunk;
    CHECK(hipMemcpyAsync(v, host_in + (size_t)c * chunk, cbytes, hipMemcpyHostToDevice, compute[s]));
    scale<<<(chunk + 255) / 256, 256, 0, compute[s]>>>(v, chunk, 3u);
    CHECK(hipEventRecord(scaled[s], compute[s]));
    // The side stream: w = c (memset), then, once the scale is done, w += v + 1000*c.
    CHECK(hipMemsetAsync(w, c, cbytes, side[s]));
    CHECK(hipStreamWaitEvent(side[s], scaled[s], 0));
    add_from<<<(chunk + 255) / 256, 256, 0, side[s]>>>(w, v, chunk, 1000u * c);
    CHECK(hipMemcpyAsync(host_out + (size_t)c * chunk, w, cbytes, hipMemcpyDeviceToHost, side[s]));
  }
  for (int s = 0; s < kStreams; s++) {
    CHECK(hipStreamSynchronize(side[s]));
    CHECK(hipEventSynchronize(scaled[s]));
  }
  // A device-to-device copy of the whole result and back, through the null stream.
  CHECK(hipMemcpy(dv, dw, bytes, hipMemcpyDeviceToDevice));
  uint32_t *check = (uint32_t *)std::malloc(bytes);
  CHECK(hipMemcpy(check, dv, bytes, hipMemcpyDeviceToHost));
  for (int i = 0; i < n; i++) {
    int c = i / chunk;
    uint32_t b = (uint32_t)(c & 0xff);
    uint32_t fill = b | b << 8 | b << 16 | b << 24;
    uint32_t want = fill + host_in[i] * 3u + 1000u * (uint32_t)c;
    if (host_out[i] != want || check[i] != want) {
      std::printf("FAIL [%d] = %u / %u, want %u\n", i, host_out[i], check[i], want);
      return 1;
    }
  }
  for (int s = 0; s < kStreams; s++) {
    CHECK(hipEventDestroy(scaled[s]));
    CHECK(hipStreamDestroy(compute[s]));
    CHECK(hipStreamDestroy(side[s]));
  }
  CHECK(hipFree(dv));
  CHECK(hipFree(dw));
  CHECK(hipHostFree(host_in));
  CHECK(hipHostFree(host_out));
  std::free(check);
  std::printf("ok streams n=%d chunks=%d streams=%d\n", n, chunks, kStreams * 2);
  return 0;
}
