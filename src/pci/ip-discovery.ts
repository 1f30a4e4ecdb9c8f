// The IP discovery table (drivers/gpu/drm/amd/include/discovery.h): binary_header → table_list
// [IP_DISCOVERY] → ip_discovery_header → die_info[] → die_header → ip / ip_v3 / ip_v4 entries with
// hw_id, instance, major.minor.revision and segment base addresses (dwords). On a real GPU the table
// is debugfs `amdgpu_discovery` (root); both checksums are verified as amdgpu_discovery.c does.
import type { Host } from '../os/host.js';

export const BINARY_SIGNATURE = 0x28211407;
export const DISCOVERY_TABLE_SIGNATURE = 0x53445049;

/** soc15_hw_ip.h names for the ids a GPU reports. */
export const HW_ID_NAMES: Readonly<Record<number, string>> = {
  1: 'MP1', 2: 'MP2', 3: 'THM', 4: 'SMUIO', 5: 'FUSE', 6: 'CLKA', 10: 'PWR', 11: 'GC', 12: 'VCN', 13: 'AUDIO_AZ', 14: 'ACP', 15: 'DCI', 16: 'DCO', 17: 'XDMA', 18: 'DCEAZ',
  34: 'MMHUB', 35: 'ATHUB', 36: 'DBGU_NBIO', 37: 'DFX', 38: 'DBGU0', 39: 'DBGU1', 40: 'OSSSYS', 41: 'HDP', 42: 'SDMA0', 43: 'SDMA1', 44: 'ISP', 45: 'DBGU_IO', 46: 'DF', 47: 'CLKB', 48: 'FCH',
  68: 'SDMA2', 69: 'SDMA3', 70: 'PCIE', 100: 'IOAGR', 108: 'NBIF', 124: 'IOAPIC', 128: 'SYSTEMHUB', 150: 'UMC', 200: 'XGMI', 216: 'XGBE', 255: 'MP0', 271: 'DMU', 272: 'DIO', 274: 'DAZ',
};

export interface IpEntry {
  readonly die: number;
  readonly hwId: number;
  readonly name: string;
  readonly instance: number;
  readonly major: number;
  readonly minor: number;
  readonly revision: number;
  readonly subRevision: number;
  readonly variant: number;
  readonly harvest: number;
  /** Segment base addresses in dwords (as the kernel's reg_offset[ip][inst][seg]). */
  readonly bases: readonly bigint[];
}

export interface IpDiscovery {
  readonly version: string;
  readonly tableVersion: number;
  readonly dies: number;
  readonly ips: readonly IpEntry[];
}

export class IpDiscoveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IpDiscoveryError';
  }
}

function byteSum(b: Uint8Array, from: number, to: number): number {
  let s = 0;
  for (let i = from; i < to; i++) s = (s + b[i]!) & 0xffff;
  return s;
}

export function parseIpDiscovery(bytes: Uint8Array): IpDiscovery {
  const fail = (why: string): never => {
    throw new IpDiscoveryError(`IP discovery table: ${why}`);
  };
  if (bytes.length < 60) fail(`${bytes.length} bytes is shorter than the binary header`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u8 = (o: number): number => (o < bytes.length ? dv.getUint8(o) : fail(`read past the end at ${o}`));
  const u16 = (o: number): number => (o + 2 <= bytes.length ? dv.getUint16(o, true) : fail(`read past the end at ${o}`));
  const u32 = (o: number): number => (o + 4 <= bytes.length ? dv.getUint32(o, true) : fail(`read past the end at ${o}`));
  if (u32(0) !== BINARY_SIGNATURE) fail(`binary signature 0x${u32(0).toString(16)} is not 0x${BINARY_SIGNATURE.toString(16)}`);
  const major = u16(4);
  const minor = u16(6);
  const size = u16(10);
  if (size > bytes.length) fail(`binary_size ${size} exceeds the ${bytes.length} bytes read`);
  if (byteSum(bytes, 10, size) !== u16(8)) fail(`binary checksum 0x${u16(8).toString(16)} does not match 0x${byteSum(bytes, 10, size).toString(16)}`);
  // binary_header (v1) has table_list at 12; binary_header_v2 has num_tables at 12, table_list at 16.
  const tableList = major >= 2 ? 16 : 12;
  const ipOff = u16(tableList);
  const ipSum = u16(tableList + 2);
  if (u32(ipOff) !== DISCOVERY_TABLE_SIGNATURE) fail(`ip_discovery_header signature 0x${u32(ipOff).toString(16)} at ${ipOff}`);
  const tableVersion = u16(ipOff + 4);
  const tableSize = u16(ipOff + 6);
  if (byteSum(bytes, ipOff, ipOff + tableSize) !== ipSum) fail('IP discovery table checksum mismatch');
  const numDies = u16(ipOff + 12);
  if (numDies > 16) fail(`${numDies} dies (at most 16)`);
  const base64 = tableVersion >= 4 && (u8(ipOff + 78) & 1) === 1;
  const ips: IpEntry[] = [];
  for (let d = 0; d < numDies; d++) {
    const dieId = u16(ipOff + 14 + d * 4);
    let o = u16(ipOff + 16 + d * 4);
    const numIps = u16(o + 2);
    o += 4;
    for (let i = 0; i < numIps; i++) {
      const hwId = u16(o);
      const nBase = u8(o + 3);
      const b7 = u8(o + 7);
      const bases: bigint[] = [];
      for (let k = 0; k < nBase; k++) bases.push(base64 ? dv.getBigUint64(o + 8 + k * 8, true) : BigInt(u32(o + 8 + k * 4)));
      ips.push({
        die: dieId, hwId, name: HW_ID_NAMES[hwId] ?? `hw_id ${hwId}`, instance: u8(o + 2), major: u8(o + 4), minor: u8(o + 5), revision: u8(o + 6),
        subRevision: tableVersion >= 3 ? b7 & 0xf : 0, variant: tableVersion >= 3 ? b7 >> 4 : 0, harvest: tableVersion < 3 ? b7 & 0xf : 0, bases,
      });
      o += 8 + nBase * (base64 ? 8 : 4);
    }
  }
  return { version: `${major}.${minor}`, tableVersion, dies: numDies, ips };
}

/** The debugfs DRM directory of a PCI function: the one whose `name` says dev=<slot>. */
export function debugfsDirOf(host: Host, slot: string): string | undefined {
  const root = '/sys/kernel/debug/dri';
  let dirs: string[];
  try {
    dirs = host.listDir(root);
  } catch {
    return undefined;
  }
  for (const d of dirs.sort((a, b) => Number(a) - Number(b))) {
    try {
      if (host.readText(`${root}/${d}/name`).includes(`dev=${slot}`)) return `${root}/${d}`;
    } catch {
      /* not a DRM minor directory we can read */
    }
  }
  return undefined;
}

/** IP base address of a segment for an instance, or undefined. */
export function ipBase(d: IpDiscovery, name: string, instance: number, segment: number): bigint | undefined {
  return d.ips.find((ip) => ip.name === name && ip.instance === instance)?.bases[segment];
}
