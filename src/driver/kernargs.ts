// Kernel argument segments packed from the code object's metadata: explicit arguments in order,
// hidden arguments where the metadata places them (LLVM AMDGPUUsage.rst, "Code Object V5 Metadata",
// hidden argument kinds and sizes).
import { InputError } from '../errors.js';
import type { KernelInfo, KernelArgMetadata } from '../codeobj/index.js';
import type { GpuBuffer } from './memory.js';
import { lo32, hi32 } from '../hw/dword-stream.js';

/** A value for one explicit argument: numbers for scalars (floats by type name), buffers or addresses for pointers, raw bytes for structs. */
export type KernelArg = number | bigint | GpuBuffer | { readonly va: bigint } | Uint8Array;

export interface LaunchShape {
  /** Work-items per dimension (HIP's global size). */
  readonly grid: readonly [number, number, number];
  readonly block: readonly [number, number, number];
  readonly dynamicLds: number;
}

export interface HiddenContext {
  readonly queuePtr: bigint;
  readonly privateBase: bigint;
  readonly sharedBase: bigint;
}

/** LDS offsets of OpenCL `__local` pointer arguments are aligned to their .pointee_align (16 when absent). */
const ldsAlign = (a: KernelArgMetadata): number => Math.max(a.pointeeAlign ?? 16, 1);

/**
 * Bytes of dynamic LDS the `__local` pointer arguments (value kind dynamic_shared_pointer, passed as
 * a byte count) need after the kernel's static group segment.
 */
export function dynamicLdsOfArgs(k: KernelInfo, args: readonly KernelArg[]): number {
  let cursor = k.descriptor.groupSegmentFixedSize;
  const start = cursor;
  k.explicitArgs.forEach((a, i) => {
    if (a.valueKind !== 'dynamic_shared_pointer') return;
    cursor = Math.ceil(cursor / ldsAlign(a)) * ldsAlign(a) + Number(args[i] ?? 0);
  });
  return cursor - start;
}

/** Arguments that do not fit the kernel's signature: the caller's input. */
export class KernargError extends InputError {
  constructor(kernel: string, message: string) {
    super(`kernel ${kernel}: ${message}`);
    this.name = 'KernargError';
  }
}

const FLOAT_TYPE = /^(float|double|half|_Float16|__fp16|bfloat16|__bf16)/;
const floatArgs = new WeakMap<KernelArgMetadata, boolean>();

/** Whether a by-value argument is floating point (decided once per argument from its type name). */
function isFloatArg(a: KernelArgMetadata): boolean {
  let f = floatArgs.get(a);
  if (f === undefined) floatArgs.set(a, (f = FLOAT_TYPE.test((a.typeName ?? '').replace(/\s+/g, ''))));
  return f;
}

/** An unsigned integer of `size` bytes (two's complement for negative numbers). */
function writeUint(dv: DataView, offset: number, size: number, v: number | bigint): boolean {
  if (typeof v === 'number' && Number.isSafeInteger(v)) {
    switch (size) {
      case 1: dv.setUint8(offset, v & 0xff); return true;
      case 2: dv.setUint16(offset, v & 0xffff, true); return true;
      case 4: dv.setUint32(offset, v >>> 0, true); return true;
      case 8:
        dv.setUint32(offset, lo32(v), true);
        dv.setUint32(offset + 4, hi32(v), true);
        return true;
      default: return false;
    }
  }
  const big = BigInt.asUintN(size * 8, BigInt(v));
  switch (size) {
    case 1: dv.setUint8(offset, Number(big)); return true;
    case 2: dv.setUint16(offset, Number(big), true); return true;
    case 4: dv.setUint32(offset, Number(big), true); return true;
    case 8: dv.setBigUint64(offset, big, true); return true;
    default: return false;
  }
}

function writeScalar(dv: DataView, a: KernelArgMetadata, v: number | bigint, kernel: string): void {
  const where = (): string => `argument ${a.name ?? '@' + a.offset} (${a.typeName ?? a.valueKind}, ${a.size} bytes)`;
  if (isFloatArg(a)) {
    const n = Number(v);
    if (a.size === 4) dv.setFloat32(a.offset, n, true);
    else if (a.size === 8) dv.setFloat64(a.offset, n, true);
    else throw new KernargError(kernel, `${where()}: ${a.size}-byte floating-point arguments need raw bytes (pass a Uint8Array)`);
    return;
  }
  if (!writeUint(dv, a.offset, a.size, v)) throw new KernargError(kernel, `${where()}: pass a Uint8Array of ${a.size} bytes`);
}

/** Fills `out` (kernarg_segment_size bytes, zeroed) for one launch. */
export function packKernargs(k: KernelInfo, args: readonly KernelArg[], shape: LaunchShape, hidden: HiddenContext, out: Uint8Array): void {
  out.fill(0);
  if (args.length === 0 && k.explicitArgs.length === 0 && k.hiddenArgs.length === 0) return;
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const explicit = k.explicitArgs;
  if (args.length !== explicit.length) {
    throw new KernargError(k.name, `takes ${explicit.length} argument(s) (${explicit.map((a) => `${a.name ?? '?'}: ${a.typeName ?? a.valueKind}`).join(', ')}), got ${args.length}`);
  }
  let ldsCursor = k.descriptor.groupSegmentFixedSize;
  for (let i = 0; i < explicit.length; i++) {
    const a = explicit[i]!;
    const v = args[i]!;
    if (a.offset + a.size > out.length) throw new KernargError(k.name, `argument ${i} lies outside the ${out.length}-byte kernarg segment`);
    if (a.valueKind === 'dynamic_shared_pointer') {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new KernargError(k.name, `argument ${i} (${a.name ?? '?'}) is a __local pointer: pass its size in bytes`);
      ldsCursor = Math.ceil(ldsCursor / ldsAlign(a)) * ldsAlign(a);
      dv.setUint32(a.offset, ldsCursor, true);
      ldsCursor += v;
      continue;
    }
    const what = (): string => `argument ${i} (${a.name ?? '?'}: ${a.typeName ?? a.valueKind})`;
    if (v instanceof Uint8Array) {
      if (v.length !== a.size) throw new KernargError(k.name, `${what()} is ${a.size} bytes, got ${v.length}`);
      out.set(v, a.offset);
    } else if (typeof v === 'object') {
      if (a.valueKind !== 'global_buffer') throw new KernargError(k.name, `${what()} is a value, not a pointer: got a buffer`);
      dv.setBigUint64(a.offset, v.va, true);
    } else {
      // A plain number for a pointer is almost always an argument in the wrong place; raw addresses are bigints.
      if (a.valueKind === 'global_buffer' && typeof v === 'number') throw new KernargError(k.name, `${what()} is a pointer: pass a buffer or a bigint address, got the number ${v}`);
      writeScalar(dv, a, v, k.name);
    }
  }
  const [gx, gy, gz] = shape.grid;
  const [bx, by, bz] = shape.block;
  const dims = gz > 1 || bz > 1 ? 3 : gy > 1 || by > 1 ? 2 : 1;
  // Hidden values as numbers: addresses are below 2^53, and the number route of writeUint allocates nothing.
  for (const a of k.hiddenArgs) {
    let v: number;
    switch (a.valueKind) {
      case 'hidden_block_count_x': v = Math.ceil(gx / bx); break;
      case 'hidden_block_count_y': v = Math.ceil(gy / by); break;
      case 'hidden_block_count_z': v = Math.ceil(gz / bz); break;
      case 'hidden_group_size_x': v = bx; break;
      case 'hidden_group_size_y': v = by; break;
      case 'hidden_group_size_z': v = bz; break;
      case 'hidden_remainder_x': v = gx % bx; break;
      case 'hidden_remainder_y': v = gy % by; break;
      case 'hidden_remainder_z': v = gz % bz; break;
      case 'hidden_grid_dims': v = dims; break;
      case 'hidden_dynamic_lds_size': v = shape.dynamicLds; break;
      case 'hidden_queue_ptr': v = Number(hidden.queuePtr); break;
      case 'hidden_private_base': v = hi32(hidden.privateBase); break;
      case 'hidden_shared_base': v = hi32(hidden.sharedBase); break;
      default: continue; // global offsets, printf/hostcall/heap buffers and the rest stay zero.
    }
    writeUint(dv, a.offset, a.size, v);
  }
}
