// PCI discovery through the Host's sysfs (no libpci): every AMD function (vendor 0x1002) under
// /sys/bus/pci/devices with its ids, class, revision, BARs (`resource`), NUMA node, IOMMU group, bound
// driver, link speed/width and its parsed config space. Reading config space beyond the first 64 bytes
// needs root (pci-sysfs returns only the header to other users); the result says so.
import type { Host } from '../os/host.js';
import { OsError } from '../os/errors.js';
import { parseConfigSpace, type ConfigSpace } from './config-space.js';

export const AMD_VENDOR_ID = 0x1002;
export const PCI_DEVICES = '/sys/bus/pci/devices';

export interface BarResource {
  readonly index: number;
  readonly start: bigint;
  readonly end: bigint;
  readonly size: bigint;
  readonly flags: number;
  readonly kind: 'memory' | 'io';
  readonly prefetchable: boolean;
  readonly is64: boolean;
}

export interface PciFunction {
  readonly slot: string;
  readonly path: string;
  readonly vendorId: number;
  readonly deviceId: number;
  readonly subsystemVendorId: number;
  readonly subsystemId: number;
  readonly classCode: number;
  readonly revision: number;
  readonly numaNode: number;
  readonly iommuGroup: number | undefined;
  readonly driver: string | undefined;
  readonly link: { readonly currentSpeed?: string; readonly currentWidth?: number; readonly maxSpeed?: string; readonly maxWidth?: number };
  readonly bars: readonly BarResource[];
  readonly config: ConfigSpace | undefined;
  /** Why something could not be read (permissions, missing files). */
  readonly notes: readonly string[];
}

const num = (t: string): number => Number(t.trim());

function optional<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch (e) {
    if (e instanceof OsError) return undefined;
    throw e;
  }
}

/** IORESOURCE_IO 0x100, IORESOURCE_MEM 0x200, IORESOURCE_PREFETCH 0x2000, IORESOURCE_MEM_64 0x100000. */
export function parseResourceFile(text: string): BarResource[] {
  const out: BarResource[] = [];
  text.trim().split('\n').slice(0, 6).forEach((line, index) => {
    const [s, e, f] = line.trim().split(/\s+/).map((x) => BigInt(x));
    if (s === undefined || e === undefined || f === undefined || (s === 0n && e === 0n)) return;
    const flags = Number(f);
    out.push({ index, start: s, end: e, size: e - s + 1n, flags, kind: flags & 0x100 ? 'io' : 'memory', prefetchable: (flags & 0x2000) !== 0, is64: (flags & 0x100000) !== 0 });
  });
  return out;
}

function iommuGroupOf(host: Host, slot: string): number | undefined {
  const root = '/sys/kernel/iommu_groups';
  if (!host.exists(root)) return undefined;
  for (const g of host.listDir(root)) {
    const devs = optional(() => host.listDir(`${root}/${g}/devices`));
    if (devs?.includes(slot)) return Number(g);
  }
  return undefined;
}

export function readPciFunction(host: Host, slot: string): PciFunction {
  const path = `${PCI_DEVICES}/${slot}`;
  const read = (name: string): string | undefined => optional(() => host.readText(`${path}/${name}`));
  const notes: string[] = [];
  const driver = /^DRIVER=(.*)$/m.exec(read('uevent') ?? '')?.[1];
  let config: ConfigSpace | undefined;
  try {
    const bytes = host.readBytes(`${path}/config`);
    config = parseConfigSpace(bytes);
    if (bytes.length < 256) notes.push(`only ${bytes.length} bytes of config space are readable: capabilities need root (sudo)`);
    notes.push(...config.notes);
  } catch (e) {
    notes.push(`config space unreadable: ${e instanceof Error ? e.message : String(e)}`);
  }
  const speed = (n: string): string | undefined => read(n)?.trim();
  const width = (n: string): number | undefined => {
    const t = read(n);
    return t === undefined ? undefined : num(t);
  };
  return {
    slot,
    path,
    vendorId: num(read('vendor') ?? '0'),
    deviceId: num(read('device') ?? '0'),
    subsystemVendorId: num(read('subsystem_vendor') ?? '0'),
    subsystemId: num(read('subsystem_device') ?? '0'),
    classCode: num(read('class') ?? '0'),
    revision: num(read('revision') ?? '0'),
    numaNode: num(read('numa_node') ?? '-1'),
    iommuGroup: iommuGroupOf(host, slot),
    driver,
    link: { currentSpeed: speed('current_link_speed'), currentWidth: width('current_link_width'), maxSpeed: speed('max_link_speed'), maxWidth: width('max_link_width') },
    bars: parseResourceFile(read('resource') ?? ''),
    config,
    notes,
  };
}

/** Every function of vendor 0x1002 (GPUs, their audio functions, AMD bridges), sorted by slot. */
export function listAmdFunctions(host: Host, opts: { displayOnly?: boolean } = {}): PciFunction[] {
  if (!host.exists(PCI_DEVICES)) return [];
  const slots = host.listDir(PCI_DEVICES).sort();
  const out: PciFunction[] = [];
  for (const slot of slots) {
    const vendor = optional(() => num(host.readText(`${PCI_DEVICES}/${slot}/vendor`)));
    if (vendor !== AMD_VENDOR_ID) continue;
    if (opts.displayOnly) {
      const cls = optional(() => num(host.readText(`${PCI_DEVICES}/${slot}/class`))) ?? 0;
      if (cls >> 16 !== 0x03 && cls >> 8 !== 0x1200) continue;
    }
    out.push(readPciFunction(host, slot));
  }
  return out;
}

/** The register BAR's resource file per generation: resource5 for CIK and later (amdgpu_device_init), resource2 before. */
export function registerBarIndex(_target: string): number {
  return 5;
}
