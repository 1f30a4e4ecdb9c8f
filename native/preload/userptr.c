/* Userptr: the GPU is to use the client's own pages. The server cannot map another process's
 * anonymous memory, so before the ALLOC ioctl those pages move into a memfd mapped over the same
 * addresses, and the server maps that memfd too (SHARE). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "preload.h"

/* From include/uapi/linux/kfd_ioctl.h (struct kfd_ioctl_alloc_memory_of_gpu_args, 40 bytes). */
struct kfd_alloc_args {
	uint64_t va_addr, size, handle, mmap_offset;   /* mmap_offset: user address for USERPTR */
	uint32_t gpu_id, flags;
};
/* From include/uapi/linux/kfd_ioctl.h: AMDKFD_IOWR(0x16, struct kfd_ioctl_alloc_memory_of_gpu_args). */
#define AMDKFD_IOC_ALLOC_MEMORY_OF_GPU _IOWR('K', 0x16, struct kfd_alloc_args)
/* From include/uapi/linux/kfd_ioctl.h. */
#define KFD_IOC_ALLOC_MEM_FLAGS_USERPTR (1u << 2)

_Static_assert(sizeof(struct kfd_alloc_args) == 40, "kfd_ioctl_alloc_memory_of_gpu_args layout");
_Static_assert(AMDKFD_IOC_ALLOC_MEMORY_OF_GPU == 0xc0284b16, "AMDKFD_IOC_ALLOC_MEMORY_OF_GPU");

static int share(uintptr_t start, uintptr_t end)
{
	size_t len = end - start;
	struct { int32_t client_fd; uint32_t reserved; uint64_t addr, length; } q;
	int32_t res;
	int fd, err;

	fd = memfd_create("amdgpu-ts-userptr", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, len) < 0)
		goto fail;
	/* write() copies through the kernel, so unmapped pages give EFAULT rather than SIGSEGV. */
	for (size_t done = 0; done < len;) {
		ssize_t n = pwrite(fd, (char *)start + done, len - done, done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		done += n;
	}
	/* Same addresses, same contents; the original protection is not known, RW is assumed. */
	if (pl_real_mmap((void *)start, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0)
	    == MAP_FAILED)
		goto fail;
	maps_add(start, end);
	q = (typeof(q)){ fd, 0, start, len };
	if (wire_call(OP_SHARE, &q, sizeof(q), NULL, 0, NULL, 0, &res) < 0)
		res = -errno;
	pl_real_close(fd);
	if (res < 0)
		maps_del(start, end);
	return res < 0 ? res : 0;
fail:
	err = errno;
	pl_real_close(fd);
	return -err;
}

int userptr_prepare(struct pl_dev *d, unsigned long request, void *arg)
{
	const struct kfd_alloc_args *a = arg;
	uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE), cur, end, gs, ge;

	if (!d->is_kfd || request != AMDKFD_IOC_ALLOC_MEMORY_OF_GPU || !arg
	    || !(a->flags & KFD_IOC_ALLOC_MEM_FLAGS_USERPTR) || a->size == 0)
		return 0;
	cur = a->mmap_offset & ~(pg - 1);
	end = (a->mmap_offset + a->size + pg - 1) & ~(pg - 1);
	if (end <= cur)
		return -EINVAL;
	/* Ranges already served (an MMAP of GPU memory, an earlier SHARE) stay as they are. */
	while (maps_next_gap(&cur, end, &gs, &ge)) {
		int r = share(gs, ge);
		if (r < 0)
			return r;
	}
	return 0;
}
