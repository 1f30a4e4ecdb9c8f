// Reading and writing the calling process's memory through pointers passed in ioctl arguments
// (copy_from_user / copy_to_user): EFAULT when the range is not mapped.
import type { AddressSpace } from '../process/address-space.js';
import { fail } from './errors.js';

export function userBytes(as: AddressSpace, ptr: bigint, length: number, where: string): Uint8Array {
  if (length === 0) return new Uint8Array(0);
  const r = as.resolve(ptr, length);
  if (!r) fail('EFAULT', where, `user pointer 0x${ptr.toString(16)} (+${length} bytes) is not mapped readable memory`);
  return r.backing.bytes.subarray(r.offset, r.offset + length);
}

export function readU32Array(as: AddressSpace, ptr: bigint, count: number, where: string): number[] {
  const b = userBytes(as, ptr, count * 4, where);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return Array.from({ length: count }, (_, i) => dv.getUint32(i * 4, true));
}
