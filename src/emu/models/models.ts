// Emulated systems: one CPU node plus GPUs whose node properties are real captures (captures.ts).
import { InputError } from '../../errors.js';
import { GFX1100_NODE_PROPERTIES, GFX1201_NODE_PROPERTIES, GFX90A_NODE_PROPERTIES, GFX942_NODE_PROPERTIES } from './captures.js';

export interface GpuModel {
  readonly target: string;
  /** The captured `properties` text of one GPU node. */
  readonly properties: string;
  /** Contents of nodes/N/name. */
  readonly nodeName: string;
  /** Local memory (mem_banks/0): bytes, bus width, clock. */
  readonly vramBytes: bigint;
  readonly vramWidth: number;
  readonly vramClkMhz: number;
  /** PCI bus number of the first instance; further instances count up. */
  readonly firstBus: number;
  /** PCI revision id of the product: with the device id it names it in libdrm's amdgpu.ids. */
  readonly pciRevision: number;
}

export interface SystemModel {
  readonly name: string;
  readonly description: string;
  readonly gpu: GpuModel;
  readonly gpuCount: number;
  /** How GPUs reach each other: PCIe peer links through the host, or an XGMI hive. */
  readonly interconnect: 'pcie' | 'xgmi';
  readonly systemMemoryBytes: bigint;
}

const GiB = 1024n ** 3n;

// RX 7900 XTX: 24 GiB GDDR6 on a 384-bit bus (the capture has no mem_banks; values from the product).
const GFX1100: GpuModel = { target: 'gfx1100', properties: GFX1100_NODE_PROPERTIES, nodeName: 'gfx1100', vramBytes: 24n * GiB, vramWidth: 384, vramClkMhz: 1250, firstBus: 0x03, pciRevision: 0xc8 };
// MI300X: mem_banks/0 of the same rocprofiler-sdk capture (206141652992 bytes, width 8192, 1300 MHz).
const GFX942: GpuModel = { target: 'gfx942', properties: GFX942_NODE_PROPERTIES, nodeName: 'gfx942', vramBytes: 206141652992n, vramWidth: 8192, vramClkMhz: 1300, firstBus: 0x0c, pciRevision: 0x00 };
// MI210: the capture has no mem_banks; 64 GiB HBM2e on a 4096-bit bus at 1600 MHz (AMD MI210 product brief).
const GFX90A: GpuModel = { target: 'gfx90a', properties: GFX90A_NODE_PROPERTIES, nodeName: 'gfx90a', vramBytes: 64n * GiB, vramWidth: 4096, vramClkMhz: 1600, firstBus: 0x63, pciRevision: 0x02 };
// RX 9070 XT: mem_banks/0 of the rocprofiler-sdk capture (17095983104 bytes, width 256, 1258 MHz); PCI revision
// 0xc0 is the RX 9070 XT in amdgpu.ids (0xc3: RX 9070).
const GFX1201: GpuModel = { target: 'gfx1201', properties: GFX1201_NODE_PROPERTIES, nodeName: 'gfx1201', vramBytes: 17095983104n, vramWidth: 256, vramClkMhz: 1258, firstBus: 0x83, pciRevision: 0xc0 };

export const MODELS: ReadonlyMap<string, SystemModel> = new Map(
  [
    { name: 'gfx1100', description: 'RX 7900 XTX-class RDNA3 GPU', gpu: GFX1100, gpuCount: 1, interconnect: 'pcie', systemMemoryBytes: 64n * GiB },
    { name: 'gfx1100x2', description: 'two RX 7900 XTX-class GPUs, PCIe peers', gpu: GFX1100, gpuCount: 2, interconnect: 'pcie', systemMemoryBytes: 64n * GiB },
    { name: 'gfx1201', description: 'RX 9070 XT-class RDNA4 GPU', gpu: GFX1201, gpuCount: 1, interconnect: 'pcie', systemMemoryBytes: 64n * GiB },
    { name: 'gfx1201x2', description: 'two RX 9070 XT-class GPUs, PCIe peers', gpu: GFX1201, gpuCount: 2, interconnect: 'pcie', systemMemoryBytes: 64n * GiB },
    { name: 'gfx942', description: 'MI300X-class CDNA3 GPU', gpu: GFX942, gpuCount: 1, interconnect: 'xgmi', systemMemoryBytes: 256n * GiB },
    { name: 'gfx942x4', description: 'four MI300X-class GPUs in one XGMI hive', gpu: GFX942, gpuCount: 4, interconnect: 'xgmi', systemMemoryBytes: 256n * GiB },
    { name: 'gfx90a', description: 'MI210-class CDNA2 GPU', gpu: GFX90A, gpuCount: 1, interconnect: 'xgmi', systemMemoryBytes: 256n * GiB },
    { name: 'gfx90ax2', description: 'two MI210-class GPUs in one XGMI hive', gpu: GFX90A, gpuCount: 2, interconnect: 'xgmi', systemMemoryBytes: 256n * GiB },
  ].map((m) => [m.name, m as SystemModel]),
);

export type FaultInjection = 'drop-interrupt' | 'flip-copy-byte' | 'stall-queue';
export const FAULT_INJECTIONS: readonly FaultInjection[] = ['drop-interrupt', 'flip-copy-byte', 'stall-queue'];

export interface EmuOptions {
  /** KFD minor version the emulated kernel reports (11 = Linux 6.1 ABI, 17 = Linux 6.12 ABI). */
  readonly kfdMinor: number;
  /** Deliberate corruptions, to prove that checks notice them. */
  readonly inject: readonly FaultInjection[];
  /** `paused`: engines consume submitted work without executing it (for submission-cost benchmarks). */
  readonly engines: 'run' | 'paused';
  /** Threads that run a dispatch's workgroups (`?workers=N`); undefined: one per core, at most four. */
  readonly workers: number | undefined;
  /** How the shader core runs waves: compiled basic blocks (default) or instruction by instruction (the reference). */
  readonly exec: 'block' | 'interp';
}

export interface DeviceSpec {
  readonly model: SystemModel;
  readonly options: EmuOptions;
  /** Canonical spelling, e.g. emu:gfx942x4 or emu:gfx1100?kfd=11. */
  readonly spec: string;
}

/** An `emu:` device name that names no model or option: the caller's input. */
export class DeviceSpecError extends InputError {
  constructor(message: string) {
    super(message);
    this.name = 'DeviceSpecError';
  }
}

/** Shader worker threads a device may ask for (`?workers=N`). */
const MAX_WORKERS = 64;

/** Parses `emu:<model>[?kfd=11|17][&inject=a,b][&engines=paused][&workers=N][&exec=interp|block]`. */
export function parseEmuSpec(spec: string): DeviceSpec {
  const m = /^emu:([a-z0-9]+)(?:\?(.*))?$/.exec(spec);
  const known = [...MODELS.keys()].map((k) => `emu:${k}`).join(', ');
  if (!m) throw new DeviceSpecError(`"${spec}" is not an emulated device; expected one of ${known}`);
  const model = MODELS.get(m[1]!);
  if (!model) throw new DeviceSpecError(`unknown emulated model "${m[1]}"; known: ${known}`);
  let kfdMinor = 17;
  let inject: FaultInjection[] = [];
  let engines: EmuOptions['engines'] = 'run';
  let workers: number | undefined;
  let exec: EmuOptions['exec'] = 'block';
  for (const part of (m[2] ?? '').split('&').filter(Boolean)) {
    const [key, value = ''] = part.split('=');
    if (key === 'kfd') {
      kfdMinor = Number(value.replace(/^1\./, ''));
      if (![11, 12, 13, 14, 15, 16, 17].includes(kfdMinor)) throw new DeviceSpecError(`kfd=${value}: the emulator speaks KFD 1.11 … 1.17`);
    } else if (key === 'inject') {
      inject = value.split(',').filter(Boolean) as FaultInjection[];
      const bad = inject.find((i) => !FAULT_INJECTIONS.includes(i));
      if (bad) throw new DeviceSpecError(`inject=${bad}: known faults are ${FAULT_INJECTIONS.join(', ')}`);
    } else if (key === 'engines') {
      if (value !== 'run' && value !== 'paused') throw new DeviceSpecError(`engines=${value}: expected run or paused`);
      engines = value;
    } else if (key === 'workers') {
      workers = Number(value);
      if (!/^[0-9]+$/.test(value) || workers < 1 || workers > MAX_WORKERS) throw new DeviceSpecError(`workers=${value}: expected a whole number of threads from 1 to ${MAX_WORKERS}`);
    } else if (key === 'exec') {
      if (value !== 'block' && value !== 'interp') throw new DeviceSpecError(`exec=${value}: expected block or interp`);
      exec = value;
    } else {
      throw new DeviceSpecError(`unknown emulator option "${key}" (known: kfd, inject, engines, workers, exec)`);
    }
  }
  return { model, options: { kfdMinor, inject, engines, workers, exec }, spec };
}
