// `amdgpu-ts pci` and `amdgpu-ts ip`: the bare-metal view of the GPUs, umr-style. PCI functions,
// link, BARs and capabilities from sysfs; the IP discovery table (blocks, instances, versions, bases)
// from debugfs. On a real machine config space past 64 bytes and debugfs need root; the output says so.
import { NativeHost } from '../os/native.js';
import type { Host } from '../os/host.js';
import { EmuHost } from '../emu/host.js';
import { DeviceSelectionError } from '../host-select.js';
import { listAmdFunctions, type PciFunction } from '../pci/devices.js';
import { formatSize } from '../pci/config-space.js';
import { debugfsDirOf, parseIpDiscovery, type IpDiscovery } from '../pci/ip-discovery.js';
import { OsError } from '../os/errors.js';
import { parseArgs, optionHelp, UsageError, type OptionSpec } from './args.js';
import { table } from './table.js';
import type { CommandIo } from './io.js';
import { EXIT_STATUS_HELP } from './report-error.js';
import { AmdgpuError } from '../errors.js';
import { registerTable } from '../hw/regs/index.js';

const DEVICE_OPTION: OptionSpec = { name: 'device', value: 'D', help: 'native (default: this machine\'s sysfs) or emu:<model> (the emulated GPU\'s PCI function)' };
const OPTIONS: readonly OptionSpec[] = [DEVICE_OPTION, { name: 'json', help: 'print one JSON document' }, { name: 'help', help: 'show this help' }];

export const PCI_HELP = `usage: amdgpu-ts pci [--device D] [--json]

Every AMD PCI function (vendor 0x1002) from sysfs: ids, class, revision, driver, NUMA node, IOMMU
group, link (current/max speed and width), BARs, and the capability list parsed from config space
(PCIe, AER, ATS/PRI/PASID, resizable BAR, atomic ops, power management). Reading config space past
its first 64 bytes needs root on a real machine.

${optionHelp(OPTIONS)}

${EXIT_STATUS_HELP}`;

export const IP_HELP = `usage: amdgpu-ts ip [--device D] [--json]

The GPUs' IP discovery tables (discovery.h): IP blocks, instances, versions and segment base
addresses. On a real machine the table is debugfs amdgpu_discovery, readable by root only.

${optionHelp(OPTIONS)}

${EXIT_STATUS_HELP}`;

export class NeedsRootError extends AmdgpuError {
  constructor(message: string) {
    super('runtime', message);
    this.name = 'NeedsRootError';
  }
}

/** The host a bare-metal command reads: the machine's own sysfs, or an emulated system (no KFD needed). */
export function bareMetalHost(device: string | undefined): Host {
  const name = device ?? 'native';
  if (name.startsWith('emu:')) return new EmuHost(name);
  if (name === 'native' || name === 'auto') return new NativeHost();
  throw new DeviceSelectionError('input', `unknown device "${name}" for a PCI command; expected native or emu:<model>`);
}

const json = (v: unknown): string => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `0x${x.toString(16)}` : x), 2);
const h = (v: number, d: number): string => v.toString(16).padStart(d, '0');
const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;

export function describeFunction(f: PciFunction): string[] {
  const lines: string[] = [];
  lines.push(`${f.slot}  [${h(f.vendorId, 4)}:${h(f.deviceId, 4)}] rev ${h(f.revision, 2)}  class ${h(f.classCode, 6)}  subsystem ${h(f.subsystemVendorId, 4)}:${h(f.subsystemId, 4)}`);
  lines.push(`  driver ${f.driver ?? '(none)'}  NUMA node ${f.numaNode}  IOMMU group ${f.iommuGroup ?? '-'}`);
  lines.push(`  link ${f.link.currentSpeed ?? '?'} x${f.link.currentWidth ?? '?'} (max ${f.link.maxSpeed ?? '?'} x${f.link.maxWidth ?? '?'})`);
  for (const b of f.bars) lines.push(`  BAR ${b.index}: ${b.kind} at 0x${b.start.toString(16)} [size ${formatSize(b.size)}] ${b.kind === 'memory' ? `${b.is64 ? '64' : '32'}-bit ${b.prefetchable ? 'prefetchable' : 'non-prefetchable'}` : ''}`.trimEnd());
  const c = f.config;
  if (c) {
    for (const cap of c.capabilities) lines.push(`  cap [${h(cap.offset, cap.extended ? 3 : 2)}${cap.extended ? ` v${cap.version}` : ''}] ${cap.name}`);
    if (c.pcie) {
      const a = c.pcie.atomicOps;
      lines.push(`  PCIe v${c.pcie.version} ${c.pcie.deviceType}: LnkCap ${c.pcie.link.maxSpeed} x${c.pcie.link.maxWidth}, LnkSta ${c.pcie.link.speed} x${c.pcie.link.width}; atomics completer 32${a.completer32 ? '+' : '-'} 64${a.completer64 ? '+' : '-'} 128CAS${a.completer128Cas ? '+' : '-'}, requester ${a.requesterEnabled ? 'enabled' : 'disabled'}`);
    }
    if (c.powerManagement) lines.push(`  power management v${c.powerManagement.version}: ${c.powerManagement.state}, PME from ${c.powerManagement.pmeSupport || 'none'}`);
    if (c.resizableBars) for (const r of c.resizableBars) lines.push(`  resizable BAR ${r.bar}: ${formatSize(r.currentBytes)} of ${r.supportedBytes.map(formatSize).join(' ')}`);
    if (c.ats) lines.push(`  ATS ${c.ats.enabled ? 'enabled' : 'disabled'}${c.pri ? `, PRI ${c.pri.enabled ? 'enabled' : 'disabled'} (capacity ${c.pri.capacity})` : ''}`);
    if (c.pasid) lines.push(`  PASID ${c.pasid.enabled ? 'enabled' : 'disabled'}, ${c.pasid.maxWidth} bits`);
  }
  for (const n of f.notes) lines.push(`  note: ${n}`);
  return lines;
}

export async function runPci(argv: readonly string[], io: CommandIo): Promise<number> {
  const args = parseArgs(argv, OPTIONS);
  if (args.flags.has('help')) {
    io.out(PCI_HELP);
    return 0;
  }
  if (args.positionals.length) throw new UsageError(`unexpected argument "${args.positionals[0]}"`);
  const host = bareMetalHost(args.values.get('device')?.[0]);
  try {
    const fns = listAmdFunctions(host);
    const source = host.description.emulated ? host.description.summary : 'this machine (sysfs)';
    if (args.flags.has('json')) {
      io.out(json({ source, emulated: host.description.emulated, functions: fns }));
      return 0;
    }
    io.out(`${source}: ${fns.length} AMD PCI function(s)${host.description.emulated ? ' (EMULATED)' : ''}`);
    if (!host.description.emulated && fns.some((f) => f.config && f.config.size < 256) && !isRoot()) io.err('amdgpu-ts pci: not root: config space past the first 64 bytes (capabilities, link registers) is hidden; run with sudo');
    for (const f of fns) io.out(describeFunction(f).join('\n'));
    return 0;
  } finally {
    await host.shutdown();
  }
}

export interface IpReport {
  readonly slot: string;
  readonly source: string;
  readonly discovery: IpDiscovery;
}

/** The IP discovery table of every AMD GPU function of the host. */
export function readIpDiscovery(host: Host): IpReport[] {
  const out: IpReport[] = [];
  for (const f of listAmdFunctions(host, { displayOnly: true })) {
    const dir = debugfsDirOf(host, f.slot);
    if (!dir) {
      if (host.description.emulated) continue;
      throw new NeedsRootError(`${f.slot}: no debugfs DRM directory names this device${isRoot() ? ' (is debugfs mounted at /sys/kernel/debug?)' : ': /sys/kernel/debug is readable by root only; run with sudo'}`);
    }
    const path = `${dir}/amdgpu_discovery`;
    let bytes: Uint8Array;
    try {
      bytes = host.readBytes(path);
    } catch (e) {
      if (e instanceof OsError && !isRoot()) throw new NeedsRootError(`${path}: ${e.message}; the IP discovery table needs root (sudo)`);
      throw e;
    }
    out.push({ slot: f.slot, source: path, discovery: parseIpDiscovery(bytes) });
  }
  return out;
}

export async function runIp(argv: readonly string[], io: CommandIo): Promise<number> {
  const args = parseArgs(argv, OPTIONS);
  if (args.flags.has('help')) {
    io.out(IP_HELP);
    return 0;
  }
  if (args.positionals.length) throw new UsageError(`unexpected argument "${args.positionals[0]}"`);
  const host = bareMetalHost(args.values.get('device')?.[0]);
  try {
    const reports = readIpDiscovery(host);
    if (args.flags.has('json')) {
      io.out(json({ emulated: host.description.emulated, gpus: reports }));
      return 0;
    }
    for (const r of reports) {
      const d = r.discovery;
      io.out(`${r.slot}${host.description.emulated ? ' (EMULATED)' : ''}: IP discovery binary ${d.version}, table v${d.tableVersion}, ${d.dies} die(s), ${d.ips.length} IP instances (${r.source})`);
      // the last column names the register table `regs` reads this block with, if the database has one, and
      // the instance (--instance N) when not 0: gfx9 lists SDMA0 instances, gfx11 a numbered SDMA1 block
      const regsOf = (name: string, instance: number, version: string): string => {
        const numbered = /^(\D+)([1-9]\d*)$/.exec(name);
        const t = registerTable(numbered ? `${numbered[1]}0` : name, version);
        const n = numbered ? Number(numbered[2]) : instance;
        return t ? `${t.block}${n ? `[${n}]` : ''} (${t.source})` : '-';
      };
      io.out(table(['die', 'block', 'hw_id', 'inst', 'version', 'bases (dwords)', 'regs'], d.ips.map((ip) => {
        const version = `${ip.major}.${ip.minor}.${ip.revision}`;
        return [String(ip.die), ip.name, String(ip.hwId), String(ip.instance), version, ip.bases.map((b) => `0x${b.toString(16).padStart(8, '0')}`).join(' '), regsOf(ip.name, ip.instance, version)];
      })));
    }
    return 0;
  } finally {
    await host.shutdown();
  }
}
