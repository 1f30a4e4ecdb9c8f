// The sysfs files an emulated system presents: the KFD topology tree.
import { KFD_TOPOLOGY_PATH, HSA_IOLINK_TYPE, HSA_MEM_HEAP_TYPE, HSA_IOLINK_FLAGS } from '../uapi/kfd-sysfs.js';
import type { SystemModel } from './models/models.js';
import { cacheGeometry, type GpuInstance } from './models/system.js';
import { gpuCaches } from './models/caches.js';

// Link weights and bandwidths as kfd_crat.c assigns them: PCIe 20 (KFD_CRAT_IOLINK_WEIGHT? values seen
// in captures: gfx906 PCIe weight 20, max 32000 MB/s), XGMI weight 15 at 64000 MB/s (MI300X capture).
interface LinkKind { readonly type: number; readonly weight: number; readonly minBandwidth: number; readonly maxBandwidth: number }
const PCIE: LinkKind = { type: HSA_IOLINK_TYPE.PCIEXPRESS, weight: 20, minBandwidth: 0, maxBandwidth: 32000 };
const XGMI: LinkKind = { type: HSA_IOLINK_TYPE.XGMI, weight: 15, minBandwidth: 64000, maxBandwidth: 64000 };

function props(entries: Iterable<readonly [string, bigint | number]>): string {
  return [...entries].map(([k, v]) => `${k} ${v}`).join('\n') + '\n';
}

function link(from: number, to: number, kind: LinkKind, sdmaMask: number): string {
  return props([
    ['type', kind.type],
    ['version_major', 0],
    ['version_minor', 0],
    ['node_from', from],
    ['node_to', to],
    ['weight', kind.weight],
    ['min_latency', 0],
    ['max_latency', 0],
    ['min_bandwidth', kind.minBandwidth],
    ['max_bandwidth', kind.maxBandwidth],
    ['recommended_transfer_size', 0],
    ['recommended_sdma_engine_id_mask', sdmaMask],
    ['flags', HSA_IOLINK_FLAGS.ENABLED],
  ]);
}

export function buildSysfs(model: SystemModel, gpus: readonly GpuInstance[]): Map<string, string> {
  const files = new Map<string, string>();
  const topo = KFD_TOPOLOGY_PATH;
  files.set(`${topo}/generation_id`, '1\n');
  files.set(`${topo}/system_properties`, props([['platform_oem', 0], ['platform_id', 0], ['platform_rev', 0]]));

  const cpu = `${topo}/nodes/0`;
  files.set(`${cpu}/gpu_id`, '0\n');
  files.set(`${cpu}/name`, '\n');
  files.set(`${cpu}/properties`, props([
    ['cpu_cores_count', 32], ['simd_count', 0], ['mem_banks_count', 1], ['caches_count', 0],
    ['io_links_count', gpus.length], ['p2p_links_count', 0], ['cpu_core_id_base', 0], ['simd_id_base', 0],
    ['max_waves_per_simd', 0], ['lds_size_in_kb', 0], ['gds_size_in_kb', 0], ['num_gws', 0], ['wave_front_size', 0],
    ['array_count', 0], ['simd_arrays_per_engine', 0], ['cu_per_simd_array', 0], ['simd_per_cu', 0],
    ['max_slots_scratch_cu', 0], ['gfx_target_version', 0], ['vendor_id', 0], ['device_id', 0], ['location_id', 0],
    ['domain', 0], ['drm_render_minor', 0], ['hive_id', 0], ['num_sdma_engines', 0], ['num_sdma_xgmi_engines', 0],
    ['num_sdma_queues_per_engine', 0], ['num_cp_queues', 0], ['max_engine_clk_fcompute', 0], ['local_mem_size', 0],
    ['fw_version', 0], ['capability', 0], ['debug_prop', 0], ['sdma_fw_version', 0], ['unique_id', 0], ['num_xcc', 0],
    ['max_engine_clk_ccompute', 3000],
  ]));
  files.set(`${cpu}/mem_banks/0/properties`, props([
    ['heap_type', HSA_MEM_HEAP_TYPE.SYSTEM], ['size_in_bytes', model.systemMemoryBytes], ['flags', 0], ['width', 64], ['mem_clk_max', 3200],
  ]));
  gpus.forEach((g, i) => files.set(`${cpu}/io_links/${i}/properties`, link(0, g.nodeId, PCIE, 0)));

  for (const g of gpus) {
    const dir = `${topo}/nodes/${g.nodeId}`;
    files.set(`${dir}/gpu_id`, `${g.gpuId}\n`);
    files.set(`${dir}/name`, `${g.model.nodeName}\n`);
    files.set(`${dir}/properties`, props(g.properties));
    files.set(`${dir}/mem_banks/0/properties`, props([
      ['heap_type', HSA_MEM_HEAP_TYPE.FB_PUBLIC], ['size_in_bytes', g.model.vramBytes], ['flags', 0], ['width', g.model.vramWidth], ['mem_clk_max', g.model.vramClkMhz],
    ]));
    gpuCaches(cacheGeometry(g.model.target, g.properties)).forEach((c, i) => files.set(`${dir}/caches/${i}/properties`, c));
    files.set(`${dir}/io_links/0/properties`, link(g.nodeId, 0, PCIE, 0));
    const peers = gpus.filter((p) => p !== g);
    if (model.interconnect === 'xgmi') {
      peers.forEach((p, i) => files.set(`${dir}/io_links/${i + 1}/properties`, link(g.nodeId, p.nodeId, XGMI, 1 << (2 + i))));
    } else {
      const viaHost = { ...PCIE, weight: PCIE.weight * 2 };
      peers.forEach((p, i) => files.set(`${dir}/p2p_links/${i}/properties`, link(g.nodeId, p.nodeId, viaHost, 0)));
    }
  }
  return files;
}

/** Directory entries implied by a set of file paths. */
export function directoryIndex(files: Iterable<string>): Map<string, Set<string>> {
  const dirs = new Map<string, Set<string>>();
  for (const f of files) {
    const parts = f.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/') || '/';
      let set = dirs.get(dir);
      if (!set) dirs.set(dir, (set = new Set()));
      set.add(parts[i]!);
    }
  }
  return dirs;
}
