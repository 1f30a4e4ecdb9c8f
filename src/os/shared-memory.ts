// Memory another process can map too: memfd files mapped into this process through libc (koffi), and
// reads/writes of another process's memory (process_vm_readv/writev, as the kernel's copy_from_user /
// copy_to_user reach the calling process). Used by the emulator when it serves unmodified clients:
// the client maps the same files, so both sides see the same pages without copies.
import { createRequire } from 'node:module';
import { OsError } from './errors.js';

type KoffiModule = typeof import('koffi');
type Fn = (...args: unknown[]) => unknown;

interface Libc {
  koffi: KoffiModule;
  memfdCreate: Fn;
  ftruncate: Fn;
  mmap: Fn;
  munmap: Fn;
  close: Fn;
  open: Fn;
  readv: Fn;
  writev: Fn;
  madvise: Fn;
  /** memset(p, 0, 0) returns p: how the address of a JavaScript buffer's memory is learned. */
  addressOf: Fn;
}

let libc: Libc | undefined;

function load(): Libc {
  if (libc) return libc;
  const require = createRequire(import.meta.url);
  const koffi = require('koffi') as KoffiModule;
  const lib = koffi.load('libc.so.6');
  const iovec = koffi.struct('amdgpu_ts_iovec', { base: 'uint64_t', len: 'size_t' });
  libc = {
    koffi,
    memfdCreate: lib.func('int memfd_create(const char *name, unsigned int flags)') as Fn,
    ftruncate: lib.func('int ftruncate(int fd, int64_t length)') as Fn,
    mmap: lib.func('void *mmap(void *addr, size_t length, int prot, int flags, int fd, int64_t offset)') as Fn,
    munmap: lib.func('int munmap(void *addr, size_t length)') as Fn,
    close: lib.func('int close(int fd)') as Fn,
    open: lib.func('int open(const char *path, int flags, int mode)') as Fn,
    readv: lib.func('process_vm_readv', 'intptr_t', ['int', koffi.pointer(iovec), 'unsigned long', koffi.pointer(iovec), 'unsigned long', 'unsigned long']) as Fn,
    madvise: lib.func('int madvise(uintptr_t addr, size_t length, int advice)') as Fn,
    addressOf: lib.func('void *memset(void *s, int c, size_t n)') as Fn,
    writev: lib.func('process_vm_writev', 'intptr_t', ['int', koffi.pointer(iovec), 'unsigned long', koffi.pointer(iovec), 'unsigned long', 'unsigned long']) as Fn,
  };
  return libc;
}

const PROT_READ_WRITE = 3;
const MAP_SHARED = 1;
const MFD_CLOEXEC = 1;
const O_RDWR = 2;
const O_CLOEXEC = 0o2000000;
const MAP_FAILED = 0xffffffffffffffffn;
const EFAULT = 14;
// madvise advice values (/usr/include/asm-generic/mman-common.h).
export const MADV_HUGEPAGE = 14;
export const MADV_POPULATE_WRITE = 23;
const PAGE_BYTES = 4096n;
const HUGE_PAGE_BYTES = 2n << 20n;

/** A shared file mapped into this process. `bytes` is valid until `unmap()`. */
export interface SharedFileView {
  readonly fd: number;
  readonly size: number;
  readonly bytes: Uint8Array;
  /** Unmaps this process's view; the caller must drop every reference to `bytes` first. */
  unmap(): void;
}

function mapFd(c: Libc, fd: number, size: number, what: string): { bytes: Uint8Array; unmap: () => void } {
  const p = c.mmap(null, size, PROT_READ_WRITE, MAP_SHARED, fd, 0);
  const addr = BigInt(c.koffi.address(p));
  if (addr === MAP_FAILED || addr === 0n) throw new OsError({ call: 'mmap', errno: c.koffi.errno(), target: `${size} bytes of ${what}` });
  const bytes = new Uint8Array(c.koffi.view(p, size));
  let mapped = true;
  return {
    bytes,
    unmap: () => {
      if (!mapped) return;
      mapped = false;
      c.munmap(p, size);
    },
  };
}

/** New zeroed shared memory: a memfd of `size` bytes (pages are committed when touched). */
export function createSharedFile(size: number, label: string): SharedFileView {
  const c = load();
  const fd = c.memfdCreate(`amdgpu-ts:${label}`, MFD_CLOEXEC) as number;
  if (fd < 0) throw new OsError({ call: 'memfd_create', errno: c.koffi.errno(), target: label });
  if ((c.ftruncate(fd, size) as number) < 0) {
    const errno = c.koffi.errno();
    c.close(fd);
    throw new OsError({ call: 'ftruncate', errno, target: `${label} (${size} bytes)` });
  }
  try {
    const { bytes, unmap } = mapFd(c, fd, size, label);
    return { fd, size, bytes, unmap };
  } catch (e) {
    c.close(fd);
    throw e;
  }
}

/** Maps an fd this process already holds (another thread's view of the same file). Does not own the fd. */
export function mapSharedFd(fd: number, size: number, label: string): { bytes: Uint8Array; unmap: () => void } {
  return mapFd(load(), fd, size, label);
}

/** Opens another process's file descriptor through /proc (its memfd, for a userptr range it shared). */
export function openForeignFd(pid: number, fd: number): number {
  const c = load();
  const path = `/proc/${pid}/fd/${fd}`;
  const mine = c.open(path, O_RDWR | O_CLOEXEC, 0) as number;
  if (mine < 0) throw new OsError({ call: 'open', errno: c.koffi.errno(), target: path });
  return mine;
}

export function closeFd(fd: number): void {
  load().close(fd);
}

/** Moves bytes between this process and `pid` through a native bounce buffer (koffi cannot take a JS buffer's address). */
function transfer(pid: number, address: bigint, length: number, write: Uint8Array | undefined): Uint8Array {
  const c = load();
  const buf = c.koffi.alloc('uint8_t', length);
  try {
    const view = new Uint8Array(c.koffi.view(buf, length));
    if (write) view.set(write);
    const local = [{ base: BigInt(c.koffi.address(buf)), len: length }];
    const remote = [{ base: address, len: length }];
    const n = Number((write ? c.writev : c.readv)(pid, local, 1, remote, 1, 0) as number | bigint);
    if (n !== length) {
      const call = write ? 'process_vm_writev' : 'process_vm_readv';
      throw new OsError({ call, errno: n < 0 ? c.koffi.errno() : EFAULT, target: `${length} bytes at 0x${address.toString(16)} of pid ${pid}` });
    }
    return write ? write : view.slice();
  } finally {
    c.koffi.free(buf);
  }
}

/** copy_from_user: `length` bytes at `address` in process `pid`; throws OsError (EFAULT, ESRCH…) when unreadable. */
export function readProcessMemory(pid: number, address: bigint, length: number): Uint8Array {
  return length === 0 ? new Uint8Array(0) : transfer(pid, address, length, undefined);
}

/** copy_to_user. */
export function writeProcessMemory(pid: number, address: bigint, bytes: Uint8Array): void {
  if (bytes.length > 0) transfer(pid, address, bytes.length, bytes);
}

/**
 * Commits the pages behind `bytes` (memory this process allocated, e.g. a SharedArrayBuffer) now,
 * zeroed, in 2 MiB pages where the kernel can: MADV_HUGEPAGE, then MADV_POPULATE_WRITE (Linux ≥ 5.14).
 * Faulting 4 KiB pages one by one on first touch costs microseconds each in a VM (a 32 MiB buffer:
 * tens of milliseconds); this costs about what zeroing the memory costs. The advice changes no byte.
 * Returns false when it could not (no koffi, an older kernel): the pages then come on first touch.
 */
export function commitPages(bytes: Uint8Array): boolean {
  if (bytes.byteLength === 0) return true;
  let c: Libc;
  try {
    c = load();
  } catch {
    return false;
  }
  const address = BigInt(c.koffi.address(c.addressOf(bytes, 0, 0)));
  const end = address + BigInt(bytes.byteLength);
  // The pages that hold the buffer (the first and last may be shared with the allocator's own bytes:
  // populating them writes nothing), and the 2 MiB pages wholly inside it.
  const first = address & ~(PAGE_BYTES - 1n);
  const last = (end + PAGE_BYTES - 1n) & ~(PAGE_BYTES - 1n);
  const hugeFirst = (address + HUGE_PAGE_BYTES - 1n) & ~(HUGE_PAGE_BYTES - 1n);
  const hugeLast = end & ~(HUGE_PAGE_BYTES - 1n);
  if (hugeLast > hugeFirst) c.madvise(hugeFirst, hugeLast - hugeFirst, MADV_HUGEPAGE);
  return (c.madvise(first, last - first, MADV_POPULATE_WRITE) as number) === 0;
}
