// DRM core and amdgpu ioctl ABI: libdrm's drm.h and amdgpu_drm.h (include/uapi/drm/ in Linux 6.12).
// C unions are declared as their largest member; the other members are separate layouts decoded from
// offset 0 of the same bytes. Layouts of anonymous C members are named `outer.member`.
import { array, struct, type FieldSpec, type StructLayout } from './codec.js';
import { ioc, type IoctlDir } from './ioc.js';
import * as sub from './drm-submit.js';

export * from './drm-submit.js';

export const DRM_IOCTL_BASE = 0x64; // 'd'
/** Driver-private ioctls start here (drm.h DRM_COMMAND_BASE). */
export const DRM_COMMAND_BASE = 0x40;

// ---- DRM core (drm.h) ----

/** struct drm_version: name/date/desc are user pointers to buffers of the given lengths. */
export const drmVersionArgs = struct('drm_version', [
  ['version_major', 'i32'],
  ['version_minor', 'i32'],
  ['version_patchlevel', 'i32'],
  ['name_len', 'u64'],
  ['name', 'u64'],
  ['date_len', 'u64'],
  ['date', 'u64'],
  ['desc_len', 'u64'],
  ['desc', 'u64'],
]);
export const drmGemCloseArgs = struct('drm_gem_close', [['handle', 'u32'], ['pad', 'u32']]);
export const drmSyncobjCreateArgs = struct('drm_syncobj_create', [['handle', 'u32'], ['flags', 'u32']]);
export const drmSyncobjDestroyArgs = struct('drm_syncobj_destroy', [['handle', 'u32'], ['pad', 'u32']]);
/**
 * struct drm_syncobj_wait before Linux 6.5 (32 bytes; 6.5 appended deadline_nsec). drm_ioctl copies
 * the size the request encodes and zero-fills the rest, so this form works on every kernel.
 */
export const drmSyncobjWaitArgs = struct('drm_syncobj_wait', [
  ['handles', 'u64'],
  ['timeout_nsec', 'i64'],
  ['count_handles', 'u32'],
  ['flags', 'u32'],
  ['first_signaled', 'u32'],
  ['pad', 'u32'],
]);
export const DRM_SYNCOBJ_CREATE_SIGNALED = 1 << 0;
export const DRM_SYNCOBJ_WAIT_FLAGS = { WAIT_ALL: 1 << 0, WAIT_FOR_SUBMIT: 1 << 1, WAIT_AVAILABLE: 1 << 2 } as const;

// ---- GEM objects ----

export const gemCreateIn = struct('drm_amdgpu_gem_create_in', [
  ['bo_size', 'u64'],
  ['alignment', 'u64'],
  ['domains', 'u64'],
  ['domain_flags', 'u64'],
]);
export const gemCreateOut = struct('drm_amdgpu_gem_create_out', [['handle', 'u32'], ['_pad', 'u32']]);
export const gemCreateArgs = struct('union drm_amdgpu_gem_create', [['in', gemCreateIn]]);

export const gemMmapIn = struct('drm_amdgpu_gem_mmap_in', [['handle', 'u32'], ['_pad', 'u32']]);
export const gemMmapOut = struct('drm_amdgpu_gem_mmap_out', [['addr_ptr', 'u64']]);
export const gemMmapArgs = struct('union drm_amdgpu_gem_mmap', [['in', gemMmapIn]]);

export const gemVaArgs = struct('drm_amdgpu_gem_va', [
  ['handle', 'u32'],
  ['_pad', 'u32'],
  ['operation', 'u32'],
  ['flags', 'u32'],
  ['va_address', 'u64'],
  ['offset_in_bo', 'u64'],
  ['map_size', 'u64'],
]);

export const AMDGPU_GEM_DOMAIN = { CPU: 0x1, GTT: 0x2, VRAM: 0x4, GDS: 0x8, GWS: 0x10, OA: 0x20, DOORBELL: 0x40 } as const;
/** Every domain bit (AMDGPU_GEM_DOMAIN_MASK, Linux ≥ 6.6 with DOORBELL). */
export const AMDGPU_GEM_DOMAIN_MASK = 0x7f;
export const AMDGPU_GEM_CREATE = {
  CPU_ACCESS_REQUIRED: 1 << 0,
  NO_CPU_ACCESS: 1 << 1,
  CPU_GTT_USWC: 1 << 2,
  VRAM_CLEARED: 1 << 3,
  VRAM_CONTIGUOUS: 1 << 5,
  VM_ALWAYS_VALID: 1 << 6,
  EXPLICIT_SYNC: 1 << 7,
  CP_MQD_GFX9: 1 << 8,
  VRAM_WIPE_ON_RELEASE: 1 << 9,
  ENCRYPTED: 1 << 10,
  PREEMPTIBLE: 1 << 11,
  DISCARDABLE: 1 << 12,
  COHERENT: 1 << 13,
  UNCACHED: 1 << 14,
  EXT_COHERENT: 1 << 15,
  GFX12_DCC: 1 << 16,
} as const;
export const AMDGPU_VA_OP = { MAP: 1, UNMAP: 2, CLEAR: 3, REPLACE: 4 } as const;
export const AMDGPU_VM_DELAY_UPDATE = 1 << 0;
export const AMDGPU_VM_PAGE = { READABLE: 1 << 1, WRITEABLE: 1 << 2, EXECUTABLE: 1 << 3, PRT: 1 << 4, NOALLOC: 1 << 9 } as const;
export const AMDGPU_VM_MTYPE = { MASK: 0xf << 5, DEFAULT: 0 << 5, NC: 1 << 5, WC: 2 << 5, CC: 3 << 5, UC: 4 << 5, RW: 5 << 5 } as const;

// ---- contexts ----

export const ctxIn = struct('drm_amdgpu_ctx_in', [
  ['op', 'u32'],
  ['flags', 'u32'],
  ['ctx_id', 'u32'],
  ['priority', 'i32'],
]);
export const ctxOutAlloc = struct('union drm_amdgpu_ctx_out.alloc', [['ctx_id', 'u32'], ['_pad', 'u32']]);
export const ctxOutState = struct('union drm_amdgpu_ctx_out.state', [
  ['flags', 'u64'],
  ['hangs', 'u32'],
  ['reset_status', 'u32'],
]);
export const ctxOutPstate = struct('union drm_amdgpu_ctx_out.pstate', [['flags', 'u32'], ['_pad', 'u32']]);
export const ctxOut = struct('union drm_amdgpu_ctx_out', [['state', ctxOutState]]);
export const ctxArgs = struct('union drm_amdgpu_ctx', [['in', ctxIn]]);
export const AMDGPU_CTX_OP = { ALLOC_CTX: 1, FREE_CTX: 2, QUERY_STATE: 3, QUERY_STATE2: 4, GET_STABLE_PSTATE: 5, SET_STABLE_PSTATE: 6 } as const;
export const AMDGPU_CTX_PRIORITY = { UNSET: -2048, VERY_LOW: -1023, LOW: -512, NORMAL: 0, HIGH: 512, VERY_HIGH: 1023 } as const;

// ---- command submission ----

export const csChunk = struct('drm_amdgpu_cs_chunk', [
  ['chunk_id', 'u32'],
  ['length_dw', 'u32'],
  ['chunk_data', 'u64'],
]);
export const csIn = struct('drm_amdgpu_cs_in', [
  ['ctx_id', 'u32'],
  ['bo_list_handle', 'u32'],
  ['num_chunks', 'u32'],
  ['flags', 'u32'],
  ['chunks', 'u64'],
]);
export const csOut = struct('drm_amdgpu_cs_out', [['handle', 'u64']]);
export const csArgs = struct('union drm_amdgpu_cs', [['in', csIn]]);
export const csChunkIb = struct('drm_amdgpu_cs_chunk_ib', [
  ['_pad', 'u32'],
  ['flags', 'u32'],
  ['va_start', 'u64'],
  ['ib_bytes', 'u32'],
  ['ip_type', 'u32'],
  ['ip_instance', 'u32'],
  ['ring', 'u32'],
]);
export const csChunkDep = struct('drm_amdgpu_cs_chunk_dep', [
  ['ip_type', 'u32'],
  ['ip_instance', 'u32'],
  ['ring', 'u32'],
  ['ctx_id', 'u32'],
  ['handle', 'u64'],
]);
export const csChunkFence = struct('drm_amdgpu_cs_chunk_fence', [['handle', 'u32'], ['offset', 'u32']]);
export const csChunkSem = struct('drm_amdgpu_cs_chunk_sem', [['handle', 'u32']]);
export const csChunkSyncobj = struct('drm_amdgpu_cs_chunk_syncobj', [
  ['handle', 'u32'],
  ['flags', 'u32'],
  ['point', 'u64'],
]);
/** Union of the IB and fence chunk payloads; the IB member is the larger. */
export const csChunkData = struct('drm_amdgpu_cs_chunk_data', [['ib_data', csChunkIb]]);

/** AMDGPU_HW_IP_NUM: one past the last IP type (VPE, Linux ≥ 6.7). */
export const AMDGPU_HW_IP_NUM = 10;
export const AMDGPU_HW_IP = { GFX: 0, COMPUTE: 1, DMA: 2, UVD: 3, VCE: 4, UVD_ENC: 5, VCN_DEC: 6, VCN_ENC: 7, VCN_JPEG: 8, VPE: 9 } as const;
export const AMDGPU_CHUNK_ID = {
  IB: 0x01,
  FENCE: 0x02,
  DEPENDENCIES: 0x03,
  SYNCOBJ_IN: 0x04,
  SYNCOBJ_OUT: 0x05,
  BO_HANDLES: 0x06,
  SCHEDULED_DEPENDENCIES: 0x07,
  SYNCOBJ_TIMELINE_WAIT: 0x08,
  SYNCOBJ_TIMELINE_SIGNAL: 0x09,
  CP_GFX_SHADOW: 0x0a,
} as const;
export const AMDGPU_IB_FLAG = { CE: 1 << 0, PREAMBLE: 1 << 1, PREEMPT: 1 << 2, TC_WB_NOT_INVALIDATE: 1 << 3, RESET_GDS_MAX_WAVE_ID: 1 << 4, EMIT_MEM_SYNC: 1 << 6 } as const;
/** AMDGPU_IB_FLAGS_SECURE (the one IB flag spelt FLAGS): a TMZ submission. */
export const AMDGPU_IB_FLAGS_SECURE = 1 << 5;

// ---- INFO queries ----

export const queryFw = struct('drm_amdgpu_query_fw', [
  ['fw_type', 'u32'],
  ['ip_instance', 'u32'],
  ['index', 'u32'],
  ['_pad', 'u32'],
]);
/**
 * struct drm_amdgpu_info: the query-specific union after `query` is declared as its largest member
 * (query_fw, 16 bytes); the other members' words are at the same offset (see amdgpuInfoRequest).
 */
export const infoArgs = struct('drm_amdgpu_info', [
  ['return_pointer', 'u64'],
  ['return_size', 'u32'],
  ['query', 'u32'],
  ['query_fw', queryFw],
]);
/** Offset of the query-specific union in drm_amdgpu_info. */
export const INFO_UNION_OFFSET = 16;

export const infoVramGtt = struct('drm_amdgpu_info_vram_gtt', [
  ['vram_size', 'u64'],
  ['vram_cpu_accessible_size', 'u64'],
  ['gtt_size', 'u64'],
]);
export const heapInfo = struct('drm_amdgpu_heap_info', [
  ['total_heap_size', 'u64'],
  ['usable_heap_size', 'u64'],
  ['heap_usage', 'u64'],
  ['max_allocation', 'u64'],
]);
export const memoryInfo = struct('drm_amdgpu_memory_info', [
  ['vram', heapInfo],
  ['cpu_accessible_vram', heapInfo],
  ['gtt', heapInfo],
]);
export const infoFirmware = struct('drm_amdgpu_info_firmware', [['ver', 'u32'], ['feature', 'u32']]);
export const infoHwIp = struct('drm_amdgpu_info_hw_ip', [
  ['hw_ip_version_major', 'u32'],
  ['hw_ip_version_minor', 'u32'],
  ['capabilities_flags', 'u64'],
  ['ib_start_alignment', 'u32'],
  ['ib_size_alignment', 'u32'],
  ['available_rings', 'u32'],
  /** IP discovery version (bits 23:16 major, 15:8 minor, 7:0 revision); `_pad` before Linux 6.10. */
  ['ip_discovery_version', 'u32'],
]);

const infoDeviceFields = [
  ['device_id', 'u32'],
  ['chip_rev', 'u32'],
  ['external_rev', 'u32'],
  ['pci_rev', 'u32'],
  ['family', 'u32'],
  ['num_shader_engines', 'u32'],
  ['num_shader_arrays_per_engine', 'u32'],
  ['gpu_counter_freq', 'u32'],
  ['max_engine_clock', 'u64'],
  ['max_memory_clock', 'u64'],
  ['cu_active_number', 'u32'],
  ['cu_ao_mask', 'u32'],
  ['cu_bitmap', array('u32', 16)],
  ['enabled_rb_pipes_mask', 'u32'],
  ['num_rb_pipes', 'u32'],
  ['num_hw_gfx_contexts', 'u32'],
  ['pcie_gen', 'u32'],
  ['ids_flags', 'u64'],
  ['virtual_address_offset', 'u64'],
  ['virtual_address_max', 'u64'],
  ['virtual_address_alignment', 'u32'],
  ['pte_fragment_size', 'u32'],
  ['gart_page_size', 'u32'],
  ['ce_ram_size', 'u32'],
  ['vram_type', 'u32'],
  ['vram_bit_width', 'u32'],
  ['vce_harvest_config', 'u32'],
  ['gc_double_offchip_lds_buf', 'u32'],
  ['prim_buf_gpu_addr', 'u64'],
  ['pos_buf_gpu_addr', 'u64'],
  ['cntl_sb_buf_gpu_addr', 'u64'],
  ['param_buf_gpu_addr', 'u64'],
  ['prim_buf_size', 'u32'],
  ['pos_buf_size', 'u32'],
  ['cntl_sb_buf_size', 'u32'],
  ['param_buf_size', 'u32'],
  ['wave_front_size', 'u32'],
  ['num_shader_visible_vgprs', 'u32'],
  ['num_cu_per_sh', 'u32'],
  ['num_tcc_blocks', 'u32'],
  ['gs_vgt_table_depth', 'u32'],
  ['gs_prim_buffer_depth', 'u32'],
  ['max_gs_waves_per_vgt', 'u32'],
  ['pcie_num_lanes', 'u32'],
  ['cu_ao_bitmap', array('u32', 16)],
  ['high_va_offset', 'u64'],
  ['high_va_max', 'u64'],
  ['pa_sc_tile_steering_override', 'u32'],
  ['tcc_disabled_mask', 'u64'],
  // Linux ≥ 6.2 … 6.12 additions; older kernels copy only the prefix they know.
  ['min_engine_clock', 'u64'],
  ['min_memory_clock', 'u64'],
  ['tcp_cache_size', 'u32'],
  ['num_sqc_per_wgp', 'u32'],
  ['sqc_data_cache_size', 'u32'],
  ['sqc_inst_cache_size', 'u32'],
  ['gl1c_cache_size', 'u32'],
  ['gl2c_cache_size', 'u32'],
  ['mall_size', 'u64'],
  ['enabled_rb_pipes_mask_hi', 'u32'],
  ['shadow_size', 'u32'],
  ['shadow_alignment', 'u32'],
  ['csa_size', 'u32'],
  ['csa_alignment', 'u32'],
] as const;
/**
 * struct drm_amdgpu_info_device as Linux 6.12 declares it. `cu_bitmap[4][4]` and `cu_ao_bitmap[4][4]`
 * are flattened (index se*4 + sh). libdrm 2.4.114 names pcie_gen/pcie_num_lanes `_pad`/`_pad1` and
 * ends at tcc_disabled_mask.
 */
export const infoDevice = struct('drm_amdgpu_info_device', infoDeviceFields);
/** The fields after tcc_disabled_mask, absent from libdrm 2.4.114 / Linux 6.1. */
export const INFO_DEVICE_FIELDS_SINCE_6_2 = ['pcie_gen', 'pcie_num_lanes', ...infoDeviceFields.slice(infoDeviceFields.findIndex((f) => f[0] === 'min_engine_clock')).map((f) => f[0])];

/** INFO query ids (AMDGPU_INFO_*). */
export const AMDGPU_INFO = {
  ACCEL_WORKING: 0x00,
  HW_IP_INFO: 0x02,
  HW_IP_COUNT: 0x03,
  TIMESTAMP: 0x05,
  FW_VERSION: 0x0e,
  NUM_BYTES_MOVED: 0x0f,
  VRAM_USAGE: 0x10,
  GTT_USAGE: 0x11,
  GDS_CONFIG: 0x13,
  VRAM_GTT: 0x14,
  READ_MMR_REG: 0x15,
  DEV_INFO: 0x16,
  VIS_VRAM_USAGE: 0x17,
  NUM_EVICTIONS: 0x18,
  MEMORY: 0x19,
  VCE_CLOCK_TABLE: 0x1a,
  VBIOS: 0x1b,
  NUM_HANDLES: 0x1c,
  SENSOR: 0x1d,
  NUM_VRAM_CPU_PAGE_FAULTS: 0x1e,
  VRAM_LOST_COUNTER: 0x1f,
  RAS_ENABLED_FEATURES: 0x20,
} as const;
/** FW_VERSION sub-query ids (AMDGPU_INFO_FW_*). */
export const AMDGPU_INFO_FW = {
  VCE: 0x01,
  UVD: 0x02,
  GMC: 0x03,
  GFX_ME: 0x04,
  GFX_PFP: 0x05,
  GFX_CE: 0x06,
  GFX_RLC: 0x07,
  GFX_MEC: 0x08,
  SMC: 0x0a,
  SDMA: 0x0b,
  SOS: 0x0c,
  ASD: 0x0d,
  VCN: 0x0e,
  GFX_RLC_RESTORE_LIST_CNTL: 0x0f,
  GFX_RLC_RESTORE_LIST_GPM_MEM: 0x10,
  GFX_RLC_RESTORE_LIST_SRM_MEM: 0x11,
  DMCU: 0x12,
  TA: 0x13,
  DMCUB: 0x14,
  TOC: 0x15,
} as const;
/** SENSOR sub-query ids (AMDGPU_INFO_SENSOR_*). */
export const AMDGPU_INFO_SENSOR = {
  GFX_SCLK: 0x1,
  GFX_MCLK: 0x2,
  GPU_TEMP: 0x3,
  GPU_LOAD: 0x4,
  GPU_AVG_POWER: 0x5,
  VDDNB: 0x6,
  VDDGFX: 0x7,
  STABLE_PSTATE_GFX_SCLK: 0x8,
  STABLE_PSTATE_GFX_MCLK: 0x9,
} as const;
export const AMDGPU_IDS_FLAGS = { FUSION: 0x1, PREEMPTION: 0x2, TMZ: 0x4 } as const;
export const AMDGPU_VRAM_TYPE = {
  UNKNOWN: 0,
  GDDR1: 1,
  DDR2: 2,
  GDDR3: 3,
  GDDR4: 4,
  GDDR5: 5,
  HBM: 6,
  DDR3: 7,
  DDR4: 8,
  GDDR6: 9,
  DDR5: 10,
} as const;
/** drm_amdgpu_info_device.family (AMDGPU_FAMILY_*); GC_* ids are in Linux ≥ 6.0 headers. */
export const AMDGPU_FAMILY = {
  UNKNOWN: 0,
  SI: 110,
  CI: 120,
  KV: 125,
  VI: 130,
  CZ: 135,
  AI: 141,
  RV: 142,
  NV: 143,
  VGH: 144,
  GC_11_0_0: 145,
  YC: 146,
  GC_11_0_1: 148,
  GC_10_3_6: 149,
  GC_11_5_0: 150,
  GC_10_3_7: 151,
  GC_12_0_0: 152,
} as const;

export interface InfoRequest {
  readonly query: number;
  readonly returnPointer: bigint;
  readonly returnSize: number;
  /** The query-specific union words (query_fw, query_hw_ip, sensor_info …), up to four u32. */
  readonly words?: readonly number[];
}

/** Encodes struct drm_amdgpu_info for any query. */
export function amdgpuInfoRequest(r: InfoRequest): Uint8Array {
  const [a = 0, b = 0, c = 0, d = 0] = r.words ?? [];
  return infoArgs.encode({
    return_pointer: r.returnPointer,
    return_size: r.returnSize,
    query: r.query,
    query_fw: { fw_type: a, ip_instance: b, index: c, _pad: d },
  });
}

// ---- the ioctl table ----

export interface DrmIoctl<F extends readonly FieldSpec[] = readonly FieldSpec[]> {
  readonly name: string;
  readonly nr: number;
  readonly dir: IoctlDir;
  readonly args: StructLayout<F>;
  /** Request number, as the DRM_IOCTL_* macro computes it. */
  readonly request: number;
}

function drmIoctl<F extends readonly FieldSpec[]>(name: string, nr: number, dir: IoctlDir, args: StructLayout<F>): DrmIoctl<F> {
  return { name, nr, dir, args, request: ioc(dir, DRM_IOCTL_BASE, nr, args.size) };
}

// Command numbers: drm.h DRM_IOCTL_* and amdgpu_drm.h DRM_AMDGPU_* (+ DRM_COMMAND_BASE).
export const DRM_IOC = {
  VERSION: drmIoctl('DRM_IOCTL_VERSION', 0x00, 'rw', drmVersionArgs),
  GEM_CLOSE: drmIoctl('DRM_IOCTL_GEM_CLOSE', 0x09, 'w', drmGemCloseArgs),
  SYNCOBJ_CREATE: drmIoctl('DRM_IOCTL_SYNCOBJ_CREATE', 0xbf, 'rw', drmSyncobjCreateArgs),
  SYNCOBJ_DESTROY: drmIoctl('DRM_IOCTL_SYNCOBJ_DESTROY', 0xc0, 'rw', drmSyncobjDestroyArgs),
  PRIME_HANDLE_TO_FD: drmIoctl('DRM_IOCTL_PRIME_HANDLE_TO_FD', 0x2d, 'rw', sub.drmPrimeHandle),
  PRIME_FD_TO_HANDLE: drmIoctl('DRM_IOCTL_PRIME_FD_TO_HANDLE', 0x2e, 'rw', sub.drmPrimeHandle),
  SYNCOBJ_HANDLE_TO_FD: drmIoctl('DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD', 0xc1, 'rw', sub.drmSyncobjHandle),
  SYNCOBJ_FD_TO_HANDLE: drmIoctl('DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE', 0xc2, 'rw', sub.drmSyncobjHandle),
  SYNCOBJ_WAIT: drmIoctl('DRM_IOCTL_SYNCOBJ_WAIT', 0xc3, 'rw', drmSyncobjWaitArgs),
  SYNCOBJ_RESET: drmIoctl('DRM_IOCTL_SYNCOBJ_RESET', 0xc4, 'rw', sub.drmSyncobjArray),
  SYNCOBJ_SIGNAL: drmIoctl('DRM_IOCTL_SYNCOBJ_SIGNAL', 0xc5, 'rw', sub.drmSyncobjArray),
  SYNCOBJ_TIMELINE_WAIT: drmIoctl('DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT', 0xca, 'rw', sub.drmSyncobjTimelineWait),
  SYNCOBJ_QUERY: drmIoctl('DRM_IOCTL_SYNCOBJ_QUERY', 0xcb, 'rw', sub.drmSyncobjTimelineArray),
  SYNCOBJ_TRANSFER: drmIoctl('DRM_IOCTL_SYNCOBJ_TRANSFER', 0xcc, 'rw', sub.drmSyncobjTransfer),
  SYNCOBJ_TIMELINE_SIGNAL: drmIoctl('DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL', 0xcd, 'rw', sub.drmSyncobjTimelineArray),
  AMDGPU_GEM_CREATE: drmIoctl('DRM_IOCTL_AMDGPU_GEM_CREATE', DRM_COMMAND_BASE + 0x00, 'rw', gemCreateArgs),
  AMDGPU_GEM_MMAP: drmIoctl('DRM_IOCTL_AMDGPU_GEM_MMAP', DRM_COMMAND_BASE + 0x01, 'rw', gemMmapArgs),
  AMDGPU_CTX: drmIoctl('DRM_IOCTL_AMDGPU_CTX', DRM_COMMAND_BASE + 0x02, 'rw', ctxArgs),
  AMDGPU_BO_LIST: drmIoctl('DRM_IOCTL_AMDGPU_BO_LIST', DRM_COMMAND_BASE + 0x03, 'rw', sub.boListArgs),
  AMDGPU_CS: drmIoctl('DRM_IOCTL_AMDGPU_CS', DRM_COMMAND_BASE + 0x04, 'rw', csArgs),
  AMDGPU_INFO: drmIoctl('DRM_IOCTL_AMDGPU_INFO', DRM_COMMAND_BASE + 0x05, 'w', infoArgs),
  AMDGPU_GEM_METADATA: drmIoctl('DRM_IOCTL_AMDGPU_GEM_METADATA', DRM_COMMAND_BASE + 0x06, 'rw', sub.gemMetadataArgs),
  AMDGPU_GEM_WAIT_IDLE: drmIoctl('DRM_IOCTL_AMDGPU_GEM_WAIT_IDLE', DRM_COMMAND_BASE + 0x07, 'rw', sub.gemWaitIdleArgs),
  AMDGPU_GEM_VA: drmIoctl('DRM_IOCTL_AMDGPU_GEM_VA', DRM_COMMAND_BASE + 0x08, 'w', gemVaArgs),
  AMDGPU_WAIT_CS: drmIoctl('DRM_IOCTL_AMDGPU_WAIT_CS', DRM_COMMAND_BASE + 0x09, 'rw', sub.waitCsArgs),
  AMDGPU_GEM_OP: drmIoctl('DRM_IOCTL_AMDGPU_GEM_OP', DRM_COMMAND_BASE + 0x10, 'rw', sub.gemOpArgs),
  AMDGPU_GEM_USERPTR: drmIoctl('DRM_IOCTL_AMDGPU_GEM_USERPTR', DRM_COMMAND_BASE + 0x11, 'rw', sub.gemUserptrArgs),
  AMDGPU_WAIT_FENCES: drmIoctl('DRM_IOCTL_AMDGPU_WAIT_FENCES', DRM_COMMAND_BASE + 0x12, 'rw', sub.waitFencesArgs),
  AMDGPU_FENCE_TO_HANDLE: drmIoctl('DRM_IOCTL_AMDGPU_FENCE_TO_HANDLE', DRM_COMMAND_BASE + 0x14, 'rw', sub.fenceToHandleArgs),
} as const;

export type DrmIoctlName = keyof typeof DRM_IOC;
