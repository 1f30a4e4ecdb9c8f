// hipMemcpy in every direction and of many sizes and alignments, hipMemset{,D16,D32} and device
// properties, on the served emulated GPU (test/served-hip.test.ts). ROCr 5.2.3 picks the engine by
// direction and size (amd_gpu_agent.cpp DmaCopy): H2D/D2H by SDMA, D2D below 1 MiB by SDMA and above
// by the blit kernels (CopyAligned/CopyMisaligned), fills by the Fill blit kernel; HIP stages
// pageable host memory through pinned buffers. Every byte is checked on the host.
// Prints "prop <name> <value>" lines for the test to compare with the model, then "ok ..." lines.
#include <hip/hip_runtime.h>
#include <cstdint>
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

static uint8_t pattern(size_t i, unsigned seed) { return (uint8_t)((i * 131u + seed * 7u + (i >> 8)) & 0xff); }

static int fails;
static void expect(const uint8_t *got, size_t n, unsigned seed, size_t base, const char *what) {
  for (size_t i = 0; i < n; i++) {
    if (got[i] != pattern(base + i, seed)) {
      std::printf("FAIL %s: byte %zu = 0x%02x, want 0x%02x\n", what, i, got[i], pattern(base + i, seed));
      fails++;
      return;
    }
  }
}

int main() {
  hipDeviceProp_t p;
  CHECK(hipGetDeviceProperties(&p, 0));
  std::printf("prop name %s\nprop gcnArchName %s\nprop multiProcessorCount %d\nprop clockRate %d\n", p.name,
              p.gcnArchName, p.multiProcessorCount, p.clockRate);
  std::printf("prop memoryClockRate %d\nprop memoryBusWidth %d\nprop totalGlobalMem %zu\n", p.memoryClockRate,
              p.memoryBusWidth, p.totalGlobalMem);
  std::printf("prop sharedMemPerBlock %zu\nprop warpSize %d\nprop maxThreadsPerBlock %d\nprop l2CacheSize %d\n",
              p.sharedMemPerBlock, p.warpSize, p.maxThreadsPerBlock, p.l2CacheSize);
  std::printf("prop pciBusID %d\nprop pciDeviceID %d\nprop gcnArch %d\nprop isMultiGpuBoard %d\n", p.pciBusID,
              p.pciDeviceID, p.gcnArch, p.isMultiGpuBoard);
  size_t freeB = 0, totalB = 0;
  CHECK(hipMemGetInfo(&freeB, &totalB));
  std::printf("prop memGetInfoTotal %zu\n", totalB);

  const size_t sizes[] = {1, 3, 4, 15, 64, 255, 4096, 65537, 1 << 20, (1 << 20) + 13, (3 << 20) + 5};
  const size_t offsets[] = {0, 1, 4, 7};
  const size_t cap = (4 << 20) + 64;
  uint8_t *d1, *d2, *pinned;
  CHECK(hipMalloc(&d1, cap));
  CHECK(hipMalloc(&d2, cap));
  CHECK(hipHostMalloc(&pinned, cap, hipHostMallocDefault));
  std::vector<uint8_t> src(cap), dst(cap);
  unsigned seed = 0;
  int copies = 0;
  for (size_t n : sizes) {
    for (size_t off : offsets) {
      seed++;
      for (size_t i = 0; i < n; i++) src[off + i] = pattern(i, seed);
      // pageable H2D, D2D (offset shifted by 3 on the other side: misaligned), D2H pageable
      CHECK(hipMemcpy(d1 + off, src.data() + off, n, hipMemcpyHostToDevice));
      CHECK(hipMemcpy(d2 + ((off + 3) & 7), d1 + off, n, hipMemcpyDeviceToDevice));
      std::memset(dst.data(), 0, n + 16);
      CHECK(hipMemcpy(dst.data() + off, d2 + ((off + 3) & 7), n, hipMemcpyDeviceToHost));
      expect(dst.data() + off, n, seed, 0, "pageable H2D -> D2D -> D2H");
      // pinned D2H and H2D, hipMemcpyDefault (unified addressing picks the direction)
      std::memset(pinned, 0, n + 16);
      CHECK(hipMemcpy(pinned + off, d1 + off, n, hipMemcpyDefault));
      expect(pinned + off, n, seed, 0, "D2H into pinned");
      CHECK(hipMemcpy(d2 + off, pinned + off, n, hipMemcpyHostToDevice));
      std::memset(dst.data(), 0, n + 16);
      CHECK(hipMemcpy(dst.data(), d2 + off, n, hipMemcpyDeviceToHost));
      expect(dst.data(), n, seed, 0, "pinned H2D");
      copies += 6;
    }
  }
  std::printf("ok copies %d\n", copies);

  // Memsets: bytes, 16- and 32-bit patterns at odd sizes and offsets, with guard bytes checked.
  // Not hipMemset(p + off, v, n) with 0 < off % 8 and n <= 8 - off % 8: HIP 5.2.3 fills a head of
  // 8 - off % 8 bytes (more than asked for) and then dispatches the aligned middle with a size of
  // (size_t)-1 >> 3 (AMD_LOG_LEVEL=3 shows "ulong size = val:2305843009213693951"), which runs past
  // the allocation and ends in a GPU memory access fault, on the emulated GPU as it would on a real one.
  const size_t msizes[] = {1, 7, 9, 64, 1000, 4099, (1 << 20) + 3};
  int sets = 0;
  for (size_t n : msizes) {
    for (size_t off : {0, 1, 4}) {
      if (off % 8 && n <= 8 - off % 8) continue;
      CHECK(hipMemset(d1, 0x5a, n + 32));
      CHECK(hipMemset(d1 + off, 0xc3, n));
      CHECK(hipMemcpy(dst.data(), d1, n + 32, hipMemcpyDeviceToHost));
      for (size_t i = 0; i < n + 32; i++) {
        uint8_t want = (i >= off && i < off + n) ? 0xc3 : 0x5a;
        if (dst[i] != want) {
          std::printf("FAIL hipMemset n=%zu off=%zu: byte %zu = 0x%02x, want 0x%02x\n", n, off, i, dst[i], want);
          fails++;
          break;
        }
      }
      sets++;
    }
    size_t words = n;
    CHECK(hipMemsetD32((hipDeviceptr_t)d1, 0x01020304u, words));
    CHECK(hipMemsetD16((hipDeviceptr_t)d2, 0xbeefu, words));
    std::vector<uint32_t> w32(words);
    std::vector<uint16_t> w16(words);
    CHECK(hipMemcpy(w32.data(), d1, words * 4, hipMemcpyDeviceToHost));
    CHECK(hipMemcpy(w16.data(), d2, words * 2, hipMemcpyDeviceToHost));
    for (size_t i = 0; i < words; i++) {
      if (w32[i] != 0x01020304u || w16[i] != 0xbeefu) {
        std::printf("FAIL hipMemsetD32/D16 n=%zu: [%zu] = 0x%x / 0x%x\n", words, i, w32[i], w16[i]);
        fails++;
        break;
      }
    }
    sets += 2;
  }
  std::printf("ok memsets %d\n", sets);
  CHECK(hipFree(d1));
  CHECK(hipFree(d2));
  CHECK(hipHostFree(pinned));
  if (fails) return 1;
  std::printf("ok all\n");
  return 0;
}
