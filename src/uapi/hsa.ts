// HSA/AMD in-memory ABI shared by the CPU and the GPU's packet processor:
// AQL packets (hsa/hsa.h), amd_queue_t (hsa/amd_hsa_queue.h), amd_signal_t (hsa/amd_hsa_signal.h)
// and the kernel descriptor (llvm/Support/AMDHSAKernelDescriptor.h).
import { array, struct } from './codec.js';

export const AQL_PACKET_BYTES = 64;

// hsa_packet_type_t
export const HSA_PACKET_TYPE = {
  VENDOR_SPECIFIC: 0,
  INVALID: 1,
  KERNEL_DISPATCH: 2,
  BARRIER_AND: 3,
  AGENT_DISPATCH: 4,
  BARRIER_OR: 5,
} as const;
// hsa_packet_header_t bit offsets and hsa_fence_scope_t
export const HSA_PACKET_HEADER = { TYPE: 0, BARRIER: 8, SCACQUIRE_FENCE_SCOPE: 9, SCRELEASE_FENCE_SCOPE: 11 } as const;
export const HSA_FENCE_SCOPE = { NONE: 0, AGENT: 1, SYSTEM: 2 } as const;
// hsa_kernel_dispatch_packet_setup_t: dimensions in bits 0-1
export const HSA_KERNEL_DISPATCH_PACKET_SETUP_DIMENSIONS = 0;

export const kernelDispatchPacket = struct('hsa_kernel_dispatch_packet_t', [
  ['header', 'u16'],
  ['setup', 'u16'],
  ['workgroup_size_x', 'u16'],
  ['workgroup_size_y', 'u16'],
  ['workgroup_size_z', 'u16'],
  ['reserved0', 'u16'],
  ['grid_size_x', 'u32'],
  ['grid_size_y', 'u32'],
  ['grid_size_z', 'u32'],
  ['private_segment_size', 'u32'],
  ['group_segment_size', 'u32'],
  ['kernel_object', 'u64'],
  ['kernarg_address', 'u64'],
  ['reserved2', 'u64'],
  ['completion_signal', 'u64'],
]);

/** hsa_barrier_and_packet_t and hsa_barrier_or_packet_t share this layout. */
export const barrierPacket = struct('hsa_barrier_and_packet_t', [
  ['header', 'u16'],
  ['reserved0', 'u16'],
  ['reserved1', 'u32'],
  ['dep_signal', array('u64', 5)],
  ['reserved2', 'u64'],
  ['completion_signal', 'u64'],
]);

export const agentDispatchPacket = struct('hsa_agent_dispatch_packet_t', [
  ['header', 'u16'],
  ['type', 'u16'],
  ['reserved0', 'u32'],
  ['return_address', 'u64'],
  ['arg', array('u64', 4)],
  ['reserved2', 'u64'],
  ['completion_signal', 'u64'],
]);

export const hsaQueue = struct('hsa_queue_t', [
  ['type', 'u32'],
  ['features', 'u32'],
  ['base_address', 'u64'],
  ['doorbell_signal', 'u64'],
  ['size', 'u32'],
  ['reserved1', 'u32'],
  ['id', 'u64'],
]);

export const amdQueue = struct('amd_queue_t', [
  ['hsa_queue', hsaQueue],
  ['reserved1', array('u32', 4)],
  ['write_dispatch_id', 'u64'],
  ['group_segment_aperture_base_hi', 'u32'],
  ['private_segment_aperture_base_hi', 'u32'],
  ['max_cu_id', 'u32'],
  ['max_wave_id', 'u32'],
  ['max_legacy_doorbell_dispatch_id_plus_1', 'u64'],
  ['legacy_doorbell_lock', 'u32'],
  ['reserved2', array('u32', 9)],
  ['read_dispatch_id', 'u64'],
  ['read_dispatch_id_field_base_byte_offset', 'u32'],
  ['compute_tmpring_size', 'u32'],
  ['scratch_resource_descriptor', array('u32', 4)],
  ['scratch_backing_memory_location', 'u64'],
  ['scratch_backing_memory_byte_size', 'u64'],
  ['scratch_wave64_lane_byte_size', 'u32'],
  ['queue_properties', 'u32'],
  ['reserved3', array('u32', 2)],
  ['queue_inactive_signal', 'u64'],
  ['reserved4', array('u32', 14)],
]);
// amd_queue_properties_t bits
export const AMD_QUEUE_PROPERTIES = {
  ENABLE_TRAP_HANDLER: 1 << 0,
  IS_PTR64: 1 << 1,
  ENABLE_TRAP_HANDLER_DEBUG_SGPRS: 1 << 2,
  ENABLE_PROFILING: 1 << 3,
  USE_SCRATCH_ONCE: 1 << 4,
} as const;

export const amdSignal = struct('amd_signal_t', [
  ['kind', 'i64'],
  ['value', 'i64'],
  ['event_mailbox_ptr', 'u64'],
  ['event_id', 'u32'],
  ['reserved1', 'u32'],
  ['start_ts', 'u64'],
  ['end_ts', 'u64'],
  ['queue_ptr', 'u64'],
  ['reserved3', array('u32', 2)],
]);
export const AMD_SIGNAL_BYTES = 64;
// amd_signal_kind_t
export const AMD_SIGNAL_KIND = { INVALID: 0, USER: 1, DOORBELL: -1, LEGACY_DOORBELL: -2 } as const;

export const kernelDescriptor = struct('kernel_descriptor_t', [
  ['group_segment_fixed_size', 'u32'],
  ['private_segment_fixed_size', 'u32'],
  ['kernarg_size', 'u32'],
  ['reserved0', array('u8', 4)],
  ['kernel_code_entry_byte_offset', 'i64'],
  ['reserved1', array('u8', 20)],
  ['compute_pgm_rsrc3', 'u32'],
  ['compute_pgm_rsrc1', 'u32'],
  ['compute_pgm_rsrc2', 'u32'],
  ['kernel_code_properties', 'u16'],
  ['kernarg_preload', 'u16'],
  ['reserved3', array('u8', 4)],
]);
export const KERNEL_DESCRIPTOR_BYTES = 64;
