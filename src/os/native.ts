// The native Host: libc through koffi. errno is read right after each failing call, before anything
// else can overwrite it.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { OsError } from './errors.js';
import { MAP_ANONYMOUS, PROT_NONE, type Host, type HostDescription, type Mapping, type Mmio, type PollFd } from './host.js';
import { releaseStore64 } from './store-order.js';

type KoffiModule = typeof import('koffi');
type Fn = (...args: unknown[]) => unknown;

interface Libc {
  koffi: KoffiModule;
  open: Fn;
  close: Fn;
  ioctl: Fn;
  mmap: Fn;
  munmap: Fn;
  poll: Fn;
}

let libc: Libc | undefined;

function loadLibc(): Libc {
  if (libc) return libc;
  const require = createRequire(import.meta.url);
  const koffi = require('koffi') as KoffiModule;
  // The process's global symbol scope (dlopen(NULL)), as a C program's calls resolve: libc's functions,
  // or an LD_PRELOAD library's in front of them (amdgpu-ts emulate's, or a tracer's).
  const lib = koffi.load(null);
  const pollfd = koffi.struct('amdgpu_ts_pollfd', { fd: 'int', events: 'short', revents: 'short' });
  libc = {
    koffi,
    open: lib.func('int open(const char *path, int flags, int mode)') as Fn,
    close: lib.func('int close(int fd)') as Fn,
    ioctl: lib.func('int ioctl(int fd, unsigned long request, _Inout_ uint8_t *arg)') as Fn,
    mmap: lib.func('void *mmap(void *addr, size_t length, int prot, int flags, int fd, int64_t offset)') as Fn,
    munmap: lib.func('int munmap(void *addr, size_t length)') as Fn,
    poll: lib.func('poll', 'int', [koffi.inout(koffi.pointer(pollfd)), 'unsigned long', 'int']) as Fn,
  };
  return libc;
}

const MAP_FAILED = 0xffffffffffffffffn;

function toBigAddress(p: unknown): bigint {
  if (p === null || p === undefined) return 0n;
  if (typeof p === 'bigint') return p;
  if (typeof p === 'number') return BigInt(p);
  const { koffi } = loadLibc();
  return BigInt(koffi.address(p));
}

class NativeMmio implements Mmio {
  private readonly u64: BigUint64Array;
  private readonly u32: Uint32Array;
  constructor(bytes: Uint8Array) {
    this.u64 = new BigUint64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 3);
    this.u32 = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 2);
  }
  store64(byteOffset: number, value: bigint): void {
    Atomics.store(this.u64, byteOffset >>> 3, value);
  }
  ringDoorbell(byteOffset: number, value: number): void {
    releaseStore64(this.u64, byteOffset >>> 3, value);
  }
  store32(byteOffset: number, value: number): void {
    Atomics.store(this.u32, byteOffset >>> 2, value);
  }
  load64(byteOffset: number): bigint {
    return Atomics.load(this.u64, byteOffset >>> 3);
  }
  load32(byteOffset: number): number {
    return Atomics.load(this.u32, byteOffset >>> 2);
  }
}

export class NativeHost implements Host {
  readonly description: HostDescription = { device: 'native', emulated: false, summary: 'the running kernel (/dev/kfd)' };
  private readonly paths = new Map<number, string>();

  open(path: string, flags: number): number {
    const c = loadLibc();
    const fd = c.open(path, flags, 0) as number;
    if (fd < 0) throw new OsError({ call: 'open', errno: c.koffi.errno(), target: path });
    this.paths.set(fd, path);
    return fd;
  }

  close(fd: number): void {
    const c = loadLibc();
    if ((c.close(fd) as number) < 0) throw new OsError({ call: 'close', errno: c.koffi.errno(), target: this.paths.get(fd) ?? `fd ${fd}` });
    this.paths.delete(fd);
  }

  ioctl(fd: number, request: number, arg: Uint8Array, name?: string): number {
    const c = loadLibc();
    const r = c.ioctl(fd, request, arg) as number;
    if (r < 0) {
      const errno = c.koffi.errno();
      const what = name ?? `0x${request.toString(16)}`;
      throw new OsError({ call: 'ioctl', errno, target: `${what} on ${this.paths.get(fd) ?? `fd ${fd}`}` });
    }
    return r;
  }

  mmap(address: bigint, length: number, prot: number, flags: number, fd: number, offset: bigint): Mapping {
    const c = loadLibc();
    const p = c.mmap(address === 0n ? null : address, length, prot, flags, fd, offset);
    const addr = toBigAddress(p);
    if (addr === MAP_FAILED || addr === 0n) {
      const errno = c.koffi.errno();
      const target = flags & MAP_ANONYMOUS ? `anonymous ${length} bytes` : `${length} bytes of ${this.paths.get(fd) ?? `fd ${fd}`} at offset 0x${offset.toString(16)}`;
      throw new OsError({ call: 'mmap', errno, target });
    }
    const bytes = prot === PROT_NONE || length === 0 ? new Uint8Array(0) : new Uint8Array(c.koffi.view(p, length));
    return { address: addr, length, bytes };
  }

  munmap(address: bigint, length: number): void {
    const c = loadLibc();
    if ((c.munmap(address, length) as number) < 0) {
      throw new OsError({ call: 'munmap', errno: c.koffi.errno(), target: `0x${address.toString(16)}+${length}` });
    }
  }

  poll(fds: readonly PollFd[], timeoutMs: number): number[] {
    const c = loadLibc();
    const arr = fds.map((f) => ({ fd: f.fd, events: f.events, revents: 0 }));
    const r = c.poll(arr, arr.length, timeoutMs) as number;
    if (r < 0) throw new OsError({ call: 'poll', errno: c.koffi.errno() });
    return arr.map((e) => e.revents);
  }

  mmio(mapping: Mapping): Mmio {
    return new NativeMmio(mapping.bytes);
  }

  readText(path: string): string {
    try {
      return readFileSync(path, 'utf8');
    } catch (e) {
      throw fsError('read', path, e);
    }
  }

  readBytes(path: string): Uint8Array {
    try {
      const b = readFileSync(path);
      return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    } catch (e) {
      throw fsError('read', path, e);
    }
  }

  listDir(path: string): string[] {
    try {
      return readdirSync(path);
    } catch (e) {
      throw fsError('readdir', path, e);
    }
  }

  exists(path: string): boolean {
    return existsSync(path);
  }

  async shutdown(): Promise<void> {}
}

export function fsError(call: string, path: string, e: unknown): OsError {
  const err = e as NodeJS.ErrnoException;
  const errno = typeof err.errno === 'number' ? Math.abs(err.errno) : 5;
  return new OsError({ call, errno, target: path });
}
