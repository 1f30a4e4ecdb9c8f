/* Latency of the AQL path through unmodified ROCr, for `npm run bench` (the "served" section):
 *  (a) dispatch round trip: write an empty-kernel dispatch packet, ring the doorbell, and
 *      hsa_signal_wait_scacquire (HSA_WAIT_STATE_BLOCKED, as a program normally waits) until its
 *      completion signal reaches 0 — N times, after WARMUP untimed ones;
 *  (b) doorbell to engine: a BARRIER_AND packet with no dependencies and a completion signal, timed
 *      from the doorbell store to the signal reaching 0 while the CPU busy-polls the signal value
 *      (hsa_signal_load_relaxed; no interrupt wait), N times, after WARMUP untimed ones.
 * Both signals come from hsa_signal_create. Times are CLOCK_MONOTONIC, in microseconds.
 *
 * Build: cc -O2 -Wall -Wextra -o hsa_bench hsa_bench.c -lhsa-runtime64
 * Run:   amdgpu-ts emulate -- ./hsa_bench empty.gfx90a.co [DISPATCHES] [BARRIERS] [WARMUP]
 * (WARMUP defaults to 5: the emulated engine compiles its packet paths over the first thousands.)
 * Prints one JSON line: {"dispatch":{"n","median_us","p90_us"},"barrier":{"n","median_us","p90_us","max_us"}};
 * exits 1 when a signal does not reach 0 within 30 s, 2 on an HSA error or bad usage. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hsa_common.h"

#define DEFAULT_WARMUP 5
#define TIMEOUT_NS (30ull * 1000 * 1000 * 1000)

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Nearest-rank percentile of a sorted array (the bench's own definition). */
static double percentile(const double *sorted, size_t n, double p)
{
	size_t rank = (size_t)((p / 100.0) * (double)n + 0.999999999);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return sorted[rank - 1];
}

/* The next packet slot, once the packet processor has consumed the one it replaces. */
static void *next_slot(hsa_queue_t *queue, uint64_t *index)
{
	*index = hsa_queue_add_write_index_relaxed(queue, 1);
	while (*index - hsa_queue_load_read_index_scacquire(queue) >= queue->size)
		;
	return (char *)queue->base_address + (*index & (queue->size - 1)) * 64;
}

static const uint16_t fences = (HSA_FENCE_SCOPE_SYSTEM << HSA_PACKET_HEADER_SCACQUIRE_FENCE_SCOPE) |
			       (HSA_FENCE_SCOPE_SYSTEM << HSA_PACKET_HEADER_SCRELEASE_FENCE_SCOPE) |
			       (1 << HSA_PACKET_HEADER_BARRIER);

int main(int argc, char **argv)
{
	long n_dispatch = argc > 2 ? atol(argv[2]) : 200, n_barrier = argc > 3 ? atol(argv[3]) : 200;
	long warmup = argc > 4 ? atol(argv[4]) : DEFAULT_WARMUP;
	struct found f;
	hsa_queue_t *queue;
	hsa_code_object_reader_t reader;
	hsa_executable_t exe;
	hsa_executable_symbol_t sym;
	uint64_t kernel_object, index, t0, spins;
	uint32_t kernarg_size, group_size, private_size;
	hsa_signal_t done, spun;
	size_t co_size;
	void *co, *kernarg;
	double *dispatch_us, *barrier_us;
	long i;

	if (argc < 2 || n_dispatch < 1 || n_barrier < 1 || warmup < 0) {
		fprintf(stderr, "usage: %s CODE_OBJECT [DISPATCHES] [BARRIERS] [WARMUP]\n", argv[0]);
		return 2;
	}
	co = read_file(argv[1], &co_size);
	dispatch_us = malloc((size_t)n_dispatch * sizeof(double));
	barrier_us = malloc((size_t)n_barrier * sizeof(double));
	if (!dispatch_us || !barrier_us)
		return 2;
	CHECK(hsa_init());
	find_agents_and_pools(&f);
	CHECK(hsa_queue_create(f.gpu, 256, HSA_QUEUE_TYPE_SINGLE, NULL, NULL, UINT32_MAX, UINT32_MAX, &queue));
	CHECK(hsa_code_object_reader_create_from_memory(co, co_size, &reader));
	CHECK(hsa_executable_create_alt(HSA_PROFILE_FULL, HSA_DEFAULT_FLOAT_ROUNDING_MODE_DEFAULT, NULL, &exe));
	CHECK(hsa_executable_load_agent_code_object(exe, f.gpu, reader, NULL, NULL));
	CHECK(hsa_executable_freeze(exe, NULL));
	CHECK(hsa_executable_get_symbol_by_name(exe, "empty.kd", &f.gpu, &sym));
	CHECK(hsa_executable_symbol_get_info(sym, HSA_EXECUTABLE_SYMBOL_INFO_KERNEL_OBJECT, &kernel_object));
	CHECK(hsa_executable_symbol_get_info(sym, HSA_EXECUTABLE_SYMBOL_INFO_KERNEL_KERNARG_SEGMENT_SIZE, &kernarg_size));
	CHECK(hsa_executable_symbol_get_info(sym, HSA_EXECUTABLE_SYMBOL_INFO_KERNEL_GROUP_SEGMENT_SIZE, &group_size));
	CHECK(hsa_executable_symbol_get_info(sym, HSA_EXECUTABLE_SYMBOL_INFO_KERNEL_PRIVATE_SEGMENT_SIZE, &private_size));
	CHECK(hsa_amd_memory_pool_allocate(f.kernarg_pool, kernarg_size ? kernarg_size : 16, 0, &kernarg));
	CHECK(hsa_amd_agents_allow_access(1, &f.gpu, NULL, kernarg));
	memset(kernarg, 0, kernarg_size ? kernarg_size : 16);
	CHECK(hsa_signal_create(1, 0, NULL, &done));
	CHECK(hsa_signal_create(1, 0, NULL, &spun));

	/* (a) empty-kernel dispatch round trips */
	for (i = -warmup; i < n_dispatch; i++) {
		hsa_kernel_dispatch_packet_t *p = next_slot(queue, &index);
		hsa_signal_store_relaxed(done, 1);
		memset((char *)p + 4, 0, sizeof(*p) - 4);
		p->setup = 1 << HSA_KERNEL_DISPATCH_PACKET_SETUP_DIMENSIONS;
		p->workgroup_size_x = 1;
		p->workgroup_size_y = 1;
		p->workgroup_size_z = 1;
		p->grid_size_x = 1;
		p->grid_size_y = 1;
		p->grid_size_z = 1;
		p->kernel_object = kernel_object;
		p->kernarg_address = kernarg;
		p->group_segment_size = group_size;
		p->private_segment_size = private_size;
		p->completion_signal = done;
		t0 = now_ns();
		__atomic_store_n((uint32_t *)p, (uint32_t)((HSA_PACKET_TYPE_KERNEL_DISPATCH << HSA_PACKET_HEADER_TYPE) | fences) | ((uint32_t)p->setup << 16), __ATOMIC_RELEASE);
		hsa_signal_store_screlease(queue->doorbell_signal, (hsa_signal_value_t)index);
		if (hsa_signal_wait_scacquire(done, HSA_SIGNAL_CONDITION_EQ, 0, TIMEOUT_NS, HSA_WAIT_STATE_BLOCKED) != 0) {
			fprintf(stderr, "empty-kernel dispatch %ld did not complete\n", i);
			return 1;
		}
		if (i >= 0)
			dispatch_us[i] = (double)(now_ns() - t0) / 1000.0;
	}

	/* (b) doorbell to engine: an empty barrier, the CPU spinning on its completion signal */
	for (i = -warmup; i < n_barrier; i++) {
		hsa_barrier_and_packet_t *p = next_slot(queue, &index);
		hsa_signal_store_relaxed(spun, 1);
		memset((char *)p + 4, 0, sizeof(*p) - 4);
		p->completion_signal = spun;
		__atomic_store_n((uint32_t *)p, (uint32_t)((HSA_PACKET_TYPE_BARRIER_AND << HSA_PACKET_HEADER_TYPE) | fences), __ATOMIC_RELEASE);
		t0 = now_ns();
		hsa_signal_store_screlease(queue->doorbell_signal, (hsa_signal_value_t)index);
		for (spins = 1; hsa_signal_load_relaxed(spun) != 0; spins++) {
			if ((spins & 4095) == 0 && now_ns() - t0 > TIMEOUT_NS) {
				fprintf(stderr, "barrier %ld did not complete\n", i);
				return 1;
			}
		}
		if (i >= 0)
			barrier_us[i] = (double)(now_ns() - t0) / 1000.0;
	}

	qsort(dispatch_us, (size_t)n_dispatch, sizeof(double), by_value);
	qsort(barrier_us, (size_t)n_barrier, sizeof(double), by_value);
	printf("{\"dispatch\":{\"n\":%ld,\"median_us\":%.3f,\"p90_us\":%.3f},\"barrier\":{\"n\":%ld,\"median_us\":%.3f,\"p90_us\":%.3f,\"max_us\":%.3f}}\n",
	       n_dispatch, percentile(dispatch_us, (size_t)n_dispatch, 50), percentile(dispatch_us, (size_t)n_dispatch, 90),
	       n_barrier, percentile(barrier_us, (size_t)n_barrier, 50), percentile(barrier_us, (size_t)n_barrier, 90),
	       barrier_us[n_barrier - 1]);
	CHECK(hsa_signal_destroy(done));
	CHECK(hsa_signal_destroy(spun));
	CHECK(hsa_executable_destroy(exe));
	CHECK(hsa_code_object_reader_destroy(reader));
	CHECK(hsa_queue_destroy(queue));
	CHECK(hsa_amd_memory_pool_free(kernarg));
	CHECK(hsa_shut_down());
	free(co);
	free(dispatch_us);
	free(barrier_us);
	return 0;
}
