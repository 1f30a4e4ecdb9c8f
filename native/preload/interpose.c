/* The libc entry points. Each one either serves a GPU path/fd or calls the real function
 * (found with dlsym(RTLD_NEXT)) with its arguments untouched, so errno is libc's own. */

/* Fortify and LFS would turn the declarations below into inline wrappers or asm aliases that
 * clash with our definitions; we define every variant explicitly instead. */
#undef _FORTIFY_SOURCE
#undef _FILE_OFFSET_BITS
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "preload.h"

/* Not declared by glibc 2.36 headers: the pre-2.33 stat ABI (still used by older binaries)
 * and the _FORTIFY_SOURCE variants. */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);
int __xstat(int ver, const char *path, struct stat *st);
int __xstat64(int ver, const char *path, struct stat64 *st);
int __lxstat(int ver, const char *path, struct stat *st);
int __lxstat64(int ver, const char *path, struct stat64 *st);
int __fxstat(int ver, int fd, struct stat *st);
int __fxstat64(int ver, int fd, struct stat64 *st);
int __fxstatat(int ver, int dirfd, const char *path, struct stat *st, int flags);
int __fxstatat64(int ver, int dirfd, const char *path, struct stat64 *st, int flags);
ssize_t __readlink_chk(const char *path, char *buf, size_t len, size_t buflen);
char *__realpath_chk(const char *path, char *resolved, size_t resolvedlen);

_Static_assert(sizeof(struct stat) == sizeof(struct stat64), "x86-64: one stat layout");

/* Declares `real` as the libc function fn, or fails the call with ENOSYS. */
#define REAL(fn, failval)                                                        \
	static void *slot_;                                                      \
	__typeof__(&fn) real = (__typeof__(&fn))pl_resolve(&slot_, #fn);         \
	if (!real) {                                                             \
		errno = ENOSYS;                                                  \
		return failval;                                                  \
	}

/* Declares `p`: path itself, or its place in the served tree. */
#define REDIRECT(path, failval)                                                  \
	char buf_[PATH_MAX];                                                     \
	const char *p = pl_redirect(path, buf_);                                 \
	if (!p)                                                                  \
		return failval

#define NEEDS_MODE(flags) (((flags) & O_CREAT) || ((flags) & O_TMPFILE) == O_TMPFILE)
#define GET_MODE(flags, mode)                                                    \
	do {                                                                     \
		if (NEEDS_MODE(flags)) {                                         \
			va_list ap;                                              \
			va_start(ap, flags);                                     \
			mode = va_arg(ap, int);                                  \
			va_end(ap);                                              \
		}                                                                \
	} while (0)


/* ---- served devices ---- */

static int fake_stat(struct stat *st, dev_t rdev)
{
	memset(st, 0, sizeof(*st));
	st->st_dev = makedev(0, 6);   /* devtmpfs-like; only needs to be stable */
	st->st_ino = ((uint64_t)major(rdev) << 20 | minor(rdev)) + 1;
	st->st_mode = S_IFCHR | 0666;
	st->st_nlink = 1;
	st->st_uid = getuid();
	st->st_gid = getgid();
	st->st_rdev = rdev;
	st->st_blksize = 4096;
	return 0;
}

static int fake_statx(struct statx *sx, dev_t rdev)
{
	memset(sx, 0, sizeof(*sx));
	sx->stx_mask = STATX_BASIC_STATS;
	sx->stx_blksize = 4096;
	sx->stx_nlink = 1;
	sx->stx_uid = getuid();
	sx->stx_gid = getgid();
	sx->stx_mode = S_IFCHR | 0666;
	sx->stx_ino = ((uint64_t)major(rdev) << 20 | minor(rdev)) + 1;
	sx->stx_rdev_major = major(rdev);
	sx->stx_rdev_minor = minor(rdev);
	sx->stx_dev_minor = 6;
	return 0;
}

/* fstat of a served fd: 1 if handled. */
static int served_fstat(int fd, struct stat *st, struct statx *sx)
{
	struct pl_dev *d = fd >= 0 ? fds_get(fd) : NULL;

	if (!d)
		return 0;
	if (st)
		fake_stat(st, d->rdev);
	else
		fake_statx(sx, d->rdev);
	fds_put(d);
	return 1;
}

/* The client gets a real fd nobody else uses, so close/fcntl/poll/dup behave. An eventfd never
 * becomes readable, like a device fd with no pending events. */
static int open_served(const char *path, int flags, dev_t rdev)
{
	struct { uint32_t flags; int32_t client_fd; } q;
	struct pl_dev *d, *old;
	int32_t res = 0;
	int fd, err;

	/* The fd exists before OPEN so the server learns its number: ioctl arguments such as
	 * ACQUIRE_VM's drm_fd name files by the client's numbers. */
	fd = eventfd(0, (flags & O_CLOEXEC ? EFD_CLOEXEC : 0) | (flags & O_NONBLOCK ? EFD_NONBLOCK : 0));
	if (fd < 0)
		return -1;
	q.flags = (uint32_t)flags;
	q.client_fd = fd;
	if (wire_call(OP_OPEN, &q, sizeof(q), path, strlen(path) + 1, NULL, 0, &res) < 0 || res < 0) {
		err = errno;
		pl_real_close(fd);
		errno = res < 0 ? -res : err;
		return -1;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		pl_real_close(fd);
		wire_call(OP_CLOSE, &res, sizeof(res), NULL, 0, NULL, 0, &res);
		errno = ENOMEM;
		return -1;
	}
	d->handle = (uint32_t)res;
	d->refs = 1;
	d->pid = getpid();
	d->is_kfd = strcmp(path, "/dev/kfd") == 0;
	d->rdev = rdev;
	snprintf(d->path, sizeof(d->path), "%s", path);
	if ((old = fds_replace(fd, d)))
		fds_put(old);   /* a stale entry: that fd was closed behind our back */
	return fd;
}

static int ioctl_served(struct pl_dev *d, int fd, unsigned long request, void *arg)
{
	struct { uint32_t handle, reserved; uint64_t request; } q = { d->handle, 0, request };
	size_t size = _IOC_SIZE(request);
	int32_t res;
	int r;

	if (d->pid != getpid()) {
		errno = EBADF;   /* KFD refuses a file opened by another process */
		return -1;
	}
	switch (request) {
	case FIOCLEX: case FIONCLEX: case FIONBIO: case FIOASYNC: {
		/* The kernel handles these in the VFS, on the file itself, before the driver. */
		REAL(ioctl, -1)
		return real(fd, request, arg);
	}
	}
	if (size && !arg) {
		errno = EFAULT;
		return -1;
	}
	if ((r = userptr_prepare(d, request, arg)) < 0) {
		errno = -r;
		return -1;
	}
	if (wire_call(OP_IOCTL, &q, sizeof(q), arg, size, arg, size, &res) < 0)
		return -1;
	if (res < 0) {
		errno = -res;
		return -1;
	}
	return res;
}

/* ---- open ---- */

static int do_open(const char *path, int flags, mode_t mode)
{
	dev_t rdev;

	if (pl_served(path, &rdev))
		return open_served(path, flags, rdev);
	REAL(open, -1)
	REDIRECT(path, -1);
	return real(p, flags, mode);
}

static int do_openat(int dirfd, const char *path, int flags, mode_t mode)
{
	dev_t rdev;

	if (pl_served(path, &rdev))
		return open_served(path, flags, rdev);
	REAL(openat, -1)
	REDIRECT(path, -1);
	return real(dirfd, p, flags, mode);
}

int open(const char *path, int flags, ...) { mode_t m = 0; GET_MODE(flags, m); return do_open(path, flags, m); }
int open64(const char *path, int flags, ...) { mode_t m = 0; GET_MODE(flags, m); return do_open(path, flags, m); }
int openat(int dirfd, const char *path, int flags, ...) { mode_t m = 0; GET_MODE(flags, m); return do_openat(dirfd, path, flags, m); }
int openat64(int dirfd, const char *path, int flags, ...) { mode_t m = 0; GET_MODE(flags, m); return do_openat(dirfd, path, flags, m); }

/* The fortified variants are called without a mode; keep their checks by calling them. */
#define OPEN_2(fn, served_path)                                                  \
	dev_t rdev;                                                              \
	if (pl_served(served_path, &rdev))                                       \
		return open_served(served_path, flags, rdev);                    \
	REAL(fn, -1)                                                             \
	REDIRECT(served_path, -1)

int __open_2(const char *path, int flags) { OPEN_2(__open_2, path); return real(p, flags); }
int __open64_2(const char *path, int flags) { OPEN_2(__open64_2, path); return real(p, flags); }
int __openat_2(int dirfd, const char *path, int flags) { OPEN_2(__openat_2, path); return real(dirfd, p, flags); }
int __openat64_2(int dirfd, const char *path, int flags) { OPEN_2(__openat64_2, path); return real(dirfd, p, flags); }

/* stdio and dirent: redirection only. A served device through stdio is refused: fclose closes
 * the fd inside libc where we cannot see it, which would leave a stale table entry. */
#define NOT_SERVED(path, err, failval)                                           \
	dev_t rdev;                                                              \
	if (pl_served(path, &rdev)) {                                            \
		errno = err;                                                     \
		return failval;                                                  \
	}

FILE *fopen(const char *path, const char *mode) { NOT_SERVED(path, ENODEV, NULL) REAL(fopen, NULL) REDIRECT(path, NULL); return real(p, mode); }
FILE *fopen64(const char *path, const char *mode) { NOT_SERVED(path, ENODEV, NULL) REAL(fopen64, NULL) REDIRECT(path, NULL); return real(p, mode); }
DIR *opendir(const char *path) { NOT_SERVED(path, ENOTDIR, NULL) REAL(opendir, NULL) REDIRECT(path, NULL); return real(p); }

/* scandir opens the directory inside libc, past opendir's interposer: Node's fs.readdirSync uses it. */
typedef int (*dirent_filter)(const struct dirent *);
typedef int (*dirent_compare)(const struct dirent **, const struct dirent **);
typedef int (*dirent64_filter)(const struct dirent64 *);
typedef int (*dirent64_compare)(const struct dirent64 **, const struct dirent64 **);
int scandir(const char *path, struct dirent ***list, dirent_filter filter, dirent_compare compare)
{
	NOT_SERVED(path, ENOTDIR, -1) REAL(scandir, -1) REDIRECT(path, -1);
	return real(p, list, filter, compare);
}
int scandir64(const char *path, struct dirent64 ***list, dirent64_filter filter, dirent64_compare compare)
{
	NOT_SERVED(path, ENOTDIR, -1) REAL(scandir64, -1) REDIRECT(path, -1);
	return real(p, list, filter, compare);
}

/* ---- stat ---- */

#define STAT_PATH(fn, path, st)                                                  \
	dev_t rdev;                                                              \
	if (pl_served(path, &rdev))                                              \
		return fake_stat((struct stat *)(st), rdev);                     \
	REAL(fn, -1)                                                             \
	REDIRECT(path, -1)

int stat(const char *path, struct stat *st) { STAT_PATH(stat, path, st); return real(p, st); }
int stat64(const char *path, struct stat64 *st) { STAT_PATH(stat64, path, st); return real(p, st); }
int lstat(const char *path, struct stat *st) { STAT_PATH(lstat, path, st); return real(p, st); }
int lstat64(const char *path, struct stat64 *st) { STAT_PATH(lstat64, path, st); return real(p, st); }
int __xstat(int ver, const char *path, struct stat *st) { STAT_PATH(__xstat, path, st); return real(ver, p, st); }
int __xstat64(int ver, const char *path, struct stat64 *st) { STAT_PATH(__xstat64, path, st); return real(ver, p, st); }
int __lxstat(int ver, const char *path, struct stat *st) { STAT_PATH(__lxstat, path, st); return real(ver, p, st); }
int __lxstat64(int ver, const char *path, struct stat64 *st) { STAT_PATH(__lxstat64, path, st); return real(ver, p, st); }

#define STAT_AT(fn, dirfd, path, st, flags)                                      \
	if ((flags & AT_EMPTY_PATH) && pl_empty_path(path) && served_fstat(dirfd, (struct stat *)(st), NULL)) \
		return 0;                                                        \
	STAT_PATH(fn, path, st)

int fstatat(int dirfd, const char *path, struct stat *st, int flags) { STAT_AT(fstatat, dirfd, path, st, flags); return real(dirfd, p, st, flags); }
int fstatat64(int dirfd, const char *path, struct stat64 *st, int flags) { STAT_AT(fstatat64, dirfd, path, st, flags); return real(dirfd, p, st, flags); }
int __fxstatat(int ver, int dirfd, const char *path, struct stat *st, int flags) { STAT_AT(__fxstatat, dirfd, path, st, flags); return real(ver, dirfd, p, st, flags); }
int __fxstatat64(int ver, int dirfd, const char *path, struct stat64 *st, int flags) { STAT_AT(__fxstatat64, dirfd, path, st, flags); return real(ver, dirfd, p, st, flags); }

#define STAT_FD(fn, fd, st)                                                      \
	if (served_fstat(fd, (struct stat *)(st), NULL))                         \
		return 0;                                                        \
	REAL(fn, -1)

int fstat(int fd, struct stat *st) { STAT_FD(fstat, fd, st); return real(fd, st); }
int fstat64(int fd, struct stat64 *st) { STAT_FD(fstat64, fd, st); return real(fd, st); }
int __fxstat(int ver, int fd, struct stat *st) { STAT_FD(__fxstat, fd, st); return real(ver, fd, st); }
int __fxstat64(int ver, int fd, struct stat64 *st) { STAT_FD(__fxstat64, fd, st); return real(ver, fd, st); }

int statx(int dirfd, const char *path, int flags, unsigned int mask, struct statx *sx)
{
	dev_t rdev;

	if ((flags & AT_EMPTY_PATH) && pl_empty_path(path) && served_fstat(dirfd, NULL, sx))
		return 0;
	if (pl_served(path, &rdev))
		return fake_statx(sx, rdev);
	REAL(statx, -1)
	REDIRECT(path, -1);
	return real(dirfd, p, flags, mask, sx);
}

/* ---- access, readlink, realpath ---- */

int access(const char *path, int mode)
{
	dev_t rdev;

	if (pl_served(path, &rdev))
		return 0;
	REAL(access, -1)
	REDIRECT(path, -1);
	return real(p, mode);
}

int faccessat(int dirfd, const char *path, int mode, int flags)
{
	dev_t rdev;

	if (pl_served(path, &rdev))
		return 0;
	REAL(faccessat, -1)
	REDIRECT(path, -1);
	return real(dirfd, p, mode, flags);
}

/* A device node is not a symlink. */
ssize_t readlink(const char *path, char *buf, size_t len) { NOT_SERVED(path, EINVAL, -1) REAL(readlink, -1) REDIRECT(path, -1); return real(p, buf, len); }
ssize_t __readlink_chk(const char *path, char *buf, size_t len, size_t buflen) { NOT_SERVED(path, EINVAL, -1) REAL(__readlink_chk, -1) REDIRECT(path, -1); return real(p, buf, len, buflen); }

/* A device path is already canonical; a redirected one resolves inside the tree (root kept). */
static char *served_realpath(const char *path, char *resolved)
{
	if (!resolved)
		return strdup(path);
	return strcpy(resolved, path);
}

char *realpath(const char *path, char *resolved)
{
	dev_t rdev;

	if (pl_served(path, &rdev))
		return served_realpath(path, resolved);
	REAL(realpath, NULL)
	REDIRECT(path, NULL);
	return real(p, resolved);
}

char *__realpath_chk(const char *path, char *resolved, size_t resolvedlen)
{
	dev_t rdev;

	if (pl_served(path, &rdev))
		return served_realpath(path, resolved);
	REAL(__realpath_chk, NULL)
	REDIRECT(path, NULL);
	return real(p, resolved, resolvedlen);
}

/* ls -l asks for SELinux labels and ACLs; a redirected file has whatever the tree has. */
ssize_t getxattr(const char *path, const char *name, void *v, size_t n) { REAL(getxattr, -1) REDIRECT(path, -1); return real(p, name, v, n); }
ssize_t lgetxattr(const char *path, const char *name, void *v, size_t n) { REAL(lgetxattr, -1) REDIRECT(path, -1); return real(p, name, v, n); }
ssize_t listxattr(const char *path, char *list, size_t n) { REAL(listxattr, -1) REDIRECT(path, -1); return real(p, list, n); }
ssize_t llistxattr(const char *path, char *list, size_t n) { REAL(llistxattr, -1) REDIRECT(path, -1); return real(p, list, n); }

/* ---- fd lifetime: the table follows close and every dup ---- */

int close(int fd)
{
	REAL(close, -1)
	struct pl_dev *d = fds_take(fd);
	int r = real(fd);

	if (d)
		fds_put(d);   /* CLOSE goes out when this was the handle's last fd */
	return r;
}

/* newfd now refers to what oldfd's entry d (a reference we hold, or NULL) refers to. */
static int install(int newfd, struct pl_dev *d)
{
	struct pl_dev *old;

	if (newfd < 0) {
		if (d)
			fds_put(d);
		return newfd;
	}
	if ((old = fds_replace(newfd, d)))
		fds_put(old);   /* dup2 onto a served fd closed it */
	return newfd;
}

int dup(int fd)
{
	REAL(dup, -1)
	struct pl_dev *d = fds_get(fd);

	if (!d)
		return real(fd);
	return install(real(fd), d);
}

int dup2(int fd, int newfd)
{
	REAL(dup2, -1)
	if (fd == newfd)
		return real(fd, newfd);
	struct pl_dev *d = fds_get(fd);
	return install(real(fd, newfd), d);
}

int dup3(int fd, int newfd, int flags)
{
	REAL(dup3, -1)
	if (fd == newfd)
		return real(fd, newfd, flags);
	struct pl_dev *d = fds_get(fd);
	return install(real(fd, newfd, flags), d);
}

/* glibc's own fcntl reads its third argument as a pointer; so do we. fcntl64 is what programs
 * built with _FILE_OFFSET_BITS=64 call. */
#define FCNTL(fn)                                                                \
	REAL(fn, -1)                                                             \
	va_list ap;                                                              \
	va_start(ap, cmd);                                                       \
	void *arg = va_arg(ap, void *);                                          \
	va_end(ap);                                                              \
	struct pl_dev *d;                                                        \
	if ((cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC) && (d = fds_get(fd)))     \
		return install(real(fd, cmd, arg), d);                           \
	return real(fd, cmd, arg)

int fcntl(int fd, int cmd, ...) { FCNTL(fcntl); }
int fcntl64(int fd, int cmd, ...) { FCNTL(fcntl64); }

/* ---- ioctl and memory ---- */

int ioctl(int fd, unsigned long request, ...)
{
	REAL(ioctl, -1)
	va_list ap;
	va_start(ap, request);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	struct pl_dev *d = fds_get(fd);

	if (!d)
		return real(fd, request, arg);
	int r = ioctl_served(d, fd, request, arg);
	fds_put(d);
	return r;
}

static void *do_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	REAL(mmap, MAP_FAILED)
	struct pl_dev *d = fd >= 0 && !(flags & MAP_ANONYMOUS) ? fds_get(fd) : NULL;
	void *p;

	if (d) {
		if (d->pid != getpid()) {
			errno = EBADF;
			p = MAP_FAILED;
		} else {
			p = maps_mmap(d, addr, len, prot, flags, off);
		}
		fds_put(d);
		return p;
	}
	p = real(addr, len, prot, flags, fd, off);
	if (p != MAP_FAILED && (flags & MAP_FIXED))
		maps_unmapped(p, len);   /* it may have replaced pages the server shares */
	return p;
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off) { return do_mmap(addr, len, prot, flags, fd, off); }
void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off64_t off) { return do_mmap(addr, len, prot, flags, fd, off); }

int munmap(void *addr, size_t len)
{
	REAL(munmap, -1)
	int r = real(addr, len);

	if (r == 0)
		maps_unmapped(addr, len);
	return r;
}
