// The emulated GPU's IP discovery table: the binary the kernel reads from the top of VRAM
// (drivers/gpu/drm/amd/include/discovery.h: binary_header, ip_discovery_header, die_header, ip_v3
// entries) and exposes as debugfs amdgpu_discovery. IP versions are the ones the model claims elsewhere
// (models/target-ip.ts TARGET_INFO: gfx1100 GC 11.0.0 / SDMA 6.0; gfx942 GC 9.4.3 / SDMA 4.4.2; gfx90a
// GC 9.4.2 / SDMA 4.4.0). Segment bases of GC, SDMA0/1, NBIO, OSSSYS, HDP, MMHUB, MP0/MP1 are the
// kernel's published ones (vega10_ip_offset.h for gfx9 parts, sienna_cichlid_ip_offset.h, whose
// GC/NBIO/OSSSYS/HDP bases gfx11 parts keep); SDMA instances beyond the second and the per-XCC GC
// instances of gfx942 repeat those bases (no capture of those parts' tables was available).

/** Hardware ids (soc15_hw_ip.h). */
export const HWID = {
  MP1: 1, THM: 3, SMUIO: 4, GC: 11, VCN: 12, MMHUB: 34, ATHUB: 35, OSSSYS: 40, HDP: 41, SDMA0: 42, SDMA1: 43, DF: 46, NBIF: 108, UMC: 150, XGMI: 200, MP0: 255,
} as const;

export const BINARY_SIGNATURE = 0x28211407;
export const DISCOVERY_TABLE_SIGNATURE = 0x53445049;

export interface IpBlockModel {
  readonly hwId: number;
  readonly instances: number;
  readonly version: readonly [number, number, number];
  readonly bases: readonly number[];
}

const GFX9_NBIO = [0x00000000, 0x00000014, 0x00000d20, 0x00010400];
const GFX9_COMMON = (gc: readonly [number, number, number], sdma: readonly [number, number, number], sdmaCount: number, xcc: number, extra: readonly IpBlockModel[]): IpBlockModel[] => [
  { hwId: HWID.GC, instances: xcc, version: gc, bases: [0x00002000, 0x0000a000, 0x0001c000, 0x02402c00] },
  { hwId: HWID.SDMA0, instances: sdmaCount, version: sdma, bases: [0x00001260, 0x0000a000, 0x0001c000, 0x02402c00] },
  { hwId: HWID.NBIF, instances: 1, version: extra.length ? [7, 9, 0] : [7, 4, 0], bases: GFX9_NBIO },
  { hwId: HWID.OSSSYS, instances: 1, version: [4, 4, 0], bases: [0x000010a0, 0x0240a000] },
  { hwId: HWID.HDP, instances: 1, version: [4, 4, 0], bases: [0x00000f20, 0x0240a400] },
  { hwId: HWID.MMHUB, instances: 1, version: extra.length ? [1, 8, 0] : [1, 7, 0], bases: [0x0001a000, 0x02408800] },
  { hwId: HWID.MP0, instances: 1, version: extra.length ? [13, 0, 6] : [13, 0, 2], bases: [0x00016000, 0x0243fc00] },
  { hwId: HWID.MP1, instances: 1, version: extra.length ? [13, 0, 6] : [13, 0, 2], bases: [0x00016000, 0x0243fc00] },
  ...extra,
];

/** The IP blocks each emulated model reports. */
export const IP_BLOCKS: Readonly<Record<string, readonly IpBlockModel[]>> = {
  gfx1100: [
    { hwId: HWID.GC, instances: 1, version: [11, 0, 0], bases: [0x00001260, 0x0000a000, 0x0001c000, 0x02402c00] },
    { hwId: HWID.SDMA0, instances: 1, version: [6, 0, 0], bases: [0x00001260, 0x0000a000, 0x0001c000, 0x02402c00] },
    { hwId: HWID.SDMA1, instances: 1, version: [6, 0, 0], bases: [0x00001260, 0x0000a000, 0x0001c000, 0x02402c00] },
    { hwId: HWID.NBIF, instances: 1, version: [4, 3, 0], bases: [0x00000000, 0x00000014, 0x00000d20, 0x00010400, 0x0241b000, 0x04040000] },
    { hwId: HWID.OSSSYS, instances: 1, version: [6, 0, 0], bases: [0x000010a0, 0x0240a000] },
    { hwId: HWID.HDP, instances: 1, version: [6, 0, 0], bases: [0x00000f20, 0x0240a400] },
    { hwId: HWID.MMHUB, instances: 1, version: [3, 0, 0], bases: [0x0001a000, 0x02408800] },
    { hwId: HWID.MP0, instances: 1, version: [13, 0, 0], bases: [0x00016000, 0x00dc0000, 0x00e00000, 0x00e40000, 0x0243fc00] },
    { hwId: HWID.MP1, instances: 1, version: [13, 0, 0], bases: [0x00016000, 0x00dc0000, 0x00e00000, 0x00e40000, 0x0243fc00] },
    { hwId: HWID.VCN, instances: 2, version: [4, 0, 0], bases: [0x00007800, 0x00007e00, 0x02403000] },
  ],
  // Navi 48 (amdgpu_discovery.c: GC 12.0.1 → gfx1201, SDMA 7.0.1 run by sdma_v7_0.c); bases as gfx1100's.
  gfx1201: [
    { hwId: HWID.GC, instances: 1, version: [12, 0, 1], bases: [0x00001260, 0x0000a000, 0x0001c000, 0x02402c00] },
    { hwId: HWID.SDMA0, instances: 1, version: [7, 0, 1], bases: [0x00001260, 0x0000a000, 0x0001c000, 0x02402c00] },
    { hwId: HWID.SDMA1, instances: 1, version: [7, 0, 1], bases: [0x00001260, 0x0000a000, 0x0001c000, 0x02402c00] },
    { hwId: HWID.NBIF, instances: 1, version: [6, 3, 1], bases: [0x00000000, 0x00000014, 0x00000d20, 0x00010400, 0x0241b000, 0x04040000] },
    { hwId: HWID.OSSSYS, instances: 1, version: [7, 0, 0], bases: [0x000010a0, 0x0240a000] },
    { hwId: HWID.HDP, instances: 1, version: [7, 0, 0], bases: [0x00000f20, 0x0240a400] },
    { hwId: HWID.MMHUB, instances: 1, version: [4, 1, 0], bases: [0x0001a000, 0x02408800] },
    { hwId: HWID.MP0, instances: 1, version: [14, 0, 3], bases: [0x00016000, 0x00dc0000, 0x00e00000, 0x00e40000, 0x0243fc00] },
    { hwId: HWID.MP1, instances: 1, version: [14, 0, 3], bases: [0x00016000, 0x00dc0000, 0x00e00000, 0x00e40000, 0x0243fc00] },
    { hwId: HWID.VCN, instances: 1, version: [5, 0, 0], bases: [0x00007800, 0x00007e00, 0x02403000] },
  ],
  gfx942: GFX9_COMMON([9, 4, 3], [4, 4, 2], 16, 8, [{ hwId: HWID.XGMI, instances: 1, version: [6, 4, 0], bases: [0x0001d000] }]),
  gfx90a: GFX9_COMMON([9, 4, 2], [4, 4, 0], 5, 1, []),
};

function byteSum(bytes: Uint8Array, from: number, to: number): number {
  let s = 0;
  for (let i = from; i < to; i++) s = (s + bytes[i]!) & 0xffff;
  return s;
}

const BINARY_HEADER_BYTES = 60; // 4+2+2+2+2 + 6 table_info of 8
const IP_DISCOVERY_HEADER_BYTES = 80; // 4+2+2+4+2 + 16 die_info of 4 + 2

/** discovery.h, version 1 binary header with an ip_discovery_header of version 3 and ip_v3 entries; one die. */
export function buildDiscoveryTable(target: string): Uint8Array {
  const blocks = IP_BLOCKS[target];
  if (!blocks) throw new RangeError(`no IP discovery model for ${target}`);
  const ips: { hwId: number; instance: number; version: readonly [number, number, number]; bases: readonly number[] }[] = [];
  for (const b of blocks) for (let i = 0; i < b.instances; i++) ips.push({ hwId: b.hwId, instance: i, version: b.version, bases: b.bases });
  const ipBytes = ips.reduce((n, ip) => n + 8 + 4 * ip.bases.length, 0);
  const ipTableOffset = BINARY_HEADER_BYTES;
  const dieOffset = ipTableOffset + IP_DISCOVERY_HEADER_BYTES;
  const ipTableSize = IP_DISCOVERY_HEADER_BYTES + 4 + ipBytes;
  const total = ipTableOffset + ipTableSize;
  const bytes = new Uint8Array(total);
  const dv = new DataView(bytes.buffer);
  // ip_discovery_header
  let o = ipTableOffset;
  dv.setUint32(o, DISCOVERY_TABLE_SIGNATURE, true);
  dv.setUint16(o + 4, 3, true); // version
  dv.setUint16(o + 6, ipTableSize, true);
  dv.setUint32(o + 8, 0, true); // id
  dv.setUint16(o + 12, 1, true); // num_dies
  dv.setUint16(o + 14, 0, true); // die_info[0].die_id
  dv.setUint16(o + 16, dieOffset, true); // die_info[0].die_offset
  // die_header
  o = dieOffset;
  dv.setUint16(o, 0, true);
  dv.setUint16(o + 2, ips.length, true);
  o += 4;
  for (const ip of ips) {
    dv.setUint16(o, ip.hwId, true);
    dv.setUint8(o + 2, ip.instance);
    dv.setUint8(o + 3, ip.bases.length);
    dv.setUint8(o + 4, ip.version[0]);
    dv.setUint8(o + 5, ip.version[1]);
    dv.setUint8(o + 6, ip.version[2]);
    dv.setUint8(o + 7, 0); // sub_revision 0, variant 0
    ip.bases.forEach((b, i) => dv.setUint32(o + 8 + 4 * i, b, true));
    o += 8 + 4 * ip.bases.length;
  }
  // binary_header
  dv.setUint32(0, BINARY_SIGNATURE, true);
  dv.setUint16(4, 1, true);
  dv.setUint16(6, 0, true);
  dv.setUint16(10, total, true);
  dv.setUint16(12, ipTableOffset, true); // table_list[IP_DISCOVERY].offset
  dv.setUint16(14, byteSum(bytes, ipTableOffset, ipTableOffset + ipTableSize), true);
  dv.setUint16(16, ipTableSize, true);
  dv.setUint16(8, byteSum(bytes, 10, total), true); // binary_checksum: bytes after the field
  return bytes;
}
