#!/usr/bin/env node
// Generates src/emu/isa/tables/{rdna3,rdna4,cdna3,cdna2}.ts (gfx1100, gfx1201, gfx942, gfx90a): the opcode tables of each
// encoding, by sweeping every opcode value of each encoding through LLVM 19's disassembler and recording
// the mnemonic and operand shape it prints. Each batch (one per encoding and probe) is laid out as `.long` words by llvm-mc-19
// -filetype=obj and disassembled by llvm-objdump-19, which reports every instruction's address (so
// sizes are exact even for literals). Bit layouts come from src/emu/isa/tables/formats.ts and the batch
// driver from test/isa-oracle.ts (compiled: run `npx tsc -p tsconfig.json` first). About 20 s.
// Further probes record how each operand prints constants and modifiers, and symbolic immediates.
// Usage: node scripts/gen-isa-tables.mjs [family ...]   (default: all)
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { FORMATS, VOP3SD_FIELDS, insertField } = await import(join(root, 'dist/src/emu/isa/tables/formats.js'));
const { disassembleItems, llvmVersion, MCPU, PAD } = await import(join(root, 'dist/test/isa-oracle.js'));
const mcpuOf = (family) => MCPU[family];
const isRdna = (family) => family === 'rdna3' || family === 'rdna4';

/** A literal value no inline constant equals, so a printed "0x12345678" marks a literal slot. */
const LIT = 0x12345678;
const INV2PI = 248;

/**
 * Probe operand values per encoding (raw field values). Register numbers are distinct within a probe so
 * each printed register names its field; tuples are 4-aligned for LLVM's alignment rules.
 */
const VOP3_PROBE = { vdst: 20, src0: 264, src1: 268, src2: 272 };
const PROBES = {
  SOP1: { sdst: 20, ssrc0: 8 },
  SOP2: { sdst: 20, ssrc0: 8, ssrc1: 12 },
  SOPC: { ssrc0: 8, ssrc1: 12 },
  SOPK: { sdst: 20, simm16: 0x1c4 },
  SOPP: { simm16: 0 },
  SMEM: { sdata: 20, sbase: 4, offset: 0x1c4, soffset: 124, imm: 1 },
  VOP1: { vdst: 20, src0: 264 },
  VOP2: { vdst: 20, src0: 264, vsrc1: 12 },
  VOPC: { src0: 264, vsrc1: 12 },
  VOP3: VOP3_PROBE,
  VOP3P: { ...VOP3_PROBE, op_sel_hi: 3, op_sel_hi2: 1 },
  VINTERP: VOP3_PROBE,
  LDSDIR: { vdst: 20, attr: 3, attr_chan: 1 },
  VOPD: { srcx0: 264, vsrcx1: 12, vdstx: 20, srcy0: 278, vsrcy1: 26, vdsty: 10 },
  DS: { addr: 8, data0: 12, data1: 16, vdst: 20 },
  FLAT: { addr: 8, data: 12, vdst: 20 },
  MUBUF: { vaddr: 8, vdata: 20, srsrc: 3, soffset: 24, offen: 1 },
  MTBUF: { vaddr: 8, vdata: 20, srsrc: 3, soffset: 24, offen: 1, format: 1, dfmt: 1 },
};
/**
 * LLVM rejects encodings whose unused operand fields are not zero, so each probe is also tried with every
 * subset of these fields zeroed (and the alternatives listed); the printout that names the most fields wins.
 */
const OPTIONAL = {
  // (MUBUF: buffer_gl0_inv and friends take no operands at all.)
  SOP1: ['sdst', 'ssrc0'], SOP2: ['sdst'], SOPK: ['sdst'], SMEM: ['sdata', 'soffset'], VOP1: ['vdst', 'src0'],
  VOP3: ['vdst', 'src1', 'src2'], VOP3P: ['src1', 'src2'], DS: ['vdst', 'data0', 'data1'], FLAT: ['vdst', 'data'],
  MUBUF: ['vdata', 'vaddr', 'srsrc', 'soffset', 'offen'], MTBUF: ['vdata'], VOPD: ['vsrcx1', 'vsrcy1'],
};
const ALTERNATIVES = {
  VOP3: [{ src0: 8, src2: 0 }, { src0: 8, src1: 12, src2: 0 }, { src1: 12, src2: 0 }, { src2: 28 }, { sdst: 24 }, { sdst: 24, src2: 0 }, { sdst: 24, src2: 28 },
    // gfx12 v_s_* transcendentals: one SGPR source, the others zero.
    { src0: 8, src1: 0, src2: 0 }],
};

/** gfx12 VBUFFER names its descriptor by first SGPR (9-bit field), not in units of 4. */
const FAMILY_PROBES = { rdna4: { MUBUF: { srsrc: 12 }, MTBUF: { srsrc: 12 } } };

function variantsOf(enc, family) {
  const base = { ...PROBES[enc], ...FAMILY_PROBES[family]?.[enc] };
  const opt = OPTIONAL[enc] ?? [];
  const subsets = [];
  for (let m = 0; m < 1 << opt.length; m++) subsets.push(m);
  subsets.sort((x, y) => popcount(x) - popcount(y));
  const out = subsets.map((m) => ({ ...base, ...Object.fromEntries(opt.filter((_, i) => m & (1 << i)).map((f) => [f, 0])) }));
  for (const alt of ALTERNATIVES[enc] ?? []) out.push({ ...base, ...alt });
  return out;
}
const popcount = (x) => x.toString(2).replace(/0/g, '').length;

/** Opcode values swept per encoding (SOP2/SOPK stop where SOPK/SOP1/SOPC/SOPP take over the prefix). */
const OPCODE_RANGE = { SOP2: 0x60, SOPK: 0x1d };

function expectedNumber(kind, raw, name) {
  if (name === 'vdsty') return raw * 2 + 1; // VOPD: vdsty's low bit is the inverse of vdstx's (vdstx probe is even)
  if (kind === 'src') return raw >= 256 ? raw - 256 : raw;
  if (kind === 'sgpr2') return raw * 2;
  if (kind === 'sgpr4') return raw * 4;
  return raw;
}

function build(spec, fields, opcode, extraFields = {}) {
  const words = new Array(spec.dwords).fill(0);
  words[0] = spec.value;
  insertField(words, spec.opcode, opcode);
  for (const [name, v] of Object.entries(fields)) {
    const f = spec.fields[name] ?? extraFields[name];
    if (f) insertField(words, f, v);
  }
  return words;
}

const REG = /^(?:(v|s|a)(\d+)|(v|s|a)\[(\d+):(\d+)\])(\.[lh])?$/;

/** Turns LLVM's operand list into slots: "field:kind:dwords", "lit", or "=text" for fixed text. */
function operandSlots(operands, byNumber, immByText, sopp, immField) {
  return operands.map((tok) => {
    const m = REG.exec(tok);
    if (m) {
      const kind = m[1] ?? m[3];
      const base = Number(m[2] ?? m[4]);
      const dwords = m[2] !== undefined ? 1 : Number(m[5]) - base + 1;
      const field = byNumber.get(base);
      if (field) return `${field}:${m[6] ? 't' : kind}${dwords}`;
    }
    if (tok === '0x12345678') return 'lit';
    if (tok.startsWith('hwreg(')) return `${immField}:hwreg`;
    if (tok.startsWith('sendmsg(')) return `${immField}:sendmsg`;
    if (sopp) return `simm16:${tok.startsWith('0x') ? 'hex' : 'imm'}`;
    if (tok === 'off') return 'saddr:off';
    const imm = immByText.get(tok);
    if (imm) return `${imm}:${tok.startsWith('0x') ? 'hex' : 'imm'}`;
    return '=' + tok;
  });
}

function splitTopLevel(s, sep = ', ') {
  const parts = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (depth === 0 && s.startsWith(sep, i)) { parts.push(s.slice(start, i)); start = i + sep.length; i += sep.length - 1; }
  }
  parts.push(s.slice(start));
  return parts;
}

/** Splits "mnemonic a, b, c mod1 mod2" into mnemonic, operands and modifiers. */
export function splitText(text) {
  const sp = text.indexOf(' ');
  if (sp < 0) return { mnemonic: text, operands: [], modifiers: [] };
  const mnemonic = text.slice(0, sp);
  const parts = splitTopLevel(text.slice(sp + 1));
  const last = splitTopLevel(parts.pop(), ' ');
  return { mnemonic, operands: [...parts, last[0]], modifiers: last.slice(1) };
}

/** The operation name without LLVM's encoding suffix. */
const baseOp = (mnemonic) => mnemonic.replace(/_e(32|64)$/, '');

function slotsFor(spec, probe, text) {
  const byNumber = new Map();
  const all = { ...spec.fields, ...VOP3SD_FIELDS };
  for (const [name, raw] of Object.entries(probe)) {
    const f = all[name];
    if (!f || raw === 0 || ((f[3] === 'imm' || f[3] === 'simm') && name !== 'vdsty')) continue;
    byNumber.set(expectedNumber(f[3], raw, name), name);
  }
  const immByText = new Map();
  for (const [name, raw] of Object.entries(probe)) {
    const f = all[name];
    if (!f) continue;
    if ((f[3] === 'imm' || f[3] === 'simm') && raw > 15) immByText.set('0x' + raw.toString(16), name);
    if (raw > 1) immByText.set(String(raw), name);
  }
  const { mnemonic, operands } = splitText(text);
  return { mnemonic, slots: operandSlots(operands, byNumber, immByText, spec.encoding === 'SOPP', spec.encoding === 'SOP1' ? 'ssrc0' : 'simm16') };
}

/** Sweeps one encoding: returns Map opcode → entry. */
function sweep(family, spec, probe, { range, extra = {} } = {}) {
  const n = range ?? 1 << spec.opcode[2];
  const items = [];
  for (let op = 0; op < n; op++) items.push([...build(spec, probe, op, extra), LIT, PAD, PAD, PAD]);
  const res = disassembleItems(family, items);
  const out = new Map();
  res.forEach((r, op) => {
    if (!r || r.text.startsWith('v_illegal') || r.text === '') return;
    // Opcode values whose word belongs to an earlier format in the table (CDNA3 VOP3 >= 0x380 is VOP3P).
    if (FORMATS[family].find((f) => ((items[op][0] & f.mask) >>> 0) === f.value)?.encoding !== spec.encoding) return;
    out.set(op, { text: r.text, size: r.size, base: spec.dwords * 4 });
  });
  return out;
}

const SRC_FIELDS = ['src0', 'src1', 'src2', 'ssrc0', 'ssrc1', 'srcx0', 'srcy0'];

/**
 * How each source slot prints constants, probed with a literal and with code 248 in that slot. Slot suffix
 * letters: h = a literal prints as 4 hex digits (16-bit operand); d = inline floats print as f64 values;
 * x = inline floats print as their f16 bit pattern in hex (16-bit integer operand); F = the literal is the
 * high half of an f64 (0x3ff00000 prints as 1.0).
 */
function markConstantSlots(family, spec, chosen, rows) {
  const jobs = [];
  for (const [op, best] of chosen) {
    best.slots.forEach((slot, index) => {
      const field = slot.split(':')[0];
      if (SRC_FIELDS.includes(field)) jobs.push({ op, index, field, probe: best.probe });
    });
  }
  const items = (v, lit = LIT) => jobs.map((j) => [...build(spec, { ...j.probe, [j.field]: v }, j.op, VOP3SD_FIELDS), lit, PAD, PAD, PAD]);
  const lit = disassembleItems(family, items(255));
  const inv = disassembleItems(family, items(INV2PI));
  const f64 = disassembleItems(family, items(255, 0x3ff00000));
  const tokens = new Map();
  jobs.forEach((j, i) => {
    const l = lit[i] && splitText(lit[i].text).operands[j.index];
    const c = inv[i] && splitText(inv[i].text).operands[j.index];
    const key = `${l}|${c}`;
    tokens.set(key, (tokens.get(key) ?? 0) + 1);
    let suffix = '';
    if (l === '0x5678') suffix += 'h';
    if (c === '0.15915494309189532') suffix += 'd';
    if (c === '0x3118') suffix += 'x';
    if (f64[i] && splitText(f64[i].text).operands[j.index] === '1.0') suffix += 'F';
    if (suffix) rows[j.op].o[j.index] += ':' + suffix;
  });
  if (process.env.GEN_DEBUG) console.log(spec.encoding, [...tokens]);
}

/**
 * Which VOP3 modifiers an opcode prints (flags os = op_sel, cl = clamp, om = omod), and for memory
 * atomics the operand list when the instruction returns the old value (g = glc/sc0 set).
 */
const MODIFIER_PROBES = {
  VOP3: [[{ op_sel: 15 }, /\bop_sel:/, 'os'], [{ clamp: 1 }, /\bclamp\b/, 'cl'], [{ omod: 1 }, /\bmul:2\b/, 'om']],
  VOP3P: [[{ clamp: 1 }, /\bclamp\b/, 'cl'], [{ op_sel: 1 }, /\bop_sel:/, 'os'], [{ op_sel_hi: 1, op_sel_hi2: 0 }, /\bop_sel_hi:/, 'oh'],
    [{ neg: 1 }, /\bneg_lo:/, 'nl'], [{ neg_hi: 1 }, /\bneg_hi:/, 'nh']],
  DS: [[{ offset0: 5, offset1: 7 }, /\boffset1:/, 'o2'], [{ gds: 1 }, /\bgds\b/, 'gd']],
  SMEM: [[{ glc: 1 }, /\bglc\b/, 'gl'], [{ dlc: 1 }, /\bdlc\b/, 'dl']],
};

/**
 * Source modifiers each slot prints (slot constants letters n = neg as "-x", s = neg as "sext(x)",
 * a = abs as "|x|"): VOP3/VOP3P/VINTERP from neg/abs(neg_hi) bits, VOP1/VOP2/VOPC from a DPP16 word.
 */
function markSourceModifiers(family, spec, list, rows) {
  const enc = spec.encoding;
  let probes;
  // One source at a time: LLVM rejects a modifier on a source that cannot take it (v_cmp_class src1).
  if (enc === 'VOP3' || enc === 'VINTERP') probes = [1, 2, 4].flatMap((b) => [{ neg: b }, { abs: b }]);
  else if (enc === 'VOP3P') probes = [1, 2, 4].flatMap((b) => [{ neg: b }, { neg_hi: b }]);
  else if (enc === 'VOP1' || enc === 'VOP2' || enc === 'VOPC') {
    probes = [1 << 20, 1 << 21, 1 << 22, 1 << 23];
    // CDNA also has SDWA (src0 = 249): word = v8, all selects DWORD, the neg or abs bit of one source.
    if (!isRdna(family)) probes.push(...[1 << 20, 1 << 21, 1 << 28, 1 << 29].map((sdwa) => ({ sdwa })));
  } else return;
  for (const probe of probes) {
    const items = list.map(([op, b]) => {
      if (typeof probe !== 'number' && probe.sdwa) {
        const sdwa = 8 | 6 << 8 | 6 << 16 | 6 << 24;
        return [...build(spec, { ...b.probe, src0: 249 }, op), (sdwa | probe.sdwa) >>> 0, PAD, PAD, PAD];
      }
      if (typeof probe !== 'number') {
        // Only the bits of sources the opcode has: LLVM rejects modifier bits of absent sources.
        const present = ['src0', 'src1', 'src2'].reduce((m, f, i) => (rows[op].o.some((s) => s.startsWith(f + ':')) ? m | (1 << i) : m), 0);
        const masked = Object.fromEntries(Object.entries(probe).map(([k, v]) => [k, v & present]));
        return [...build(spec, { ...b.probe, ...masked }, op, VOP3SD_FIELDS), LIT, PAD, PAD, PAD];
      }
      // DPP16: src0 = 250, extension word = v8, quad_perm identity, all rows and banks, the neg or abs bits
      // of the sources the opcode has.
      const unary = !rows[op].o.some((s) => s.startsWith('vsrc1:'));
      return [...build(spec, { ...b.probe, src0: 250 }, op), (8 | 0xe4 << 8 | 0xff << 24 | (unary ? probe & 0x300000 : probe)) >>> 0, PAD, PAD, PAD];
    });
    const res = disassembleItems(family, items);
    list.forEach(([op], i) => {
      if (!res[i]) return;
      const printed = splitText(res[i].text).operands;
      rows[op].o.forEach((slot, k) => {
        const field = slot.split(':')[0];
        if (!['src0', 'src1', 'src2', 'vsrc1'].includes(field)) return;
        const t = printed[k] ?? '';
        let letters = '';
        if (t.startsWith('-') || t.startsWith('neg(')) letters += 'n';
        if (t.startsWith('sext(')) letters += 's';
        if (t.includes('|')) letters += 'a';
        if (!letters) return;
        const parts = slot.split(':');
        parts[2] = [...new Set((parts[2] ?? '') + letters)].join('');
        rows[op].o[k] = parts.join(':');
      });
    });
  }
}

function markModifiers(family, spec, chosen, rows) {
  const list = [...chosen];
  if (list.length === 0) return;
  markSourceModifiers(family, spec, list, rows);
  for (const [fields, re, flag] of MODIFIER_PROBES[spec.encoding] ?? []) {
    const res = disassembleItems(family, list.map(([op, b]) => [...build(spec, { ...b.probe, ...fields }, op, VOP3SD_FIELDS), LIT, PAD, PAD, PAD]));
    list.forEach(([op], i) => {
      if (res[i] && re.test(res[i].text)) rows[op].f = [rows[op].f, flag].filter(Boolean).join(' ');
    });
  }
  if (!['FLAT', 'MUBUF', 'MTBUF'].includes(spec.encoding)) return;
  const rtn = family === 'cdna3' ? { sc0: 1 } : family === 'rdna4' ? { th: 1 } : { glc: 1 };
  const res = disassembleItems(family, list.map(([op, b]) => [...build(spec, { ...b.probe, ...rtn }, op), LIT, PAD, PAD, PAD]));
  list.forEach(([op, b], i) => {
    if (!res[i]) return;
    const { slots } = slotsFor(spec, b.probe, res[i].text);
    if (slots.join() !== rows[op].o.join()) rows[op].g = slots;
  });
}

/** Printed operands left as fixed text although they look like registers: the probe did not fit this opcode. */
const misfit = (slots) => slots.filter((x) => /^=(?:[vsa][\d[]|.*Invalid|.*\/\*|.*\*\/)/.test(x)).length;

function genEncoding(family, spec, name, variants) {
  const range = OPCODE_RANGE[spec.encoding];
  const sweeps = variants.map((p) => ({ probe: p, res: sweep(family, spec, p, { range, extra: VOP3SD_FIELDS }) }));
  const rows = {};
  const chosen = new Map();
  const n = range ?? 1 << spec.opcode[2];
  for (let op = 0; op < n; op++) {
    let best;
    for (const { probe, res } of sweeps) {
      const r = res.get(op);
      if (!r) continue;
      const { mnemonic, slots } = slotsFor(spec, probe, r.text);
      const score = misfit(slots);
      if (!best || score < best.score) best = { mnemonic, slots, score, r, probe };
    }
    if (!best) continue;
    const flags = [];
    if (best.slots.some((x) => x.startsWith('sdst:')) && spec.encoding === 'VOP3' && !best.slots[0].startsWith('sdst')) flags.push('sd');
    if (best.r.size > best.r.base && !best.slots.includes('lit')) flags.push(`size${best.r.size}`);
    chosen.set(op, best);
    rows[op] = { n: best.mnemonic, o: best.slots, ...(flags.length ? { f: flags.join(' ') } : {}) };
  }
  markConstantSlots(family, spec, chosen, rows);
  markModifiers(family, spec, chosen, rows);
  return rows;
}

/**
 * VOPD: the X operations are swept with Y = v_dual_mov_b32 (8) and the Y operations with X = v_dual_mov_b32;
 * each half's mnemonic and operands are recorded separately (VOPDX keyed by opx, VOPDY by opy).
 */
function genVopd(family, spec) {
  const MOV = 8;
  const out = { VOPDX: {}, VOPDY: {} };
  for (const [key, n, half, make] of [['VOPDX', 16, 0, (op) => (op << 5) | MOV], ['VOPDY', 32, 1, (op) => (MOV << 5) | op]]) {
    const variants = variantsOf('VOPD', family);
    const sweeps = variants.map((p) => ({ p, res: sweep(family, { ...spec, opcode: [0, 17, 9, 'imm'] }, p, { range: 512 }) }));
    for (let op = 0; op < n; op++) {
      let best;
      for (const { p, res } of sweeps) {
        const r = res.get(make(op));
        if (!r) continue;
        const part = r.text.split(' :: ')[half];
        const { mnemonic, slots } = slotsFor(spec, p, part);
        const score = misfit(slots);
        if (!best || score < best.score) best = { mnemonic, slots, score };
      }
      if (best) out[key][op] = { n: best.mnemonic, o: best.slots };
    }
  }
  return out;
}

function genFamily(family) {
  const table = {};
  for (const spec of FORMATS[family]) {
    const enc = spec.encoding;
    if (!PROBES[enc]) continue;
    if (enc === 'VOPD') {
      Object.assign(table, genVopd(family, spec));
      continue;
    }
    // CDNA VOP3P op_sel_hi bits are the MFMA AGPR selects: keep them clear so operands print as VGPRs.
    const variants = variantsOf(enc, family).map((p) => (!isRdna(family) && enc === 'VOP3P' ? { ...p, op_sel_hi: 0, op_sel_hi2: 0 } : p));
    const segs = enc === 'FLAT' ? [['FLAT', 0], ['SCRATCH', 1], ['GLOBAL', 2]] : [[enc, undefined]];
    for (const [name, seg] of segs) {
      const vs = seg === undefined ? variants : variants.map((p) => ({ ...p, seg, sve: seg === 1 ? 1 : 0, saddr: isRdna(family) ? 124 : seg === 0 ? 0 : 127 }));
      table[name] = genEncoding(family, spec, name, vs);
    }
  }
  return table;
}

/**
 * How LLVM names each scalar operand code (0..255) as a 32-bit and as a 64-bit operand (s_mov_b32 and
 * s_mov_b64 with that ssrc0), and how inline constants print for f16 and f64 operands (v_add_f16, v_add_f64).
 */
function genOperandNames(family, table) {
  const sop1 = FORMATS[family].find((f) => f.encoding === 'SOP1');
  const names = {};
  const opOf = (enc, n) => Number(Object.entries(table[enc]).find(([, r]) => r.n === n)[0]);
  const fill = (key, res, pick) => {
    names[key] = {};
    res.forEach((r, c) => { if (r && ![233, 234, 249, 250, 255].includes(c) && !/Invalid|\/\*|0x12345678/.test(r.text)) names[key][c] = pick(splitText(r.text).operands); });
  };
  const codes = [...Array(256).keys()];
  const movItems = (op) => codes.map((c) => [...build(sop1, { sdst: 0, ssrc0: c }, op), LIT, PAD, PAD, PAD]);
  fill('b32', disassembleItems(family, movItems(opOf('SOP1', 's_mov_b32'))), (o) => o[1]);
  fill('b64', disassembleItems(family, movItems(opOf('SOP1', 's_mov_b64'))), (o) => o[1]);
  const vop3 = FORMATS[family].find((f) => f.encoding === 'VOP3');
  const vop3Items = (op) => codes.slice(128).map((c) => [...build(vop3, { vdst: 0, src0: c, src1: 256 }, op), LIT, PAD, PAD, PAD]);
  const f16 = disassembleItems(family, vop3Items(opOf('VOP3', 'v_add_f16_e64')));
  // gfx12 has a VOP2 v_add_f64 too, so its VOP3 form prints as v_add_f64_e64.
  const f64 = disassembleItems(family, vop3Items(opOf('VOP3', family === 'rdna4' ? 'v_add_f64_e64' : 'v_add_f64')));
  fill('f16', [...new Array(128).fill(null), ...f16], (o) => o[1]);
  fill('f64', [...new Array(128).fill(null), ...f64], (o) => o[1]);
  return names;
}

/**
 * Symbolic immediates: s_sendmsg operands (message/op/stream, simm16 0..1023) and hwreg register names
 * (s_getreg_b32 with offset 0, size 32, for each id 0..63), as LLVM prints them.
 */
function genSymbolic(family, table) {
  const opOf = (enc, n) => Number(Object.entries(table[enc]).find(([, r]) => r.n === n)[0]);
  const sopp = FORMATS[family].find((f) => f.encoding === 'SOPP');
  const sopk = FORMATS[family].find((f) => f.encoding === 'SOPK');
  const sendmsg = {};
  const vals = [...Array(1024).keys()];
  disassembleItems(family, vals.map((v) => [...build(sopp, { simm16: v }, opOf('SOPP', 's_sendmsg')), PAD])).forEach((r, v) => {
    const m = r && /^s_sendmsg (sendmsg\(.*\))$/.exec(r.text);
    if (m) sendmsg[v] = m[1].slice(8, -1);
  });
  const hwreg = {};
  disassembleItems(family, vals.slice(0, 64).map((id) => [...build(sopk, { sdst: 0, simm16: 0xf800 | id }, opOf('SOPK', 's_getreg_b32')), PAD])).forEach((r, id) => {
    const m = r && /hwreg\(([A-Z_0-9]+)\)/.exec(r.text);
    if (m) hwreg[id] = m[1];
  });
  // MTBUF format: RDNA3 `format` field (7 bits); CDNA3 (nfmt << 4) | dfmt. '' = LLVM prints no format.
  const mtbuf = FORMATS[family].find((f) => f.encoding === 'MTBUF');
  const format = {};
  const fmtProbe = (v) => (isRdna(family) ? { format: v } : { dfmt: v & 15, nfmt: v >> 4 });
  disassembleItems(family, vals.slice(0, 128).map((v) => [...build(mtbuf, { ...PROBES.MTBUF, ...fmtProbe(v) }, 0), PAD])).forEach((r, v) => {
    if (r) format[v] = /format:(\[[^\]]*\]|\d+)/.exec(r.text)?.[1] ?? '';
  });
  // s_version: simm16 0..255 as LLVM prints it (UC_VERSION_* names and flags).
  const version = {};
  const hasVersion = Object.values(table.SOPK).some((r) => r.n === 's_version');
  if (hasVersion) {
    disassembleItems(family, vals.slice(0, 256).map((v) => [...build(sopk, { sdst: 0, simm16: v }, opOf('SOPK', 's_version')), PAD])).forEach((r, v) => {
      if (r) version[v] = r.text.slice('s_version '.length);
    });
  }
  // gfx12 cache policy: th (3 bits) | scope << 3 as LLVM prints it for a load, a store and an atomic
  // (global_load_b32, global_store_b32, global_atomic_add_u32), keyed kind * 32 + (th | scope << 3).
  const cpol = {};
  if (family === 'rdna4') {
    const flat = FORMATS[family].find((f) => f.encoding === 'FLAT');
    const items = [];
    for (const name of ['global_load_b32', 'global_store_b32', 'global_atomic_add_u32']) {
      for (let v = 0; v < 32; v++) items.push([...build(flat, { ...PROBES.FLAT, seg: 2, saddr: 124, th: v & 7, scope: v >> 3 }, opOf('GLOBAL', name)), PAD, PAD]);
    }
    disassembleItems(family, items).forEach((r, k) => {
      if (r) cpol[k] = splitText(r.text).modifiers.filter((m) => m.startsWith('th:') || m.startsWith('scope:')).join(' ');
    });
  }
  return { sendmsg, hwreg, format, version, ...(family === 'rdna4' ? { cpol } : {}) };
}

function emit(family, table) {
  const ident = family.toUpperCase() + '_OPCODES';
  const lines = [
    `// Generated by \`node scripts/gen-isa-tables.mjs\` with llvm-mc-19 + llvm-objdump-19 --mcpu=${mcpuOf(family)} (LLVM ${llvmVersion()}). Do not edit.`,
    '// Per encoding and opcode: n = mnemonic as LLVM prints it; o = operand slots in print order',
    '// ("field:<v|s|a|t><dwords>[:constants]" with t = 16-bit VGPR half, "field:imm|hex", "lit" = literal constant,',
    '// "saddr:off", "=text" = fixed text); g = operand slots when glc/sc0 makes an atomic return;',
    '// constants letters: h/d/x/F literal and inline-float style, n/s/a source neg, sext, abs printed;',
    '// f = flags (sd = VOP3SD; os/oh/cl/om/nl/nh = op_sel/op_sel_hi/clamp/omod/neg_lo/neg_hi printed;',
    '// o2 = DS offset0/offset1; gd = gds; gl/dl = SMEM glc/dlc).',
    "import type { RawOpcodeTable } from './schema.js';",
    '',
    `export const ${ident}: RawOpcodeTable = {`,
  ];
  for (const [enc, rows] of Object.entries(table)) {
    lines.push(`  ${enc}: {`);
    for (const [op, r] of Object.entries(rows)) lines.push(`    ${op}: ${JSON.stringify(r).replace(/"(\w)":/g, '$1:')},`);
    lines.push('  },');
  }
  lines.push('};', '');
  const names = genOperandNames(family, table);
  lines.push('/** LLVM\'s name for each scalar operand code: as a 32-bit and 64-bit operand, and inline constants as f16/f64. */');
  lines.push(`export const ${family.toUpperCase()}_OPERAND_NAMES: Readonly<Record<'b32' | 'b64' | 'f16' | 'f64', Readonly<Record<number, string>>>> = {`);
  for (const [k, m] of Object.entries(names)) lines.push(`  ${k}: ${JSON.stringify(m).replace(/"(\d+)":/g, '$1:')},`);
  lines.push('};', '');
  const sym = genSymbolic(family, table);
  lines.push('/** s_sendmsg operand text (inside sendmsg(...)) by simm16, hwreg register names by id, s_version operand by simm16 (< 256). */');
  lines.push('/** MTBUF format text by format value (RDNA3) or (nfmt << 4) | dfmt (CDNA3); empty when LLVM omits it. */');
  if (family === 'rdna4') lines.push('/** cpol: th/scope text by kind * 32 + (th | scope << 3), kind 0 = load, 1 = store, 2 = atomic. */');
  lines.push(`export const ${family.toUpperCase()}_SYMBOLS: { readonly [K in 'sendmsg' | 'hwreg' | 'format' | 'version'${family === 'rdna4' ? " | 'cpol'" : ''}]: Readonly<Record<number, string>> } = {`);
  for (const [k, m] of Object.entries(sym)) lines.push(`  ${k}: ${JSON.stringify(m).replace(/"(\d+)":/g, '$1:')},`);
  lines.push('};', '');
  return lines.join('\n');
}

const families = process.argv.slice(2);
for (const family of families.length ? families : ['rdna3', 'rdna4', 'cdna3', 'cdna2']) {
  const t0 = Date.now();
  const table = genFamily(family);
  const file = join(root, 'src/emu/isa/tables', `${family}.ts`);
  writeFileSync(file, emit(family, table));
  const count = Object.values(table).reduce((s, r) => s + Object.keys(r).length, 0);
  console.log(`${family}: ${count} opcodes in ${Object.keys(table).length} encodings (${Date.now() - t0} ms) -> ${file}`);
}
