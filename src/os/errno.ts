// Linux errno numbers (include/uapi/asm-generic/errno-base.h, errno.h) used by the kernel paths we call.
export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  EIO: 5,
  ENXIO: 6,
  E2BIG: 7,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  ENFILE: 23,
  EMFILE: 24,
  ENOTTY: 25,
  EFBIG: 27,
  ENOSPC: 28,
  ERANGE: 34,
  EDEADLK: 35,
  ENOSYS: 38,
  ENODATA: 61,
  ETIME: 62,
  EOVERFLOW: 75,
  EOPNOTSUPP: 95,
  ETIMEDOUT: 110,
  EALREADY: 114,
  ECANCELED: 125,
  /** Kernel-internal (include/linux/errno.h), yet some KFD paths return it to user space unchanged. */
  ENOTSUPP: 524,
} as const;

export type ErrnoName = keyof typeof ERRNO;

const byNumber = new Map<number, ErrnoName>(Object.entries(ERRNO).map(([k, v]) => [v, k as ErrnoName]));

export function errnoName(errno: number): string {
  return byNumber.get(errno) ?? `errno ${errno}`;
}
