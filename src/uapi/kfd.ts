// KFD ioctl ABI, include/uapi/linux/kfd_ioctl.h (Linux 6.1 = KFD 1.11 through Linux 6.12 = KFD 1.17).
import { array, struct, type FieldSpec, type StructLayout } from './codec.js';
import { ioc, type IoctlDir } from './ioc.js';

export const KFD_IOCTL_BASE = 0x4b; // 'K'
/** The newest minor version whose layouts this module declares. */
export const KFD_ABI_NEWEST = { major: 1, minor: 17 } as const;
/** The oldest minor version this driver accepts (Linux 6.1). */
export const KFD_ABI_OLDEST = { major: 1, minor: 11 } as const;

export const getVersionArgs = struct('kfd_ioctl_get_version_args', [
  ['major_version', 'u32'],
  ['minor_version', 'u32'],
]);

const createQueueCommon = [
  ['ring_base_address', 'u64'],
  ['write_pointer_address', 'u64'],
  ['read_pointer_address', 'u64'],
  ['doorbell_offset', 'u64'],
  ['ring_size', 'u32'],
  ['gpu_id', 'u32'],
  ['queue_type', 'u32'],
  ['queue_percentage', 'u32'],
  ['queue_priority', 'u32'],
  ['queue_id', 'u32'],
  ['eop_buffer_address', 'u64'],
  ['eop_buffer_size', 'u64'],
  ['ctx_save_restore_address', 'u64'],
  ['ctx_save_restore_size', 'u32'],
  ['ctl_stack_size', 'u32'],
] as const;

/** KFD ≥ 1.17 (Linux 6.12): 96 bytes, with the target SDMA engine. */
export const createQueueArgs = struct('kfd_ioctl_create_queue_args', [
  ...createQueueCommon,
  ['sdma_engine_id', 'u32'],
  ['pad', 'u32'],
] as const);
/** KFD 1.11 … 1.16: 88 bytes. Fields are a prefix of the 1.17 layout. */
export const createQueueArgsPre117 = struct('kfd_ioctl_create_queue_args', createQueueCommon);

export const destroyQueueArgs = struct('kfd_ioctl_destroy_queue_args', [['queue_id', 'u32'], ['pad', 'u32']]);
export const updateQueueArgs = struct('kfd_ioctl_update_queue_args', [
  ['ring_base_address', 'u64'],
  ['queue_id', 'u32'],
  ['ring_size', 'u32'],
  ['queue_percentage', 'u32'],
  ['queue_priority', 'u32'],
]);
export const setCuMaskArgs = struct('kfd_ioctl_set_cu_mask_args', [
  ['queue_id', 'u32'],
  ['num_cu_mask', 'u32'],
  ['cu_mask_ptr', 'u64'],
]);
export const getQueueWaveStateArgs = struct('kfd_ioctl_get_queue_wave_state_args', [
  ['ctl_stack_address', 'u64'],
  ['ctl_stack_used_size', 'u32'],
  ['save_area_used_size', 'u32'],
  ['queue_id', 'u32'],
  ['pad', 'u32'],
]);
export const getAvailableMemoryArgs = struct('kfd_ioctl_get_available_memory_args', [
  ['available', 'u64'],
  ['gpu_id', 'u32'],
  ['pad', 'u32'],
]);
export const setMemoryPolicyArgs = struct('kfd_ioctl_set_memory_policy_args', [
  ['alternate_aperture_base', 'u64'],
  ['alternate_aperture_size', 'u64'],
  ['gpu_id', 'u32'],
  ['default_policy', 'u32'],
  ['alternate_policy', 'u32'],
  ['pad', 'u32'],
]);
export const getClockCountersArgs = struct('kfd_ioctl_get_clock_counters_args', [
  ['gpu_clock_counter', 'u64'],
  ['cpu_clock_counter', 'u64'],
  ['system_clock_counter', 'u64'],
  ['system_clock_freq', 'u64'],
  ['gpu_id', 'u32'],
  ['pad', 'u32'],
]);
export const processDeviceApertures = struct('kfd_process_device_apertures', [
  ['lds_base', 'u64'],
  ['lds_limit', 'u64'],
  ['scratch_base', 'u64'],
  ['scratch_limit', 'u64'],
  ['gpuvm_base', 'u64'],
  ['gpuvm_limit', 'u64'],
  ['gpu_id', 'u32'],
  ['pad', 'u32'],
]);
export const NUM_OF_SUPPORTED_GPUS = 7;
export const getProcessAperturesArgs = struct('kfd_ioctl_get_process_apertures_args', [
  ['process_apertures', array(processDeviceApertures, NUM_OF_SUPPORTED_GPUS)],
  ['num_of_nodes', 'u32'],
  ['pad', 'u32'],
]);
export const getProcessAperturesNewArgs = struct('kfd_ioctl_get_process_apertures_new_args', [
  ['kfd_process_device_apertures_ptr', 'u64'],
  ['num_of_nodes', 'u32'],
  ['pad', 'u32'],
]);
export const dbgRegisterArgs = struct('kfd_ioctl_dbg_register_args', [['gpu_id', 'u32'], ['pad', 'u32']]);
export const dbgUnregisterArgs = struct('kfd_ioctl_dbg_unregister_args', [['gpu_id', 'u32'], ['pad', 'u32']]);
export const dbgAddressWatchArgs = struct('kfd_ioctl_dbg_address_watch_args', [
  ['content_ptr', 'u64'],
  ['gpu_id', 'u32'],
  ['buf_size_in_bytes', 'u32'],
]);
export const dbgWaveControlArgs = struct('kfd_ioctl_dbg_wave_control_args', [
  ['content_ptr', 'u64'],
  ['gpu_id', 'u32'],
  ['buf_size_in_bytes', 'u32'],
]);
export const createEventArgs = struct('kfd_ioctl_create_event_args', [
  ['event_page_offset', 'u64'],
  ['event_trigger_data', 'u32'],
  ['event_type', 'u32'],
  ['auto_reset', 'u32'],
  ['node_id', 'u32'],
  ['event_id', 'u32'],
  ['event_slot_index', 'u32'],
]);
export const destroyEventArgs = struct('kfd_ioctl_destroy_event_args', [['event_id', 'u32'], ['pad', 'u32']]);
export const setEventArgs = struct('kfd_ioctl_set_event_args', [['event_id', 'u32'], ['pad', 'u32']]);
export const resetEventArgs = struct('kfd_ioctl_reset_event_args', [['event_id', 'u32'], ['pad', 'u32']]);

export const memoryExceptionFailure = struct('kfd_memory_exception_failure', [
  ['NotPresent', 'u32'],
  ['ReadOnly', 'u32'],
  ['NoExecute', 'u32'],
  ['imprecise', 'u32'],
]);
export const hsaMemoryExceptionData = struct('kfd_hsa_memory_exception_data', [
  ['failure', memoryExceptionFailure],
  ['va', 'u64'],
  ['gpu_id', 'u32'],
  ['ErrorType', 'u32'],
]);
export const hsaHwExceptionData = struct('kfd_hsa_hw_exception_data', [
  ['reset_type', 'u32'],
  ['reset_cause', 'u32'],
  ['memory_lost', 'u32'],
  ['gpu_id', 'u32'],
]);
/** kfd_hsa_memory_exception_data as both sides of the event page read it (the faulting page, not the byte). */
export interface MemoryException {
  readonly va: bigint;
  readonly gpuId: number;
  readonly notPresent: boolean;
  readonly readOnly: boolean;
  readonly noExecute: boolean;
}
/** kfd_hsa_hw_exception_data, decoded. */
export interface HwException {
  readonly gpuId: number;
  readonly resetType: number;
  readonly resetCause: number;
  readonly memoryLost: boolean;
}
export const hsaSignalEventData = struct('kfd_hsa_signal_event_data', [['last_event_age', 'u64']]);
/**
 * kfd_event_data: a 32-byte union (memory / hw exception / signal data) followed by the extension
 * pointer and the event id. The union members are reached through `unionAt`.
 */
export const eventData = struct('kfd_event_data', [
  ['payload', array('u64', 4)],
  ['kfd_event_data_ext', 'u64'],
  ['event_id', 'u32'],
  ['pad', 'u32'],
]);
export const EVENT_DATA_UNION_OFFSET = 0;
export const waitEventsArgs = struct('kfd_ioctl_wait_events_args', [
  ['events_ptr', 'u64'],
  ['num_events', 'u32'],
  ['wait_for_all', 'u32'],
  ['timeout', 'u32'],
  ['wait_result', 'u32'],
]);
export const setScratchBackingVaArgs = struct('kfd_ioctl_set_scratch_backing_va_args', [
  ['va_addr', 'u64'],
  ['gpu_id', 'u32'],
  ['pad', 'u32'],
]);
export const getTileConfigArgs = struct('kfd_ioctl_get_tile_config_args', [
  ['tile_config_ptr', 'u64'],
  ['macro_tile_config_ptr', 'u64'],
  ['num_tile_configs', 'u32'],
  ['num_macro_tile_configs', 'u32'],
  ['gpu_id', 'u32'],
  ['gb_addr_config', 'u32'],
  ['num_banks', 'u32'],
  ['num_ranks', 'u32'],
]);
export const setTrapHandlerArgs = struct('kfd_ioctl_set_trap_handler_args', [
  ['tba_addr', 'u64'],
  ['tma_addr', 'u64'],
  ['gpu_id', 'u32'],
  ['pad', 'u32'],
]);
export const acquireVmArgs = struct('kfd_ioctl_acquire_vm_args', [['drm_fd', 'u32'], ['gpu_id', 'u32']]);
export const allocMemoryOfGpuArgs = struct('kfd_ioctl_alloc_memory_of_gpu_args', [
  ['va_addr', 'u64'],
  ['size', 'u64'],
  ['handle', 'u64'],
  ['mmap_offset', 'u64'],
  ['gpu_id', 'u32'],
  ['flags', 'u32'],
]);
export const freeMemoryOfGpuArgs = struct('kfd_ioctl_free_memory_of_gpu_args', [['handle', 'u64']]);
export const mapMemoryToGpuArgs = struct('kfd_ioctl_map_memory_to_gpu_args', [
  ['handle', 'u64'],
  ['device_ids_array_ptr', 'u64'],
  ['n_devices', 'u32'],
  ['n_success', 'u32'],
]);
export const unmapMemoryFromGpuArgs = struct('kfd_ioctl_unmap_memory_from_gpu_args', [
  ['handle', 'u64'],
  ['device_ids_array_ptr', 'u64'],
  ['n_devices', 'u32'],
  ['n_success', 'u32'],
]);
export const allocQueueGwsArgs = struct('kfd_ioctl_alloc_queue_gws_args', [
  ['queue_id', 'u32'],
  ['num_gws', 'u32'],
  ['first_gws', 'u32'],
  ['pad', 'u32'],
]);
export const getDmabufInfoArgs = struct('kfd_ioctl_get_dmabuf_info_args', [
  ['size', 'u64'],
  ['metadata_ptr', 'u64'],
  ['metadata_size', 'u32'],
  ['gpu_id', 'u32'],
  ['flags', 'u32'],
  ['dmabuf_fd', 'u32'],
]);
export const importDmabufArgs = struct('kfd_ioctl_import_dmabuf_args', [
  ['va_addr', 'u64'],
  ['handle', 'u64'],
  ['gpu_id', 'u32'],
  ['dmabuf_fd', 'u32'],
]);
export const exportDmabufArgs = struct('kfd_ioctl_export_dmabuf_args', [
  ['handle', 'u64'],
  ['flags', 'u32'],
  ['dmabuf_fd', 'u32'],
]);
export const smiEventsArgs = struct('kfd_ioctl_smi_events_args', [['gpuid', 'u32'], ['anon_fd', 'u32']]);
/** Fixed part; `nattr` kfd_ioctl_svm_attribute entries follow it in the same buffer. */
export const svmArgs = struct('kfd_ioctl_svm_args', [
  ['start_addr', 'u64'],
  ['size', 'u64'],
  ['op', 'u32'],
  ['nattr', 'u32'],
]);
export const svmAttribute = struct('kfd_ioctl_svm_attribute', [['type', 'u32'], ['value', 'u32']]);
export const setXnackModeArgs = struct('kfd_ioctl_set_xnack_mode_args', [['xnack_enabled', 'i32']]);
export const criuArgs = struct('kfd_ioctl_criu_args', [
  ['devices', 'u64'],
  ['bos', 'u64'],
  ['priv_data', 'u64'],
  ['priv_data_size', 'u64'],
  ['num_devices', 'u32'],
  ['num_bos', 'u32'],
  ['num_objects', 'u32'],
  ['pid', 'u32'],
  ['op', 'u32'],
]);
export const runtimeInfo = struct('kfd_runtime_info', [
  ['r_debug', 'u64'],
  ['runtime_state', 'u32'],
  ['ttmp_setup', 'u32'],
]);
export const runtimeEnableArgs = struct('kfd_ioctl_runtime_enable_args', [
  ['r_debug', 'u64'],
  ['mode_mask', 'u32'],
  ['capabilities_mask', 'u32'],
]);
/** The anonymous `wave_state` member of kfd_context_save_area_header. */
export const contextSaveAreaWaveState = struct('kfd_context_save_area_header.wave_state', [
  ['control_stack_offset', 'u32'],
  ['control_stack_size', 'u32'],
  ['wave_state_offset', 'u32'],
  ['wave_state_size', 'u32'],
]);
export const contextSaveAreaHeader = struct('kfd_context_save_area_header', [
  ['wave_state', contextSaveAreaWaveState],
  ['debug_offset', 'u32'],
  ['debug_size', 'u32'],
  ['err_payload_addr', 'u64'],
  ['err_event_id', 'u32'],
  ['reserved1', 'u32'],
]);
/**
 * kfd_ioctl_dbg_trap_args: pid, op, then a union of per-operation argument blocks (largest 24 bytes,
 * 8-byte aligned). The union is carried as raw bytes; the operation layouts are declared below.
 */
export const dbgTrapArgs = struct('kfd_ioctl_dbg_trap_args', [
  ['pid', 'u32'],
  ['op', 'u32'],
  ['data', array('u64', 3)],
]);
export const dbgTrapEnableArgs = struct('kfd_ioctl_dbg_trap_enable_args', [
  ['exception_mask', 'u64'],
  ['rinfo_ptr', 'u64'],
  ['rinfo_size', 'u32'],
  ['dbg_fd', 'u32'],
]);
export const dbgTrapSuspendQueuesArgs = struct('kfd_ioctl_dbg_trap_suspend_queues_args', [
  ['exception_mask', 'u64'],
  ['queue_array_ptr', 'u64'],
  ['num_queues', 'u32'],
  ['grace_period', 'u32'],
]);
export const dbgTrapQueryExceptionInfoArgs = struct('kfd_ioctl_dbg_trap_query_exception_info_args', [
  ['info_ptr', 'u64'],
  ['info_size', 'u32'],
  ['source_id', 'u32'],
  ['exception_code', 'u32'],
  ['clear_exception', 'u32'],
]);

export interface KfdIoctl<F extends readonly FieldSpec[] = readonly FieldSpec[]> {
  readonly name: string;
  readonly nr: number;
  readonly dir: IoctlDir;
  readonly args: StructLayout<F>;
  /** Request number, as `AMDKFD_IO*` computes it. */
  readonly request: number;
  /** First KFD minor version that has it (1.x); 0 where it predates 1.11. */
  readonly since: number;
}

function kfdIoctl<F extends readonly FieldSpec[]>(name: string, nr: number, dir: IoctlDir, args: StructLayout<F>, since = 0): KfdIoctl<F> {
  return { name, nr, dir, args, request: ioc(dir, KFD_IOCTL_BASE, nr, args.size), since };
}

// Command numbers and directions: the AMDKFD_IOC_* block at the end of kfd_ioctl.h.
export const KFD_IOC = {
  GET_VERSION: kfdIoctl('AMDKFD_IOC_GET_VERSION', 0x01, 'r', getVersionArgs),
  CREATE_QUEUE: kfdIoctl('AMDKFD_IOC_CREATE_QUEUE', 0x02, 'rw', createQueueArgs, 17),
  CREATE_QUEUE_PRE_1_17: kfdIoctl('AMDKFD_IOC_CREATE_QUEUE', 0x02, 'rw', createQueueArgsPre117),
  DESTROY_QUEUE: kfdIoctl('AMDKFD_IOC_DESTROY_QUEUE', 0x03, 'rw', destroyQueueArgs),
  SET_MEMORY_POLICY: kfdIoctl('AMDKFD_IOC_SET_MEMORY_POLICY', 0x04, 'w', setMemoryPolicyArgs),
  GET_CLOCK_COUNTERS: kfdIoctl('AMDKFD_IOC_GET_CLOCK_COUNTERS', 0x05, 'rw', getClockCountersArgs),
  GET_PROCESS_APERTURES: kfdIoctl('AMDKFD_IOC_GET_PROCESS_APERTURES', 0x06, 'r', getProcessAperturesArgs),
  UPDATE_QUEUE: kfdIoctl('AMDKFD_IOC_UPDATE_QUEUE', 0x07, 'w', updateQueueArgs),
  CREATE_EVENT: kfdIoctl('AMDKFD_IOC_CREATE_EVENT', 0x08, 'rw', createEventArgs),
  DESTROY_EVENT: kfdIoctl('AMDKFD_IOC_DESTROY_EVENT', 0x09, 'w', destroyEventArgs),
  SET_EVENT: kfdIoctl('AMDKFD_IOC_SET_EVENT', 0x0a, 'w', setEventArgs),
  RESET_EVENT: kfdIoctl('AMDKFD_IOC_RESET_EVENT', 0x0b, 'w', resetEventArgs),
  WAIT_EVENTS: kfdIoctl('AMDKFD_IOC_WAIT_EVENTS', 0x0c, 'rw', waitEventsArgs),
  DBG_REGISTER_DEPRECATED: kfdIoctl('AMDKFD_IOC_DBG_REGISTER_DEPRECATED', 0x0d, 'w', dbgRegisterArgs),
  DBG_UNREGISTER_DEPRECATED: kfdIoctl('AMDKFD_IOC_DBG_UNREGISTER_DEPRECATED', 0x0e, 'w', dbgUnregisterArgs),
  DBG_ADDRESS_WATCH_DEPRECATED: kfdIoctl('AMDKFD_IOC_DBG_ADDRESS_WATCH_DEPRECATED', 0x0f, 'w', dbgAddressWatchArgs),
  DBG_WAVE_CONTROL_DEPRECATED: kfdIoctl('AMDKFD_IOC_DBG_WAVE_CONTROL_DEPRECATED', 0x10, 'w', dbgWaveControlArgs),
  SET_SCRATCH_BACKING_VA: kfdIoctl('AMDKFD_IOC_SET_SCRATCH_BACKING_VA', 0x11, 'rw', setScratchBackingVaArgs),
  GET_TILE_CONFIG: kfdIoctl('AMDKFD_IOC_GET_TILE_CONFIG', 0x12, 'rw', getTileConfigArgs),
  SET_TRAP_HANDLER: kfdIoctl('AMDKFD_IOC_SET_TRAP_HANDLER', 0x13, 'w', setTrapHandlerArgs),
  GET_PROCESS_APERTURES_NEW: kfdIoctl('AMDKFD_IOC_GET_PROCESS_APERTURES_NEW', 0x14, 'rw', getProcessAperturesNewArgs),
  ACQUIRE_VM: kfdIoctl('AMDKFD_IOC_ACQUIRE_VM', 0x15, 'w', acquireVmArgs),
  ALLOC_MEMORY_OF_GPU: kfdIoctl('AMDKFD_IOC_ALLOC_MEMORY_OF_GPU', 0x16, 'rw', allocMemoryOfGpuArgs),
  FREE_MEMORY_OF_GPU: kfdIoctl('AMDKFD_IOC_FREE_MEMORY_OF_GPU', 0x17, 'w', freeMemoryOfGpuArgs),
  MAP_MEMORY_TO_GPU: kfdIoctl('AMDKFD_IOC_MAP_MEMORY_TO_GPU', 0x18, 'rw', mapMemoryToGpuArgs),
  UNMAP_MEMORY_FROM_GPU: kfdIoctl('AMDKFD_IOC_UNMAP_MEMORY_FROM_GPU', 0x19, 'rw', unmapMemoryFromGpuArgs),
  SET_CU_MASK: kfdIoctl('AMDKFD_IOC_SET_CU_MASK', 0x1a, 'w', setCuMaskArgs),
  GET_QUEUE_WAVE_STATE: kfdIoctl('AMDKFD_IOC_GET_QUEUE_WAVE_STATE', 0x1b, 'rw', getQueueWaveStateArgs),
  GET_DMABUF_INFO: kfdIoctl('AMDKFD_IOC_GET_DMABUF_INFO', 0x1c, 'rw', getDmabufInfoArgs),
  IMPORT_DMABUF: kfdIoctl('AMDKFD_IOC_IMPORT_DMABUF', 0x1d, 'rw', importDmabufArgs),
  ALLOC_QUEUE_GWS: kfdIoctl('AMDKFD_IOC_ALLOC_QUEUE_GWS', 0x1e, 'rw', allocQueueGwsArgs),
  SMI_EVENTS: kfdIoctl('AMDKFD_IOC_SMI_EVENTS', 0x1f, 'rw', smiEventsArgs),
  SVM: kfdIoctl('AMDKFD_IOC_SVM', 0x20, 'rw', svmArgs),
  SET_XNACK_MODE: kfdIoctl('AMDKFD_IOC_SET_XNACK_MODE', 0x21, 'rw', setXnackModeArgs),
  CRIU_OP: kfdIoctl('AMDKFD_IOC_CRIU_OP', 0x22, 'rw', criuArgs),
  AVAILABLE_MEMORY: kfdIoctl('AMDKFD_IOC_AVAILABLE_MEMORY', 0x23, 'rw', getAvailableMemoryArgs),
  EXPORT_DMABUF: kfdIoctl('AMDKFD_IOC_EXPORT_DMABUF', 0x24, 'rw', exportDmabufArgs, 12),
  RUNTIME_ENABLE: kfdIoctl('AMDKFD_IOC_RUNTIME_ENABLE', 0x25, 'rw', runtimeEnableArgs, 13),
  DBG_TRAP: kfdIoctl('AMDKFD_IOC_DBG_TRAP', 0x26, 'rw', dbgTrapArgs, 13),
} as const;

export type KfdIoctlName = keyof typeof KFD_IOC;

/** The CREATE_QUEUE variant the running kernel expects, from AMDKFD_IOC_GET_VERSION. */
export function createQueueIoctlFor(minor: number): KfdIoctl<typeof createQueueArgs extends StructLayout<infer F> ? F : never> | KfdIoctl<typeof createQueueArgsPre117 extends StructLayout<infer F> ? F : never> {
  return minor >= 17 ? KFD_IOC.CREATE_QUEUE : KFD_IOC.CREATE_QUEUE_PRE_1_17;
}

/** Name of a KFD request number (either create_queue size), for error messages and traces. */
export function kfdIoctlName(request: number): string | undefined {
  for (const d of Object.values(KFD_IOC)) if (d.request === request) return d.name;
  return undefined;
}

// Queue types, priorities and sizes (kfd_ioctl.h).
export const KFD_IOC_QUEUE_TYPE = { COMPUTE: 0, SDMA: 1, COMPUTE_AQL: 2, SDMA_XGMI: 3, SDMA_BY_ENG_ID: 4 } as const;
export const KFD_MAX_QUEUE_PERCENTAGE = 100;
export const KFD_MAX_QUEUE_PRIORITY = 15;
export const KFD_MIN_QUEUE_RING_SIZE = 1024;

export const KFD_IOC_CACHE_POLICY = { COHERENT: 0, NONCOHERENT: 1 } as const;

export const KFD_IOC_EVENT = {
  SIGNAL: 0,
  NODECHANGE: 1,
  DEVICESTATECHANGE: 2,
  HW_EXCEPTION: 3,
  SYSTEM_EVENT: 4,
  DEBUG_EVENT: 5,
  PROFILE_EVENT: 6,
  QUEUE_EVENT: 7,
  MEMORY: 8,
} as const;
export const KFD_IOC_WAIT_RESULT = { COMPLETE: 0, TIMEOUT: 1, FAIL: 2 } as const;
export const KFD_SIGNAL_EVENT_LIMIT = 4096;
export const KFD_HW_EXCEPTION = { WHOLE_GPU_RESET: 0, PER_ENGINE_RESET: 1, GPU_HANG: 0, ECC: 1 } as const;
export const KFD_MEM_ERR = { NO_RAS: 0, SRAM_ECC: 1, POISON_CONSUMED: 2, GPU_HANG: 3 } as const;

export const KFD_IOC_ALLOC_MEM_FLAGS = {
  VRAM: 1 << 0,
  GTT: 1 << 1,
  USERPTR: 1 << 2,
  DOORBELL: 1 << 3,
  MMIO_REMAP: 1 << 4,
  WRITABLE: 2 ** 31,
  EXECUTABLE: 1 << 30,
  PUBLIC: 1 << 29,
  NO_SUBSTITUTE: 1 << 28,
  AQL_QUEUE_MEM: 1 << 27,
  COHERENT: 1 << 26,
  UNCACHED: 1 << 25,
  EXT_COHERENT: 1 << 24,
  CONTIGUOUS: 1 << 23,
} as const;

export const KFD_MMIO_REMAP = { HDP_MEM_FLUSH_CNTL: 0, HDP_REG_FLUSH_CNTL: 4 } as const;

export const KFD_RUNTIME_ENABLE_MODE = { ENABLE_MASK: 1, TTMP_SAVE_MASK: 2 } as const;

// enum kfd_dbg_trap_exception_code
export const KFD_EC = {
  NONE: 0,
  QUEUE_WAVE_ABORT: 1,
  QUEUE_WAVE_TRAP: 2,
  QUEUE_WAVE_MATH_ERROR: 3,
  QUEUE_WAVE_ILLEGAL_INSTRUCTION: 4,
  QUEUE_WAVE_MEMORY_VIOLATION: 5,
  QUEUE_WAVE_APERTURE_VIOLATION: 6,
  QUEUE_PACKET_DISPATCH_DIM_INVALID: 16,
  QUEUE_PACKET_DISPATCH_GROUP_SEGMENT_SIZE_INVALID: 17,
  QUEUE_PACKET_DISPATCH_CODE_INVALID: 18,
  QUEUE_PACKET_RESERVED: 19,
  QUEUE_PACKET_UNSUPPORTED: 20,
  QUEUE_PACKET_DISPATCH_WORK_GROUP_SIZE_INVALID: 21,
  QUEUE_PACKET_DISPATCH_REGISTER_INVALID: 22,
  QUEUE_PACKET_VENDOR_UNSUPPORTED: 23,
  QUEUE_PREEMPTION_ERROR: 30,
  QUEUE_NEW: 31,
  DEVICE_QUEUE_DELETE: 32,
  DEVICE_MEMORY_VIOLATION: 33,
  DEVICE_RAS_ERROR: 34,
  DEVICE_FATAL_HALT: 35,
  DEVICE_NEW: 36,
  PROCESS_RUNTIME: 48,
  PROCESS_DEVICE_REMOVE: 49,
} as const;
export function kfdEcMask(code: number): bigint {
  return 1n << BigInt(code - 1);
}

// enum kfd_dbg_trap_operations
export const KFD_IOC_DBG_TRAP = {
  ENABLE: 0,
  DISABLE: 1,
  SEND_RUNTIME_EVENT: 2,
  SET_EXCEPTIONS_ENABLED: 3,
  SET_WAVE_LAUNCH_OVERRIDE: 4,
  SET_WAVE_LAUNCH_MODE: 5,
  SUSPEND_QUEUES: 6,
  RESUME_QUEUES: 7,
  SET_NODE_ADDRESS_WATCH: 8,
  CLEAR_NODE_ADDRESS_WATCH: 9,
  SET_FLAGS: 10,
  QUERY_DEBUG_EVENT: 11,
  QUERY_EXCEPTION_INFO: 12,
  GET_QUEUE_SNAPSHOT: 13,
  GET_DEVICE_SNAPSHOT: 14,
} as const;

/**
 * Where the kernel hands out mmap offsets on /dev/kfd (kfd_priv.h KFD_MMAP_TYPE_*): the type lives in
 * bits 62-63 of the offset, the gpu_id in bits 46-61.
 */
export const KFD_MMAP = {
  TYPE_SHIFT: 62n,
  TYPE_DOORBELL: 3n << 62n,
  TYPE_EVENTS: 2n << 62n,
  TYPE_RESERVED_MEM: 1n << 62n,
  TYPE_MMIO: 0n << 62n,
  GPU_ID_SHIFT: 46n,
  GPU_ID_MASK: ((1n << 16n) - 1n) << 46n,
} as const;

/** Bytes of one event slot in the event page (kfd_events.c: uint64_t per slot). */
export const KFD_EVENT_SLOT_BYTES = 8;
/** Size of the event page KFD expects from the runtime (KFD_SIGNAL_EVENT_LIMIT slots). */
export const KFD_EVENT_PAGE_BYTES = KFD_SIGNAL_EVENT_LIMIT * KFD_EVENT_SLOT_BYTES;
