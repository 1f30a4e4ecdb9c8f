// Load plan for an AMDGPU code object (a shared ELF linked at base 0): the image that must be copied
// to GPU memory, and the dynamic relocations to apply once its load address is known.
// Relocation numbers and formulas: llvm/BinaryFormat/ELFRelocs/AMDGPU.def and AMDGPUUsage.rst
// "Relocation Records" (S = symbol address, A = addend, P = place, B = load base).
import { InputError } from '../errors.js';
import { ELF, ElfError, type ElfFile } from './elf.js';

export const R_AMDGPU = {
  NONE: 0,
  ABS32_LO: 1,
  ABS32_HI: 2,
  ABS64: 3,
  REL32: 4,
  REL64: 5,
  ABS32: 6,
  GOTPCREL: 7,
  GOTPCREL32_LO: 8,
  GOTPCREL32_HI: 9,
  REL32_LO: 10,
  REL32_HI: 11,
  RELATIVE64: 13,
  REL16: 14,
} as const;

export interface Relocation {
  /** Image offset (vaddr) of the place to patch. */
  readonly offset: number;
  readonly type: number;
  /** Symbol value (image offset) when the relocation names a defined symbol, else 0. */
  readonly symbolValue: number;
  readonly symbolName: string;
  readonly addend: bigint;
}

export interface LoadPlan {
  /** Bytes from image offset 0 to the end of the last loaded byte (PT_LOAD memsz / SHF_ALLOC). */
  readonly imageSize: number;
  /** Largest alignment any loaded segment or section asks for. */
  readonly alignment: number;
  /** The image with every SHF_ALLOC section at its vaddr, before relocation (NOBITS stay zero). */
  readonly image: Uint8Array;
  readonly relocations: readonly Relocation[];
}

/** A malformed or unsupported code object: the caller's input. */
export class RelocationError extends InputError {
  override name = 'RelocationError';
}

/**
 * Largest loaded image accepted. Real code objects load a few KiB to a few MiB; a damaged header can
 * ask for petabytes, which must be refused as bad input before anything is allocated for it.
 */
export const MAX_IMAGE_BYTES = 256 * 1024 * 1024;

export function planLoad(elf: ElfFile): LoadPlan {
  let size = 0;
  let alignment = 1;
  for (const seg of elf.segments) {
    if (seg.type !== ELF.PT_LOAD) continue;
    size = Math.max(size, seg.vaddr + seg.memsz);
    alignment = Math.max(alignment, seg.align);
  }
  const alloc = elf.sections.filter((s) => (s.flags & ELF.SHF_ALLOC) !== 0);
  for (const s of alloc) {
    size = Math.max(size, s.addr + s.size);
    alignment = Math.max(alignment, s.addralign);
  }
  if (size === 0) throw new ElfError('code object has nothing to load (no PT_LOAD segment or SHF_ALLOC section)');
  if (size > MAX_IMAGE_BYTES) throw new ElfError(`code object asks for a ${size}-byte loaded image (segments and sections reach 0x${size.toString(16)}); the limit is ${MAX_IMAGE_BYTES} bytes`);
  const image = new Uint8Array(size);
  for (const s of alloc) {
    if (s.type === ELF.SHT_NOBITS) continue;
    image.set(elf.sectionBytes(s), s.addr);
  }

  const relocations: Relocation[] = [];
  for (const { section, symbols, entries } of elf.relocations()) {
    // Only relocations that patch loaded memory matter at load time (.rela.dyn in a linked object).
    if ((section.flags & ELF.SHF_ALLOC) === 0) continue;
    for (const r of entries) {
      if (r.type === R_AMDGPU.NONE) continue;
      let symbolValue = 0;
      let symbolName = '';
      if (r.symbol !== 0) {
        const sym = symbols[r.symbol];
        if (!sym) throw new RelocationError(`relocation at 0x${r.offset.toString(16)} names missing symbol #${r.symbol}`);
        if (sym.shndx === 0) throw new RelocationError(`relocation at 0x${r.offset.toString(16)} needs undefined symbol "${sym.name}"`);
        symbolValue = sym.value;
        symbolName = sym.name;
      }
      relocations.push({ offset: r.offset, type: r.type, symbolValue, symbolName, addend: r.addend });
    }
  }
  return { imageSize: size, alignment, image, relocations };
}

const U64 = (1n << 64n) - 1n;

/** A copy of the image with every relocation applied for load address `base`. */
export function relocateImage(plan: LoadPlan, base: bigint): Uint8Array {
  const out = plan.image.slice();
  const dv = new DataView(out.buffer);
  for (const r of plan.relocations) {
    const P = base + BigInt(r.offset);
    const S = base + BigInt(r.symbolValue);
    const A = r.addend;
    const need = (bytes: number): void => {
      if (r.offset + bytes > out.length) {
        throw new RelocationError(`relocation type ${r.type} at 0x${r.offset.toString(16)} patches outside the ${out.length}-byte image`);
      }
    };
    switch (r.type) {
      case R_AMDGPU.RELATIVE64:
        need(8);
        dv.setBigUint64(r.offset, (base + A) & U64, true);
        break;
      case R_AMDGPU.ABS64:
        need(8);
        dv.setBigUint64(r.offset, (S + A) & U64, true);
        break;
      case R_AMDGPU.REL64:
        need(8);
        dv.setBigUint64(r.offset, (S + A - P) & U64, true);
        break;
      case R_AMDGPU.ABS32:
      case R_AMDGPU.ABS32_LO:
        need(4);
        dv.setUint32(r.offset, Number((S + A) & 0xffffffffn), true);
        break;
      case R_AMDGPU.ABS32_HI:
        need(4);
        dv.setUint32(r.offset, Number(((S + A) >> 32n) & 0xffffffffn), true);
        break;
      case R_AMDGPU.REL32:
      case R_AMDGPU.REL32_LO:
        need(4);
        dv.setUint32(r.offset, Number((S + A - P) & 0xffffffffn), true);
        break;
      case R_AMDGPU.REL32_HI:
        need(4);
        dv.setUint32(r.offset, Number(((S + A - P) >> 32n) & 0xffffffffn), true);
        break;
      default:
        throw new RelocationError(
          `unsupported AMDGPU relocation type ${r.type} at 0x${r.offset.toString(16)}${r.symbolName ? ` (${r.symbolName})` : ''}`,
        );
    }
  }
  return out;
}
