/* Client memory shared with the server: mmaps of served fds (MMAP, then MAPPED) and userptr
 * ranges (SHARE). The range list decides when MUNMAP is due and what not to share twice. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "preload.h"

struct range { uintptr_t start, end; };

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct range *ranges;   /* sorted, non-overlapping, page-aligned */
static int nranges, capranges;

static void before_fork(void) { pthread_mutex_lock(&lock); }
static void after_fork(void) { pthread_mutex_unlock(&lock); }

static pthread_once_t once = PTHREAD_ONCE_INIT;
static void register_fork_handlers(void) { pthread_atfork(before_fork, after_fork, after_fork); }

/* Every use of the table goes through here: the fork handlers exist before the lock is first taken. */
static void lock_table(void)
{
	pthread_once(&once, register_fork_handlers);
	pthread_mutex_lock(&lock);
}

static uintptr_t page_up(uintptr_t x)
{
	uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
	return (x + pg - 1) & ~(pg - 1);
}

static int insert_at(int i, uintptr_t start, uintptr_t end)
{
	if (nranges == capranges) {
		int n = capranges ? capranges * 2 : 32;
		struct range *r = realloc(ranges, n * sizeof(*r));
		if (!r)
			return -1;
		ranges = r;
		capranges = n;
	}
	memmove(&ranges[i + 1], &ranges[i], (nranges - i) * sizeof(*ranges));
	ranges[i] = (struct range){ start, end };
	__atomic_store_n(&nranges, nranges + 1, __ATOMIC_RELAXED);
	return 0;
}

/* Removes [start, end) from the list (lock held). Returns whether anything overlapped. */
static int subtract(uintptr_t start, uintptr_t end)
{
	int hit = 0;

	for (int i = 0; i < nranges; i++) {
		struct range *r = &ranges[i];
		if (r->end <= start || r->start >= end)
			continue;
		hit = 1;
		if (r->start < start && r->end > end) {
			uintptr_t tail = r->end;
			r->end = start;
			insert_at(i + 1, end, tail);
			break;
		} else if (r->start < start) {
			r->end = start;
		} else if (r->end > end) {
			r->start = end;
		} else {
			memmove(r, r + 1, (nranges - i - 1) * sizeof(*r));
			__atomic_store_n(&nranges, nranges - 1, __ATOMIC_RELAXED);
			i--;
		}
	}
	return hit;
}

void maps_add(uintptr_t start, uintptr_t end)
{
	int i = 0;

	lock_table();
	subtract(start, end);
	while (i < nranges && ranges[i].start < start)
		i++;
	insert_at(i, start, end);
	pthread_mutex_unlock(&lock);
}

void maps_del(uintptr_t start, uintptr_t end)
{
	lock_table();
	subtract(start, end);
	pthread_mutex_unlock(&lock);
}

/* First sub-range of [*cur, end) not in the list: [*gs, *ge). Returns 0 when there is none. */
int maps_next_gap(uintptr_t *cur, uintptr_t end, uintptr_t *gs, uintptr_t *ge)
{
	uintptr_t p = *cur, stop = end;

	lock_table();
	for (int i = 0; i < nranges; i++) {
		if (ranges[i].end <= p)
			continue;
		if (ranges[i].start <= p) {
			p = ranges[i].end;
			continue;
		}
		stop = ranges[i].start < end ? ranges[i].start : end;
		break;
	}
	pthread_mutex_unlock(&lock);
	if (p >= end)
		return 0;
	*gs = p;
	*ge = stop;
	*cur = stop;
	return 1;
}

/* Called after a real munmap, or a MAP_FIXED mmap that replaced pages, succeeded. */
void maps_unmapped(void *addr, size_t len)
{
	uintptr_t s = (uintptr_t)addr;
	struct { uint64_t addr, length; } q = { s, len };
	int32_t res;
	int hit, err = errno;

	if (__atomic_load_n(&nranges, __ATOMIC_RELAXED) == 0)
		return;   /* the common case for every non-GPU mapping */
	lock_table();
	hit = subtract(s, page_up(s + len));
	pthread_mutex_unlock(&lock);
	/* The pages are already gone locally; a dead server changes nothing for the caller. */
	if (hit)
		wire_call(OP_MUNMAP, &q, sizeof(q), NULL, 0, NULL, 0, &res);
	errno = err;
}

/* mmap of a served fd: the server names a file it holds; map that same file here. */
void *maps_mmap(struct pl_dev *d, void *addr, size_t len, int prot, int flags, off_t off)
{
	struct { uint32_t handle, prot, flags, reserved; uint64_t addr, length, offset; } q = {
		d->handle, (uint32_t)prot, (uint32_t)flags, 0, (uintptr_t)addr, len, (uint64_t)off };
	struct { int32_t server_fd; uint32_t reserved; uint64_t file_offset; } a = { -1, 0, 0 };
	struct { uint32_t handle, prot; uint64_t addr, length, offset; } m;
	char path[64];
	int32_t res;
	void *p;
	int fd, err;

	if (wire_call(OP_MMAP, &q, sizeof(q), NULL, 0, &a, sizeof(a), &res) < 0)
		return MAP_FAILED;
	if (res < 0) {
		errno = -res;
		return MAP_FAILED;
	}
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)wire_server_pid(), a.server_fd);
	fd = pl_real_open(path, O_RDWR | O_CLOEXEC, 0);
	if (fd < 0 && errno == EACCES && !(prot & PROT_WRITE))
		fd = pl_real_open(path, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0) {
		err = errno;
		pl_complain(path, err);
		errno = err;
		return MAP_FAILED;
	}
	/* MAP_SHARED forced: the point is that client and server see the same pages. */
	p = pl_real_mmap(addr, len, prot, (flags & ~(MAP_TYPE | MAP_ANONYMOUS)) | MAP_SHARED, fd,
			 (off_t)a.file_offset);
	err = errno;
	pl_real_close(fd);
	if (p == MAP_FAILED) {
		errno = err;
		return MAP_FAILED;
	}
	if (flags & MAP_FIXED)
		maps_unmapped(p, len);
	m = (typeof(m)){ d->handle, (uint32_t)prot, (uintptr_t)p, len, (uint64_t)off };
	if (wire_call(OP_MAPPED, &m, sizeof(m), NULL, 0, NULL, 0, &res) < 0) {
		pl_real_munmap(p, len);
		errno = EIO;
		return MAP_FAILED;
	}
	maps_add((uintptr_t)p, page_up((uintptr_t)p + len));
	return p;
}
