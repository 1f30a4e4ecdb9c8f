// The generated opcode tables: structure, and a round trip through LLVM's assembler. Each opcode is
// encoded with registers in every operand slot, printed by our disassembler, assembled by
// `llvm-mc-19 -show-encoding`, and the bytes LLVM produces decode back to the same operation and print as the same text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeInstruction } from '../src/emu/isa/decode.js';
import { formatInstruction } from '../src/emu/isa/disasm.js';
import { FORMATS, VOP3SD_FIELDS, insertField, type FormatSpec } from '../src/emu/isa/tables/formats.js';
import { opcodeTables, type OpcodeInfo } from '../src/emu/isa/tables/index.js';
import type { IsaFamily } from '../src/emu/isa/types.js';
import { requireOracle } from './support/tools.js';
import { assembleLines, LLVM_MC } from './isa-oracle.js';

const FAMILIES = ['rdna3', 'rdna4', 'cdna3', 'cdna2'] as const;
const rdna = (family: IsaFamily): boolean => family === 'rdna3' || family === 'rdna4';

/** Table key → the format it decodes with. */
function formatFor(family: IsaFamily, key: string): FormatSpec {
  const enc = key === 'SCRATCH' || key === 'GLOBAL' ? 'FLAT' : key.startsWith('VOPD') ? 'VOPD' : key;
  const spec = FORMATS[family].find((f) => f.encoding === enc);
  assert.ok(spec, `${family} table ${key} has no format`);
  return spec;
}

test('every operand slot of every opcode names a field of its format', () => {
  for (const family of FAMILIES) {
    let n = 0;
    for (const [key, rows] of opcodeTables(family)) {
      const spec = formatFor(family, key);
      for (const info of rows.values()) {
        const fields = { ...spec.fields, ...(info.sd ? VOP3SD_FIELDS : {}) };
        for (const slot of info.operands) {
          if (slot.kind === 'text' || slot.kind === 'lit') continue;
          assert.ok(fields[slot.field], `${family} ${key} ${info.name}: slot field ${slot.field}`);
        }
        n++;
      }
    }
    assert.ok(n > 1300, `${family}: only ${n} opcodes`);
  }
});

test('known opcodes sit where the ISA manuals put them', () => {
  const t = opcodeTables('rdna3');
  assert.equal(t.get('VOP2')!.get(3)!.op, 'v_add_f32');
  assert.equal(t.get('VOP3')!.get(0x103)!.name, 'v_add_f32_e64');
  assert.equal(t.get('SOPP')!.get(48)!.op, 's_endpgm');
  assert.equal(t.get('SMEM')!.get(1)!.op, 's_load_b64');
  assert.equal(t.get('GLOBAL')!.get(20)!.op, 'global_load_b32');
  assert.equal(t.get('VOPDX')!.get(4)!.op, 'v_dual_add_f32');
  assert.equal(t.get('VOP3')!.get(768)!.sd, true, 'v_add_co_u32 is VOP3SD');
  const c = opcodeTables('cdna3');
  assert.equal(c.get('VOP2')!.get(1)!.op, 'v_add_f32');
  assert.equal(c.get('SOPP')!.get(1)!.op, 's_endpgm');
  assert.equal(c.get('SMEM')!.get(0)!.op, 's_load_dword');
  assert.equal(c.get('VOP3P')!.get(0x4c)!.op, 'v_mfma_f32_32x32x8_f16');
  assert.equal(c.get('GLOBAL')!.get(20)!.op, 'global_load_dword');
  // gfx90a: the same GFX9 opcode map, without gfx940's additions (v_mov_b64 is VOP1 56 on gfx940 only).
  const a = opcodeTables('cdna2');
  assert.equal(a.get('VOP2')!.get(1)!.op, 'v_add_f32');
  assert.equal(a.get('GLOBAL')!.get(20)!.op, 'global_load_dword');
  assert.equal(a.get('VOP3P')!.get(0x4c)!.op, 'v_mfma_f32_32x32x8f16');
  assert.equal(c.get('VOP1')!.get(56)!.op, 'v_mov_b64');
  assert.equal(a.get('VOP1')!.get(56), undefined);
  // gfx1201: RDNA3's VALU map, new SMEM/VFLAT/VBUFFER opcodes, split wait counters in SOPP.
  const r4 = opcodeTables('rdna4');
  assert.equal(r4.get('VOP2')!.get(3)!.op, 'v_add_f32');
  assert.equal(r4.get('SOPP')!.get(48)!.op, 's_endpgm');
  assert.equal(r4.get('SOPP')!.get(0x40)!.op, 's_wait_loadcnt');
  assert.equal(r4.get('SOPP')!.get(0x47)!.op, 's_wait_kmcnt');
  assert.equal(r4.get('SMEM')!.get(0)!.op, 's_load_b32');
  assert.equal(r4.get('SMEM')!.get(16)!.op, 's_buffer_load_b32');
  assert.equal(r4.get('GLOBAL')!.get(20)!.op, 'global_load_b32');
  assert.equal(r4.get('MUBUF')!.get(20)!.op, 'buffer_load_b32');
  assert.equal(r4.get('MTBUF')!.get(0)!.op, 'tbuffer_load_format_x');
  assert.equal(r4.get('VOP3')!.get(0x2fe)!.op, 'v_mad_co_u64_u32');
});

/**
 * Operands LLVM's assembler accepts: non-overlapping, aligned register ranges; null where RDNA3's
 * s_waitcnt_*cnt demands it; one SGPR where gfx9's single constant-bus read allows no second; 16-bit
 * literals for f16 ops; op_sel_hi at its default for CDNA3's non-MFMA VOP3P (LLVM refuses zeros on dot ops).
 */
function probeWords(family: IsaFamily, key: string, info: OpcodeInfo): number[] {
  const spec = formatFor(family, key);
  const words = new Array<number>(spec.dwords).fill(0);
  words[0] = spec.value;
  const fields = { ...spec.fields, ...(info.sd ? VOP3SD_FIELDS : {}) };
  let opcode = info.opcode;
  if (key === 'VOPDX') opcode = (info.opcode << 5) | 8;
  if (key === 'VOPDY') opcode = (8 << 5) | info.opcode;
  insertField(words, key.startsWith('VOPD') ? [0, 17, 9, 'imm'] : spec.opcode, opcode);
  if (key === 'SCRATCH' || key === 'GLOBAL') insertField(words, fields.seg!, key === 'SCRATCH' ? 1 : 2);
  const nullSaddr = rdna(family) ? 124 : 127;
  if (fields.saddr) insertField(words, fields.saddr, key === 'FLAT' ? (rdna(family) ? 124 : 0) : nullSaddr);
  if (key === 'SCRATCH' && fields.sve) insertField(words, fields.sve, 1);
  if (fields.soffset && key === 'SMEM' && rdna(family)) insertField(words, fields.soffset, 124);
  if (fields.imm) insertField(words, fields.imm, 1);
  if (key === 'VOP3P' && (rdna(family) || !info.op.startsWith('v_mfma'))) { insertField(words, fields.op_sel_hi!, 3); insertField(words, fields.op_sel_hi2!, 1); }
  if (key.startsWith('MUBUF') || key.startsWith('MTBUF')) insertField(words, fields.offen!, 1);
  if (key === 'MTBUF') insertField(words, fields.format ?? fields.dfmt!, 1);
  let next = 8;
  let sgprSource: number | undefined;
  for (const slot of info.operands) {
    const f = fields[slot.field];
    if (!f || (slot.kind !== 'v' && slot.kind !== 's' && slot.kind !== 'a' && slot.kind !== 't')) continue;
    const [, , , kind] = f;
    let reg = next;
    next = Math.ceil((next + Math.max(1, slot.dwords)) / 8) * 8;
    if (slot.kind === 's' && rdna(family) && info.op.startsWith('s_waitcnt_')) reg = 124;
    // gfx12 named barriers take m0 (or an inline constant) as the barrier, not an SGPR.
    if (slot.kind === 's' && slot.field === 'ssrc0' && family === 'rdna4' && /barrier/.test(info.op)) reg = 125;
    if (slot.kind === 's' && kind === 'src' && !rdna(family)) reg = sgprSource ??= reg;
    const raw = kind === 'src' ? (slot.kind === 's' ? reg : 256 + reg) : kind === 'sgpr2' ? reg / 2 : kind === 'sgpr4' ? reg / 4 : reg;
    if (slot.field === 'vdsty') insertField(words, f, (reg + 1) >> 1);
    else insertField(words, f, raw);
  }
  if (key === 'VOPDX' || key === 'VOPDY') {
    insertField(words, fields.vdstx!, 1);
    insertField(words, fields.srcx0!, 256 + 2);
    insertField(words, fields.srcy0!, 256 + 3);
  }
  if (info.alwaysLiteral) words.push(info.op.endsWith('_f16') ? 0x1234 : 0x12345678);
  return words;
}

for (const family of FAMILIES) {
  test(`${family}: every opcode survives print → llvm-mc-19 assemble → decode`, (t) => {
    if (!requireOracle(t, { commands: [LLVM_MC] })) return;
    const cases: { key: string; info: OpcodeInfo; text: string }[] = [];
    for (const [key, rows] of opcodeTables(family)) {
      for (const info of rows.values()) {
        try {
          const inst = decodeInstruction(family, Uint32Array.from(probeWords(family, key, info)), 0, 0);
          cases.push({ key, info, text: formatInstruction(family, inst) });
        } catch (e) {
          cases.push({ key, info, text: `; ${(e as Error).message}` });
        }
      }
    }
    const encoded = assembleLines(family, cases.map((c) => c.text));
    const failures: string[] = [];
    cases.forEach((c, i) => {
      const bytes = encoded[i];
      if (!bytes) { failures.push(`${c.key} ${c.info.name}: llvm-mc-19 rejects "${c.text}"`); return; }
      const padded = new Uint8Array(Math.ceil(bytes.length / 4) * 4 + 16);
      padded.set(bytes);
      try {
        const inst = decodeInstruction(family, new DataView(padded.buffer), 0, 0);
        const want = c.key === 'VOPDY' ? 'v_dual_mov_b32' : c.info.op;
        if (inst.op !== want || inst.size !== bytes.length) failures.push(`${c.key} ${c.info.name}: "${c.text}" decodes back as ${inst.op} (${inst.size} bytes, LLVM ${bytes.length})`);
        else if (formatInstruction(family, inst) !== c.text) failures.push(`${c.key} ${c.info.name}: "${c.text}" prints back as "${formatInstruction(family, inst)}"`);
      } catch (e) {
        failures.push(`${c.key} ${c.info.name}: "${c.text}" → ${(e as Error).message}`);
      }
    });
    t.diagnostic(`${family}: ${cases.length} opcodes, all ${cases.length - failures.length} round-trip`);
    assert.deepEqual(failures, []);
  });
}
