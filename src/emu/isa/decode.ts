// Machine-code decoder: instruction words → Instruction (types.ts), driven by the format layouts
// (tables/formats.ts) and the generated opcode tables (tables/rdna3.ts, cdna3.ts, cdna2.ts).
import { isRdna, type Encoding, type Instruction, type IsaFamily } from './types.js';
import {
  DPP16_FIELDS, DPP8_FIELDS, EXT_CODES, FORMATS, SDWA_FIELDS, VOP3SD_FIELDS, extractField,
  type FieldSpec, type FormatSpec,
} from './tables/formats.js';
import { opcodeTables, type OpcodeInfo, type OperandSlot } from './tables/index.js';
import { AGPR_BASE, LITERAL, VGPR_BASE } from './operands.js';

export class DecodeError extends Error {
  constructor(readonly pc: number, readonly words: readonly number[], message: string) {
    super(`${message} at pc 0x${pc.toString(16)} (${words.map((w) => '0x' + (w >>> 0).toString(16).padStart(8, '0')).join(' ')})`);
    this.name = 'DecodeError';
  }
}

/** Fields that may name the literal constant (operand code 255). */
const LITERAL_FIELDS = ['src0', 'src1', 'src2', 'ssrc0', 'ssrc1', 'srcx0', 'srcy0'] as const;
/** CDNA memory instructions: the acc bit moves these data fields from VGPRs to AGPRs. */
const ACC_DATA_FIELDS = ['vdst', 'data', 'data0', 'data1', 'vdata'] as const;
const SEGMENT_ENCODING: readonly (Encoding | undefined)[] = ['FLAT', 'SCRATCH', 'GLOBAL', undefined];
/** Encodings whose src0 may announce a DPP/SDWA extension dword, per family. */
const EXT_ENCODINGS: Readonly<Record<IsaFamily, ReadonlySet<string>>> = {
  rdna3: new Set(['VOP1', 'VOP2', 'VOPC', 'VOP3', 'VOP3SD', 'VOP3P']),
  rdna4: new Set(['VOP1', 'VOP2', 'VOPC', 'VOP3', 'VOP3SD', 'VOP3P']),
  cdna3: new Set(['VOP1', 'VOP2', 'VOPC']),
  cdna2: new Set(['VOP1', 'VOP2', 'VOPC']),
};

type Words = Uint32Array | DataView;

function reader(words: Words, byteOffset: number): (i: number) => number | undefined {
  if (words instanceof DataView) {
    return (i) => (byteOffset + 4 * i + 4 <= words.byteLength ? words.getUint32(byteOffset + 4 * i, true) : undefined);
  }
  if (byteOffset % 4) throw new RangeError(`unaligned instruction offset ${byteOffset}`);
  const base = byteOffset >> 2;
  return (i) => words[base + i];
}

function formatOf(family: IsaFamily, w0: number): FormatSpec | undefined {
  for (const f of FORMATS[family]) if (((w0 & f.mask) >>> 0) === f.value) return f;
  return undefined;
}

function fieldValue(spec: FieldSpec, raw: number): number {
  switch (spec[3]) {
    case 'vgpr': return VGPR_BASE + raw;
    case 'sgpr2': return raw * 2;
    case 'sgpr4': return raw * 4;
    default: return raw;
  }
}

function readFields(out: Record<string, number>, words: ArrayLike<number>, specs: Readonly<Record<string, FieldSpec>>): void {
  for (const name in specs) out[name] = fieldValue(specs[name]!, extractField(words, specs[name]!));
}

/** Applies the register file each operand slot was printed with (a VOP "vdst" that is an SGPR, AGPR operands). */
function applySlotKinds(fields: Record<string, number>, info: OpcodeInfo): void {
  for (const slot of info.returnOperands ?? info.operands) {
    const v = fields[slot.field];
    if (v === undefined) continue;
    if (slot.kind === 's' && v >= VGPR_BASE && v < AGPR_BASE) fields[slot.field] = v - VGPR_BASE;
    else if (slot.kind === 'a' && v >= VGPR_BASE && v < AGPR_BASE) fields[slot.field] = v + (AGPR_BASE - VGPR_BASE);
  }
}

function toAgpr(fields: Record<string, number>, name: string): void {
  const v = fields[name];
  if (v !== undefined && v >= VGPR_BASE && v < AGPR_BASE) fields[name] = v + (AGPR_BASE - VGPR_BASE);
}

/** CDNA: AGPR selection by the acc bit (memory) and acc_cd/acc (MFMA). */
function applyAcc(fields: Record<string, number>, encoding: Encoding, op: string): void {
  if (encoding === 'VOP3P') {
    if (!op.startsWith('v_mfma') && !op.startsWith('v_smfmac')) return;
    if (fields.acc_cd) { toAgpr(fields, 'vdst'); if (!op.startsWith('v_smfmac')) toAgpr(fields, 'src2'); }
    if (fields.acc! & 1) toAgpr(fields, 'src0');
    if (fields.acc! & 2) toAgpr(fields, 'src1');
    return;
  }
  if (fields.acc) for (const f of ACC_DATA_FIELDS) toAgpr(fields, f);
}

function usesLiteral(fields: Record<string, number>, info: OpcodeInfo, extra?: OpcodeInfo): boolean {
  if (info.alwaysLiteral || extra?.alwaysLiteral) return true;
  const isRegisterSlot = (s: OperandSlot, f: string): boolean => s.field === f && (s.kind === 'v' || s.kind === 's' || s.kind === 'a' || s.kind === 't');
  for (const f of LITERAL_FIELDS) {
    if (fields[f] !== LITERAL) continue;
    if (info.operands.some((s) => isRegisterSlot(s, f)) || extra?.operands.some((s) => isRegisterSlot(s, f))) return true;
  }
  return false;
}

/**
 * Decodes one instruction at byteOffset of words (little-endian dwords). Throws DecodeError for an
 * unknown opcode, an illegal encoding or a truncated instruction.
 */
export function decodeInstruction(family: IsaFamily, words: Words, byteOffset: number, pc: number): Instruction {
  const read = reader(words, byteOffset);
  const w0 = read(0);
  if (w0 === undefined) throw new DecodeError(pc, [], 'no instruction word');
  const buf = [w0];
  const need = (n: number): void => {
    while (buf.length < n) {
      const w = read(buf.length);
      if (w === undefined) throw new DecodeError(pc, buf, 'truncated instruction');
      buf.push(w);
    }
  };
  const spec = formatOf(family, w0);
  if (!spec) throw new DecodeError(pc, buf, `illegal ${family} encoding`);
  need(spec.dwords);
  const opcode = extractField(buf, spec.opcode);
  const tables = opcodeTables(family);
  const fields: Record<string, number> = {};
  let encoding: Encoding = spec.encoding;
  let info: OpcodeInfo | undefined;
  let infoY: OpcodeInfo | undefined;

  if (encoding === 'VOPD') {
    readFields(fields, buf, spec.fields);
    info = tables.get('VOPDX')!.get(fields.opx!);
    infoY = tables.get('VOPDY')!.get(fields.opy!);
    if (!info || !infoY) throw new DecodeError(pc, buf, `unknown VOPD opcode opx=${fields.opx} opy=${fields.opy}`);
    fields.vdsty = VGPR_BASE + ((fields.vdsty! << 1) | ((fields.vdstx! & 1) ^ 1));
  } else {
    let key: string = encoding;
    if (encoding === 'FLAT') {
      const seg = SEGMENT_ENCODING[extractField(buf, spec.fields.seg!)];
      if (!seg) throw new DecodeError(pc, buf, 'illegal FLAT segment 3');
      key = encoding = seg;
    }
    info = tables.get(key)?.get(opcode);
    if (!info) throw new DecodeError(pc, buf, `unknown ${family} ${key} opcode ${opcode}`);
    if (info.sd) encoding = 'VOP3SD';
    readFields(fields, buf, info.sd ? VOP3SD_FIELDS : spec.fields);
    if (fields.op_sel_hi2 !== undefined) {
      fields.op_sel_hi = fields.op_sel_hi! | (fields.op_sel_hi2 << 2);
      delete fields.op_sel_hi2;
    }
    if (encoding === 'DS') fields.offset = (fields.offset1! << 8) | fields.offset0!;
    // FLAT (segment 0) offsets are unsigned before gfx12; GLOBAL and SCRATCH offsets (and all of gfx12's) are signed.
    if (encoding === 'FLAT' && family !== 'rdna4') fields.offset! &= 0x1fff;
    applySlotKinds(fields, info);
    if (!isRdna(family)) applyAcc(fields, encoding, info.op);
    // gfx90a has no sve bit: SCRATCH reads its VGPR address exactly when saddr is off (0x7f).
    if (family === 'cdna2' && encoding === 'SCRATCH') fields.sve = fields.saddr === 0x7f ? 1 : 0;
  }

  let ext: Instruction['ext'];
  let dwords = spec.dwords;
  const extKind = EXT_ENCODINGS[family].has(encoding) ? EXT_CODES[family][fields.src0!] : undefined;
  if (extKind) {
    need(dwords + 1);
    const extWord = [buf[dwords]!];
    const marker = fields.src0!;
    readFields(fields, extWord, extKind === 'dpp' ? DPP16_FIELDS : extKind === 'dpp8' ? DPP8_FIELDS : SDWA_FIELDS);
    if (extKind === 'dpp8') fields.fi = marker === 234 ? 1 : 0;
    if (extKind === 'sdwa') {
      if (!fields.s0) fields.src0 = VGPR_BASE + fields.src0!;
      if (fields.s1 && fields.vsrc1 !== undefined) fields.vsrc1 -= VGPR_BASE;
    }
    ext = extKind;
    dwords++;
  }
  let literal: number | undefined;
  // A literal may follow a DPP extension only in RDNA3 VOP3/VOP3P (LLVM decodes v_*_e64_dpp with a literal).
  if ((!ext || (isRdna(family) && (spec.encoding === 'VOP3' || spec.encoding === 'VOP3P'))) && usesLiteral(fields, info, infoY)) {
    need(dwords + 1);
    literal = buf[dwords]!;
    dwords++;
  }
  return {
    pc, size: dwords * 4, encoding, opcode, op: info.op, fields,
    ...(literal !== undefined ? { literal } : {}),
    ...(ext ? { ext } : {}),
    ...(infoY ? { opy: infoY.op } : {}),
  };
}

/** The opcode-table entries of a decoded instruction (the Y half too for VOPD). */
export function instructionInfo(family: IsaFamily, inst: Instruction): { info: OpcodeInfo; infoY?: OpcodeInfo } {
  const tables = opcodeTables(family);
  if (inst.encoding === 'VOPD') {
    return { info: tables.get('VOPDX')!.get(inst.fields.opx!)!, infoY: tables.get('VOPDY')!.get(inst.fields.opy!)! };
  }
  const key = inst.encoding === 'VOP3SD' ? 'VOP3' : inst.encoding;
  const info = tables.get(key)?.get(inst.opcode);
  if (!info) throw new Error(`no ${family} ${key} opcode ${inst.opcode}`);
  return { info };
}
