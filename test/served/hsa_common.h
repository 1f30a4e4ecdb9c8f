/* What the served-path HSA clients share: error checking, finding the GPU and CPU agents with the
 * pools they use, and reading a code object. Header-only (static inline), so each client still builds
 * with one cc command. */
#ifndef AMDGPU_TS_HSA_COMMON_H
#define AMDGPU_TS_HSA_COMMON_H

#include <hsa/hsa.h>
#include <hsa/hsa_ext_amd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Any HSA failure ends the client with status 2 and the runtime's own message. */
#define CHECK(call)                                                                   \
	do {                                                                          \
		hsa_status_t s_ = (call);                                             \
		if (s_ != HSA_STATUS_SUCCESS) {                                       \
			const char *m_ = NULL;                                        \
			hsa_status_string(s_, &m_);                                   \
			fprintf(stderr, "%s failed: 0x%x %s\n", #call, s_, m_ ? m_ : ""); \
			exit(2);                                                      \
		}                                                                     \
	} while (0)

struct found {
	hsa_agent_t gpu, cpu;
	int have_gpu, have_cpu;
	/* The GPU's global (VRAM) pool, the CPU's fine-grained system pool and its kernarg pool. */
	hsa_amd_memory_pool_t device_pool, system_pool, kernarg_pool;
	int have_device_pool, have_system_pool, have_kernarg_pool;
};

static inline hsa_status_t found_agent(hsa_agent_t agent, void *data)
{
	struct found *f = data;
	hsa_device_type_t type;
	CHECK(hsa_agent_get_info(agent, HSA_AGENT_INFO_DEVICE, &type));
	if (type == HSA_DEVICE_TYPE_GPU && !f->have_gpu) {
		f->gpu = agent;
		f->have_gpu = 1;
	} else if (type == HSA_DEVICE_TYPE_CPU && !f->have_cpu) {
		f->cpu = agent;
		f->have_cpu = 1;
	}
	return HSA_STATUS_SUCCESS;
}

static inline hsa_status_t found_gpu_pool(hsa_amd_memory_pool_t pool, void *data)
{
	struct found *f = data;
	hsa_amd_segment_t seg;
	CHECK(hsa_amd_memory_pool_get_info(pool, HSA_AMD_MEMORY_POOL_INFO_SEGMENT, &seg));
	if (seg == HSA_AMD_SEGMENT_GLOBAL && !f->have_device_pool) {
		f->device_pool = pool;
		f->have_device_pool = 1;
	}
	return HSA_STATUS_SUCCESS;
}

static inline hsa_status_t found_cpu_pool(hsa_amd_memory_pool_t pool, void *data)
{
	struct found *f = data;
	hsa_amd_segment_t seg;
	uint32_t flags;
	CHECK(hsa_amd_memory_pool_get_info(pool, HSA_AMD_MEMORY_POOL_INFO_SEGMENT, &seg));
	if (seg != HSA_AMD_SEGMENT_GLOBAL)
		return HSA_STATUS_SUCCESS;
	CHECK(hsa_amd_memory_pool_get_info(pool, HSA_AMD_MEMORY_POOL_INFO_GLOBAL_FLAGS, &flags));
	if ((flags & HSA_AMD_MEMORY_POOL_GLOBAL_FLAG_KERNARG_INIT) && !f->have_kernarg_pool) {
		f->kernarg_pool = pool;
		f->have_kernarg_pool = 1;
	} else if ((flags & HSA_AMD_MEMORY_POOL_GLOBAL_FLAG_FINE_GRAINED) && !f->have_system_pool) {
		f->system_pool = pool;
		f->have_system_pool = 1;
	}
	return HSA_STATUS_SUCCESS;
}

/* hsa_init's agents and pools; exits 2 naming what is missing. */
static inline void find_agents_and_pools(struct found *f)
{
	memset(f, 0, sizeof(*f));
	CHECK(hsa_iterate_agents(found_agent, f));
	if (!f->have_gpu || !f->have_cpu) {
		fprintf(stderr, "no %s agent\n", f->have_gpu ? "CPU" : "GPU");
		exit(2);
	}
	CHECK(hsa_amd_agent_iterate_memory_pools(f->gpu, found_gpu_pool, f));
	CHECK(hsa_amd_agent_iterate_memory_pools(f->cpu, found_cpu_pool, f));
	if (!f->have_device_pool || !f->have_system_pool || !f->have_kernarg_pool) {
		fprintf(stderr, "missing a memory pool (device %d, system %d, kernarg %d)\n", f->have_device_pool, f->have_system_pool, f->have_kernarg_pool);
		exit(2);
	}
}

static inline void *read_file(const char *path, size_t *size)
{
	FILE *fp = fopen(path, "rb");
	void *buf;
	long n;
	if (!fp || fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) <= 0 || fseek(fp, 0, SEEK_SET) != 0) {
		fprintf(stderr, "cannot read %s\n", path);
		exit(2);
	}
	buf = malloc((size_t)n);
	if (!buf || fread(buf, 1, (size_t)n, fp) != (size_t)n) {
		fprintf(stderr, "cannot read %s\n", path);
		exit(2);
	}
	fclose(fp);
	*size = (size_t)n;
	return buf;
}

#endif
