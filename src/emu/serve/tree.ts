// The files a served client reads before (and beside) its ioctls, written as a real directory tree that
// the preload library redirects into: the KFD topology, the amdgpu module's state, the DRM device
// nodes and their PCI device in sysfs, laid out (with symlinks) as Linux lays them out, so path walks
// such as libdrm's /sys/dev/char/226:128/device/subsystem resolve the way they do on a real system.
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { emuPciFunction, pciSysfsFiles } from '../pci/function.js';
import { buildSysfs } from '../sysfs-tree.js';
import { layoutSystem, type GpuInstance } from '../models/system.js';
import type { DeviceSpec } from '../models/models.js';
import { IDLE_LOAD, liveFiles, staticHwmonFiles } from './live-sysfs.js';

/** Absolute path prefixes the preload library redirects into the tree (AMDGPU_TS_PREFIXES). */
export const REDIRECTED_PREFIXES = [
  '/sys/devices/virtual/kfd',
  '/sys/class/kfd',
  '/sys/class/drm',
  '/sys/module/amdgpu',
  '/sys/dev/char',
  '/sys/bus/pci/devices',
  '/sys/bus/pci/drivers/amdgpu',
  '/sys/devices/pci0000:00',
  '/proc/modules',
  '/dev/dri',
] as const;

/** DRM's character major (include/drm/drm.h DRM_MAJOR); KFD's is allocated at load time. */
export const DRM_MAJOR = 226;
export const EMULATED_KFD_RDEV = '238:0';
/** Card (primary) node minors start at 0, render node minors at 128 (drm_minor_alloc). */
const RENDER_MINOR_BASE = 128;

/** PCI class code of the GPU (pci_ids.h): 0x0380 display controller for Instinct, 0x0300 VGA for Radeon. */
function pciClass(target: string): number {
  return target.startsWith('gfx9') ? 0x038000 : 0x030000;
}

function hex(v: number, digits: number): string {
  return `0x${v.toString(16).padStart(digits, '0')}`;
}

/** The served file tree as path → contents, plus symlinks (path → absolute target inside the tree). */
export function servedTree(spec: DeviceSpec): { files: Map<string, string | Uint8Array>; links: Map<string, string>; dirs: readonly string[] } {
  const instances = layoutSystem(spec.model, spec.options.kfdMinor);
  const files: Map<string, string | Uint8Array> = buildSysfs(spec.model, instances);
  const links = new Map<string, string>();
  links.set('/sys/class/kfd/kfd', '/sys/devices/virtual/kfd/kfd');
  files.set('/sys/devices/virtual/kfd/kfd/dev', `${EMULATED_KFD_RDEV}\n`);
  // libkmod (rocminfo asks it whether amdgpu is loaded): /sys/module/<name>/initstate and /proc/modules.
  files.set('/sys/module/amdgpu/initstate', 'live\n');
  files.set('/sys/module/amdgpu/refcnt', '0\n');
  files.set('/sys/module/amdgpu/coresize', '15384576\n');
  files.set('/proc/modules', 'amdgpu 15384576 0 - Live 0x0000000000000000\n');
  for (const g of instances) pciDevice(g, spec.model.systemMemoryBytes, files, links);
  // Directories that must exist even when empty: lsmod opens holders/, the driver directory is a link target.
  return { files, links, dirs: ['/sys/module/amdgpu/holders', '/sys/bus/pci/drivers/amdgpu'] };
}

/** The tree path of a GPU's PCI device directory (what /sys/class/drm/cardN/device links to). */
export function pciDeviceDir(g: GpuInstance): string {
  const domain = Number(g.properties.get('domain') ?? 0n);
  const bus = (g.locationId >> 8) & 0xff;
  return `/sys/devices/pci0000:00/0000:00:01.1/${pciSlot(domain, bus)}`;
}

function pciSlot(domain: number, bus: number): string {
  return `${domain.toString(16).padStart(4, '0')}:${bus.toString(16).padStart(2, '0')}:00.0`;
}

/** The served GPUs of a device spec, in card order. */
export function servedGpus(spec: DeviceSpec): GpuInstance[] {
  return layoutSystem(spec.model, spec.options.kfdMinor);
}

function pciDevice(g: GpuInstance, systemMemoryBytes: bigint, files: Map<string, string | Uint8Array>, links: Map<string, string>): void {
  const p = g.properties;
  const domain = Number(p.get('domain') ?? 0n);
  const bus = (g.locationId >> 8) & 0xff;
  const slot = pciSlot(domain, bus);
  const dev = pciDeviceDir(g);
  const vendor = Number(p.get('vendor_id') ?? 0x1002n);
  const device = Number(p.get('device_id') ?? 0n);
  const cls = pciClass(g.model.target);
  const cardMinor = g.renderMinor - RENDER_MINOR_BASE;
  files.set(`${dev}/vendor`, `${hex(vendor, 4)}\n`);
  files.set(`${dev}/device`, `${hex(device, 4)}\n`);
  files.set(`${dev}/subsystem_vendor`, `${hex(vendor, 4)}\n`);
  files.set(`${dev}/subsystem_device`, `${hex(device, 4)}\n`);
  files.set(`${dev}/revision`, `${hex(g.model.pciRevision, 2)}\n`);
  files.set(`${dev}/class`, `${hex(cls, 6)}\n`);
  files.set(`${dev}/numa_node`, '-1\n');
  const id = `${vendor.toString(16).toUpperCase().padStart(4, '0')}:${device.toString(16).toUpperCase().padStart(4, '0')}`;
  files.set(`${dev}/uevent`, `DRIVER=amdgpu\nPCI_CLASS=${cls.toString(16).toUpperCase()}\nPCI_ID=${id}\nPCI_SUBSYS_ID=${id}\nPCI_SLOT_NAME=${slot}\nMODALIAS=pci:v${vendor.toString(16).toUpperCase().padStart(8, '0')}d${device.toString(16).toUpperCase().padStart(8, '0')}\n`);
  amdgpuDeviceFiles(g, systemMemoryBytes, dev, files);
  // The PCI function's own attributes, as the in-process emulator's sysfs has them (src/emu/pci): the
  // binary config space (so `lspci -v` decodes the capability chain), the BAR `resource` table and
  // the `irq` lspci reads beside them.
  const fn = emuPciFunction(g);
  const pci = pciSysfsFiles([fn]);
  files.set(`${dev}/config`, fn.config);
  for (const name of ['resource', 'irq']) files.set(`${dev}/${name}`, pci.text.get(`${fn.dir}/${name}`)!);
  links.set(`${dev}/driver`, '/sys/bus/pci/drivers/amdgpu');
  links.set(`${dev}/subsystem`, '/sys/bus/pci');
  links.set(`/sys/bus/pci/devices/${slot}`, dev);
  links.set(`/sys/bus/pci/drivers/amdgpu/${slot}`, dev);
  for (const [name, minor] of [[`card${cardMinor}`, cardMinor], [`renderD${g.renderMinor}`, g.renderMinor]] as const) {
    const node = `${dev}/drm/${name}`;
    files.set(`${node}/dev`, `${DRM_MAJOR}:${minor}\n`);
    files.set(`${node}/uevent`, `MAJOR=${DRM_MAJOR}\nMINOR=${minor}\nDEVNAME=dri/${name}\nDEVTYPE=drm_minor\n`);
    links.set(`${node}/device`, dev);
    links.set(`${node}/subsystem`, '/sys/class/drm');
    links.set(`/sys/class/drm/${name}`, node);
    links.set(`/sys/dev/char/${DRM_MAJOR}:${minor}`, node);
    // The device node itself: an empty regular file the preload library reports as a character device.
    files.set(`/dev/dri/${name}`, '');
  }
}

/**
 * The amdgpu driver's own attributes of the PCI device (amdgpu_device.c, amdgpu_pm.c, amdgpu_kms.c,
 * amdgpu_vram_mgr.c, amdgpu_gtt_mgr.c), as rocm-smi reads them: fixed facts of the model here, the
 * live ones (memory use, busy percent, clocks, temperatures, power) from live-sysfs.ts, which
 * rewrites them while the run goes on.
 */
function amdgpuDeviceFiles(g: GpuInstance, systemMemoryBytes: bigint, dev: string, files: Map<string, string | Uint8Array>): void {
  const uniqueId = g.properties.get('unique_id') ?? 0n;
  // amdgpu_atombios_get_vbios_version: the board's VBIOS part number. The emulated board has none;
  // the string says so (rocm-smi takes the 6 characters after the first '-' as the SKU).
  files.set(`${dev}/vbios_version`, `EMU-AMDGPUTS-${g.model.target}\n`);
  // amdgpu_device_get_serial_number / unique_id: printed as %016llx of adev->unique_id.
  files.set(`${dev}/unique_id`, `${uniqueId.toString(16).padStart(16, '0')}\n`);
  files.set(`${dev}/mem_info_vram_total`, `${g.model.vramBytes}\n`);
  files.set(`${dev}/mem_info_vis_vram_total`, `${g.model.vramBytes}\n`);
  // amdgpu_gtt_mgr: the GTT size defaults to half of system memory (amdgpu_ttm_init, amdgpu_gtt_size -1).
  files.set(`${dev}/mem_info_gtt_total`, `${systemMemoryBytes / 2n}\n`);
  files.set(`${dev}/mem_info_vram_vendor`, 'samsung\n');
  // PCIe link of the board (pcie_get_speed/width through the PCI core's attributes).
  files.set(`${dev}/current_link_speed`, '16.0 GT/s PCIe\n');
  files.set(`${dev}/current_link_width`, '16\n');
  files.set(`${dev}/max_link_speed`, '16.0 GT/s PCIe\n');
  files.set(`${dev}/max_link_width`, '16\n');
  files.set(`${dev}/power_dpm_force_performance_level`, 'auto\n');
  files.set(`${dev}/pcie_replay_count`, '0\n');
  for (const [rel, text] of staticHwmonFiles()) files.set(`${dev}/${rel}`, text);
  for (const [rel, text] of liveFiles(g, IDLE_LOAD)) files.set(`${dev}/${rel}`, text);
}

/** Writes the tree under `root` (which must not exist yet or be empty); symlinks are relative, as in sysfs. */
export function writeServedTree(root: string, spec: DeviceSpec): void {
  const { files, links, dirs } = servedTree(spec);
  for (const dir of dirs) mkdirSync(join(root, dir), { recursive: true });
  for (const [path, text] of files) {
    const full = join(root, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, text);
  }
  for (const [path, target] of links) {
    const full = join(root, path);
    mkdirSync(dirname(full), { recursive: true });
    mkdirSync(join(root, target), { recursive: true });
    symlinkSync(relative(dirname(path), target), full);
  }
}
