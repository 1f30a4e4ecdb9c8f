/* The socket protocol: one connection per client thread (so a thread blocked in a long ioctl
 * never holds up another), opened on first use, HELLO first, closed at thread exit. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "preload.h"

struct req { uint32_t op; uint32_t len; };
struct rsp { int32_t result; uint32_t len; };

/* initial-exec: the library is loaded at startup, and this avoids __tls_get_addr (which may
 * allocate) inside interposed calls. */
static __thread int conn_fd __attribute__((tls_model("initial-exec"))) = -1;
static __thread pid_t conn_pid __attribute__((tls_model("initial-exec")));

static pthread_key_t key;          /* its destructor closes a thread's connection */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int *conns;                 /* every open connection, so a forked child can drop them */
static int nconns, capconns;
static pid_t server_pid;
static int connected_once;         /* decides ENODEV (never reached) or EIO (gone later) */
static int complained;

void pl_complain(const char *what, int err)
{
	char line[512];
	int n;

	if (__atomic_exchange_n(&complained, 1, __ATOMIC_RELAXED))
		return;
	n = snprintf(line, sizeof(line), "amdgpu-ts preload: %s: %s\n", what, strerror(err));
	if (n > (int)sizeof(line) - 1)
		n = sizeof(line) - 1;
	if (write(2, line, n) < 0) {
		/* nothing more to do */
	}
}

static void registry(int fd, int add)
{
	pthread_mutex_lock(&lock);
	if (add) {
		if (nconns == capconns) {
			int n = capconns ? capconns * 2 : 16;
			int *c = realloc(conns, n * sizeof(*c));
			if (c) {
				conns = c;
				capconns = n;
			}
		}
		if (nconns < capconns)
			conns[nconns++] = fd;
	} else {
		for (int i = 0; i < nconns; i++)
			if (conns[i] == fd) {
				conns[i] = conns[--nconns];
				break;
			}
	}
	pthread_mutex_unlock(&lock);
}

static void drop_conn(void)
{
	if (conn_fd >= 0) {
		registry(conn_fd, 0);
		pl_real_close(conn_fd);
	}
	conn_fd = -1;
	pthread_setspecific(key, NULL);
}

static void thread_exit(void *v)
{
	int fd = (int)(intptr_t)v - 1;

	if (conn_pid == getpid()) {
		registry(fd, 0);
		pl_real_close(fd);
	}
}

static void before_fork(void) { pthread_mutex_lock(&lock); }
static void in_parent(void) { pthread_mutex_unlock(&lock); }

/* The child gets copies of every thread's socket; they belong to the parent's session. */
static void in_child(void)
{
	for (int i = 0; i < nconns; i++)
		pl_real_close(conns[i]);
	nconns = 0;
	conn_fd = -1;
	pthread_setspecific(key, NULL);
	pthread_mutex_unlock(&lock);
}

static pthread_once_t once = PTHREAD_ONCE_INIT;
static void setup(void)
{
	pthread_key_create(&key, thread_exit);
	pthread_atfork(before_fork, in_parent, in_child);
}

pid_t wire_server_pid(void)
{
	return __atomic_load_n(&server_pid, __ATOMIC_RELAXED);
}

static int send_all(int fd, struct iovec *iov, int n)
{
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = n };

	while (m.msg_iovlen > 0) {
		ssize_t r = sendmsg(fd, &m, MSG_NOSIGNAL);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		while (m.msg_iovlen > 0 && (size_t)r >= m.msg_iov->iov_len) {
			r -= m.msg_iov->iov_len;
			m.msg_iov++;
			m.msg_iovlen--;
		}
		if (m.msg_iovlen > 0) {
			m.msg_iov->iov_base = (char *)m.msg_iov->iov_base + r;
			m.msg_iov->iov_len -= r;
		}
	}
	return 0;
}

static int recv_all(int fd, void *buf, size_t len)
{
	while (len > 0) {
		ssize_t r = recv(fd, buf, len, 0);
		if (r == 0) {
			errno = ECONNRESET;
			return -1;
		}
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf = (char *)buf + r;
		len -= r;
	}
	return 0;
}

/* One round trip on fd: header + a + b out; result, then up to outcap payload bytes in. */
static int round_trip(int fd, uint32_t op, const void *a, size_t alen, const void *b,
		      size_t blen, void *out, size_t outcap, int32_t *result)
{
	struct req q = { op, (uint32_t)(alen + blen) };
	struct iovec iov[3] = { { &q, sizeof(q) }, { (void *)a, alen }, { (void *)b, blen } };
	struct rsp s;
	char sink[256];

	if (send_all(fd, iov, 3) < 0 || recv_all(fd, &s, sizeof(s)) < 0)
		return -1;
	size_t keep = s.len < outcap ? s.len : outcap;
	if (recv_all(fd, out, keep) < 0)
		return -1;
	for (size_t left = s.len - keep; left > 0;) {
		size_t n = left < sizeof(sink) ? left : sizeof(sink);
		if (recv_all(fd, sink, n) < 0)
			return -1;
		left -= n;
	}
	*result = s.result;
	return 0;
}

static int connect_server(void)
{
	const char *path = pl_socket_path();
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	uint32_t hello[2] = { 1, (uint32_t)getpid() }, reply[2] = { 0, 0 };
	int32_t res;
	char what[160];
	int fd, err;

	if (!path || strlen(path) >= sizeof(sa.sun_path)) {
		err = ENAMETOOLONG;
		snprintf(what, sizeof(what), "socket path %s", path ? path : "(unset)");
		goto fail;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = errno;
		snprintf(what, sizeof(what), "socket");
		goto fail;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = errno;
		snprintf(what, sizeof(what), "connect to %s", path);
		pl_real_close(fd);
		goto fail;
	}
	res = 0;
	if (round_trip(fd, OP_HELLO, hello, sizeof(hello), NULL, 0, reply, sizeof(reply), &res) < 0
	    || res < 0) {
		err = res < 0 ? -res : errno;
		snprintf(what, sizeof(what), "HELLO to %s", path);
		pl_real_close(fd);
		goto fail;
	}
	__atomic_store_n(&server_pid, (pid_t)reply[0], __ATOMIC_RELAXED);
	__atomic_store_n(&connected_once, 1, __ATOMIC_RELAXED);
	/* The server reads and writes what ioctl arguments point to (process_vm_readv/writev). */
	prctl(PR_SET_PTRACER, (unsigned long)reply[0], 0, 0, 0);
	/* A client the emulator started dies with it: with the GPU gone nothing would ever complete its
	 * waits (as after a GPU reset, where the runtime aborts the process). Checked again after the
	 * prctl, in case the parent died in between. */
	if (getppid() == (pid_t)reply[0]) {
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		if (getppid() != (pid_t)reply[0])
			raise(SIGKILL);
	}
	conn_fd = fd;
	conn_pid = getpid();
	registry(fd, 1);
	pthread_setspecific(key, (void *)(intptr_t)(fd + 1));
	return 0;
fail:
	pl_complain(what, err);
	errno = __atomic_load_n(&connected_once, __ATOMIC_RELAXED) ? EIO : ENODEV;
	return -1;
}

/* Returns 0 with *result set, or -1 with errno ENODEV (server never reached) or EIO. */
int wire_call(uint32_t op, const void *a, size_t alen, const void *b, size_t blen,
	      void *out, size_t outcap, int32_t *result)
{
	pl_init();
	pthread_once(&once, setup);   /* the thread key and fork handlers, before the first connection */
	if (conn_fd >= 0 && conn_pid != getpid())
		conn_fd = -1;   /* cannot happen after the atfork handler; cheap insurance */
	if (conn_fd < 0 && connect_server() < 0)
		return -1;
	errno = 0;
	if (round_trip(conn_fd, op, a, alen, b, blen, out, outcap, result) < 0) {
		pl_complain("server connection", errno ? errno : EIO);
		drop_conn();
		errno = EIO;
		return -1;
	}
	return 0;
}
