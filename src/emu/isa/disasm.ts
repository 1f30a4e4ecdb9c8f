// Disassembler: prints a decoded Instruction the way `llvm-objdump-19 -d` prints it (instruction text only).
// Operand order and register widths come from the generated opcode tables; modifiers are printed per
// encoding from the instruction fields.
import { isRdna, type Instruction, type IsaFamily } from './types.js';
import { decodeInstruction, instructionInfo, DecodeError } from './decode.js';
import type { OpcodeInfo, OperandSlot } from './tables/index.js';
import { AGPR_BASE, LITERAL, OPERAND_NAMES, OPERAND_SPACE, VGPR_BASE } from './operands.js';
import { formatDelayAlu, formatDepctr, formatDpp8, formatDppCtrl, formatGprIdx, formatHwreg, formatWaitcnt, SDWA_SEL, SDWA_UNUSED } from './disasm-special.js';
import { RDNA3_SYMBOLS } from './tables/rdna3.js';
import { CDNA3_SYMBOLS } from './tables/cdna3.js';
import { CDNA2_SYMBOLS } from './tables/cdna2.js';
import { RDNA4_SYMBOLS } from './tables/rdna4.js';

const SYMBOLS = { rdna3: RDNA3_SYMBOLS, rdna4: RDNA4_SYMBOLS, cdna3: CDNA3_SYMBOLS, cdna2: CDNA2_SYMBOLS } as const;

/** sendmsg(...) for the messages LLVM can spell (table of simm16 0..1023), the plain number otherwise. */
function formatSendmsg(family: IsaFamily, v: number): string {
  const s = v < 1024 ? SYMBOLS[family].sendmsg[v] : undefined;
  return s === undefined ? String(v) : `sendmsg(${s})`;
}

const hex = (v: number): string => '0x' + (v >>> 0).toString(16);
/** LLVM prints plain immediates in the inline-integer range 0..64 in decimal, others in hex. */
const smallDecimal = (v: number): string => (v >= 0 && v <= 64 ? String(v) : hex(v));

function regRange(prefix: string, first: number, dwords: number): string {
  return dwords <= 1 ? `${prefix}${first}` : `${prefix}[${first}:${first + dwords - 1}]`;
}

/** How a slot prints constants and registers (see OperandSlot.constants). */
export interface NameStyle {
  /** 16-bit VGPR half (v1.l / v1.h). */
  readonly half?: boolean;
  /** Literal printed as its low 16 bits. */
  readonly lit16?: boolean;
  /** Inline floats printed as f64 values. */
  readonly f64?: boolean;
  /** Inline floats printed as the f16 bit pattern in hex (16-bit integer operand). */
  readonly f16Hex?: boolean;
  /** The literal is the high half of an f64. */
  readonly f64Literal?: boolean;
}

const F16_HEX = ['0x3800', '0xb800', '0x3c00', '0xbc00', '0x4000', '0xc000', '0x4400', '0xc400', '0x3118'];
// Literals that equal an inline constant print as that constant (LLVM's printImmediate*).
const FLOAT_TEXT = ['0.5', '-0.5', '1.0', '-1.0', '2.0', '-2.0', '4.0', '-4.0', '0.15915494'];
const F16_BITS = [0x3800, 0xb800, 0x3c00, 0xbc00, 0x4000, 0xc000, 0x4400, 0xc400, 0x3118];
const F32_BITS = [0x3f000000, 0xbf000000, 0x3f800000, 0xbf800000, 0x40000000, 0xc0000000, 0x40800000, 0xc0800000, 0x3e22f983];
const F64_HI = [0x3fe00000, 0xbfe00000, 0x3ff00000, 0xbff00000, 0x40000000, 0xc0000000, 0x40100000, 0xc0100000];

function literalText(v: number, dwords: number, style: NameStyle): string {
  v >>>= 0;
  if (style.lit16) {
    const h = v & 0xffff;
    if (h <= 64) return String(h);
    if (style.f16Hex) return hex(h);
    if (h >= 0xfff0) return String(h - 0x10000);
    const i = F16_BITS.indexOf(h);
    return i >= 0 ? FLOAT_TEXT[i]! : hex(h);
  }
  if (style.f64Literal) {
    const i = F64_HI.indexOf(v);
    return v === 0 ? '0' : i >= 0 ? FLOAT_TEXT[i]! : hex(v);
  }
  if (dwords === 2) return v <= 64 ? String(v) : hex(v);
  const s = v | 0;
  if (s >= -16 && s <= 64) return String(s);
  const i = F32_BITS.indexOf(v);
  return i >= 0 ? FLOAT_TEXT[i]! : hex(v);
}

/** Name of a unified operand code read or written as `dwords` registers. */
export function operandName(family: IsaFamily, code: number, dwords: number, style: NameStyle = {}, literal?: number): string {
  if (code >= AGPR_BASE) return regRange('a', code - AGPR_BASE, dwords);
  if (code >= VGPR_BASE) {
    if (style.half) return `v${(code - VGPR_BASE) & 0x7f}.${code - VGPR_BASE >= 128 ? 'h' : 'l'}`;
    return regRange('v', code - VGPR_BASE, dwords);
  }
  if (code === LITERAL) return literalText(literal ?? 0, dwords, style);
  const names = OPERAND_NAMES[family];
  if (code >= 240 && code <= 248) {
    if (style.f16Hex) return F16_HEX[code - 240]!;
    if (style.f64 || dwords === 2) return names.f64[code]!;
  }
  if (dwords <= 1) return names.b32[code] ?? `<operand ${code}>`;
  if (dwords === 2) return names.b64[code] ?? `<operand ${code}>`;
  const space = OPERAND_SPACE[family];
  if (code < space.sgprs) return regRange('s', code, dwords);
  if (code >= space.ttmpFirst && code <= space.ttmpLast) return regRange('ttmp', code - space.ttmpFirst, dwords);
  return names.b32[code] ?? `<operand ${code}>`;
}

function slotStyle(slot: OperandSlot): NameStyle {
  const c = slot.constants;
  return { half: slot.kind === 't', lit16: c.includes('h'), f64: c.includes('d'), f16Hex: c.includes('x'), f64Literal: c.includes('F') };
}

/** Source operand index (0..2) of a field, for neg/abs/op_sel bits. */
const SRC_INDEX: Readonly<Record<string, number>> = { src0: 0, src1: 1, src2: 2, vsrc1: 1 };

/**
 * Source modifiers the slot prints: neg as -x (constants without abs as neg(x)) or as sext(x); abs as |x|.
 */
function withMods(slot: OperandSlot, text: string, code: number, neg: boolean, abs: boolean): string {
  abs &&= slot.constants.includes('a');
  if (neg && slot.constants.includes('s')) return `sext(${abs ? `|${text}|` : text})`;
  neg &&= slot.constants.includes('n');
  if (neg && !abs && code >= 128 && code < VGPR_BASE && !(code >= 251 && code <= 254) && !(code >= 235 && code <= 239)) return `neg(${text})`;
  const a = abs ? `|${text}|` : text;
  return neg ? `-${a}` : a;
}

const isMai = (op: string): boolean => op.startsWith('v_mfma') || op.startsWith('v_smfmac');
const isMix = (op: string): boolean => /^v_fma_mix/.test(op) || /^v_mad_mix/.test(op);

interface Ctx {
  readonly family: IsaFamily;
  readonly inst: Instruction;
  readonly f: Readonly<Record<string, number>>;
}

function nullCode(family: IsaFamily): number {
  return isRdna(family) ? 124 : 127;
}

function printSlot(ctx: Ctx, slot: OperandSlot): string {
  const { family, inst, f } = ctx;
  switch (slot.kind) {
    case 'text': return slot.text.startsWith('gpr_idx(') ? formatGprIdx(f.ssrc1 ?? 0) : slot.text;
    case 'lit': return hex(inst.literal ?? 0);
    case 'off': return f[slot.field] === nullCode(family) ? 'off' : operandName(family, f[slot.field]!, inst.encoding === 'SCRATCH' ? 1 : 2);
    case 'imm': return String(f[slot.field] ?? 0);
    case 'hex': return hex(f[slot.field] ?? 0);
    case 'hwreg': return formatHwreg(f[slot.field] ?? 0, SYMBOLS[family].hwreg);
    case 'sendmsg': return formatSendmsg(family, f[slot.field] ?? 0);
    default: break;
  }
  const code = f[slot.field];
  if (code === undefined) return `<${slot.field}>`;
  let text = operandName(family, code, slot.dwords, slotStyle(slot), inst.literal);
  const i = SRC_INDEX[slot.field];
  if (i !== undefined) {
    if (inst.encoding === 'VOP3' || inst.encoding === 'VOP3SD' || inst.encoding === 'VINTERP') {
      text = withMods(slot, text, code, ((f.neg ?? 0) >> i & 1) === 1, ((f.abs ?? 0) >> i & 1) === 1);
    } else if (inst.encoding === 'VOP3P') {
      // Mixed-precision FMA: neg_lo/neg_hi are the neg/abs of each source; other VOP3P print neg_lo/neg_hi.
      if (isMix(inst.op)) text = withMods(slot, text, code, ((f.neg ?? 0) >> i & 1) === 1, ((f.neg_hi ?? 0) >> i & 1) === 1);
    } else if (inst.ext === 'dpp' || inst.ext === 'sdwa') {
      const p = i === 0 ? 'src0' : 'src1';
      text = withMods(slot, text, code, f[`${p}_neg`] === 1, f[`${p}_abs`] === 1);
      if (inst.ext === 'sdwa' && f[`${p}_sext`]) text = `sext(${text})`;
    }
  }
  return text;
}

function bits(v: number, n: number): string {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((v >> i) & 1);
  return `[${out.join(',')}]`;
}

function srcCount(info: OpcodeInfo): number {
  return info.operands.filter((s) => s.field === 'src0' || s.field === 'src1' || s.field === 'src2').length;
}

function vop3Modifiers(ctx: Ctx, info: OpcodeInfo): string {
  const { f } = ctx;
  let s = '';
  if (f.op_sel && info.mods.has('os')) s += ` op_sel:${bits(f.op_sel, srcCount(info) + 1)}`;
  if (f.clamp && info.mods.has('cl')) s += ' clamp';
  if (f.omod && info.mods.has('om')) s += [' ', ' mul:2', ' mul:4', ' div:2'][f.omod];
  return s;
}

function vop3pModifiers(ctx: Ctx, info: OpcodeInfo): string {
  const { f, inst } = ctx;
  if (isMai(inst.op)) {
    let s = '';
    if (f.cbsz) s += ` cbsz:${f.cbsz}`;
    if (f.abid) s += ` abid:${f.abid}`;
    if (f.blgp) s += ` blgp:${f.blgp}`;
    return s;
  }
  const n = srcCount(info);
  const mix = isMix(inst.op);
  const full = (1 << n) - 1;
  let s = '';
  const m = info.mods;
  if (f.op_sel && m.has('os')) s += ` op_sel:${bits(f.op_sel, n)}`;
  if (m.has('oh') && (mix ? (f.op_sel_hi ?? 0) & full : ((f.op_sel_hi ?? 0) & full) !== full)) s += ` op_sel_hi:${bits(f.op_sel_hi!, n)}`;
  if (f.neg && m.has('nl')) s += ` neg_lo:${bits(f.neg, n)}`;
  if (f.neg_hi && m.has('nh')) s += ` neg_hi:${bits(f.neg_hi, n)}`;
  if (f.clamp && m.has('cl')) s += ' clamp';
  return s;
}

function dppModifiers(ctx: Ctx, info: OpcodeInfo): string {
  const { f, inst, family } = ctx;
  if (inst.ext === 'dpp8') return ` ${formatDpp8(f.dpp8!)}${f.fi ? ' fi:1' : ''}`;
  // CDNA double-precision ALU ops only take row_newbcast.
  const dpAlu = !isRdna(family) && info.operands.some((s) => (s.field === 'src0' || s.field === 'vdst') && s.dwords === 2);
  const ctrl = f.dpp_ctrl!;
  let s: string;
  if (dpAlu) s = ctrl >= 0x150 && ctrl <= 0x15f ? ` row_newbcast:${ctrl & 0xf}` : '  /* DP ALU dpp only supports row_newbcast */';
  else s = ` ${formatDppCtrl(family, ctrl) ?? '/* Invalid dpp_ctrl value */'}`;
  s += ` row_mask:${hex(f.row_mask!)} bank_mask:${hex(f.bank_mask!)}`;
  if (f.bound_ctrl) s += ' bound_ctrl:1';
  if (f.fi && isRdna(family)) s += ' fi:1';
  return s;
}

function sdwaModifiers(ctx: Ctx): string {
  const { f, inst } = ctx;
  let s = '';
  if (inst.encoding !== 'VOPC') {
    if (f.clamp) s += ' clamp';
    if (f.omod) s += [' ', ' mul:2', ' mul:4', ' div:2'][f.omod];
    s += ` dst_sel:${SDWA_SEL[f.dst_sel!]} dst_unused:${SDWA_UNUSED[f.dst_unused!]}`;
  }
  s += ` src0_sel:${SDWA_SEL[f.src0_sel!]}`;
  if (inst.encoding !== 'VOP1') s += ` src1_sel:${SDWA_SEL[f.src1_sel!]}`;
  return s;
}

/** gfx12 th/scope text (generated table): keyed by the kind of access LLVM names the th values for. */
function cpolText(ctx: Ctx): string {
  const { f, inst } = ctx;
  const kind = /_atomic_/.test(inst.op) ? 2 : /store|^global_wb$/.test(inst.op) ? 1 : 0;
  const t = RDNA4_SYMBOLS.cpol[kind * 32 + ((f.th ?? 0) | ((f.scope ?? 0) << 3))] ?? '';
  return t ? ' ' + t : '';
}

function cacheBits(ctx: Ctx): string {
  const { f, family } = ctx;
  if (family === 'rdna4') return cpolText(ctx);
  if (isRdna(family)) return `${f.glc ? ' glc' : ''}${f.slc ? ' slc' : ''}${f.dlc ? ' dlc' : ''}`;
  if (family === 'cdna2') return `${f.glc ? ' glc' : ''}${f.slc ? ' slc' : ''}${f.scc ? ' scc' : ''}`;
  return `${f.sc0 ? ' sc0' : ''}${f.nt ? ' nt' : ''}${f.sc1 ? ' sc1' : ''}`;
}

function memModifiers(ctx: Ctx, info: OpcodeInfo): string {
  const { f, inst } = ctx;
  switch (inst.encoding) {
    case 'DS': {
      let s = '';
      if (info.mods.has('o2')) {
        if (f.offset0) s += ` offset0:${f.offset0}`;
        if (f.offset1) s += ` offset1:${f.offset1}`;
      } else if (f.offset) s += ` offset:${f.offset}`;
      if (f.gds && info.mods.has('gd')) s += ' gds';
      return s;
    }
    case 'FLAT': case 'GLOBAL': case 'SCRATCH':
      return `${f.offset ? ` offset:${f.offset}` : ''}${cacheBits(ctx)}`;
    case 'MUBUF': case 'MTBUF': {
      // Cache-control instructions (buffer_gl0_inv, buffer_wbl2, ...) print no modifiers.
      if (info.operands.length === 0) return '';
      let s = '';
      if (inst.encoding === 'MTBUF') {
        const fmt = SYMBOLS[ctx.family].format[isRdna(ctx.family) ? f.format! : (f.nfmt! << 4) | f.dfmt!];
        if (fmt) s += ` format:${fmt}`;
      }
      if (f.idxen) s += ' idxen';
      if (f.offen) s += ' offen';
      if (f.offset) s += ` offset:${f.offset}`;
      s += cacheBits(ctx);
      if (f.lds) s += ' lds';
      if (f.tfe) s += ' tfe';
      return s;
    }
    default: return '';
  }
}

function soppText(ctx: Ctx, info: OpcodeInfo): string {
  const { f, family } = ctx;
  const v = f.simm16!;
  if (info.operands.length === 0) return v ? `${info.name} ${v}` : info.name;
  switch (info.op) {
    case 's_waitcnt': return `s_waitcnt ${formatWaitcnt(family, v)}`;
    case 's_delay_alu': return `s_delay_alu ${formatDelayAlu(v)}`;
    case 's_waitcnt_depctr': return `s_waitcnt_depctr ${formatDepctr(v)}`;
    case 's_wait_alu': return `s_wait_alu ${formatDepctr(v)}`;
    default: break;
  }
  const slot = info.operands[0]!;
  if (slot.kind === 'sendmsg') return `${info.name} ${formatSendmsg(family, v)}`;
  if (info.op.startsWith('s_cbranch') || info.op === 's_branch') return `${info.name} ${v}`;
  if (info.op === 's_set_gpr_idx_mode') return `${info.name} ${formatGprIdx(v)}`;
  return `${info.name} ${slot.kind === 'hex' ? hex(v) : smallDecimal(v)}`;
}

function sopkText(ctx: Ctx, info: OpcodeInfo): string | undefined {
  if (info.op !== 's_version') return undefined;
  const v = ctx.f.simm16!;
  return `${info.name} ${SYMBOLS[ctx.family].version[v] ?? hex(v)}`;
}

function smemText(ctx: Ctx, info: OpcodeInfo): string {
  const { f, family } = ctx;
  const ops: string[] = [];
  for (const slot of info.operands) {
    if (slot.kind === 'imm') { ops.push(smallDecimal(f[slot.field] ?? 0)); continue; }
    // gfx12 prefetches print the offset and the soffset register as separate operands.
    if (family === 'rdna4' && slot.kind === 'text' && slot.text === 'null') { ops.push(operandName(family, f.soffset!, 1)); continue; }
    if (slot.field !== 'offset') { ops.push(printSlot(ctx, slot)); continue; }
    if (family === 'rdna4') {
      // gfx12: a signed offset, always printed (0x0 too) after a soffset register.
      const off = f.offset! < 0 ? `-${hex(-f.offset!)}` : hex(f.offset!);
      ops.push(f.soffset === 124 || /prefetch/.test(info.op) ? off : `${operandName(family, f.soffset!, 1)} offset:${off}`);
    } else if (isRdna(family)) {
      const nul = f.soffset === 124;
      ops.push(nul ? (f.offset ? hex(f.offset) : 'null') : `${operandName(family, f.soffset!, 1)}${f.offset ? ` offset:${hex(f.offset)}` : ''}`);
    } else if (f.imm && f.soe) ops.push(`${operandName(family, f.soffset!, 1)} offset:${hex(f.offset!)}`);
    else if (f.imm) ops.push(hex(f.offset!));
    else if (f.soe) ops.push(operandName(family, f.soffset!, 1));
    else ops.push(operandName(family, f.offset! & 0x7f, 1));
  }
  const mods = family === 'rdna4' ? (/^s_(buffer_)?load_/.test(info.op) ? cpolText(ctx) : '') : `${f.glc && info.mods.has('gl') ? ' glc' : ''}${f.dlc && info.mods.has('dl') ? ' dlc' : ''}`;
  return `${info.name}${ops.length ? ' ' + ops.join(', ') : ''}${mods}`;
}

/** LLVM's mnemonic for extended forms: VOP1/VOP2 _dpp/_sdwa, VOP3 _e64_dpp, RDNA3 VOPC DPP without suffix. */
function mnemonic(family: IsaFamily, inst: Instruction, info: OpcodeInfo): string {
  if (!inst.ext) return info.name;
  if (inst.ext === 'sdwa') return info.op + '_sdwa';
  if (inst.encoding === 'VOPC' && isRdna(family)) return info.op;
  if (inst.encoding === 'VOP1' || inst.encoding === 'VOP2' || inst.encoding === 'VOPC') return info.op + '_dpp';
  return info.op + '_e64_dpp';
}

function returns(ctx: Ctx): boolean {
  if (ctx.family === 'rdna4') return ((ctx.f.th ?? 0) & 1) === 1;
  return (ctx.family === 'cdna3' ? ctx.f.sc0 : ctx.f.glc) === 1;
}

function operandsText(ctx: Ctx, info: OpcodeInfo): string {
  const { inst, f } = ctx;
  const slots = info.returnOperands && returns(ctx) ? info.returnOperands : info.operands;
  const ops = slots.map((slot) => {
    if (slot.field === 'vdata' && f.tfe) return operandName(ctx.family, f.vdata!, slot.dwords + 1);
    if (slot.field === 'vdata' && f.lds && !isRdna(ctx.family)) return '';
    if (inst.encoding === 'SCRATCH' && slot.field === 'addr' && !f.sve) return 'off';
    if ((inst.encoding === 'MUBUF' || inst.encoding === 'MTBUF') && slot.field === 'vaddr') {
      const n = (f.idxen ?? 0) + (f.offen ?? 0);
      return n === 0 ? 'off' : operandName(ctx.family, f.vaddr!, n);
    }
    if (inst.encoding === 'GLOBAL' && slot.field === 'addr' && f.saddr !== nullCode(ctx.family)) return operandName(ctx.family, f.addr!, 1);
    if (inst.ext === 'sdwa' && inst.encoding === 'VOPC' && slot.kind === 'text' && /^vcc/.test(slot.text) && f.sd) {
      return operandName(ctx.family, f.sdst!, 2);
    }
    return printSlot(ctx, slot);
  });
  const shown = ops.filter((o) => o !== '');
  return shown.length ? ' ' + shown.join(', ') : '';
}

/** The text llvm-objdump-19 prints for this instruction (without address, bytes or comment). */
export function formatInstruction(family: IsaFamily, inst: Instruction): string {
  const ctx: Ctx = { family, inst, f: inst.fields };
  const { info, infoY } = instructionInfo(family, inst);
  switch (inst.encoding) {
    case 'SOPP': return soppText(ctx, info);
    case 'SOPK': { const t = sopkText(ctx, info); if (t) return t; break; }
    case 'SMEM': return smemText(ctx, info);
    case 'VOPD': return `${info.name}${operandsText(ctx, info)} :: ${infoY!.name}${operandsText(ctx, infoY!)}`;
    case 'LDSDIR': {
      const attr = info.operands.length > 1 ? `, attr${inst.fields.attr}.${'xyzw'[inst.fields.attr_chan!]}` : '';
      const wait = family === 'rdna4' ? `wait_va_vdst:${inst.fields.waitvdst} wait_vm_vsrc:${inst.fields.waitvsrc}` : `wait_vdst:${inst.fields.waitvdst}`;
      return `${info.name} ${operandName(family, inst.fields.vdst!, 1)}${attr} ${wait}`;
    }
    default: break;
  }
  let text = mnemonic(family, inst, info) + operandsText(ctx, info);
  switch (inst.encoding) {
    case 'VOP3': case 'VOP3SD': text += vop3Modifiers(ctx, info); break;
    case 'VOP3P': text += vop3pModifiers(ctx, info); break;
    case 'VINTERP': text += `${inst.fields.clamp ? ' clamp' : ''}${inst.fields.op_sel ? ` op_sel:${bits(inst.fields.op_sel, 4)}` : ''} wait_exp:${inst.fields.waitexp}`; break;
    default: text += memModifiers(ctx, info);
  }
  if (inst.ext === 'sdwa') text += sdwaModifiers(ctx);
  else if (inst.ext) text += dppModifiers(ctx, info);
  return text;
}

export interface DisassembledLine {
  readonly address: number;
  readonly size: number;
  readonly text: string;
  readonly instruction?: Instruction;
}

/**
 * Disassembles a code range. Undecodable words are printed as LLVM does for them ("; invalid"), one
 * dword at a time, so the listing stays aligned.
 */
export function disassemble(family: IsaFamily, code: Uint8Array, address: number): DisassembledLine[] {
  const view = new DataView(code.buffer, code.byteOffset, code.byteLength);
  const out: DisassembledLine[] = [];
  for (let off = 0; off + 4 <= code.byteLength;) {
    try {
      const inst = decodeInstruction(family, view, off, address + off);
      out.push({ address: address + off, size: inst.size, text: formatInstruction(family, inst), instruction: inst });
      off += inst.size;
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      out.push({ address: address + off, size: 4, text: `; invalid: ${e.message}` });
      off += 4;
    }
  }
  return out;
}
