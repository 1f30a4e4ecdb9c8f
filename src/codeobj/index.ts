// Loads an AMDGPU code object (ELF, or a clang offload bundle holding ELFs): target, metadata,
// kernel descriptors and the load plan. Pure: no GPU memory is touched here.
import { selectBundleEntry, isOffloadBundle, parseOffloadBundle } from './bundle.js';
import { decodeKernelDescriptor, rsrc3LayoutFor, type KernelDescriptor } from './descriptor.js';
import { ELF, ElfError, parseElf, type ElfFile } from './elf.js';
import { planLoad, relocateImage, type LoadPlan, type Relocation } from './loader.js';
import { findMetadata, type CodeObjectMetadata, type KernelArgMetadata, type KernelMetadata } from './metadata.js';
import { checkTarget, decodeTarget, type CodeObjectTarget, type DeviceFeatures } from './target.js';
import { KERNEL_DESCRIPTOR_BYTES } from '../uapi/hsa.js';

export * from './bundle.js';
export * from './descriptor.js';
export * from './elf.js';
export * from './loader.js';
export * from './metadata.js';
export * from './target.js';

export interface KernelInfo {
  readonly name: string;
  readonly metadata: KernelMetadata;
  readonly descriptor: KernelDescriptor;
  /** Image offset of the 64-byte descriptor (`<name>.kd` st_value). */
  readonly descriptorOffset: number;
  /** Image offset of the first instruction: descriptorOffset + kernel_code_entry_byte_offset. */
  readonly entryOffset: number;
  readonly explicitArgs: readonly KernelArgMetadata[];
  readonly hiddenArgs: readonly KernelArgMetadata[];
  /** AQL `kernel_object`: load base + descriptorOffset. */
  descriptorAddress(base: bigint): bigint;
  /** COMPUTE_PGM_LO/HI: load base + entryOffset. */
  entryAddress(base: bigint): bigint;
}

export interface CodeObject {
  readonly target: CodeObjectTarget;
  /** EI_ABIVERSION as stored (3 = code object v5). */
  readonly abiVersion: number;
  readonly metadata: CodeObjectMetadata;
  readonly kernels: ReadonlyMap<string, KernelInfo>;
  readonly imageSize: number;
  readonly alignment: number;
  /** Image before relocation. */
  readonly image: Uint8Array;
  readonly relocations: readonly Relocation[];
  /** A copy of the image relocated for load address `base`. */
  relocate(base: bigint): Uint8Array;
  kernel(name: string): KernelInfo;
  readonly elf: ElfFile;
}

export interface LoadOptions extends DeviceFeatures {
  /** Device processor (e.g. "gfx1100"): checks e_flags, and picks the entry of an offload bundle. */
  readonly target?: string;
}

export function loadCodeObject(input: Uint8Array, options: LoadOptions = {}): CodeObject {
  let bytes = input;
  if (isOffloadBundle(input)) {
    if (!options.target) throw new ElfError('an offload bundle needs options.target to pick its code object');
    bytes = selectBundleEntry(parseOffloadBundle(input), options.target, options).bytes;
  }
  const elf = parseElf(bytes);
  if (elf.header.machine !== ELF.EM_AMDGPU) throw new ElfError(`not an AMDGPU code object (e_machine ${elf.header.machine}, want ${ELF.EM_AMDGPU})`);
  if (elf.header.osAbi !== ELF.ELFOSABI_AMDGPU_HSA) throw new ElfError(`not an AMDHSA code object (EI_OSABI ${elf.header.osAbi}, want ${ELF.ELFOSABI_AMDGPU_HSA})`);
  const target = decodeTarget(elf.header);
  if (options.target) checkTarget(target, options.target, options);
  const metadata = findMetadata(elf.notes());
  const plan: LoadPlan = planLoad(elf);
  const symbols = new Map(elf.symbols().map((s) => [s.name, s]));
  const layout = rsrc3LayoutFor(options.target ?? target.name);

  const kernels = new Map<string, KernelInfo>();
  for (const md of metadata.kernels) {
    const sym = symbols.get(md.symbol);
    if (!sym) throw new ElfError(`kernel ${md.name}: descriptor symbol ${md.symbol} not found`);
    if (sym.value + KERNEL_DESCRIPTOR_BYTES > plan.imageSize) {
      throw new ElfError(`kernel ${md.name}: descriptor at 0x${sym.value.toString(16)} lies outside the image`);
    }
    const descriptor = decodeKernelDescriptor(plan.image.subarray(sym.value, sym.value + KERNEL_DESCRIPTOR_BYTES), layout);
    const entryOffset = sym.value + Number(descriptor.kernelCodeEntryByteOffset);
    if (entryOffset < 0 || entryOffset >= plan.imageSize) {
      throw new ElfError(`kernel ${md.name}: code entry 0x${entryOffset.toString(16)} lies outside the image`);
    }
    const descriptorOffset = sym.value;
    kernels.set(md.name, {
      name: md.name,
      metadata: md,
      descriptor,
      descriptorOffset,
      entryOffset,
      explicitArgs: md.args.filter((a) => !a.hidden),
      hiddenArgs: md.args.filter((a) => a.hidden),
      descriptorAddress: (base) => base + BigInt(descriptorOffset),
      entryAddress: (base) => base + BigInt(entryOffset),
    });
  }

  return {
    target,
    abiVersion: elf.header.abiVersion,
    metadata,
    kernels,
    imageSize: plan.imageSize,
    alignment: plan.alignment,
    image: plan.image,
    relocations: plan.relocations,
    relocate: (base) => relocateImage(plan, base),
    kernel(name) {
      const k = kernels.get(name);
      if (!k) throw new ElfError(`no kernel "${name}" in the code object (has: ${[...kernels.keys()].join(', ') || 'none'})`);
      return k;
    },
    elf,
  };
}
