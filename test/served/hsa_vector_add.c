/* An unmodified-ROCr client for the served emulated GPU: hsa_init, the GPU agent, an AQL queue, a
 * clang-19 code object loaded through hsa_code_object_reader / hsa_executable, one dispatch of
 * vector_add waited on through its completion signal, every element checked; then
 * hsa_amd_memory_async_copy host -> device -> host, checked byte for byte.
 *
 * Build: cc -O2 -Wall -Wextra -o hsa_vector_add hsa_vector_add.c -lhsa-runtime64
 * Run:   amdgpu-ts emulate -- ./hsa_vector_add vector_add.gfx90a.co [copy-bytes] [--exit-without-cleanup]
 * (--exit-without-cleanup: _exit right after the dispatch, holding its queue, memory and events, so
 * the emulator's teardown of a process that never freed anything can be checked)
 * Prints one "ok ..." line per check; exits 0 when all pass, 1 on a wrong result, 2 on an HSA error. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hsa_common.h"

static int exit_without_cleanup;

static void *pool_alloc(hsa_amd_memory_pool_t pool, size_t size, const hsa_agent_t *agents, uint32_t n_agents)
{
	void *p = NULL;
	CHECK(hsa_amd_memory_pool_allocate(pool, size, 0, &p));
	if (n_agents)
		CHECK(hsa_amd_agents_allow_access(n_agents, agents, NULL, p));
	return p;
}

static int dispatch_vector_add(struct found *f, const char *code_object)
{
	const uint32_t n = 1000; /* not a multiple of the workgroup: the kernel's bounds check matters */
	const uint16_t block = 64;
	hsa_queue_t *queue;
	hsa_code_object_reader_t reader;
	hsa_executable_t exe;
	hsa_executable_symbol_t sym;
	uint64_t kernel_object;
	uint32_t kernarg_size, group_size, private_size;
	hsa_signal_t done;
	size_t co_size;
	void *co = read_file(code_object, &co_size);
	uint32_t *a, *b, *c;
	uint32_t i, bad = 0;
	struct { uint32_t *a, *b, *c; uint32_t n; } args;
	void *kernarg;
	uint64_t index;
	hsa_kernel_dispatch_packet_t *packet;
	uint16_t header;

	CHECK(hsa_queue_create(f->gpu, 256, HSA_QUEUE_TYPE_SINGLE, NULL, NULL, UINT32_MAX, UINT32_MAX, &queue));
	CHECK(hsa_code_object_reader_create_from_memory(co, co_size, &reader));
	CHECK(hsa_executable_create_alt(HSA_PROFILE_FULL, HSA_DEFAULT_FLOAT_ROUNDING_MODE_DEFAULT, NULL, &exe));
	CHECK(hsa_executable_load_agent_code_object(exe, f->gpu, reader, NULL, NULL));
	CHECK(hsa_executable_freeze(exe, NULL));
	CHECK(hsa_executable_get_symbol_by_name(exe, "vector_add.kd", &f->gpu, &sym));
	CHECK(hsa_executable_symbol_get_info(sym, HSA_EXECUTABLE_SYMBOL_INFO_KERNEL_OBJECT, &kernel_object));
	CHECK(hsa_executable_symbol_get_info(sym, HSA_EXECUTABLE_SYMBOL_INFO_KERNEL_KERNARG_SEGMENT_SIZE, &kernarg_size));
	CHECK(hsa_executable_symbol_get_info(sym, HSA_EXECUTABLE_SYMBOL_INFO_KERNEL_GROUP_SEGMENT_SIZE, &group_size));
	CHECK(hsa_executable_symbol_get_info(sym, HSA_EXECUTABLE_SYMBOL_INFO_KERNEL_PRIVATE_SEGMENT_SIZE, &private_size));

	a = pool_alloc(f->system_pool, n * 4, &f->gpu, 1);
	b = pool_alloc(f->system_pool, n * 4, &f->gpu, 1);
	c = pool_alloc(f->system_pool, n * 4, &f->gpu, 1);
	for (i = 0; i < n; i++) {
		a[i] = i * 2654435761u;
		b[i] = 0xfffffff0u + i;
		c[i] = 0xdeadbeef;
	}
	kernarg = pool_alloc(f->kernarg_pool, kernarg_size > sizeof(args) ? kernarg_size : sizeof(args), &f->gpu, 1);
	memset(kernarg, 0, kernarg_size);
	args.a = a;
	args.b = b;
	args.c = c;
	args.n = n;
	memcpy(kernarg, &args, sizeof(args));
	CHECK(hsa_signal_create(1, 0, NULL, &done));

	index = hsa_queue_add_write_index_relaxed(queue, 1);
	packet = (hsa_kernel_dispatch_packet_t *)queue->base_address + (index & (queue->size - 1));
	memset((char *)packet + 4, 0, sizeof(*packet) - 4);
	packet->setup = 1 << HSA_KERNEL_DISPATCH_PACKET_SETUP_DIMENSIONS;
	packet->workgroup_size_x = block;
	packet->workgroup_size_y = 1;
	packet->workgroup_size_z = 1;
	packet->grid_size_x = n;
	packet->grid_size_y = 1;
	packet->grid_size_z = 1;
	packet->kernel_object = kernel_object;
	packet->kernarg_address = kernarg;
	packet->group_segment_size = group_size;
	packet->private_segment_size = private_size;
	packet->completion_signal = done;
	header = (HSA_PACKET_TYPE_KERNEL_DISPATCH << HSA_PACKET_HEADER_TYPE) | (1 << HSA_PACKET_HEADER_BARRIER) |
		 (HSA_FENCE_SCOPE_SYSTEM << HSA_PACKET_HEADER_SCACQUIRE_FENCE_SCOPE) |
		 (HSA_FENCE_SCOPE_SYSTEM << HSA_PACKET_HEADER_SCRELEASE_FENCE_SCOPE);
	__atomic_store_n((uint32_t *)packet, header | ((uint32_t)packet->setup << 16), __ATOMIC_RELEASE);
	hsa_signal_store_screlease(queue->doorbell_signal, (hsa_signal_value_t)index);

	if (hsa_signal_wait_scacquire(done, HSA_SIGNAL_CONDITION_EQ, 0, 30ull * 1000 * 1000 * 1000, HSA_WAIT_STATE_BLOCKED) != 0) {
		fprintf(stderr, "vector_add did not complete\n");
		return 1;
	}
	for (i = 0; i < n; i++) {
		if (c[i] != a[i] + b[i]) {
			if (bad++ < 5)
				fprintf(stderr, "c[%u] = 0x%08x, expected 0x%08x\n", i, c[i], a[i] + b[i]);
		}
	}
	if (bad) {
		fprintf(stderr, "vector_add: %u of %u elements wrong\n", bad, n);
		return 1;
	}
	printf("ok vector_add %u elements\n", n);
	if (exit_without_cleanup) {
		fflush(stdout);
		_exit(0);
	}
	CHECK(hsa_signal_destroy(done));
	CHECK(hsa_executable_destroy(exe));
	CHECK(hsa_code_object_reader_destroy(reader));
	CHECK(hsa_queue_destroy(queue));
	CHECK(hsa_amd_memory_pool_free(a));
	CHECK(hsa_amd_memory_pool_free(b));
	CHECK(hsa_amd_memory_pool_free(c));
	CHECK(hsa_amd_memory_pool_free(kernarg));
	free(co);
	return 0;
}

static int copy(hsa_signal_t signal, void *dst, hsa_agent_t dst_agent, const void *src, hsa_agent_t src_agent, size_t size)
{
	hsa_signal_store_relaxed(signal, 1);
	CHECK(hsa_amd_memory_async_copy(dst, dst_agent, src, src_agent, size, 0, NULL, signal));
	if (hsa_signal_wait_scacquire(signal, HSA_SIGNAL_CONDITION_EQ, 0, 30ull * 1000 * 1000 * 1000, HSA_WAIT_STATE_BLOCKED) != 0) {
		fprintf(stderr, "async copy of %zu bytes did not complete\n", size);
		return 1;
	}
	return 0;
}

static int round_trip(struct found *f, size_t size)
{
	hsa_agent_t both[2] = { f->gpu, f->cpu };
	uint8_t *host_in = pool_alloc(f->system_pool, size, both, 2);
	uint8_t *host_out = pool_alloc(f->system_pool, size, both, 2);
	uint8_t *device = pool_alloc(f->device_pool, size, both, 0);
	hsa_signal_t signal;
	uint32_t x = 0x12345678;
	size_t i;

	CHECK(hsa_amd_agents_allow_access(1, &f->cpu, NULL, device));
	for (i = 0; i < size; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		host_in[i] = (uint8_t)x;
		host_out[i] = (uint8_t)~x;
	}
	CHECK(hsa_signal_create(1, 0, NULL, &signal));
	if (copy(signal, device, f->gpu, host_in, f->cpu, size) || copy(signal, host_out, f->cpu, device, f->gpu, size))
		return 1;
	for (i = 0; i < size; i++) {
		if (host_out[i] != host_in[i]) {
			fprintf(stderr, "async copy: byte %zu is 0x%02x, expected 0x%02x\n", i, host_out[i], host_in[i]);
			return 1;
		}
	}
	printf("ok async copy host->device->host %zu bytes\n", size);
	CHECK(hsa_signal_destroy(signal));
	CHECK(hsa_amd_memory_pool_free(host_in));
	CHECK(hsa_amd_memory_pool_free(host_out));
	CHECK(hsa_amd_memory_pool_free(device));
	return 0;
}

int main(int argc, char **argv)
{
	struct found f;
	size_t copy_bytes = (size_t)1 << 20;
	int rc, i;

	if (argc < 2) {
		fprintf(stderr, "usage: %s CODE_OBJECT [COPY_BYTES] [--exit-without-cleanup]\n", argv[0]);
		return 2;
	}
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--exit-without-cleanup") == 0)
			exit_without_cleanup = 1;
		else
			copy_bytes = (size_t)strtoull(argv[i], NULL, 0);
	}
	CHECK(hsa_init());
	find_agents_and_pools(&f);
	rc = dispatch_vector_add(&f, argv[1]);
	if (rc == 0)
		rc = round_trip(&f, copy_bytes);
	CHECK(hsa_shut_down());
	return rc;
}
