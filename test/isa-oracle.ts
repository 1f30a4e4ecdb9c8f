// Batch access to LLVM 19 as the decoding oracle, shared by the ISA tests and scripts/gen-isa-tables.mjs:
// one llvm-mc-19 + one llvm-objdump-19 process per batch of instructions.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IsaFamily } from '../src/emu/isa/types.js';

export const LLVM_MC = 'llvm-mc-19';
export const LLVM_OBJDUMP = 'llvm-objdump-19';
/** s_nop 0 on both families: pads items so an instruction that reads more dwords than given stays in its item. */
export const PAD = 0xbf800000;

export const MCPU: Readonly<Record<IsaFamily, string>> = { rdna3: 'gfx1100', rdna4: 'gfx1201', cdna3: 'gfx942', cdna2: 'gfx90a' };

export function llvmVersion(): string {
  const r = spawnSync(LLVM_MC, ['--version'], { encoding: 'utf8' });
  return /LLVM version ([\d.]+)/.exec(r.stdout ?? '')?.[1] ?? 'unknown';
}

export interface McDecoded {
  readonly text: string;
  readonly size: number;
}

/**
 * Disassembles items (arrays of dwords) the way llvm-objdump-19 does: the items are laid out in one .text
 * section (llvm-mc-19 -filetype=obj over `.long` lines), and each printed instruction is matched to its item
 * by address. Returns per item the instruction that starts at the item's first byte, or null when LLVM
 * cannot decode it.
 */
export function disassembleItems(family: IsaFamily, items: readonly (readonly number[])[]): (McDecoded | null)[] {
  try {
    return disassembleBatch(family, items);
  } catch (e) {
    // llvm-objdump-19 crashes on a few encodings: halve the batch until the culprit is alone, which stays null.
    if (!(e instanceof ObjdumpCrash)) throw e;
    if (items.length === 1) return [null];
    const half = items.length >> 1;
    return [...disassembleItems(family, items.slice(0, half)), ...disassembleItems(family, items.slice(half))];
  }
}

class ObjdumpCrash extends Error {}

function disassembleBatch(family: IsaFamily, items: readonly (readonly number[])[]): (McDecoded | null)[] {
  const dir = mkdtempSync(join(tmpdir(), 'isa-oracle-'));
  try {
    const lines = ['.text'];
    const starts: number[] = [];
    let total = 0;
    for (const words of items) {
      starts.push(total);
      lines.push('.long ' + words.map((w) => '0x' + (w >>> 0).toString(16)).join(', '));
      total += words.length * 4;
    }
    const src = join(dir, 'items.s');
    const obj = join(dir, 'items.o');
    writeFileSync(src, lines.join('\n') + '\n');
    const mc = spawnSync(LLVM_MC, ['-triple=amdgcn-amd-amdhsa', `-mcpu=${MCPU[family]}`, '-filetype=obj', src, '-o', obj], { encoding: 'utf8' });
    if (mc.status !== 0) throw new Error(`${LLVM_MC} failed: ${mc.stderr}`);
    const od = spawnSync(LLVM_OBJDUMP, ['-d', '--no-show-raw-insn', `--mcpu=${MCPU[family]}`, obj], { encoding: 'utf8', maxBuffer: 1 << 28 });
    if (od.status !== 0) throw new ObjdumpCrash(`${LLVM_OBJDUMP} failed: ${od.stderr}`);
    const found: { address: number; text: string }[] = [];
    for (const line of od.stdout.split('\n')) {
      const m = OBJDUMP_LINE.exec(line);
      if (m) found.push({ address: parseInt(m[2]!, 16), text: m[1]! });
    }
    const at = new Map<number, McDecoded>();
    found.forEach((f, i) => {
      if (f.text.startsWith('.long')) return;
      at.set(f.address, { text: f.text, size: (found[i + 1]?.address ?? total) - f.address });
    });
    return starts.map((o) => at.get(o) ?? null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One instruction line of llvm-objdump-19 -d: text, then "// <12 hex digit address>: <words>". */
export const OBJDUMP_LINE = /^\t(.*?)\s*\/\/ ([0-9A-F]{12}):/;

/** Assembles lines with llvm-mc -show-encoding; returns per line the encoding bytes, or null on error. */
export function assembleLines(family: IsaFamily, asmLines: readonly string[]): (number[] | null)[] {
  const r = spawnSync(LLVM_MC, ['-show-encoding', '-triple=amdgcn-amd-amdhsa', `-mcpu=${MCPU[family]}`], {
    input: asmLines.join('\n') + '\n', encoding: 'utf8', maxBuffer: 1 << 28,
  });
  const failed = new Set<number>();
  for (const m of r.stderr.matchAll(/<stdin>:(\d+):\d+: error:/g)) failed.add(Number(m[1]) - 1);
  const encs: number[][] = [];
  for (const line of r.stdout.split('\n')) {
    const m = /; encoding: \[([^\]]*)\]/.exec(line);
    if (m) encs.push(m[1]!.split(',').map((x) => Number(x)));
  }
  let k = 0;
  return asmLines.map((_, i) => (failed.has(i) ? null : encs[k++] ?? null));
}
