/* Which paths the library handles: served device nodes and prefixes redirected into the tree. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "preload.h"

#define MAX_PREFIXES 32

static const char *sock_path;   /* NULL: no server, served devices are left to libc */
static const char *root;        /* NULL: nothing is redirected */
static size_t root_len;
static char *prefixes[MAX_PREFIXES];
static size_t prefix_len[MAX_PREFIXES];
static int nprefixes;
static dev_t kfd_rdev;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void parse_env(void)
{
	/* Only getenv/malloc here: this runs from inside interposed calls, before main. */
	const char *s = getenv("AMDGPU_TS_SOCKET");
	const char *r = getenv("AMDGPU_TS_ROOT");
	const char *p = getenv("AMDGPU_TS_PREFIXES");
	const char *k = getenv("AMDGPU_TS_KFD_RDEV");

	sock_path = s && *s ? s : NULL;
	if (r && *r == '/') {
		root_len = strlen(r);
		while (root_len > 1 && r[root_len - 1] == '/')
			root_len--;
		root = r;
	}
	if (p) {
		char *copy = strdup(p), *save = NULL;
		for (char *tok = copy ? strtok_r(copy, ":", &save) : NULL;
		     tok && nprefixes < MAX_PREFIXES; tok = strtok_r(NULL, ":", &save)) {
			size_t n = strlen(tok);
			while (n > 1 && tok[n - 1] == '/')
				tok[--n] = 0;
			if (tok[0] != '/' || n < 2)
				continue;   /* only absolute, and never "/" itself */
			prefixes[nprefixes] = tok;
			prefix_len[nprefixes++] = n;
		}
	}
	if (k) {
		char *end;
		unsigned long maj = strtoul(k, &end, 10);
		if (*end == ':')
			kfd_rdev = makedev(maj, strtoul(end + 1, NULL, 10));
	}
}

void pl_init(void)
{
	pthread_once(&once, parse_env);
}

__attribute__((constructor)) static void pl_ctor(void)
{
	pl_init();
}

const char *pl_socket_path(void)
{
	pl_init();
	return sock_path;
}

/* "/dev/kfd", "/dev/dri/renderD<N>", "/dev/dri/card<N>" exactly; rdev as PROTOCOL.md says. */
int pl_served(const char *path, dev_t *rdev)
{
	const char *num;

	pl_init();
	if (!sock_path || !path || strncmp(path, "/dev/", 5) != 0)
		return 0;
	if (strcmp(path, "/dev/kfd") == 0) {
		*rdev = kfd_rdev;
		return 1;
	}
	if (strncmp(path, "/dev/dri/renderD", 16) == 0)
		num = path + 16;
	else if (strncmp(path, "/dev/dri/card", 13) == 0)
		num = path + 13;
	else
		return 0;
	if (*num < '0' || *num > '9' || strspn(num, "0123456789") != strlen(num) || strlen(num) > 6)
		return 0;
	*rdev = makedev(226, (unsigned)atoi(num));
	return 1;
}

/* Returns path itself, or buf holding $AMDGPU_TS_ROOT + path, or NULL with ENAMETOOLONG.
 * errno is untouched unless NULL is returned, so pass-through calls see libc's errno only. */
const char *pl_redirect(const char *path, char *buf)
{
	pl_init();
	if (!root || !path || path[0] != '/')
		return path;
	for (int i = 0; i < nprefixes; i++) {
		size_t n = prefix_len[i];
		if (strncmp(path, prefixes[i], n) != 0 || (path[n] != 0 && path[n] != '/'))
			continue;
		size_t plen = strlen(path);
		if (root_len + plen + 1 > PATH_MAX) {
			errno = ENAMETOOLONG;
			return NULL;
		}
		memcpy(buf, root, root_len);
		memcpy(buf + root_len, path, plen + 1);
		return buf;
	}
	return path;
}

int pl_empty_path(const char *path)
{
	return !path || !*path;
}
