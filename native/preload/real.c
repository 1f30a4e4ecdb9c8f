/* The real libc functions, resolved past this library (RTLD_NEXT): for the interposers and for the
 * library's own opens, closes and mappings, which must not come back through the interposers. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "preload.h"

/* A malloc that itself opens files could re-enter us from inside dlsym; that inner call
 * fails with ENOSYS instead of recursing forever. */
static __thread int resolving __attribute__((tls_model("initial-exec")));

void *pl_resolve(void **slot, const char *name)
{
	void *p = __atomic_load_n(slot, __ATOMIC_ACQUIRE);

	if (p || resolving)
		return p;
	resolving = 1;
	p = dlsym(RTLD_NEXT, name);
	if (!p)   /* __xstat and friends are compat-only symbols, invisible to dlsym */
		p = dlvsym(RTLD_NEXT, name, "GLIBC_2.2.5");
	resolving = 0;
	__atomic_store_n(slot, p, __ATOMIC_RELEASE);
	return p;
}

/* Declares `real` as the libc function fn, or fails the call with ENOSYS. */
#define REAL(fn, failval)                                                        \
	static void *slot_;                                                      \
	__typeof__(&fn) real = (__typeof__(&fn))pl_resolve(&slot_, #fn);         \
	if (!real) {                                                             \
		errno = ENOSYS;                                                  \
		return failval;                                                  \
	}

int pl_real_open(const char *path, int flags, mode_t mode) { REAL(open, -1) return real(path, flags, mode); }
int pl_real_close(int fd) { REAL(close, -1) return real(fd); }
void *pl_real_mmap(void *a, size_t l, int pr, int fl, int fd, off_t o) { REAL(mmap, MAP_FAILED) return real(a, l, pr, fl, fd, o); }
int pl_real_munmap(void *a, size_t l) { REAL(munmap, -1) return real(a, l); }
