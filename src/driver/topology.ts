// The KFD topology (/sys/devices/virtual/kfd/kfd/topology) as typed objects.
import type { SysfsReader } from '../os/host.js';
import { KFD_TOPOLOGY_PATH, HSA_MEM_HEAP_TYPE, parseProperties, parsePropertiesWithLists, TopologyError } from '../uapi/kfd-sysfs.js';
import { gfxNameFromVersion, targetByName, type GpuTarget } from '../hw/targets.js';
import { marketingName } from './marketing-names.js';

/** `name value` lines; values are kept as bigint because some (unique_id, hive_id) exceed 2^53. */
export type Properties = ReadonlyMap<string, bigint>;

export interface MemBank {
  readonly heapType: number;
  readonly sizeInBytes: bigint;
  readonly flags: number;
  readonly width: number;
  readonly memClkMax: number;
  readonly properties: Properties;
}
export interface Cache {
  readonly level: number;
  /** In KiB, as the kernel prints it. */
  readonly size: number;
  readonly type: number;
  /** processor_id_low: first CPU core or SIMD id the cache belongs to. */
  readonly processorIdLow: number;
  /** Which CPU cores / CUs share this cache, one 0/1 per core (empty when the kernel prints none). */
  readonly siblingMap: readonly number[];
  readonly properties: Properties;
}
export interface IoLink {
  readonly type: number;
  readonly nodeFrom: number;
  readonly nodeTo: number;
  readonly weight: number;
  readonly minBandwidth: number;
  readonly maxBandwidth: number;
  readonly recommendedSdmaEngineIdMask: number;
  readonly flags: number;
  readonly properties: Properties;
}

export interface TopologyNode {
  /** Directory number under nodes/. */
  readonly id: number;
  /** Contents of nodes/N/gpu_id (0 for CPU nodes). */
  readonly gpuId: number;
  readonly name: string;
  readonly properties: Properties;
  readonly memBanks: readonly MemBank[];
  readonly caches: readonly Cache[];
  readonly ioLinks: readonly IoLink[];
  readonly p2pLinks: readonly IoLink[];
}

export interface GpuNode extends TopologyNode {
  readonly gfxTargetVersion: number;
  /** e.g. gfx1100, derived from gfx_target_version. */
  readonly gfxTarget: string;
  /** Registry entry when this target is known to amdgpu-ts. */
  readonly target: GpuTarget | undefined;
  readonly marketingName: string | undefined;
  readonly simdCount: number;
  readonly simdPerCu: number;
  readonly cuCount: number;
  readonly numXcc: number;
  readonly waveFrontSize: number;
  readonly maxWavesPerSimd: number;
  readonly ldsSizeKb: number;
  readonly arrayCount: number;
  readonly simdArraysPerEngine: number;
  readonly maxSlotsScratchCu: number;
  readonly vendorId: number;
  readonly deviceId: number;
  readonly domain: number;
  readonly locationId: number;
  /** PCI address domain:bus:device.function. */
  readonly pciAddress: string;
  readonly drmRenderMinor: number;
  readonly numSdmaEngines: number;
  readonly numSdmaXgmiEngines: number;
  readonly numSdmaQueuesPerEngine: number;
  readonly numCpQueues: number;
  readonly maxEngineClkMhz: number;
  readonly hiveId: bigint;
  readonly capability: number;
  /** Kernel-reported CWSR sizes (Linux ≥ 6.12); undefined on older kernels. */
  readonly cwsrSize: number | undefined;
  readonly ctlStackSize: number | undefined;
  readonly vramBytes: bigint;
}

export interface Topology {
  readonly systemProperties: Properties;
  readonly generationId: number | undefined;
  readonly nodes: readonly TopologyNode[];
  readonly gpus: readonly GpuNode[];
  readonly cpus: readonly TopologyNode[];
}

export { TopologyError };


function num(p: Properties, key: string, fallback = 0): number {
  const v = p.get(key);
  return v === undefined ? fallback : Number(v);
}

function numericEntries(sysfs: SysfsReader, dir: string): number[] {
  if (!sysfs.exists(dir)) return [];
  return sysfs
    .listDir(dir)
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .sort((a, b) => a - b);
}

function readProps(sysfs: SysfsReader, path: string): Map<string, bigint> {
  return parseProperties(sysfs.readText(path), path);
}

function readLinks(sysfs: SysfsReader, dir: string): IoLink[] {
  return numericEntries(sysfs, dir).map((i) => {
    const p = readProps(sysfs, `${dir}/${i}/properties`);
    return {
      type: num(p, 'type'),
      nodeFrom: num(p, 'node_from'),
      nodeTo: num(p, 'node_to'),
      weight: num(p, 'weight'),
      minBandwidth: num(p, 'min_bandwidth'),
      maxBandwidth: num(p, 'max_bandwidth'),
      recommendedSdmaEngineIdMask: num(p, 'recommended_sdma_engine_id_mask'),
      flags: num(p, 'flags'),
      properties: p,
    };
  });
}

function readNode(sysfs: SysfsReader, base: string, id: number): TopologyNode {
  const dir = `${base}/nodes/${id}`;
  const properties = readProps(sysfs, `${dir}/properties`);
  const gpuId = sysfs.exists(`${dir}/gpu_id`) ? Number(sysfs.readText(`${dir}/gpu_id`).trim() || '0') : 0;
  const name = sysfs.exists(`${dir}/name`) ? sysfs.readText(`${dir}/name`).trim() : '';
  const memBanks = numericEntries(sysfs, `${dir}/mem_banks`).map((i) => {
    const p = readProps(sysfs, `${dir}/mem_banks/${i}/properties`);
    return { heapType: num(p, 'heap_type'), sizeInBytes: p.get('size_in_bytes') ?? 0n, flags: num(p, 'flags'), width: num(p, 'width'), memClkMax: num(p, 'mem_clk_max'), properties: p };
  });
  const caches = numericEntries(sysfs, `${dir}/caches`).map((i) => {
    const path = `${dir}/caches/${i}/properties`;
    const { values: p, lists } = parsePropertiesWithLists(sysfs.readText(path), path);
    return { level: num(p, 'level'), size: num(p, 'size'), type: num(p, 'type'), processorIdLow: num(p, 'processor_id_low'), siblingMap: lists.get('sibling_map') ?? [], properties: p };
  });
  return { id, gpuId, name, properties, memBanks, caches, ioLinks: readLinks(sysfs, `${dir}/io_links`), p2pLinks: readLinks(sysfs, `${dir}/p2p_links`) };
}

/** A node is a GPU when it has SIMDs (CPU nodes report simd_count 0 and gpu_id 0). */
export function isGpuNode(node: TopologyNode): boolean {
  return num(node.properties, 'simd_count') > 0;
}

function toGpu(node: TopologyNode): GpuNode {
  const p = node.properties;
  const gfxTargetVersion = num(p, 'gfx_target_version');
  if (gfxTargetVersion <= 0) throw new TopologyError(`node ${node.id}: GPU node without gfx_target_version`);
  const gfxTarget = gfxNameFromVersion(gfxTargetVersion);
  const simdCount = num(p, 'simd_count');
  const simdPerCu = num(p, 'simd_per_cu', 1);
  const locationId = num(p, 'location_id');
  const domain = num(p, 'domain');
  const deviceId = num(p, 'device_id');
  const hex = (v: number, w: number): string => v.toString(16).padStart(w, '0');
  const vram = node.memBanks
    .filter((b) => b.heapType === HSA_MEM_HEAP_TYPE.FB_PUBLIC || b.heapType === HSA_MEM_HEAP_TYPE.FB_PRIVATE)
    .reduce((s, b) => s + b.sizeInBytes, 0n);
  return {
    ...node,
    gfxTargetVersion,
    gfxTarget,
    target: targetByName(gfxTarget),
    marketingName: marketingName(deviceId),
    simdCount,
    simdPerCu,
    cuCount: Math.floor(simdCount / simdPerCu),
    numXcc: num(p, 'num_xcc', 1) || 1,
    waveFrontSize: num(p, 'wave_front_size'),
    maxWavesPerSimd: num(p, 'max_waves_per_simd'),
    ldsSizeKb: num(p, 'lds_size_in_kb'),
    arrayCount: num(p, 'array_count'),
    simdArraysPerEngine: num(p, 'simd_arrays_per_engine'),
    maxSlotsScratchCu: num(p, 'max_slots_scratch_cu'),
    vendorId: num(p, 'vendor_id'),
    deviceId,
    domain,
    locationId,
    pciAddress: `${hex(domain, 4)}:${hex(locationId >> 8, 2)}:${hex((locationId >> 3) & 0x1f, 2)}.${locationId & 7}`,
    drmRenderMinor: num(p, 'drm_render_minor'),
    numSdmaEngines: num(p, 'num_sdma_engines'),
    numSdmaXgmiEngines: num(p, 'num_sdma_xgmi_engines'),
    numSdmaQueuesPerEngine: num(p, 'num_sdma_queues_per_engine'),
    numCpQueues: num(p, 'num_cp_queues'),
    maxEngineClkMhz: num(p, 'max_engine_clk_fcompute'),
    hiveId: p.get('hive_id') ?? 0n,
    capability: num(p, 'capability'),
    cwsrSize: p.has('cwsr_size') ? num(p, 'cwsr_size') : undefined,
    ctlStackSize: p.has('ctl_stack_size') ? num(p, 'ctl_stack_size') : undefined,
    vramBytes: vram,
  };
}

/** Reads the whole topology. Nodes are in numeric order (nodes/10 after nodes/9). */
export function readTopology(sysfs: SysfsReader, base = KFD_TOPOLOGY_PATH): Topology {
  if (!sysfs.exists(`${base}/nodes`)) {
    throw new TopologyError(`no KFD topology at ${base} (is the amdgpu driver loaded with KFD support?)`);
  }
  const systemProperties = sysfs.exists(`${base}/system_properties`) ? readProps(sysfs, `${base}/system_properties`) : new Map<string, bigint>();
  const generationId = sysfs.exists(`${base}/generation_id`) ? Number(sysfs.readText(`${base}/generation_id`).trim()) : undefined;
  const nodes = numericEntries(sysfs, `${base}/nodes`).map((id) => readNode(sysfs, base, id));
  const gpus = nodes.filter(isGpuNode).map(toGpu);
  return { systemProperties, generationId, nodes, gpus, cpus: nodes.filter((n) => !isGpuNode(n)) };
}
