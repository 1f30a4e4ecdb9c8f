// The emulated GPU's PCI function as sysfs presents it: /sys/bus/pci/devices/<bdf>/ with the text
// attributes drivers/pci/pci-sysfs.c prints (vendor, device, class, resource, link speed/width …), the
// binary `config`, the BAR files (resourceN, mmap-able through the Host), its IOMMU group, and the
// debugfs node umr reads the IP discovery table from (/sys/kernel/debug/dri/<minor>/amdgpu_discovery).
import type { GpuInstance } from '../models/system.js';
import { buildConfigSpace, pciFunctionLayout, type PciFunctionLayout } from './config.js';
import { buildDiscoveryTable } from './discovery.js';

export interface EmuPciFunction {
  readonly gpu: GpuInstance;
  readonly slot: string;
  readonly dir: string;
  readonly layout: PciFunctionLayout;
  readonly config: Uint8Array;
  readonly discovery: Uint8Array;
}

const hex = (v: number | bigint, digits: number): string => `0x${v.toString(16).padStart(digits, '0')}`;

/** Speed codes as pci-sysfs prints them (PCIE_SPEED2STR). */
const SPEED_TEXT = ['Unknown', '2.5 GT/s PCIe', '5.0 GT/s PCIe', '8.0 GT/s PCIe', '16.0 GT/s PCIe', '32.0 GT/s PCIe', '64.0 GT/s PCIe'];

export function pciSlot(g: GpuInstance): string {
  const domain = Number(g.properties.get('domain') ?? 0n);
  const bus = (g.locationId >> 8) & 0xff;
  const dev = (g.locationId >> 3) & 0x1f;
  const fn = g.locationId & 7;
  return `${domain.toString(16).padStart(4, '0')}:${bus.toString(16).padStart(2, '0')}:${dev.toString(16).padStart(2, '0')}.${fn}`;
}

export function emuPciFunction(g: GpuInstance): EmuPciFunction {
  const slot = pciSlot(g);
  const layout = pciFunctionLayout(g);
  return { gpu: g, slot, dir: `/sys/bus/pci/devices/${slot}`, layout, config: buildConfigSpace(g, layout), discovery: buildDiscoveryTable(g.model.target) };
}

/** The `resource` file: one line per resource (6 BARs, ROM, bridge windows …) "start end flags" (pci-sysfs resource_show). */
function resourceText(layout: PciFunctionLayout): string {
  const lines: string[] = [];
  for (let i = 0; i < 13; i++) {
    const b = layout.bars.find((x) => x.index === i);
    if (!b) {
      lines.push(`${hex(0, 16)} ${hex(0, 16)} ${hex(0, 16)}`);
      continue;
    }
    // IORESOURCE_IO 0x100, IORESOURCE_MEM 0x200, IORESOURCE_PREFETCH 0x2000, IORESOURCE_MEM_64 0x100000, IORESOURCE_SIZEALIGN 0x40000
    const flags = b.kind === 'io' ? 0x40101 : 0x40200 | (b.prefetchable ? 0x2000 | 0x8 : 0) | (b.is64 ? 0x100000 | 0x4 : 0);
    lines.push(`${hex(b.address, 16)} ${hex(b.address + b.bytes - 1n, 16)} ${hex(flags, 16)}`);
  }
  return lines.join('\n') + '\n';
}

/** Text files, binary files and bare directory entries the function adds to the emulated sysfs. */
export function pciSysfsFiles(fns: readonly EmuPciFunction[]): { text: Map<string, string>; binary: Map<string, Uint8Array>; entries: string[] } {
  const text = new Map<string, string>();
  const binary = new Map<string, Uint8Array>();
  const entries: string[] = [];
  fns.forEach((f, i) => {
    const g = f.gpu;
    const d = f.dir;
    const c = new DataView(f.config.buffer);
    const vendor = c.getUint16(0, true);
    const device = c.getUint16(2, true);
    text.set(`${d}/vendor`, `${hex(vendor, 4)}\n`);
    text.set(`${d}/device`, `${hex(device, 4)}\n`);
    text.set(`${d}/subsystem_vendor`, `${hex(c.getUint16(0x2c, true), 4)}\n`);
    text.set(`${d}/subsystem_device`, `${hex(c.getUint16(0x2e, true), 4)}\n`);
    text.set(`${d}/revision`, `${hex(g.model.pciRevision, 2)}\n`);
    text.set(`${d}/class`, `${hex(f.layout.classCode, 6)}\n`);
    text.set(`${d}/numa_node`, `${g.model.target === 'gfx1100' ? -1 : i % 2}\n`);
    text.set(`${d}/irq`, `${200 + i}\n`);
    text.set(`${d}/enable`, '1\n');
    text.set(`${d}/current_link_speed`, `${SPEED_TEXT[f.layout.linkSpeed]}\n`);
    text.set(`${d}/max_link_speed`, `${SPEED_TEXT[f.layout.linkSpeed]}\n`);
    text.set(`${d}/current_link_width`, `${f.layout.linkWidth}\n`);
    text.set(`${d}/max_link_width`, `${f.layout.linkWidth}\n`);
    const id = `${vendor.toString(16).toUpperCase().padStart(4, '0')}:${device.toString(16).toUpperCase().padStart(4, '0')}`;
    text.set(`${d}/uevent`, `DRIVER=amdgpu\nPCI_CLASS=${f.layout.classCode.toString(16).toUpperCase()}\nPCI_ID=${id}\nPCI_SUBSYS_ID=${id}\nPCI_SLOT_NAME=${f.slot}\n`);
    text.set(`${d}/resource`, resourceText(f.layout));
    binary.set(`${d}/config`, f.config);
    for (const b of f.layout.bars) if (b.kind === 'memory') entries.push(`${d}/resource${b.index}`);
    entries.push(`${d}/driver`, `${d}/iommu_group`);
    const group = 20 + i;
    text.set(`/sys/kernel/iommu_groups/${group}/type`, 'DMA-FQ\n');
    entries.push(`/sys/kernel/iommu_groups/${group}/devices/${f.slot}`);
    const minor = g.renderMinor - 128;
    text.set(`/sys/kernel/debug/dri/${minor}/name`, `amdgpu dev=${f.slot} unique=${f.slot}\n`);
    binary.set(`/sys/kernel/debug/dri/${minor}/amdgpu_discovery`, f.discovery);
  });
  return { text, binary, entries };
}
