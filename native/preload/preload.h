/* amdgpu-ts preload library: internal interfaces. See PROTOCOL.md for the wire protocol. */
#ifndef AMDGPU_TS_PRELOAD_H
#define AMDGPU_TS_PRELOAD_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Internal symbols stay out of the client's global namespace; only interpose.c exports. */
#pragma GCC visibility push(hidden)

/* Wire op codes (PROTOCOL.md, "Wire format"). */
enum { OP_HELLO = 1, OP_OPEN, OP_CLOSE, OP_IOCTL, OP_MMAP, OP_MAPPED, OP_MUNMAP, OP_SHARE };

/* One open served device (server handle); shared by every client fd dup'ed from it. */
struct pl_dev {
	uint32_t handle;
	int refs;        /* client fds + calls in flight; CLOSE is sent when it drops to 0 */
	pid_t pid;       /* process that opened it; a forked child must not use it */
	int is_kfd;
	dev_t rdev;
	char path[32];
};

/* paths.c: environment, served-device detection, prefix redirection. */
void pl_init(void);
const char *pl_socket_path(void);
int pl_served(const char *path, dev_t *rdev);
const char *pl_redirect(const char *path, char *buf);   /* buf: PATH_MAX bytes */
int pl_empty_path(const char *path);   /* NULL or ""; out of line so libc's nonnull does not elide it */

/* fds.c: client fd -> served device. get/take return a reference the caller must put. */
struct pl_dev *fds_get(int fd);
struct pl_dev *fds_take(int fd);
struct pl_dev *fds_replace(int fd, struct pl_dev *d);   /* installs d's reference, returns old */
void fds_put(struct pl_dev *d);

/* wire.c: per-thread connection and one request/response round trip. */
int wire_call(uint32_t op, const void *a, size_t alen, const void *b, size_t blen,
	      void *out, size_t outcap, int32_t *result);
pid_t wire_server_pid(void);
void pl_complain(const char *what, int err);

/* maps.c: mappings obtained through MMAP or SHARE, and the MMAP/MAPPED/MUNMAP messages. */
void *maps_mmap(struct pl_dev *d, void *addr, size_t len, int prot, int flags, off_t off);
void maps_unmapped(void *addr, size_t len);
void maps_add(uintptr_t start, uintptr_t end);
void maps_del(uintptr_t start, uintptr_t end);
int maps_next_gap(uintptr_t *cur, uintptr_t end, uintptr_t *gs, uintptr_t *ge);

/* userptr.c: SHARE before a userptr ALLOC_MEMORY_OF_GPU. Returns 0 or -errno. */
int userptr_prepare(struct pl_dev *d, unsigned long request, void *arg);

/* real.c: libc's own functions (past this library), for the interposers and the library's own use. */
void *pl_resolve(void **slot, const char *name);
int pl_real_open(const char *path, int flags, mode_t mode);
int pl_real_close(int fd);
void *pl_real_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int pl_real_munmap(void *addr, size_t len);

#pragma GCC visibility pop

#endif
