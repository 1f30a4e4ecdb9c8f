// NT_AMDGPU_METADATA: the msgpack map in the "AMDGPU" note (type 32) of a v3+ code object.
// Keys and meanings: LLVM AMDGPUUsage.rst "Code Object V3/V4/V5 Metadata" (amdhsa.version,
// amdhsa.target, amdhsa.kernels with .name/.symbol/.args...). Decoded with @msgpack/msgpack.
import { InputError } from '../errors.js';
import { decode } from '@msgpack/msgpack';
import type { ElfNote } from './elf.js';

export const NT_AMDGPU_METADATA = 32; // llvm/BinaryFormat/ELF.h
export const AMDGPU_NOTE_NAME = 'AMDGPU';

/** `.value_kind` values (AMDGPUUsage "AMDHSA Code Object V3 Kernel Argument Metadata Map" + V5). */
export type ArgValueKind =
  | 'by_value'
  | 'global_buffer'
  | 'dynamic_shared_pointer'
  | 'sampler'
  | 'image'
  | 'pipe'
  | 'queue'
  | 'hidden_global_offset_x'
  | 'hidden_global_offset_y'
  | 'hidden_global_offset_z'
  | 'hidden_none'
  | 'hidden_printf_buffer'
  | 'hidden_hostcall_buffer'
  | 'hidden_default_queue'
  | 'hidden_completion_action'
  | 'hidden_multigrid_sync_arg'
  | 'hidden_block_count_x'
  | 'hidden_block_count_y'
  | 'hidden_block_count_z'
  | 'hidden_group_size_x'
  | 'hidden_group_size_y'
  | 'hidden_group_size_z'
  | 'hidden_remainder_x'
  | 'hidden_remainder_y'
  | 'hidden_remainder_z'
  | 'hidden_grid_dims'
  | 'hidden_heap_v1'
  | 'hidden_dynamic_lds_size'
  | 'hidden_private_base'
  | 'hidden_shared_base'
  | 'hidden_queue_ptr'
  | (string & {});

export interface KernelArgMetadata {
  readonly offset: number;
  readonly size: number;
  readonly valueKind: ArgValueKind;
  readonly name?: string;
  readonly typeName?: string;
  readonly addressSpace?: string;
  readonly pointeeAlign?: number;
  readonly isConst?: boolean;
  readonly isVolatile?: boolean;
  readonly isRestrict?: boolean;
  readonly access?: string;
  readonly actualAccess?: string;
  /** Hidden arguments are the ones the runtime fills (value kinds starting with "hidden_"). */
  readonly hidden: boolean;
}

export interface KernelMetadata {
  readonly name: string;
  readonly symbol: string;
  readonly kernargSegmentSize: number;
  readonly kernargSegmentAlign: number;
  readonly groupSegmentFixedSize: number;
  readonly privateSegmentFixedSize: number;
  readonly wavefrontSize: number;
  readonly sgprCount: number;
  readonly vgprCount: number;
  readonly agprCount?: number;
  readonly sgprSpillCount?: number;
  readonly vgprSpillCount?: number;
  readonly maxFlatWorkgroupSize: number;
  readonly usesDynamicStack?: boolean;
  readonly uniformWorkGroupSize?: boolean;
  readonly workgroupProcessorMode?: boolean;
  readonly reqdWorkgroupSize?: readonly number[];
  readonly workgroupSizeHint?: readonly number[];
  readonly language?: string;
  readonly languageVersion?: readonly number[];
  readonly args: readonly KernelArgMetadata[];
  /** The kernel's msgpack map as decoded, for keys not modelled above. */
  readonly raw: Readonly<Record<string, unknown>>;
}

export interface CodeObjectMetadata {
  readonly version: readonly number[];
  readonly target?: string;
  readonly printf?: readonly string[];
  readonly kernels: readonly KernelMetadata[];
}

/** A malformed or unsupported code object: the caller's input. */
export class MetadataError extends InputError {
  override name = 'MetadataError';
}

type Map_ = Record<string, unknown>;
const isMap = (v: unknown): v is Map_ => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);

/** Sizes, offsets, counts and alignments: AMDGPUUsage gives them all as unsigned integers. */
function count(v: number | bigint, where: string, key: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new MetadataError(`${where}: ${key} is ${String(v)}, not an unsigned integer`);
  return n;
}
function num(m: Map_, key: string, where: string): number {
  const v = m[key];
  if (typeof v === 'number' || typeof v === 'bigint') return count(v, where, key);
  throw new MetadataError(`${where}: required key ${key} is ${v === undefined ? 'missing' : `not a number (${typeof v})`}`);
}
function optNum(m: Map_, key: string, where: string): number | undefined {
  const v = m[key];
  return typeof v === 'number' || typeof v === 'bigint' ? count(v, where, key) : undefined;
}
function str(m: Map_, key: string, where: string): string {
  const v = m[key];
  if (typeof v !== 'string') throw new MetadataError(`${where}: required key ${key} is ${v === undefined ? 'missing' : 'not a string'}`);
  return v;
}
const optStr = (m: Map_, key: string): string | undefined => (typeof m[key] === 'string' ? (m[key] as string) : undefined);
// Some flags are written as 0/1 integers (e.g. .workgroup_processor_mode), others as booleans.
const optBool = (m: Map_, key: string): boolean | undefined => {
  const v = m[key];
  return typeof v === 'boolean' ? v : typeof v === 'number' ? v !== 0 : undefined;
};
function optNums(m: Map_, key: string, where: string): number[] | undefined {
  const v = m[key];
  if (!Array.isArray(v)) return undefined;
  return v.map((x: unknown, i) => {
    if (typeof x !== 'number' && typeof x !== 'bigint') throw new MetadataError(`${where}: ${key}[${i}] is not a number (${x === null ? 'null' : typeof x})`);
    return count(x, where, `${key}[${i}]`);
  });
}

function decodeArg(a: unknown, where: string): KernelArgMetadata {
  if (!isMap(a)) throw new MetadataError(`${where}: argument is not a map`);
  const valueKind = str(a, '.value_kind', where);
  return {
    offset: num(a, '.offset', where),
    size: num(a, '.size', where),
    valueKind,
    name: optStr(a, '.name'),
    typeName: optStr(a, '.type_name'),
    addressSpace: optStr(a, '.address_space'),
    pointeeAlign: optNum(a, '.pointee_align', where),
    isConst: optBool(a, '.is_const'),
    isVolatile: optBool(a, '.is_volatile'),
    isRestrict: optBool(a, '.is_restrict'),
    access: optStr(a, '.access'),
    actualAccess: optStr(a, '.actual_access'),
    hidden: valueKind.startsWith('hidden_'),
  };
}

function decodeKernel(k: unknown, index: number): KernelMetadata {
  if (!isMap(k)) throw new MetadataError(`amdhsa.kernels[${index}] is not a map`);
  const where = `kernel ${typeof k['.name'] === 'string' ? k['.name'] : `#${index}`}`;
  const args = k['.args'] === undefined ? [] : k['.args'];
  if (!Array.isArray(args)) throw new MetadataError(`${where}: .args is not an array`);
  return {
    name: str(k, '.name', where),
    symbol: str(k, '.symbol', where),
    kernargSegmentSize: num(k, '.kernarg_segment_size', where),
    kernargSegmentAlign: num(k, '.kernarg_segment_align', where),
    groupSegmentFixedSize: num(k, '.group_segment_fixed_size', where),
    privateSegmentFixedSize: num(k, '.private_segment_fixed_size', where),
    wavefrontSize: num(k, '.wavefront_size', where),
    sgprCount: num(k, '.sgpr_count', where),
    vgprCount: num(k, '.vgpr_count', where),
    agprCount: optNum(k, '.agpr_count', where),
    sgprSpillCount: optNum(k, '.sgpr_spill_count', where),
    vgprSpillCount: optNum(k, '.vgpr_spill_count', where),
    maxFlatWorkgroupSize: num(k, '.max_flat_workgroup_size', where),
    usesDynamicStack: optBool(k, '.uses_dynamic_stack'),
    uniformWorkGroupSize: optBool(k, '.uniform_work_group_size'),
    workgroupProcessorMode: optBool(k, '.workgroup_processor_mode'),
    reqdWorkgroupSize: optNums(k, '.reqd_workgroup_size', where),
    workgroupSizeHint: optNums(k, '.workgroup_size_hint', where),
    language: optStr(k, '.language'),
    languageVersion: optNums(k, '.language_version', where),
    args: args.map((a, i) => decodeArg(a, `${where} arg ${i}`)),
    raw: k,
  };
}

/** Decodes the msgpack blob of an NT_AMDGPU_METADATA note. */
export function decodeMetadata(desc: Uint8Array): CodeObjectMetadata {
  let root: unknown;
  try {
    root = decode(desc, { useBigInt64: false });
  } catch (e) {
    throw new MetadataError(`NT_AMDGPU_METADATA is not valid msgpack: ${(e as Error).message}`);
  }
  if (!isMap(root)) throw new MetadataError('NT_AMDGPU_METADATA root is not a map');
  const version = optNums(root, 'amdhsa.version', 'NT_AMDGPU_METADATA');
  if (!version) throw new MetadataError('NT_AMDGPU_METADATA has no amdhsa.version');
  const kernels = root['amdhsa.kernels'] ?? [];
  if (!Array.isArray(kernels)) throw new MetadataError('amdhsa.kernels is not an array');
  const printf = root['amdhsa.printf'];
  return {
    version,
    target: optStr(root, 'amdhsa.target'),
    printf: Array.isArray(printf) ? printf.map((p: unknown, i) => {
      if (typeof p !== 'string') throw new MetadataError(`amdhsa.printf[${i}] is not a string`);
      return p;
    }) : undefined,
    kernels: kernels.map(decodeKernel),
  };
}

/** Finds and decodes the metadata note; throws if the code object has none (pre-v3 objects). */
export function findMetadata(notes: readonly ElfNote[]): CodeObjectMetadata {
  const note = notes.find((n) => n.name === AMDGPU_NOTE_NAME && n.type === NT_AMDGPU_METADATA);
  if (!note) throw new MetadataError('no NT_AMDGPU_METADATA note (name "AMDGPU", type 32): not a code object v3+');
  return decodeMetadata(note.desc);
}
