// PM4 stream decoder and printer, shared by `amdgpu-ts decode`, the emulated CP and hang reports.
import { getFields, formatFields, type FieldValues } from '../packet-fields.js';
import { parsePm4Header, PM4_OP, PM4_REG_BASE } from './opcodes.js';
import { pm4PacketDefs, type Pm4PacketDef } from './packets.js';
import { registerName } from './registers.js';
import type { GfxFamily } from '../targets.js';

export interface Pm4Packet {
  /** Dword offset of the header in the decoded stream. */
  readonly offset: number;
  /** Total dwords including the header. */
  readonly size: number;
  readonly name: string;
  readonly op: number;
  readonly fields: FieldValues;
  /** For SET_*_REG: each register written. For WRITE_DATA: the data dwords. */
  readonly regs?: readonly { reg: number; name: string; value: number }[];
  readonly data?: readonly number[];
  /** Why this packet is not valid (unknown opcode, wrong length, truncated). */
  readonly error?: string;
}

const defsCache = new Map<GfxFamily, ReadonlyMap<number, Pm4PacketDef>>();
function defsFor(family: GfxFamily): ReadonlyMap<number, Pm4PacketDef> {
  let d = defsCache.get(family);
  if (!d) defsCache.set(family, (d = pm4PacketDefs(family)));
  return d;
}

/** Decodes the packet at `at`; never reads past `end`. */
export function decodePm4Packet(dw: ArrayLike<number>, at: number, end: number, family: GfxFamily): Pm4Packet {
  const h = dw[at]! >>> 0;
  const hdr = parsePm4Header(h);
  if (hdr.type === 2) return { offset: at, size: 1, name: 'TYPE2_NOP', op: -1, fields: {} };
  if (hdr.type !== 3) return { offset: at, size: 1, name: `TYPE${hdr.type}`, op: -1, fields: { header: h }, error: `unsupported PM4 packet type ${hdr.type} (header 0x${h.toString(16).padStart(8, '0')})` };
  const size = 1 + hdr.body;
  const def = defsFor(family).get(hdr.op);
  if (!def) return { offset: at, size, name: `OP_0x${hdr.op.toString(16)}`, op: hdr.op, fields: { header: h }, error: `unknown PM4 opcode 0x${hdr.op.toString(16)} (header 0x${h.toString(16).padStart(8, '0')})` };
  if (at + size > end) return { offset: at, size, name: def.name, op: hdr.op, fields: {}, error: `truncated: ${def.name} needs ${size} dwords, ${end - at} left` };
  if (def.body !== undefined && def.body !== hdr.body) {
    return { offset: at, size, name: def.name, op: hdr.op, fields: getFields(def.fields, dw, at), error: `${def.name} must have ${def.body} body dwords, header says ${hdr.body}` };
  }
  const fields = getFields(def.fields, dw, at);
  if (hdr.op === PM4_OP.SET_SH_REG || hdr.op === PM4_OP.SET_UCONFIG_REG || hdr.op === PM4_OP.SET_CONFIG_REG) {
    if (hdr.body < 2) return { offset: at, size, name: def.name, op: hdr.op, fields, error: `${def.name} without a value` };
    const base = PM4_REG_BASE[def.name as keyof typeof PM4_REG_BASE];
    const regs = [];
    for (let i = 0; i < hdr.body - 1; i++) {
      const reg = base + fields.reg_offset! + i;
      regs.push({ reg, name: registerName(family, reg), value: dw[at + 2 + i]! >>> 0 });
    }
    return { offset: at, size, name: def.name, op: hdr.op, fields, regs };
  }
  if (hdr.op === PM4_OP.WRITE_DATA) {
    if (hdr.body < 4) return { offset: at, size, name: def.name, op: hdr.op, fields, error: 'WRITE_DATA without data' };
    // A plain loop: Array.from over an array-like with a map function costs ~0.65 µs even for one
    // dword, and the emulated CP decodes every WRITE_DATA it runs (a signal's answer among them).
    const data = new Array<number>(hdr.body - 3);
    for (let i = 0; i < data.length; i++) data[i] = dw[at + 4 + i]! >>> 0;
    return { offset: at, size, name: def.name, op: hdr.op, fields, data };
  }
  if (hdr.op === PM4_OP.EVENT_WRITE && hdr.body !== 1 && hdr.body !== 3) {
    return { offset: at, size, name: def.name, op: hdr.op, fields, error: `EVENT_WRITE must have 1 or 3 body dwords, header says ${hdr.body}` };
  }
  return { offset: at, size, name: def.name, op: hdr.op, fields };
}

/** Decodes [start, end) packet by packet; stops after the first invalid packet. */
export function decodePm4(dw: ArrayLike<number>, family: GfxFamily, start = 0, end = dw.length): Pm4Packet[] {
  const out: Pm4Packet[] = [];
  for (let at = start; at < end; ) {
    const p = decodePm4Packet(dw, at, end, family);
    out.push(p);
    if (p.error) break;
    at += p.size;
  }
  return out;
}

export function formatPm4Packet(p: Pm4Packet, family: GfxFamily): string {
  const head = `[${p.offset.toString().padStart(4)}] ${p.name}`;
  if (p.error) return `${head} !! ${p.error}`;
  if (p.regs) return `${head} ${p.regs.map((r) => `${r.name}=0x${r.value.toString(16)}`).join(' ')}`;
  const def = defsFor(family).get(p.op);
  const body = def ? formatFields(def.fields, p.fields) : '';
  const data = p.data ? ` data=[${p.data.map((d) => '0x' + d.toString(16)).join(', ')}]` : '';
  return `${head}${body ? ' ' + body : ''}${data}${p.name === 'NOP' && p.size > 1 ? ` (${p.size} dwords)` : ''}`;
}
