// `amdgpu-ts disasm`: disassembles the kernels of an AMDGPU code object with the emulator's decoder,
// printing the instruction text llvm-objdump-19 prints.
import { parseElf, ELF, type ElfFile, type ElfSection } from '../codeobj/elf.js';
import { decodeTarget } from '../codeobj/target.js';
import { TARGETS } from '../hw/targets.js';
import { disassemble, type DisassembledLine } from '../emu/isa/disasm.js';
import type { IsaFamily } from '../emu/isa/types.js';
import { parseArgs, optionHelp, UsageError, type OptionSpec } from './args.js';
import type { CommandIo } from './io.js';
import { parsingInput, readInputFile } from './input.js';
import { EXIT_STATUS_HELP } from './report-error.js';

const OPTIONS: readonly OptionSpec[] = [
  { name: 'kernel', value: 'NAME', help: 'only this function (symbol) of .text' },
  { name: 'json', help: 'print one JSON document' },
  { name: 'help', help: 'show this help' },
];

export const DISASM_HELP = `usage: amdgpu-ts disasm <code-object> [--kernel NAME] [--json]

Disassembles the .text of an AMDGPU code object (gfx1100/gfx1101/gfx1102 RDNA3, gfx1200/gfx1201 RDNA4,
gfx942 CDNA3, gfx90a CDNA2), one
function per symbol, with the same instruction text as llvm-objdump-19 -d.

${optionHelp(OPTIONS)}

${EXIT_STATUS_HELP}`;

const FAMILY_OF_ARCH: Readonly<Record<string, IsaFamily>> = { RDNA3: 'rdna3', RDNA4: 'rdna4', CDNA3: 'cdna3', CDNA2: 'cdna2' };

export interface DisasmFunction {
  readonly name: string;
  readonly address: number;
  readonly instructions: readonly DisassembledLine[];
}

export interface DisasmReport {
  readonly target: string;
  readonly family: IsaFamily;
  readonly functions: readonly DisasmFunction[];
}

function textSection(elf: ElfFile): ElfSection {
  const text = elf.section('.text');
  if (!text) throw new UsageError('code object has no .text section');
  return text;
}

/** Disassembles every function symbol in .text (or the whole section when it has none). */
export function disassembleCodeObject(bytes: Uint8Array, kernel?: string): DisasmReport {
  const elf = parseElf(bytes);
  const target = decodeTarget(elf.header);
  const family = FAMILY_OF_ARCH[TARGETS.get(target.name)?.arch ?? ''];
  if (!family) throw new UsageError(`unsupported target ${target.name}: the decoder knows RDNA3 (gfx1100/1101/1102), RDNA4 (gfx1200/1201), CDNA3 (gfx942) and CDNA2 (gfx90a)`);
  const text = textSection(elf);
  const code = elf.sectionBytes(text);
  const symbols = elf.symbols()
    .filter((s) => s.type === ELF.STT_FUNC && s.shndx === text.index && s.size > 0)
    .sort((a, b) => a.value - b.value);
  const ranges = symbols.length
    ? symbols.map((s) => ({ name: s.name, start: s.value, size: s.size }))
    : [{ name: '.text', start: text.addr, size: text.size }];
  const chosen = kernel === undefined ? ranges : ranges.filter((r) => r.name === kernel);
  if (chosen.length === 0) throw new UsageError(`no function ${kernel} in .text (have: ${ranges.map((r) => r.name).join(', ')})`);
  const functions = chosen.map((r) => ({
    name: r.name,
    address: r.start,
    instructions: disassemble(family, code.subarray(r.start - text.addr, r.start - text.addr + r.size), r.start),
  }));
  return { target: target.name, family, functions };
}

function words(line: DisassembledLine, code: Uint8Array, base: number): string {
  const out: string[] = [];
  const view = new DataView(code.buffer, code.byteOffset, code.byteLength);
  for (let o = line.address - base; o < line.address - base + line.size; o += 4) out.push(view.getUint32(o, true).toString(16).toUpperCase().padStart(8, '0'));
  return out.join(' ');
}

export function runDisasm(argv: readonly string[], io: CommandIo): number {
  const args = parseArgs(argv, OPTIONS);
  if (args.flags.has('help')) {
    io.out(DISASM_HELP);
    return 0;
  }
  const file = args.positionals[0];
  if (!file || args.positionals.length > 1) throw new UsageError('disasm needs exactly one code object file');
  const bytes = readInputFile(file, 'code object', { nonEmpty: true });
  const report = parsingInput(file, () => disassembleCodeObject(bytes, args.values.get('kernel')?.[0]));
  if (args.flags.has('json')) {
    io.out(JSON.stringify({
      target: report.target,
      family: report.family,
      functions: report.functions.map((f) => ({
        name: f.name,
        address: f.address,
        instructions: f.instructions.map((l) => ({ address: l.address, size: l.size, text: l.text, encoding: l.instruction?.encoding ?? null, op: l.instruction?.op ?? null })),
      })),
    }, null, 2));
    return 0;
  }
  const elf = parseElf(bytes);
  const text = textSection(elf);
  const code = elf.sectionBytes(text);
  io.out(`${file}: ${report.target} (${report.family})`);
  for (const f of report.functions) {
    io.out('');
    io.out(`${f.address.toString(16).padStart(16, '0')} <${f.name}>:`);
    for (const l of f.instructions) io.out(`\t${l.text.padEnd(58)} // ${l.address.toString(16).toUpperCase().padStart(12, '0')}: ${words(l, code, text.addr)}`);
  }
  return 0;
}
