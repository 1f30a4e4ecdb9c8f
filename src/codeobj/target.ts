// e_flags / EI_ABIVERSION of AMDGPU code objects: processor, xnack/sramecc settings, code object
// version, generic targets. Values: llvm/BinaryFormat/ELF.h (LLVM 19: EF_AMDGPU_MACH_*,
// EF_AMDGPU_FEATURE_*_V4, EF_AMDGPU_GENERIC_VERSION, ELFABIVERSION_AMDGPU_HSA_V*); generic
// processor members: LLVM AMDGPUUsage.rst "Generic Processors".
import { InputError } from '../errors.js';
import { ELF, type ElfHeader } from './elf.js';

const EF_AMDGPU_MACH = 0x0ff;
const EF_AMDGPU_FEATURE_XNACK_V4 = 0x300;
const EF_AMDGPU_FEATURE_SRAMECC_V4 = 0xc00;
const EF_AMDGPU_GENERIC_VERSION_SHIFT = 24;

// EF_AMDGPU_MACH_AMDGCN_* (ELF.h)
const MACH: Readonly<Record<number, string>> = {
  0x020: 'gfx600', 0x021: 'gfx601', 0x022: 'gfx700', 0x023: 'gfx701', 0x024: 'gfx702', 0x025: 'gfx703',
  0x026: 'gfx704', 0x028: 'gfx801', 0x029: 'gfx802', 0x02a: 'gfx803', 0x02b: 'gfx810', 0x02c: 'gfx900',
  0x02d: 'gfx902', 0x02e: 'gfx904', 0x02f: 'gfx906', 0x030: 'gfx908', 0x031: 'gfx909', 0x032: 'gfx90c',
  0x033: 'gfx1010', 0x034: 'gfx1011', 0x035: 'gfx1012', 0x036: 'gfx1030', 0x037: 'gfx1031', 0x038: 'gfx1032',
  0x039: 'gfx1033', 0x03a: 'gfx602', 0x03b: 'gfx705', 0x03c: 'gfx805', 0x03d: 'gfx1035', 0x03e: 'gfx1034',
  0x03f: 'gfx90a', 0x040: 'gfx940', 0x041: 'gfx1100', 0x042: 'gfx1013', 0x043: 'gfx1150', 0x044: 'gfx1103',
  0x045: 'gfx1036', 0x046: 'gfx1101', 0x047: 'gfx1102', 0x048: 'gfx1200', 0x04a: 'gfx1151', 0x04b: 'gfx941',
  0x04c: 'gfx942', 0x04e: 'gfx1201', 0x051: 'gfx9-generic', 0x052: 'gfx10-1-generic', 0x053: 'gfx10-3-generic',
  0x054: 'gfx11-generic', 0x055: 'gfx1152', 0x059: 'gfx12-generic',
};

// AMDGPUUsage.rst "Generic Processors" (LLVM 19): which processors run each generic target.
const GENERIC_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  'gfx9-generic': ['gfx900', 'gfx902', 'gfx904', 'gfx906', 'gfx909', 'gfx90c'],
  'gfx10-1-generic': ['gfx1010', 'gfx1011', 'gfx1012', 'gfx1013'],
  'gfx10-3-generic': ['gfx1030', 'gfx1031', 'gfx1032', 'gfx1033', 'gfx1034', 'gfx1035', 'gfx1036'],
  'gfx11-generic': ['gfx1100', 'gfx1101', 'gfx1102', 'gfx1103', 'gfx1150', 'gfx1151', 'gfx1152'],
  'gfx12-generic': ['gfx1200', 'gfx1201'],
};

// ELFABIVERSION_AMDGPU_HSA_V2..V6 = 0..4 (ELF.h); code object version = abi version + 2.
const ABI_VERSION_TO_COV: Readonly<Record<number, number>> = { 0: 2, 1: 3, 2: 4, 3: 5, 4: 6 };

/** Target-id feature setting (AMDGPUUsage "Target Features"): v4+ encodes four states. */
export type FeatureSetting = 'unsupported' | 'any' | 'off' | 'on';
const FEATURE_V4: readonly FeatureSetting[] = ['unsupported', 'any', 'off', 'on'];

export interface CodeObjectTarget {
  /** Processor name, e.g. "gfx1100", or a generic target such as "gfx11-generic". */
  readonly name: string;
  readonly mach: number;
  /** Code object version (2..6). */
  readonly codeObjectVersion: number;
  readonly xnack: FeatureSetting;
  readonly sramecc: FeatureSetting;
  /** Generic code object version (v6 generic targets only, else 0). */
  readonly genericVersion: number;
  readonly isGeneric: boolean;
  /** LLVM target id, e.g. "gfx90a:sramecc+:xnack-". */
  readonly targetId: string;
}

/** A malformed or unsupported code object: the caller's input. */
export class TargetMismatchError extends InputError {
  override name = 'TargetMismatchError';
}

export function decodeTarget(header: ElfHeader): CodeObjectTarget {
  // e_flags only mean a processor when the file is an AMDGPU ELF at all (an x86 object's would not).
  if (header.machine !== ELF.EM_AMDGPU) throw new TargetMismatchError(`not an AMDGPU code object (e_machine ${header.machine}, want ${ELF.EM_AMDGPU})`);
  const mach = header.flags & EF_AMDGPU_MACH;
  const name = MACH[mach];
  if (!name) throw new TargetMismatchError(`unknown AMDGPU processor EF_AMDGPU_MACH 0x${mach.toString(16)} in e_flags 0x${header.flags.toString(16)}`);
  const cov = ABI_VERSION_TO_COV[header.abiVersion];
  if (cov === undefined) throw new TargetMismatchError(`unknown AMDGPU HSA ABI version ${header.abiVersion}`);
  if (cov < 4) throw new TargetMismatchError(`code object v${cov} is not supported (need v4 or later)`);
  const xnack = FEATURE_V4[(header.flags & EF_AMDGPU_FEATURE_XNACK_V4) >> 8]!;
  const sramecc = FEATURE_V4[(header.flags & EF_AMDGPU_FEATURE_SRAMECC_V4) >> 10]!;
  const genericVersion = cov >= 6 ? header.flags >>> EF_AMDGPU_GENERIC_VERSION_SHIFT : 0;
  const suffix = (f: string, s: FeatureSetting): string => (s === 'on' ? `:${f}+` : s === 'off' ? `:${f}-` : '');
  return {
    name,
    mach,
    codeObjectVersion: cov,
    xnack,
    sramecc,
    genericVersion,
    isGeneric: name.endsWith('-generic'),
    targetId: `${name}${suffix('sramecc', sramecc)}${suffix('xnack', xnack)}`,
  };
}

export interface DeviceFeatures {
  /** Whether the device runs with XNACK enabled (undefined: do not check). */
  readonly xnack?: boolean;
  /** Whether the device has SRAM ECC enabled (undefined: do not check). */
  readonly sramecc?: boolean;
}

/** Processors a code object for `target` can run on. */
export function processorsFor(target: CodeObjectTarget): readonly string[] {
  return target.isGeneric ? (GENERIC_MEMBERS[target.name] ?? []) : [target.name];
}

/**
 * Throws TargetMismatchError unless the code object can run on `device` (an LLVM processor name)
 * with the given feature states: same processor (or a member of its generic family) and
 * xnack/sramecc either "any"/"unsupported" or equal to the device's state.
 */
export function checkTarget(target: CodeObjectTarget, device: string, features: DeviceFeatures = {}): void {
  const runsOn = processorsFor(target);
  if (!runsOn.includes(device)) {
    const generic = target.isGeneric ? ` (runs on ${runsOn.join(', ')})` : '';
    throw new TargetMismatchError(`code object is for ${target.targetId}${generic}, but the device is ${device}`);
  }
  const clash = (feature: string, want: FeatureSetting, has: boolean | undefined): string | undefined => {
    if (has === undefined || want === 'any' || want === 'unsupported') return undefined;
    if ((want === 'on') === has) return undefined;
    return `code object requires ${feature} ${want}, but the device runs with ${feature} ${has ? 'on' : 'off'}`;
  };
  const problem = clash('xnack', target.xnack, features.xnack) ?? clash('sramecc', target.sramecc, features.sramecc);
  if (problem) throw new TargetMismatchError(`${problem} (code object target ${target.targetId}, device ${device})`);
}
