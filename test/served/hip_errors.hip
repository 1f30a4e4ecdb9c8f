// The HIP runtime's error paths on the served emulated GPU (test/served-hip.test.ts).
//   hip_errors oom    hipMalloc of more than the device's VRAM: must return hipErrorOutOfMemory, and
//                     the device must stay usable (a small hipMalloc/hipFree afterwards succeeds).
//   hip_errors hold MIB READY  hipMalloc MIB MiB (its first MiB filled), create the file READY, hold the
//                     memory until READY is removed (rocm-smi in the same run shows the VRAM in use).
//   hip_errors busy READY  a kernel spins until the host releases it: once it runs (it says so in pinned
//                     host memory; exit 4 when it does not within 60 s), create READY and
//                     wait until READY is removed (rocm-smi meanwhile sees the GPU busy), then
//                     copy 1 into the flag on a second stream (SDMA, concurrent with the kernel),
//                     which ends the kernel; exit 0 when it did.
//   hip_errors spin   a kernel that never finishes: hipDeviceSynchronize waits for ever; the emulator's
//                     --timeout must end the run (the client killed, the emulator not left hanging).
//   hip_errors fault  a kernel that stores to an unmapped address. ROCr 5.2.3 (runtime.cpp
//                     Runtime::VMFaultHandler) prints "Memory access fault by GPU node-N ... Reason:
//                     Page not present or supervisor privilege." and calls std::abort(): the process
//                     ends with SIGABRT, HIP never returns an error code for it.
// Build: HIP_PLATFORM=amd hipcc --offload-arch=gfx90a hip_errors.hip -o hip_errors
#include <hip/hip_runtime.h>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

__global__ void store_to(uint32_t *p) { p[threadIdx.x] = 0xdeadbeefu; }

// Spins until *flag becomes non-zero, which nothing ever writes: a kernel that never finishes.
__global__ void spin(volatile uint32_t *flag, uint32_t *out) {
  uint32_t n = 0;
  while (*flag == 0) n++;
  out[threadIdx.x] = n;
}

// spin() that first tells the host (through pinned host memory) that it runs.
__global__ void spin_announced(volatile uint32_t *flag, volatile uint32_t *running, uint32_t *out) {
  if (threadIdx.x == 0) *running = 1;
  __threadfence_system();
  uint32_t n = 0;
  while (*flag == 0) n++;
  out[threadIdx.x] = n;
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "";
  if (std::strcmp(mode, "oom") == 0) {
    hipDeviceProp_t prop;
    if (hipGetDeviceProperties(&prop, 0) != hipSuccess) return 2;
    void *p = nullptr;
    size_t want = prop.totalGlobalMem + (1ull << 30);
    hipError_t e = hipMalloc(&p, want);
    std::printf("hipMalloc(%zu) = %s (%d)\n", want, hipGetErrorName(e), (int)e);
    if (e != hipErrorOutOfMemory) return 1;
    (void)hipGetLastError();
    void *q = nullptr;
    hipError_t e2 = hipMalloc(&q, 1 << 20);
    std::printf("hipMalloc(1 MiB) = %s\n", hipGetErrorName(e2));
    if (e2 != hipSuccess || hipFree(q) != hipSuccess) return 1;
    std::printf("ok oom\n");
    return 0;
  }
  if (std::strcmp(mode, "hold") == 0 && argc > 3) {
    size_t bytes = (size_t)std::atoll(argv[2]) << 20;
    void *p = nullptr;
    if (hipMalloc(&p, bytes) != hipSuccess || hipMemset(p, 0x11, 1 << 20) != hipSuccess || hipDeviceSynchronize() != hipSuccess) return 2;
    FILE *f = std::fopen(argv[3], "w");
    if (!f) return 2;
    std::fclose(f);
    std::printf("holding %zu bytes\n", bytes);
    std::fflush(stdout);
    for (int i = 0; i < 600 && access(argv[3], F_OK) == 0; i++) usleep(100000);
    return hipFree(p) == hipSuccess ? 0 : 1;
  }
  if (std::strcmp(mode, "busy") == 0 && argc > 2) {
    uint32_t *flag = nullptr, *out = nullptr, *one = nullptr, *running = nullptr;
    hipStream_t side;
    if (hipMalloc(&flag, 4) != hipSuccess || hipMalloc(&out, 256) != hipSuccess || hipMemset(flag, 0, 4) != hipSuccess) return 2;
    if (hipHostMalloc(&one, 4, hipHostMallocDefault) != hipSuccess || hipStreamCreateWithFlags(&side, hipStreamNonBlocking) != hipSuccess) return 2;
    if (hipHostMalloc(&running, 4, hipHostMallocCoherent) != hipSuccess) return 2;
    *one = 1;
    *running = 0;
    if (hipDeviceSynchronize() != hipSuccess) return 2;
    spin_announced<<<1, 64>>>(flag, running, out);
    // READY only once the kernel runs: a launch delayed on a loaded machine must not count as idle time.
    for (int i = 0; i < 6000 && *(volatile uint32_t *)running == 0; i++) usleep(10000);
    if (*(volatile uint32_t *)running == 0) return 4;
    FILE *f = std::fopen(argv[2], "w");
    if (!f) return 2;
    std::fclose(f);
    for (int i = 0; i < 600 && access(argv[2], F_OK) == 0; i++) usleep(100000);
    if (hipMemcpyAsync(flag, one, 4, hipMemcpyHostToDevice, side) != hipSuccess) return 2;
    if (hipDeviceSynchronize() != hipSuccess) return 1;
    std::printf("ok busy\n");
    return 0;
  }
  if (std::strcmp(mode, "spin") == 0) {
    uint32_t *flag = nullptr, *out = nullptr;
    if (hipMalloc(&flag, 4) != hipSuccess || hipMalloc(&out, 256) != hipSuccess || hipMemset(flag, 0, 4) != hipSuccess) return 2;
    spin<<<1, 64>>>(flag, out);
    std::printf("spinning\n");
    std::fflush(stdout);
    (void)hipDeviceSynchronize();
    return 3;
  }
  if (std::strcmp(mode, "fault") == 0) {
    uint32_t *bad = reinterpret_cast<uint32_t *>(uintptr_t{0x7f0000000000});
    store_to<<<1, 64>>>(bad);
    hipError_t e = hipDeviceSynchronize();
    // Not reached with ROCr 5.2.3: the VM fault handler aborts the process first.
    std::printf("hipDeviceSynchronize after the faulting kernel = %s (%d)\n", hipGetErrorName(e), (int)e);
    return 3;
  }
  std::fprintf(stderr, "usage: hip_errors oom|fault\n");
  return 2;
}
