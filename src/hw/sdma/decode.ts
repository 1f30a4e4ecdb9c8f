// SDMA stream decoder and printer (decode command, emulated SDMA engine, hang reports).
import { getFields, formatFields, type FieldValues } from '../packet-fields.js';
import { sdmaPacketDefs, SDMA_OP, type SdmaPacketDef, type SdmaVersion } from './packets.js';

export interface SdmaPacket {
  /** Dword offset in the decoded stream. */
  readonly offset: number;
  readonly size: number;
  readonly name: string;
  readonly op: number;
  readonly subOp: number;
  readonly fields: FieldValues;
  readonly data?: readonly number[];
  readonly error?: string;
}

const cache = new Map<SdmaVersion, readonly SdmaPacketDef[]>();
function defsFor(v: SdmaVersion): readonly SdmaPacketDef[] {
  let d = cache.get(v);
  if (!d) cache.set(v, (d = sdmaPacketDefs(v)));
  return d;
}

export function findSdmaDef(version: SdmaVersion, op: number, subOp: number): SdmaPacketDef | undefined {
  return defsFor(version).find((d) => d.op === op && d.subOp === subOp);
}

export function decodeSdmaPacket(dw: ArrayLike<number>, at: number, end: number, version: SdmaVersion): SdmaPacket {
  const h = dw[at]! >>> 0;
  const op = h & 0xff;
  const subOp = (h >>> 8) & 0xff;
  const def = findSdmaDef(version, op, subOp);
  if (!def) return { offset: at, size: 1, name: `OP_${op}.${subOp}`, op, subOp, fields: { header: h }, error: `unknown or unsupported SDMA packet op ${op} sub_op ${subOp} (header 0x${h.toString(16).padStart(8, '0')})` };
  let size = def.dwords ?? 0;
  if (op === SDMA_OP.NOP) size = 1 + ((h >>> 16) & 0x3fff);
  else if (op === SDMA_OP.WRITE) size = at + 3 < end ? 4 + ((dw[at + 3]! & 0xfffff) + 1) : 4;
  if (at + size > end) return { offset: at, size, name: def.name, op, subOp, fields: {}, error: `truncated: ${def.name} needs ${size} dwords, ${end - at} left` };
  const fields = getFields(def.fields, dw, at);
  if (op === SDMA_OP.WRITE) return { offset: at, size, name: def.name, op, subOp, fields, data: Array.from({ length: size - 4 }, (_, i) => dw[at + 4 + i]! >>> 0) };
  if (op === SDMA_OP.CONST_FILL && fields.fillsize !== 2) return { offset: at, size, name: def.name, op, subOp, fields, error: `CONST_FILL fillsize ${fields.fillsize} is not supported (only dword fills, fillsize 2)` };
  return { offset: at, size, name: def.name, op, subOp, fields };
}

export function decodeSdma(dw: ArrayLike<number>, version: SdmaVersion, start = 0, end = dw.length): SdmaPacket[] {
  const out: SdmaPacket[] = [];
  for (let at = start; at < end; ) {
    const p = decodeSdmaPacket(dw, at, end, version);
    out.push(p);
    if (p.error) break;
    at += p.size;
  }
  return out;
}

export function formatSdmaPacket(p: SdmaPacket, version: SdmaVersion): string {
  const head = `[${p.offset.toString().padStart(4)}] ${p.name}`;
  if (p.error) return `${head} !! ${p.error}`;
  const def = findSdmaDef(version, p.op, p.subOp);
  // COPY_LINEAR and CONST_FILL hold bytes - 1: print the byte count instead.
  const bytes = p.name === 'COPY_LINEAR' || p.name === 'CONST_FILL';
  const shown = bytes ? { ...p.fields, count: p.fields.count! + 1 } : p.fields;
  const body = def ? formatFields(def.fields, shown) : '';
  const text = bytes ? body.replace(/\bcount=/, 'bytes=') : body;
  const data = p.data ? ` data=[${p.data.map((d) => '0x' + d.toString(16)).join(', ')}]` : '';
  return `${head}${text ? ' ' + text : ''}${data}`;
}

export function sdmaVersionOf(sdmaIp: readonly [number, number]): SdmaVersion {
  const v = sdmaIp[0];
  if (v === 4 || v === 5 || v === 6 || v === 7) return v;
  throw new RangeError(`SDMA IP ${sdmaIp.join('.')} is not supported (4.x-7.x are)`);
}
