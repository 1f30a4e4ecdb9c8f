/* A minimal KFD client for the served path's failure tests: opens /dev/kfd, asks its version, prints
 * "connected <pid>", then asks again every 20 ms until a call fails, which it reports as
 * "ioctl failed: <errno name>" before exiting 3. It never frees or waits on anything else, so the only
 * way out is an ioctl failing (the emulator went away) or a signal.
 *
 * Build: cc -O2 -Wall -Wextra -o kfd_wait kfd_wait.c */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* include/uapi/linux/kfd_ioctl.h: AMDKFD_IOC_GET_VERSION = _IOR('K', 0x01, struct kfd_ioctl_get_version_args) */
struct get_version_args { uint32_t major_version, minor_version; };
#define GET_VERSION _IOR('K', 0x01, struct get_version_args)

int main(void)
{
	struct get_version_args v;
	int fd = open("/dev/kfd", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		printf("open failed: %s\n", errno == ENODEV ? "ENODEV" : strerror(errno));
		return 3;
	}
	if (ioctl(fd, GET_VERSION, &v) != 0) {
		printf("ioctl failed: %s\n", strerror(errno));
		return 3;
	}
	printf("connected %d KFD %u.%u\n", (int)getpid(), v.major_version, v.minor_version);
	fflush(stdout);
	for (;;) {
		usleep(20000);
		if (ioctl(fd, GET_VERSION, &v) != 0) {
			printf("ioctl failed: %s\n", errno == EIO ? "EIO" : strerror(errno));
			return 3;
		}
	}
}
