// Shared helpers for the OpenCL C corpus kernels. No device libraries are linked, so work-item
// ids come from AMDGPU builtins and the work-group size from the dispatch packet or the COV5
// hidden arguments (offsets: AMDGPUUsage "Code Object V5 Metadata", hidden kernel arguments).
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef int i32;
typedef unsigned long u64;

// hsa_kernel_dispatch_packet_t.workgroup_size_x is the u16 at byte 4 of the AQL packet.
static inline u32 group_size_x_from_packet(void) {
  return ((__constant u16 *)__builtin_amdgcn_dispatch_ptr())[2];
}
static inline u32 group_size_y_from_packet(void) {
  return ((__constant u16 *)__builtin_amdgcn_dispatch_ptr())[3];
}

// Implicit (hidden) arguments, relative to __builtin_amdgcn_implicitarg_ptr():
// block_count_x u32 @0, group_size_x u16 @12, remainder_x u16 @18, grid_dims u16 @64,
// dynamic_lds_size u32 @120.
static inline u32 hidden_u32(u32 byte_offset) {
  return *(__constant u32 *)((__constant u8 *)__builtin_amdgcn_implicitarg_ptr() + byte_offset);
}
static inline u32 hidden_u16(u32 byte_offset) {
  return *(__constant u16 *)((__constant u8 *)__builtin_amdgcn_implicitarg_ptr() + byte_offset);
}
static inline u32 group_size_x_from_hidden(void) { return hidden_u16(12); }
static inline u32 block_count_x_from_hidden(void) { return hidden_u32(0); }

static inline u32 local_id_x(void) { return __builtin_amdgcn_workitem_id_x(); }
static inline u32 local_id_y(void) { return __builtin_amdgcn_workitem_id_y(); }
static inline u32 group_id_x(void) { return __builtin_amdgcn_workgroup_id_x(); }
static inline u32 group_id_y(void) { return __builtin_amdgcn_workgroup_id_y(); }

static inline u32 global_id_x_packet(void) { return group_id_x() * group_size_x_from_packet() + local_id_x(); }
static inline u32 global_id_x_hidden(void) { return group_id_x() * group_size_x_from_hidden() + local_id_x(); }

// barrier() lives in the device libraries; this is its expansion for LDS: release, s_barrier, acquire.
#define LDS_BARRIER()                                    \
  do {                                                   \
    __builtin_amdgcn_fence(__ATOMIC_RELEASE, "workgroup"); \
    __builtin_amdgcn_s_barrier();                        \
    __builtin_amdgcn_fence(__ATOMIC_ACQUIRE, "workgroup"); \
  } while (0)
