// Minimal ELF64 little-endian reader: file header, section and program headers, symbol tables,
// notes and RELA relocations. Field layouts: System V gABI (ELF-64 Object File Format) and
// llvm/BinaryFormat/ELF.h. No dependencies; all offsets are checked against the file size.
import { InputError } from '../errors.js';

export const ELF = {
  ET_DYN: 3,
  EM_AMDGPU: 224,
  ELFOSABI_AMDGPU_HSA: 64,
  PT_LOAD: 1,
  PT_DYNAMIC: 2,
  PT_NOTE: 4,
  SHT_PROGBITS: 1,
  SHT_SYMTAB: 2,
  SHT_STRTAB: 3,
  SHT_RELA: 4,
  SHT_NOTE: 7,
  SHT_NOBITS: 8,
  SHT_DYNSYM: 11,
  SHF_WRITE: 0x1,
  SHF_ALLOC: 0x2,
  SHF_EXECINSTR: 0x4,
  STT_OBJECT: 1,
  STT_FUNC: 2,
} as const;

/** A malformed or unsupported code object: the caller's input. */
export class ElfError extends InputError {
  override name = 'ElfError';
}

export interface ElfHeader {
  readonly osAbi: number;
  readonly abiVersion: number;
  readonly type: number;
  readonly machine: number;
  readonly entry: bigint;
  readonly flags: number;
}

export interface ElfSection {
  readonly index: number;
  readonly name: string;
  readonly type: number;
  readonly flags: number;
  readonly addr: number;
  readonly offset: number;
  readonly size: number;
  readonly link: number;
  readonly info: number;
  readonly addralign: number;
  readonly entsize: number;
}

export interface ElfSegment {
  readonly type: number;
  readonly flags: number;
  readonly offset: number;
  readonly vaddr: number;
  readonly filesz: number;
  readonly memsz: number;
  readonly align: number;
}

export interface ElfSymbol {
  readonly name: string;
  readonly value: number;
  readonly size: number;
  /** STT_* (low nibble of st_info). */
  readonly type: number;
  /** STB_* (high nibble of st_info). */
  readonly bind: number;
  readonly shndx: number;
}

export interface ElfNote {
  readonly name: string;
  readonly type: number;
  readonly desc: Uint8Array;
}

export interface ElfRela {
  readonly offset: number;
  readonly type: number;
  readonly symbol: number;
  readonly addend: bigint;
}

export interface ElfFile {
  readonly bytes: Uint8Array;
  readonly header: ElfHeader;
  readonly sections: readonly ElfSection[];
  readonly segments: readonly ElfSegment[];
  section(name: string): ElfSection | undefined;
  sectionBytes(s: ElfSection): Uint8Array;
  /** Symbols of SHT_SYMTAB, or SHT_DYNSYM when the file is stripped. */
  symbols(kind?: 'symtab' | 'dynsym'): ElfSymbol[];
  notes(): ElfNote[];
  /** Every SHT_RELA section's entries, with the symbol table the section links to. */
  relocations(): { section: ElfSection; symbols: ElfSymbol[]; entries: ElfRela[] }[];
}

/** Converts a u64 to a JS number, refusing values beyond 2^53 (never valid in a code object). */
function small(v: bigint, what: string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ElfError(`${what} 0x${v.toString(16)} is out of range`);
  return Number(v);
}

export function parseElf(bytes: Uint8Array): ElfFile {
  if (bytes.length < 64) throw new ElfError(`not an ELF file: ${bytes.length} bytes`);
  if (bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    throw new ElfError('not an ELF file (bad magic)');
  }
  if (bytes[4] !== 2) throw new ElfError(`unsupported ELF class ${bytes[4]} (need ELFCLASS64)`);
  if (bytes[5] !== 1) throw new ElfError(`unsupported ELF data encoding ${bytes[5]} (need little endian)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const inFile = (off: number, len: number, what: string): void => {
    if (off < 0 || len < 0 || off + len > bytes.length) {
      throw new ElfError(`${what} [${off}, +${len}) lies outside the ${bytes.length}-byte file`);
    }
  };

  const header: ElfHeader = {
    osAbi: bytes[7]!,
    abiVersion: bytes[8]!,
    type: dv.getUint16(16, true),
    machine: dv.getUint16(18, true),
    entry: dv.getBigUint64(24, true),
    flags: dv.getUint32(48, true),
  };
  const phoff = small(dv.getBigUint64(32, true), 'e_phoff');
  const shoff = small(dv.getBigUint64(40, true), 'e_shoff');
  const phentsize = dv.getUint16(54, true);
  const phnum = dv.getUint16(56, true);
  const shentsize = dv.getUint16(58, true);
  const shnum = dv.getUint16(60, true);
  const shstrndx = dv.getUint16(62, true);

  const segments: ElfSegment[] = [];
  if (phnum > 0) {
    if (phentsize < 56) throw new ElfError(`e_phentsize ${phentsize} < 56`);
    inFile(phoff, phnum * phentsize, 'program header table');
    for (let i = 0; i < phnum; i++) {
      const o = phoff + i * phentsize;
      segments.push({
        type: dv.getUint32(o, true),
        flags: dv.getUint32(o + 4, true),
        offset: small(dv.getBigUint64(o + 8, true), 'p_offset'),
        vaddr: small(dv.getBigUint64(o + 16, true), 'p_vaddr'),
        filesz: small(dv.getBigUint64(o + 32, true), 'p_filesz'),
        memsz: small(dv.getBigUint64(o + 40, true), 'p_memsz'),
        align: small(dv.getBigUint64(o + 48, true), 'p_align'),
      });
    }
  }

  const raw: Omit<ElfSection, 'name'>[] = [];
  const nameOffsets: number[] = [];
  if (shnum > 0) {
    if (shentsize < 64) throw new ElfError(`e_shentsize ${shentsize} < 64`);
    inFile(shoff, shnum * shentsize, 'section header table');
    for (let i = 0; i < shnum; i++) {
      const o = shoff + i * shentsize;
      nameOffsets.push(dv.getUint32(o, true));
      raw.push({
        index: i,
        type: dv.getUint32(o + 4, true),
        flags: small(dv.getBigUint64(o + 8, true), 'sh_flags'),
        addr: small(dv.getBigUint64(o + 16, true), 'sh_addr'),
        offset: small(dv.getBigUint64(o + 24, true), 'sh_offset'),
        size: small(dv.getBigUint64(o + 32, true), 'sh_size'),
        link: dv.getUint32(o + 40, true),
        info: dv.getUint32(o + 44, true),
        addralign: small(dv.getBigUint64(o + 48, true), 'sh_addralign'),
        entsize: small(dv.getBigUint64(o + 56, true), 'sh_entsize'),
      });
    }
  }
  const bodyOf = (s: Omit<ElfSection, 'name'>): Uint8Array => {
    if (s.type === ELF.SHT_NOBITS) return new Uint8Array(0);
    inFile(s.offset, s.size, `section ${s.index}`);
    return bytes.subarray(s.offset, s.offset + s.size);
  };
  const cstr = (table: Uint8Array, off: number): string => {
    if (off >= table.length) throw new ElfError(`string offset ${off} beyond its ${table.length}-byte table`);
    let end = off;
    while (end < table.length && table[end] !== 0) end++;
    return new TextDecoder().decode(table.subarray(off, end));
  };
  const shstr = shstrndx < raw.length ? bodyOf(raw[shstrndx]!) : new Uint8Array(0);
  const sections: ElfSection[] = raw.map((s, i) => ({ ...s, name: shstr.length ? cstr(shstr, nameOffsets[i]!) : '' }));

  const symbolsOf = (symtab: ElfSection): ElfSymbol[] => {
    const strtab = sections[symtab.link];
    if (!strtab) throw new ElfError(`symbol table ${symtab.name} links to missing section ${symtab.link}`);
    const names = bodyOf(strtab);
    const body = bodyOf(symtab);
    const entsize = symtab.entsize || 24;
    const out: ElfSymbol[] = [];
    for (let o = 0; o + 24 <= body.length; o += entsize) {
      const at = symtab.offset + o;
      const info = bytes[at + 4]!;
      out.push({
        name: cstr(names, dv.getUint32(at, true)),
        type: info & 0xf,
        bind: info >> 4,
        shndx: dv.getUint16(at + 6, true),
        value: small(dv.getBigUint64(at + 8, true), 'st_value'),
        size: small(dv.getBigUint64(at + 16, true), 'st_size'),
      });
    }
    return out;
  };

  return {
    bytes,
    header,
    sections,
    segments,
    section: (name) => sections.find((s) => s.name === name),
    sectionBytes: (s) => bodyOf(s),
    symbols(kind) {
      const want = kind === 'dynsym' ? ELF.SHT_DYNSYM : ELF.SHT_SYMTAB;
      const table =
        sections.find((s) => s.type === want) ?? (kind ? undefined : sections.find((s) => s.type === ELF.SHT_DYNSYM));
      return table ? symbolsOf(table) : [];
    },
    notes() {
      const out: ElfNote[] = [];
      for (const s of sections.filter((x) => x.type === ELF.SHT_NOTE)) {
        const body = bodyOf(s);
        const ndv = new DataView(body.buffer, body.byteOffset, body.byteLength);
        let o = 0;
        while (o + 12 <= body.length) {
          const namesz = ndv.getUint32(o, true);
          const descsz = ndv.getUint32(o + 4, true);
          const type = ndv.getUint32(o + 8, true);
          const nameStart = o + 12;
          const descStart = nameStart + align4(namesz);
          if (descStart + descsz > body.length) throw new ElfError(`note in ${s.name} overruns its section`);
          const name = new TextDecoder().decode(body.subarray(nameStart, nameStart + Math.max(0, namesz - 1)));
          out.push({ name, type, desc: body.subarray(descStart, descStart + descsz) });
          o = descStart + align4(descsz);
        }
      }
      return out;
    },
    relocations() {
      return sections
        .filter((s) => s.type === ELF.SHT_RELA)
        .map((s) => {
          const body = bodyOf(s);
          const entsize = s.entsize || 24;
          const linked = sections[s.link];
          const entries: ElfRela[] = [];
          for (let o = 0; o + 24 <= body.length; o += entsize) {
            const at = s.offset + o;
            const info = dv.getBigUint64(at + 8, true);
            entries.push({
              offset: small(dv.getBigUint64(at, true), 'r_offset'),
              type: Number(info & 0xffffffffn),
              symbol: Number(info >> 32n),
              addend: dv.getBigInt64(at + 16, true),
            });
          }
          return { section: s, symbols: linked && s.link !== 0 ? symbolsOf(linked) : [], entries };
        });
    },
  };
}

/** Rounds up to 4 in floating point: note sizes are u32, and `& ~3` would wrap those above 2^31 negative. */
function align4(n: number): number {
  return Math.ceil(n / 4) * 4;
}
