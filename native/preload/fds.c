/* The fd table: which client fds stand for a served device, with reference counts so that
 * dup'ed fds share one server handle and CLOSE goes out only when the last one is gone. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "preload.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct pl_dev **tab;   /* indexed by fd */
static int cap;

/* A fork while another thread holds the lock would leave the child's copy locked forever. */
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

struct pl_dev *fds_get(int fd)
{
	struct pl_dev *d = NULL;

	lock_table();
	if (fd >= 0 && fd < cap && (d = tab[fd]))
		d->refs++;
	pthread_mutex_unlock(&lock);
	return d;
}

struct pl_dev *fds_take(int fd)
{
	struct pl_dev *d = NULL;

	lock_table();
	if (fd >= 0 && fd < cap) {
		d = tab[fd];
		tab[fd] = NULL;
	}
	pthread_mutex_unlock(&lock);
	return d;
}

struct pl_dev *fds_replace(int fd, struct pl_dev *d)
{
	struct pl_dev *old = NULL;

	lock_table();
	if (fd >= cap && d) {
		int n = cap ? cap : 64;
		while (n <= fd)
			n *= 2;
		struct pl_dev **t = realloc(tab, n * sizeof(*t));
		if (!t) {
			/* Cannot happen in practice; the fd then behaves as an ordinary fd. */
			pthread_mutex_unlock(&lock);
			return d;
		}
		for (int i = cap; i < n; i++)
			t[i] = NULL;
		tab = t;
		cap = n;
	}
	if (fd >= 0 && fd < cap) {
		old = tab[fd];
		tab[fd] = d;
	}
	pthread_mutex_unlock(&lock);
	return old;
}

void fds_put(struct pl_dev *d)
{
	int last, err = errno;

	lock_table();
	last = --d->refs == 0;
	pthread_mutex_unlock(&lock);
	if (!last)
		return;
	/* An inherited handle belongs to the parent's session: the child never closes it. */
	if (d->pid == getpid()) {
		int32_t res;
		/* A failed CLOSE is not reported: the client's fd is already gone. */
		wire_call(OP_CLOSE, &d->handle, sizeof(d->handle), NULL, 0, NULL, 0, &res);
	}
	free(d);
	errno = err;
}
