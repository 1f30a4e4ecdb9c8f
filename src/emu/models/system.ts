// One emulated system laid out: node numbers, gpu_ids, render minors and PCI locations per GPU.
import { parseProperties } from '../../uapi/kfd-sysfs.js';
import { gpuCaches, type CacheGeometry } from './caches.js';
import type { SystemModel, GpuModel } from './models.js';
import { computeQueueSizes } from '../../hw/queue-sizes.js';

export interface GpuInstance {
  readonly index: number;
  readonly nodeId: number;
  readonly gpuId: number;
  readonly renderMinor: number;
  readonly locationId: number;
  readonly hiveId: bigint;
  readonly model: GpuModel;
  /** The node's properties as this instance reports them. */
  readonly properties: ReadonlyMap<string, bigint>;
}

// KFD gpu_ids are 16-bit hashes of the device (kfd_topology.c kfd_generate_gpu_id); fixed values
// keep the emulated system reproducible.
const GPU_IDS = [0xb8d1, 0x4f32, 0x8a7e, 0x2c19, 0xd6a3, 0x7154, 0x39ef, 0xe20b];
const HIVE_ID = 0x6be0a1d3c4f20001n;

/** Shader arrays and CUs of a node, from its properties (the emulated chip spreads active CUs evenly). */
export function cacheGeometry(target: string, p: ReadonlyMap<string, bigint>): CacheGeometry {
  const n = (k: string): number => Number(p.get(k) ?? 0n);
  const shaderArrays = n('array_count');
  const activeCus = n('simd_count') / Math.max(1, n('simd_per_cu'));
  return { target, simdIdBase: n('simd_id_base'), shaderArrays, cuPerArray: n('cu_per_simd_array'), activeCuPerArray: Math.floor(activeCus / Math.max(1, shaderArrays)) };
}

export function layoutSystem(model: SystemModel, kfdMinor: number): GpuInstance[] {
  if (model.gpuCount > GPU_IDS.length) throw new RangeError(`at most ${GPU_IDS.length} emulated GPUs`);
  const base = parseProperties(model.gpu.properties, `${model.gpu.target} capture`);
  return Array.from({ length: model.gpuCount }, (_, index) => {
    const locationId = (model.gpu.firstBus + index * 0x10) << 8;
    const props = new Map(base);
    const hiveId = model.interconnect === 'xgmi' && model.gpuCount > 1 ? HIVE_ID : 0n;
    props.set('mem_banks_count', 1n);
    props.set('caches_count', BigInt(gpuCaches(cacheGeometry(model.gpu.target, props)).length));
    props.set('io_links_count', BigInt(1 + (model.interconnect === 'xgmi' ? model.gpuCount - 1 : 0)));
    props.set('p2p_links_count', BigInt(model.interconnect === 'pcie' ? model.gpuCount - 1 : 0));
    props.set('drm_render_minor', BigInt(128 + index));
    props.set('location_id', BigInt(locationId));
    props.set('domain', 0n);
    props.set('hive_id', hiveId);
    props.set('unique_id', (props.get('unique_id') ?? 0n) + BigInt(index));
    props.set('local_mem_size', 0n);
    if (kfdMinor >= 17) {
      // Linux 6.12 (KFD 1.17) prints the CWSR sizes it will insist on at queue creation.
      const sizes = computeQueueSizes({
        gfxTargetVersion: Number(props.get('gfx_target_version')),
        simdCount: Number(props.get('simd_count')),
        simdPerCu: Number(props.get('simd_per_cu')),
        numXcc: Number(props.get('num_xcc') ?? 1n) || 1,
        arrayCount: Number(props.get('array_count')),
        simdArraysPerEngine: Number(props.get('simd_arrays_per_engine')),
        ldsSizeKb: Number(props.get('lds_size_in_kb')),
      });
      props.set('cwsr_size', BigInt(sizes.ctxSaveRestoreSize));
      props.set('ctl_stack_size', BigInt(sizes.ctlStackSize));
    } else {
      props.delete('cwsr_size');
      props.delete('ctl_stack_size');
    }
    return { index, nodeId: index + 1, gpuId: GPU_IDS[index]!, renderMinor: 128 + index, locationId, hiveId, model: model.gpu, properties: props };
  });
}
