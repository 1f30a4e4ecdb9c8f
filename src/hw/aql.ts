// AQL packets as the CPU writes them into an AQL ring and the packet processor reads them.
// Layouts: src/uapi/hsa.ts (hsa/hsa.h, checked against the installed header by the ABI oracle);
// AMD PM4-IB vendor packet: ROCR-Runtime hsa_ext_amd_aql_pm4_ib_packet_t (amd_hsa_queue.h / hsa_ext_amd.h),
// dw_cnt_remain = 0xA as ROCr and tinygrad write it.
import { kernelDispatchPacket, barrierPacket, HSA_PACKET_TYPE, HSA_PACKET_HEADER, HSA_FENCE_SCOPE, AQL_PACKET_BYTES } from '../uapi/hsa.js';
import { pm4Header, PM4_OP } from './pm4/opcodes.js';
import { lo32, hi32 } from './dword-stream.js';

export { AQL_PACKET_BYTES };
export const AMD_AQL_FORMAT_PM4_IB = 1;
const PM4_IB_DW_CNT_REMAIN = 0xa;

/** Byte offsets of the fields a writer fills and a packet processor reads (hsa.h packet layouts). */
export const AQL_FIELD_OFFSETS = {
  setup: kernelDispatchPacket.offsetOf('setup'),
  wg: kernelDispatchPacket.offsetOf('workgroup_size_x'),
  grid: kernelDispatchPacket.offsetOf('grid_size_x'),
  priv: kernelDispatchPacket.offsetOf('private_segment_size'),
  group: kernelDispatchPacket.offsetOf('group_segment_size'),
  kobj: kernelDispatchPacket.offsetOf('kernel_object'),
  kernarg: kernelDispatchPacket.offsetOf('kernarg_address'),
  signal: kernelDispatchPacket.offsetOf('completion_signal'),
  dep: barrierPacket.offsetOf('dep_signal'),
} as const;
const D = AQL_FIELD_OFFSETS;
/** Dependency signals of a barrier packet: dep_signal[5] of hsa.h's hsa_barrier_and_packet_t (the layout the ABI test checks). */
export const AQL_BARRIER_DEPS = (barrierPacket.offsetOf('reserved2') - barrierPacket.offsetOf('dep_signal')) / 8;

export type FenceScope = keyof typeof HSA_FENCE_SCOPE;

export function aqlHeader(type: number, o: { barrier?: boolean; acquire?: FenceScope; release?: FenceScope } = {}): number {
  return (
    (type << HSA_PACKET_HEADER.TYPE) |
    ((o.barrier ?? true ? 1 : 0) << HSA_PACKET_HEADER.BARRIER) |
    (HSA_FENCE_SCOPE[o.acquire ?? 'SYSTEM'] << HSA_PACKET_HEADER.SCACQUIRE_FENCE_SCOPE) |
    (HSA_FENCE_SCOPE[o.release ?? 'SYSTEM'] << HSA_PACKET_HEADER.SCRELEASE_FENCE_SCOPE)
  );
}

const DISPATCH_HEADER = aqlHeader(HSA_PACKET_TYPE.KERNEL_DISPATCH, { barrier: true });
const DISPATCH_HEADER_NO_BARRIER = aqlHeader(HSA_PACKET_TYPE.KERNEL_DISPATCH, { barrier: false });

/** A GPU address as a bigint, or as a number when it is below 2^53 (cheaper on the submission path). */
export type GpuAddress = bigint | number;

/** A 64-bit little-endian field as two 32-bit stores (no BigInt arithmetic below 2^53). */
function set64(view: DataView, at: number, v: GpuAddress): void {
  view.setUint32(at, lo32(v), true);
  view.setUint32(at + 4, hi32(v), true);
}

export interface DispatchPacket {
  readonly workgroup: readonly [number, number, number];
  /** Work-items per dimension (HSA grid size, not workgroup count). */
  readonly grid: readonly [number, number, number];
  readonly privateSegmentBytes: number;
  readonly groupSegmentBytes: number;
  readonly kernelObject: GpuAddress;
  readonly kernarg: GpuAddress;
  readonly completionSignal: GpuAddress;
  readonly barrier?: boolean;
}

/**
 * Writes a kernel dispatch packet into the slot at byte `at` of `ring` (a view over the ring), body
 * first, then the header and setup as one 32-bit atomic store: the packet processor may be looking.
 */
export function writeDispatchPacket(ring: DataView, ringWords: Int32Array, at: number, p: DispatchPacket, completionSignal: GpuAddress = p.completionSignal): void {
  const dims = p.grid[2] > 1 || p.workgroup[2] > 1 ? 3 : p.grid[1] > 1 || p.workgroup[1] > 1 ? 2 : 1;
  ring.setUint16(at + D.wg, p.workgroup[0], true);
  ring.setUint16(at + D.wg + 2, p.workgroup[1], true);
  ring.setUint16(at + D.wg + 4, p.workgroup[2], true);
  ring.setUint16(at + D.wg + 6, 0, true);
  ring.setUint32(at + D.grid, p.grid[0], true);
  ring.setUint32(at + D.grid + 4, p.grid[1], true);
  ring.setUint32(at + D.grid + 8, p.grid[2], true);
  ring.setUint32(at + D.priv, p.privateSegmentBytes, true);
  ring.setUint32(at + D.group, p.groupSegmentBytes, true);
  set64(ring, at + D.kobj, p.kernelObject);
  set64(ring, at + D.kernarg, p.kernarg);
  ring.setUint32(at + D.kernarg + 8, 0, true);
  ring.setUint32(at + D.kernarg + 12, 0, true);
  set64(ring, at + D.signal, completionSignal);
  const header = p.barrier === false ? DISPATCH_HEADER_NO_BARRIER : DISPATCH_HEADER;
  Atomics.store(ringWords, at >> 2, header | (dims << 16));
}

/** Barrier-AND (all dependencies) or barrier-OR (any) packet with up to AQL_BARRIER_DEPS dependency signals. */
export function writeBarrierPacket(ring: DataView, ringWords: Int32Array, at: number, kind: 'and' | 'or', deps: readonly bigint[], completionSignal: bigint): void {
  if (deps.length > AQL_BARRIER_DEPS) throw new RangeError(`a barrier packet holds at most ${AQL_BARRIER_DEPS} dependency signals, got ${deps.length}`);
  ring.setUint16(at + 2, 0, true);
  ring.setUint32(at + 4, 0, true);
  for (let i = 0; i < AQL_BARRIER_DEPS; i++) ring.setBigUint64(at + D.dep + 8 * i, deps[i] ?? 0n, true);
  ring.setBigUint64(at + barrierPacket.offsetOf('reserved2'), 0n, true);
  ring.setBigUint64(at + D.signal, completionSignal, true);
  const type = kind === 'and' ? HSA_PACKET_TYPE.BARRIER_AND : HSA_PACKET_TYPE.BARRIER_OR;
  Atomics.store(ringWords, at >> 2, aqlHeader(type));
}

/** AMD vendor packet running a PM4 indirect buffer (how AQL queues carry PM4 work). */
export function writePm4IbPacket(ring: DataView, ringWords: Int32Array, at: number, ibVa: bigint, ibDwords: number, completionSignal: bigint): void {
  ring.setUint32(at + 4, pm4Header(PM4_OP.INDIRECT_BUFFER, 3), true);
  ring.setUint32(at + 8, Number(ibVa & 0xffffffffn), true);
  ring.setUint32(at + 12, Number(ibVa >> 32n), true);
  ring.setUint32(at + 16, (ibDwords | (1 << 23)) >>> 0, true);
  ring.setUint32(at + 20, PM4_IB_DW_CNT_REMAIN, true);
  for (let o = 24; o < 56; o += 4) ring.setUint32(at + o, 0, true);
  ring.setBigUint64(at + 56, completionSignal, true);
  Atomics.store(ringWords, at >> 2, aqlHeader(HSA_PACKET_TYPE.VENDOR_SPECIFIC) | (AMD_AQL_FORMAT_PM4_IB << 16));
}

export interface AqlPacket {
  readonly type: number;
  readonly name: string;
  readonly barrier: boolean;
  readonly acquire: number;
  readonly release: number;
  readonly fields: Readonly<Record<string, number | bigint | readonly bigint[]>>;
  readonly error?: string;
}

const TYPE_NAMES: Record<number, string> = { 0: 'VENDOR_SPECIFIC', 1: 'INVALID', 2: 'KERNEL_DISPATCH', 3: 'BARRIER_AND', 4: 'AGENT_DISPATCH', 5: 'BARRIER_OR' };

/** An AQL packet type's name (hsa.h hsa_packet_type_t), or TYPE_n for one it does not define. */
export const aqlTypeName = (type: number): string => TYPE_NAMES[type] ?? `TYPE_${type}`;

export function decodeAqlPacket(ring: DataView, at: number): AqlPacket {
  const header = ring.getUint16(at, true);
  const type = header & 0xff;
  const base = { type, name: aqlTypeName(type), barrier: ((header >> 8) & 1) === 1, acquire: (header >> 9) & 3, release: (header >> 11) & 3 };
  switch (type) {
    case HSA_PACKET_TYPE.KERNEL_DISPATCH: {
      const setup = ring.getUint16(at + D.setup, true);
      return {
        ...base,
        fields: {
          dimensions: setup & 3,
          workgroup_size_x: ring.getUint16(at + D.wg, true), workgroup_size_y: ring.getUint16(at + D.wg + 2, true), workgroup_size_z: ring.getUint16(at + D.wg + 4, true),
          grid_size_x: ring.getUint32(at + D.grid, true), grid_size_y: ring.getUint32(at + D.grid + 4, true), grid_size_z: ring.getUint32(at + D.grid + 8, true),
          private_segment_size: ring.getUint32(at + D.priv, true), group_segment_size: ring.getUint32(at + D.group, true),
          kernel_object: ring.getBigUint64(at + D.kobj, true), kernarg_address: ring.getBigUint64(at + D.kernarg, true),
          completion_signal: ring.getBigUint64(at + D.signal, true),
        },
      };
    }
    case HSA_PACKET_TYPE.BARRIER_AND:
    case HSA_PACKET_TYPE.BARRIER_OR:
      return { ...base, fields: { dep_signal: Array.from({ length: AQL_BARRIER_DEPS }, (_, i) => ring.getBigUint64(at + D.dep + 8 * i, true)), completion_signal: ring.getBigUint64(at + D.signal, true) } };
    case HSA_PACKET_TYPE.VENDOR_SPECIFIC: {
      const format = ring.getUint8(at + 2);
      if (format !== AMD_AQL_FORMAT_PM4_IB) return { ...base, fields: { amd_format: format }, error: `unknown AMD vendor packet format ${format}` };
      const ibSize = ring.getUint32(at + 16, true);
      return {
        ...base,
        name: 'VENDOR_PM4_IB',
        fields: { ib_jump_cmd: ring.getUint32(at + 4, true), ib_base: BigInt(ring.getUint32(at + 8, true)) | (BigInt(ring.getUint32(at + 12, true)) << 32n), ib_size: ibSize & 0xfffff, dw_cnt_remain: ring.getUint32(at + 20, true), completion_signal: ring.getBigUint64(at + 56, true) },
      };
    }
    case HSA_PACKET_TYPE.INVALID:
      return { ...base, fields: {} };
    default:
      return { ...base, fields: {}, error: `AQL packet type ${type} is not supported by this packet processor` };
  }
}

export function formatAqlPacket(p: AqlPacket, index?: number): string {
  const head = `${index !== undefined ? `[${index.toString().padStart(4)}] ` : ''}${p.name}${p.barrier ? ' barrier' : ''} acq=${p.acquire} rel=${p.release}`;
  const fmt = (v: number | bigint | readonly bigint[]): string => (Array.isArray(v) ? `[${v.map((x) => '0x' + x.toString(16)).join(', ')}]` : typeof v === 'bigint' ? `0x${v.toString(16)}` : String(v));
  const body = Object.entries(p.fields).map(([k, v]) => `${k}=${fmt(v)}`).join(' ');
  return `${head}${body ? ' ' + body : ''}${p.error ? ` !! ${p.error}` : ''}`;
}
