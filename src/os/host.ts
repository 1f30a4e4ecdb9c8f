// The Host seam: the only way the driver reaches the operating system. A native Host calls libc; the
// emulated GPU is a second Host serving the same files, ioctls and mappings.

/** open(2) flags (asm-generic/fcntl.h). */
export const O_RDONLY = 0;
export const O_RDWR = 2;
export const O_CLOEXEC = 0o2000000;

/** mmap(2) protections and flags (asm-generic/mman-common.h, mman.h). */
export const PROT_NONE = 0;
export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const PROT_EXEC = 4;
export const MAP_SHARED = 0x01;
export const MAP_PRIVATE = 0x02;
export const MAP_FIXED = 0x10;
export const MAP_ANONYMOUS = 0x20;
export const MAP_NORESERVE = 0x4000;
export const MAP_FIXED_NOREPLACE = 0x100000;

/** poll(2) events (asm-generic/poll.h). */
export const POLLIN = 0x1;
export const POLLERR = 0x8;

export const PAGE_SIZE = 4096;

/** A range of the process address space as `mmap` returned it, with a CPU view when it is accessible. */
export interface Mapping {
  readonly address: bigint;
  readonly length: number;
  /** The mapped bytes; empty for PROT_NONE reservations (touching those would fault). */
  readonly bytes: Uint8Array;
}

/**
 * Stores to device registers and doorbells: 64-bit atomic stores issued after every earlier store to
 * rings and write pointers is visible.
 */
export interface Mmio {
  store64(byteOffset: number, value: bigint): void;
  /**
   * A doorbell: `value` (an integer below 2^53, a write pointer or packet index) as one 64-bit store,
   * ordered after every earlier store of this thread. The submission path's store: no BigInt to build.
   */
  ringDoorbell(byteOffset: number, value: number): void;
  store32(byteOffset: number, value: number): void;
  load64(byteOffset: number): bigint;
  /** A 32-bit load: how device registers are read (never wider, never narrower). */
  load32(byteOffset: number): number;
}

export interface PollFd {
  readonly fd: number;
  readonly events: number;
}

/** Read-only access to a sysfs-like tree. */
export interface SysfsReader {
  /** File contents as text; throws OsError(ENOENT) when missing. */
  readText(path: string): string;
  /** Entry names of a directory; throws OsError(ENOENT) when missing. */
  listDir(path: string): string[];
  exists(path: string): boolean;
}

export interface HostDescription {
  /** `native`, or the emulated model (e.g. `emu:gfx1100`). */
  readonly device: string;
  readonly emulated: boolean;
  /** One line a person reads: what is behind this host. */
  readonly summary: string;
}

export interface Host extends SysfsReader {
  readonly description: HostDescription;
  /** A file's raw bytes (PCI config space, debugfs blobs); throws OsError like readText. */
  readBytes(path: string): Uint8Array;
  open(path: string, flags: number): number;
  close(fd: number): void;
  /** ioctl(2) with an in/out argument block; throws OsError naming the request on failure. */
  ioctl(fd: number, request: number, arg: Uint8Array, name?: string): number;
  mmap(address: bigint, length: number, prot: number, flags: number, fd: number, offset: bigint): Mapping;
  munmap(address: bigint, length: number): void;
  /** poll(2): returns revents per entry, all zero on timeout. */
  poll(fds: readonly PollFd[], timeoutMs: number): number[];
  /** The register accessor for a mapped MMIO or doorbell range. */
  mmio(mapping: Mapping): Mmio;
  /** Release what the host itself holds (the emulator's engine threads); the native host holds nothing. */
  shutdown(): Promise<void>;
}

export function pageAlign(n: number): number {
  return Math.ceil(n / PAGE_SIZE) * PAGE_SIZE;
}
