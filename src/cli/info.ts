// `amdgpu-ts info`: the GPUs of this machine (or of a captured sysfs tree), as a table or JSON.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DirectorySysfs } from '../os/sysfs-dir.js';
import { OsError } from '../os/errors.js';
import { TopologyError, KFD_TOPOLOGY_PATH } from '../uapi/kfd-sysfs.js';
import { readTopology, type GpuNode } from '../driver/topology.js';
import { Kfd } from '../driver/kfd.js';
import { drmVersion, amdgpuMemoryInfo } from '../driver/drm-info.js';
import { selectHost } from '../host-select.js';
import { parseArgs, optionHelp, UsageError, type OptionSpec } from './args.js';
import { bytes, table } from './table.js';
import type { CommandIo } from './io.js';
import { EXIT_STATUS_HELP } from './report-error.js';

const OPTIONS: readonly OptionSpec[] = [
  { name: 'device', value: 'D', help: 'auto (default: real GPU if /dev/kfd works, else emulated), native, or emu:<model>' },
  { name: 'sysfs-root', value: 'DIR', help: 'read a captured tree where DIR stands for /sys; opens no device' },
  { name: 'json', help: 'print one JSON document' },
  { name: 'help', help: 'show this help' },
];

export const INFO_HELP = `usage: amdgpu-ts info [--device D | --sysfs-root DIR] [--json]

Lists the GPUs: KFD node, gpu_id, gfx target, product name, compute units, wave size, memory,
PCI location, render node, KFD and driver versions.

${optionHelp(OPTIONS)}

${EXIT_STATUS_HELP}`;

export interface GpuInfo {
  readonly node: number;
  readonly gpuId: number;
  readonly target: string;
  readonly gfxTargetVersion: number;
  readonly marketingName: string | null;
  readonly computeUnits: number;
  readonly simds: number;
  readonly xccs: number;
  readonly waveSize: number;
  readonly vramBytes: string;
  readonly gttBytes: string | null;
  readonly pci: string;
  readonly renderNode: string;
  readonly sdmaEngines: number;
  readonly xgmiSdmaEngines: number;
  readonly ioLinks: readonly { to: number; type: number; weight: number }[];
  readonly supported: boolean;
}

export interface InfoReport {
  readonly source: string;
  readonly emulated: boolean;
  readonly kfdVersion: string | null;
  readonly driverVersion: string | null;
  readonly gpus: readonly GpuInfo[];
}

function gpuInfo(g: GpuNode, gtt: bigint | undefined): GpuInfo {
  return {
    node: g.id,
    gpuId: g.gpuId,
    target: g.gfxTarget,
    gfxTargetVersion: g.gfxTargetVersion,
    marketingName: g.marketingName ?? null,
    computeUnits: g.cuCount,
    simds: g.simdCount,
    xccs: g.numXcc,
    waveSize: g.waveFrontSize,
    vramBytes: g.vramBytes.toString(),
    gttBytes: gtt === undefined ? null : gtt.toString(),
    pci: g.pciAddress,
    renderNode: `/dev/dri/renderD${g.drmRenderMinor}`,
    sdmaEngines: g.numSdmaEngines,
    xgmiSdmaEngines: g.numSdmaXgmiEngines,
    ioLinks: [...g.ioLinks, ...g.p2pLinks].map((l) => ({ to: l.nodeTo, type: l.type, weight: l.weight })),
    supported: g.target !== undefined,
  };
}

/** A captured tree: problems are the user's input errors, reported with the on-disk paths. */
function readCapturedTopology(root: string): ReturnType<typeof readTopology> {
  const dir = join(root, KFD_TOPOLOGY_PATH.replace(/^\/sys\//, ''));
  if (!existsSync(dir)) throw new UsageError(`--sysfs-root ${root}: no KFD topology there (expected the directory ${dir})`);
  try {
    return readTopology(new DirectorySysfs(root));
  } catch (e) {
    if (e instanceof TopologyError || e instanceof OsError) throw new UsageError(`--sysfs-root ${root}: ${e.message.replaceAll('/sys/', `${root.replace(/\/$/, '')}/`)}`);
    throw e;
  }
}

export function collectInfo(opts: { device?: string; sysfsRoot?: string }, note: (s: string) => void): InfoReport {
  if (opts.sysfsRoot) {
    const topo = readCapturedTopology(opts.sysfsRoot);
    return { source: `sysfs:${opts.sysfsRoot}`, emulated: false, kfdVersion: null, driverVersion: null, gpus: topo.gpus.map((g) => gpuInfo(g, undefined)) };
  }
  const host = selectHost(opts.device, note);
  try {
    const kfd = Kfd.open(host);
    try {
      const devices = kfd.devices();
      const first = devices[0];
      const v = first ? drmVersion(host, kfd.backendOf(first).renderFd, kfd.scratch) : undefined;
      return {
        source: host.description.device,
        emulated: host.description.emulated,
        kfdVersion: `${kfd.version.major}.${kfd.version.minor}`,
        driverVersion: v ? `${v.name} ${v.major}.${v.minor}.${v.patch}` : null,
        gpus: devices.map((d) => gpuInfo(d.node, amdgpuMemoryInfo(host, kfd.backendOf(d).renderFd, kfd.scratch).gtt.total)),
      };
    } finally {
      kfd.close();
    }
  } finally {
    void host.shutdown();
  }
}

export function runInfo(argv: readonly string[], io: CommandIo): number {
  const args = parseArgs(argv, OPTIONS);
  if (args.flags.has('help')) {
    io.out(INFO_HELP);
    return 0;
  }
  const sysfsRoot = args.values.get('sysfs-root')?.[0];
  const device = args.values.get('device')?.[0];
  const report = collectInfo({ ...(device ? { device } : {}), ...(sysfsRoot ? { sysfsRoot } : {}) }, io.err);
  if (args.flags.has('json')) {
    io.out(JSON.stringify(report, null, 2));
    return 0;
  }
  io.out(`${report.source}${report.emulated ? ' (EMULATED)' : ''}  KFD ${report.kfdVersion ?? '-'}  driver ${report.driverVersion ?? '-'}  ${report.gpus.length} GPU(s)`);
  io.out(
    table(
      ['node', 'gpu_id', 'target', 'name', 'CUs', 'SIMDs', 'XCCs', 'wave', 'VRAM', 'GTT', 'PCI', 'render node'],
      report.gpus.map((g) => [String(g.node), String(g.gpuId), g.target + (g.supported ? '' : ' (unsupported)'), g.marketingName ?? '-', String(g.computeUnits), String(g.simds), String(g.xccs), String(g.waveSize), bytes(BigInt(g.vramBytes)), g.gttBytes === null ? '-' : bytes(BigInt(g.gttBytes)), g.pci, g.renderNode]),
    ),
  );
  return 0;
}
