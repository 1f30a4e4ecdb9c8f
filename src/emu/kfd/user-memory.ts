// Reading and writing the calling process's memory through pointers passed in ioctl arguments
// (copy_from_user / copy_to_user): EFAULT when the range is not mapped. In-process the calling
// process's memory is the emulated address space; a served client's is its own, reached through
// process_vm_readv/writev.
import type { AddressSpace } from '../process/address-space.js';
import { OsError } from '../../os/errors.js';
import { readProcessMemory, writeProcessMemory } from '../../os/shared-memory.js';
import { fail } from './errors.js';

export interface UserMemory {
  /** A copy of `length` bytes at `ptr`. */
  read(ptr: bigint, length: number, where: string): Uint8Array;
  write(ptr: bigint, bytes: Uint8Array, where: string): void;
}

const unmapped = (ptr: bigint, length: number, where: string): never =>
  fail('EFAULT', where, `user pointer 0x${ptr.toString(16)} (+${length} bytes) is not mapped readable memory`);

/** The in-process emulated address space. */
export function addressSpaceMemory(as: AddressSpace): UserMemory {
  const span = (ptr: bigint, length: number, where: string): Uint8Array => {
    const r = as.resolve(ptr, length);
    if (!r) return unmapped(ptr, length, where);
    return r.backing.bytes.subarray(r.offset, r.offset + length);
  };
  return {
    read: (ptr, length, where) => (length === 0 ? new Uint8Array(0) : span(ptr, length, where).slice()),
    write: (ptr, bytes, where) => {
      if (bytes.length > 0) span(ptr, bytes.length, where).set(bytes);
    },
  };
}

/** Another process's memory (a served client), as the kernel reaches the caller of an ioctl. */
export function processMemory(pid: number): UserMemory {
  const guard = <T>(ptr: bigint, length: number, where: string, f: () => T): T => {
    try {
      return f();
    } catch (e) {
      if (e instanceof OsError) return unmapped(ptr, length, where);
      throw e;
    }
  };
  return {
    read: (ptr, length, where) => guard(ptr, length, where, () => readProcessMemory(pid, ptr, length)),
    write: (ptr, bytes, where) => guard(ptr, bytes.length, where, () => writeProcessMemory(pid, ptr, bytes)),
  };
}

export function readU32Array(user: UserMemory, ptr: bigint, count: number, where: string): number[] {
  const b = user.read(ptr, count * 4, where);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return Array.from({ length: count }, (_, i) => dv.getUint32(i * 4, true));
}
