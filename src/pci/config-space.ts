// PCI configuration space as bytes (sysfs `config`): the type-0 header, the capability list and the
// PCIe extended capability list, with the fields a GPU diagnosis needs decoded (link, atomics, BARs,
// ATS/PRI/PASID, resizable BAR, power management). Pure functions over bytes; register layouts are
// the PCI Express Base Specification's as named in the kernel's include/uapi/linux/pci_regs.h.

/** Standard capability ids (pci_regs.h PCI_CAP_ID_*). */
export const CAP_ID: Readonly<Record<number, string>> = {
  0x01: 'Power Management',
  0x05: 'MSI',
  0x09: 'Vendor Specific',
  0x0d: 'Subsystem Vendor',
  0x10: 'PCI Express',
  0x11: 'MSI-X',
};

/** Extended capability ids (pci_regs.h PCI_EXT_CAP_ID_*). */
export const EXT_CAP_ID: Readonly<Record<number, string>> = {
  0x0001: 'Advanced Error Reporting',
  0x0002: 'Virtual Channel',
  0x0003: 'Device Serial Number',
  0x0004: 'Power Budgeting',
  0x000b: 'Vendor Specific',
  0x000d: 'Access Control Services',
  0x000e: 'Alternative Routing-ID',
  0x000f: 'Address Translation Service',
  0x0010: 'SR-IOV',
  0x0013: 'Page Request Interface',
  0x0015: 'Resizable BAR',
  0x0018: 'Latency Tolerance Reporting',
  0x0019: 'Secondary PCI Express',
  0x001b: 'Process Address Space ID',
  0x001e: 'L1 PM Substates',
  0x0025: 'Data Link Feature',
  0x0026: 'Physical Layer 16.0 GT/s',
  0x0027: 'Lane Margining at the Receiver',
  0x002a: 'Physical Layer 32.0 GT/s',
};

/** Link speeds by the 4-bit encoding of LNKCAP/LNKSTA (PCI_EXP_LNKCAP_SLS_*). */
export const LINK_SPEEDS: readonly string[] = ['', '2.5GT/s', '5GT/s', '8GT/s', '16GT/s', '32GT/s', '64GT/s'];

export function linkSpeedName(code: number): string {
  return LINK_SPEEDS[code] || `unknown (${code})`;
}

/** sysfs `current_link_speed` text ("16.0 GT/s PCIe") for a speed code. */
export function sysfsLinkSpeed(code: number): string {
  const v = [0, 2.5, 5, 8, 16, 32, 64][code];
  return v ? `${v.toFixed(1)} GT/s PCIe` : 'Unknown';
}

export interface Capability {
  readonly offset: number;
  readonly id: number;
  /** Extended capabilities only: the header's version field. */
  readonly version?: number;
  readonly extended: boolean;
  readonly name: string;
}

export interface BarRegister {
  readonly index: number;
  readonly kind: 'memory' | 'io';
  readonly is64: boolean;
  readonly prefetchable: boolean;
  /** Address as programmed (flag bits masked off). */
  readonly address: bigint;
}

export interface PcieLink {
  readonly maxSpeed: string;
  readonly maxWidth: number;
  readonly speed: string;
  readonly width: number;
  readonly supportedSpeeds: readonly string[];
}

export interface PcieInfo {
  readonly version: number;
  readonly deviceType: string;
  readonly maxPayloadSupported: number;
  readonly link: PcieLink;
  readonly atomicOps: { readonly routing: boolean; readonly completer32: boolean; readonly completer64: boolean; readonly completer128Cas: boolean; readonly requesterEnabled: boolean };
  readonly tenBitTags: boolean;
  readonly ltr: boolean;
}

export interface ResizableBarEntry {
  readonly bar: number;
  readonly currentBytes: bigint;
  readonly supportedBytes: readonly bigint[];
}

export interface ConfigSpace {
  readonly vendorId: number;
  readonly deviceId: number;
  readonly command: number;
  readonly status: number;
  readonly revision: number;
  readonly classCode: number;
  readonly headerType: number;
  readonly subsystemVendorId: number;
  readonly subsystemId: number;
  readonly interruptPin: number;
  readonly bars: readonly BarRegister[];
  /** Both lists in chain order. */
  readonly capabilities: readonly Capability[];
  /** How many bytes were available (64 for an unprivileged read of sysfs `config`, 256 or 4096 otherwise). */
  readonly size: number;
  readonly pcie?: PcieInfo;
  readonly powerManagement?: { readonly version: number; readonly d1: boolean; readonly d2: boolean; readonly pmeSupport: string; readonly state: string };
  readonly msi?: { readonly enabled: boolean; readonly is64: boolean; readonly vectors: number };
  readonly aer?: { readonly version: number; readonly uncorrectableStatus: number; readonly correctableStatus: number };
  readonly ats?: { readonly enabled: boolean; readonly invalidateQueueDepth: number };
  readonly pri?: { readonly enabled: boolean; readonly capacity: number };
  readonly pasid?: { readonly enabled: boolean; readonly maxWidth: number; readonly exec: boolean; readonly priv: boolean };
  readonly resizableBars?: readonly ResizableBarEntry[];
  readonly notes: readonly string[];
}

export class ConfigSpaceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigSpaceError';
  }
}

const PCIE_TYPES: Readonly<Record<number, string>> = {
  0: 'Endpoint', 1: 'Legacy Endpoint', 4: 'Root Port', 5: 'Upstream Port', 6: 'Downstream Port', 7: 'PCI-PCIe Bridge', 8: 'PCIe-PCI Bridge', 9: 'Root Complex Integrated Endpoint', 10: 'Root Complex Event Collector',
};

export function parseConfigSpace(bytes: Uint8Array): ConfigSpace {
  if (bytes.length < 64) throw new ConfigSpaceError(`config space has ${bytes.length} bytes; the header alone is 64`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u8 = (o: number): number => dv.getUint8(o);
  const u16 = (o: number): number => dv.getUint16(o, true);
  const u32 = (o: number): number => dv.getUint32(o, true);
  const notes: string[] = [];
  const headerType = u8(0x0e);
  const status = u16(0x06);

  const bars: BarRegister[] = [];
  if ((headerType & 0x7f) === 0) {
    for (let i = 0; i < 6; i++) {
      const lo = u32(0x10 + i * 4);
      if (lo === 0) continue;
      if (lo & 1) {
        bars.push({ index: i, kind: 'io', is64: false, prefetchable: false, address: BigInt((lo & ~3) >>> 0) });
        continue;
      }
      const is64 = ((lo >> 1) & 3) === 2;
      const hi = is64 && i < 5 ? u32(0x10 + (i + 1) * 4) : 0;
      bars.push({ index: i, kind: 'memory', is64, prefetchable: (lo & 8) !== 0, address: (BigInt(hi) << 32n) | BigInt((lo & ~0xf) >>> 0) });
      if (is64) i++;
    }
  }

  const capabilities: Capability[] = [];
  let pcieOffset: number | undefined;
  let pmOffset: number | undefined;
  let msiOffset: number | undefined;
  if (status & 0x10) {
    let ptr = u8(0x34) & 0xfc;
    const seen = new Set<number>();
    while (ptr) {
      if (ptr < 0x40 || ptr + 2 > Math.min(bytes.length, 256)) {
        if (ptr + 2 > bytes.length) notes.push(`capability list continues at 0x${ptr.toString(16)} beyond the ${bytes.length} bytes readable`);
        else notes.push(`capability pointer 0x${ptr.toString(16)} is invalid`);
        break;
      }
      if (seen.has(ptr)) {
        notes.push(`capability list loops at 0x${ptr.toString(16)}`);
        break;
      }
      seen.add(ptr);
      const id = u8(ptr);
      capabilities.push({ offset: ptr, id, extended: false, name: CAP_ID[id] ?? `capability 0x${id.toString(16)}` });
      if (id === 0x10) pcieOffset = ptr;
      if (id === 0x01) pmOffset = ptr;
      if (id === 0x05) msiOffset = ptr;
      ptr = u8(ptr + 1) & 0xfc;
    }
  }

  const ext = new Map<number, number>();
  if (pcieOffset !== undefined && bytes.length >= 0x104) {
    let ptr = 0x100;
    const seen = new Set<number>();
    while (ptr) {
      if (ptr < 0x100 || ptr + 4 > bytes.length) {
        notes.push(`extended capability pointer 0x${ptr.toString(16)} is outside config space`);
        break;
      }
      if (seen.has(ptr)) {
        notes.push(`extended capability list loops at 0x${ptr.toString(16)}`);
        break;
      }
      seen.add(ptr);
      const h = u32(ptr);
      if (h === 0 || h === 0xffffffff) break;
      const id = h & 0xffff;
      capabilities.push({ offset: ptr, id, version: (h >>> 16) & 0xf, extended: true, name: EXT_CAP_ID[id] ?? `extended capability 0x${id.toString(16)}` });
      if (!ext.has(id)) ext.set(id, ptr);
      ptr = (h >>> 20) & 0xffc;
    }
  } else if (pcieOffset !== undefined) {
    notes.push(`extended capabilities not readable (${bytes.length} bytes of config space; reading all 4096 needs root)`);
  }

  const result: { -readonly [K in keyof ConfigSpace]: ConfigSpace[K] } = {
    vendorId: u16(0), deviceId: u16(2), command: u16(4), status, revision: u8(8),
    classCode: (u8(0x0b) << 16) | (u8(0x0a) << 8) | u8(0x09), headerType,
    subsystemVendorId: u16(0x2c), subsystemId: u16(0x2e), interruptPin: u8(0x3d),
    bars, capabilities, size: bytes.length, notes,
  };

  if (pcieOffset !== undefined) {
    const p = pcieOffset;
    const caps = u16(p + 2);
    const version = caps & 0xf;
    const devCap = u32(p + 4);
    const lnkCap = u32(p + 0x0c);
    const lnkSta = u16(p + 0x12);
    const devCap2 = version >= 2 ? u32(p + 0x24) : 0;
    const devCtl2 = version >= 2 ? u16(p + 0x28) : 0;
    const lnkCap2 = version >= 2 ? u32(p + 0x2c) : 0;
    const supported: string[] = [];
    for (let b = 1; b <= 7; b++) if (lnkCap2 & (1 << b)) supported.push(linkSpeedName(b));
    result.pcie = {
      version,
      deviceType: PCIE_TYPES[(caps >> 4) & 0xf] ?? `type ${(caps >> 4) & 0xf}`,
      maxPayloadSupported: 128 << (devCap & 7),
      link: { maxSpeed: linkSpeedName(lnkCap & 0xf), maxWidth: (lnkCap >> 4) & 0x3f, speed: linkSpeedName(lnkSta & 0xf), width: (lnkSta >> 4) & 0x3f, supportedSpeeds: supported },
      atomicOps: { routing: (devCap2 & 0x40) !== 0, completer32: (devCap2 & 0x80) !== 0, completer64: (devCap2 & 0x100) !== 0, completer128Cas: (devCap2 & 0x200) !== 0, requesterEnabled: (devCtl2 & 0x40) !== 0 },
      tenBitTags: (devCap2 & 0x10000) !== 0,
      ltr: (devCap2 & 0x800) !== 0,
    };
  }
  if (pmOffset !== undefined) {
    const pmc = u16(pmOffset + 2);
    const pmcsr = u16(pmOffset + 4);
    const pme = ['D0', 'D1', 'D2', 'D3hot', 'D3cold'].filter((_, i) => pmc & (1 << (11 + i)));
    result.powerManagement = { version: pmc & 7, d1: (pmc & 0x200) !== 0, d2: (pmc & 0x400) !== 0, pmeSupport: pme.join(','), state: ['D0', 'D1', 'D2', 'D3hot'][pmcsr & 3]! };
  }
  if (msiOffset !== undefined) {
    const ctl = u16(msiOffset + 2);
    result.msi = { enabled: (ctl & 1) !== 0, is64: (ctl & 0x80) !== 0, vectors: 1 << ((ctl >> 1) & 7) };
  }
  const aer = ext.get(0x0001);
  if (aer !== undefined) result.aer = { version: (u32(aer) >>> 16) & 0xf, uncorrectableStatus: u32(aer + 4), correctableStatus: u32(aer + 0x10) };
  const ats = ext.get(0x000f);
  if (ats !== undefined) result.ats = { enabled: (u16(ats + 6) & 0x8000) !== 0, invalidateQueueDepth: u16(ats + 4) & 0x1f };
  const pri = ext.get(0x0013);
  if (pri !== undefined) result.pri = { enabled: (u16(pri + 4) & 1) !== 0, capacity: u32(pri + 8) };
  const pasid = ext.get(0x001b);
  if (pasid !== undefined) {
    const cap = u16(pasid + 4);
    result.pasid = { enabled: (u16(pasid + 6) & 1) !== 0, maxWidth: (cap >> 8) & 0x1f, exec: (cap & 2) !== 0, priv: (cap & 4) !== 0 };
  }
  const rebar = ext.get(0x0015);
  if (rebar !== undefined) {
    const entries: ResizableBarEntry[] = [];
    const count = (u32(rebar + 8) >> 5) & 7;
    for (let i = 0; i < count && rebar + 8 + i * 8 + 4 <= bytes.length; i++) {
      const cap = u32(rebar + 4 + i * 8);
      const ctl = u32(rebar + 8 + i * 8);
      const supportedBytes: bigint[] = [];
      for (let b = 4; b < 32; b++) if (cap & (1 << b)) supportedBytes.push(1n << BigInt(b - 4 + 20));
      entries.push({ bar: ctl & 7, currentBytes: 1n << BigInt(((ctl >> 8) & 0x3f) + 20), supportedBytes });
    }
    result.resizableBars = entries;
  }
  return result;
}

/** "256MB", "32GB": sizes as lspci prints them. */
export function formatSize(bytes: bigint): string {
  const units = ['', 'K', 'M', 'G', 'T'];
  let u = 0;
  let v = bytes;
  while (v >= 1024n && v % 1024n === 0n && u < units.length - 1) {
    v /= 1024n;
    u++;
  }
  return `${v}${units[u]}${u ? 'B' : ''}`;
}

/** The bytes as `lspci -xxxx` prints them (what `lspci -F` reads back). */
export function lspciHexDump(slot: string, title: string, bytes: Uint8Array): string {
  const lines = [`${slot} ${title}`];
  for (let o = 0; o < bytes.length; o += 16) {
    const row = [...bytes.subarray(o, o + 16)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    lines.push(`${o.toString(16).padStart(o >= 0x100 ? 3 : 2, '0')}: ${row}`);
  }
  return lines.join('\n') + '\n\n';
}

export interface HexDump {
  /** The line before the bytes: `bus:dev.fn class: vendor device …`. */
  readonly title: string;
  readonly bytes: Uint8Array;
}

/**
 * Reads one function's `lspci -x`/`-xxx`/`-xxxx` dump back into bytes (what `lspci -F` reads): a title
 * line, then `offset: b0 b1 … b15` lines in order. Lines must be contiguous from offset 0; a gap, a
 * short row or a non-hex byte is an error that names the line, so a damaged paste is never half-read.
 */
export function parseLspciHexDump(text: string): HexDump {
  const lines = text.split('\n').map((l) => l.trimEnd()).filter((l) => l.length > 0);
  const title = lines.shift();
  if (title === undefined) throw new ConfigSpaceError('the dump is empty');
  const out: number[] = [];
  for (const [i, line] of lines.entries()) {
    const m = /^([0-9a-f]{2,3}):((?: [0-9a-f]{2}){16})$/i.exec(line);
    if (!m) throw new ConfigSpaceError(`dump line ${i + 2} is not "offset: 16 hex bytes": "${line.slice(0, 60)}"`);
    const offset = parseInt(m[1]!, 16);
    if (offset !== out.length) throw new ConfigSpaceError(`dump line ${i + 2} is at offset 0x${offset.toString(16)}, expected 0x${out.length.toString(16)}`);
    for (const b of m[2]!.trim().split(' ')) out.push(parseInt(b, 16));
  }
  if (out.length < 64) throw new ConfigSpaceError(`the dump has ${out.length} bytes; the header alone is 64`);
  return { title, bytes: Uint8Array.from(out) };
}
