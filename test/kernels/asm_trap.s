// Trap and halt. Kernargs: out (u32 buffer of 2*64 words) at 0, mode (u32) at 8.
// Every lane first stores 0x11110000|lane to out[lane] and waits for the store. Then:
//  mode 0: stores 0x22220000|lane to out[64+lane] and ends normally;
//  mode 1: s_trap 2 (the trap id llvm.trap uses, AMDGPUUsage "Trap Handler ABI"): the wave enters
//          the trap handler; the second store after it must not become visible;
//  mode 2: s_sethalt 1: the wave halts and the dispatch never completes (use with a timeout).
.include "wave.inc"
  .text
  .globl asm_trap
  .p2align 8
  .type asm_trap,@function
asm_trap:
  s_load_dwordx2 s[4:5], s[0:1], 0x0
  s_load_dword s6, s[0:1], 0x8
  v_and_b32 v0, 0x3ff, v0
  v_lshlrev_b32 v1, 2, v0
  v_or_b32 v2, 0x11110000, v0
  v_or_b32 v3, 0x22220000, v0
  WAIT_SMEM
  global_store_dword v1, v2, s[4:5]
  WAIT_STORES
  s_cmp_eq_u32 s6, 1
  s_cbranch_scc1 .Ltrap
  s_cmp_eq_u32 s6, 2
  s_cbranch_scc1 .Lhalt
  s_branch .Lsecond_store
.Ltrap:
  s_trap 2
  s_branch .Lsecond_store
.Lhalt:
  s_sethalt 1
.Lsecond_store:
  global_store_dword v1, v3, s[4:5] offset:256
  s_endpgm
.Lasm_trap_end:
  .size asm_trap, .Lasm_trap_end - asm_trap

KERNEL_DESCRIPTOR asm_trap, 4, 8

.ifdef TARGET_GFX1100
.amdgpu_metadata
---
amdhsa.version: [ 1, 2 ]
amdhsa.target: amdgcn-amd-amdhsa--gfx1100
amdhsa.kernels:
  - .name: asm_trap
    .symbol: asm_trap.kd
    .kernarg_segment_size: 12
    .kernarg_segment_align: 8
    .group_segment_fixed_size: 0
    .private_segment_fixed_size: 0
    .wavefront_size: 32
    .sgpr_count: 8
    .vgpr_count: 4
    .max_flat_workgroup_size: 256
    .args:
      - { .name: out, .offset: 0, .size: 8, .value_kind: global_buffer, .address_space: global }
      - { .name: mode, .offset: 8, .size: 4, .value_kind: by_value }
...
.end_amdgpu_metadata
.endif
.ifdef TARGET_GFX1201
.amdgpu_metadata
---
amdhsa.version: [ 1, 2 ]
amdhsa.target: amdgcn-amd-amdhsa--gfx1201
amdhsa.kernels:
  - .name: asm_trap
    .symbol: asm_trap.kd
    .kernarg_segment_size: 12
    .kernarg_segment_align: 8
    .group_segment_fixed_size: 0
    .private_segment_fixed_size: 0
    .wavefront_size: 32
    .sgpr_count: 8
    .vgpr_count: 4
    .max_flat_workgroup_size: 256
    .args:
      - { .name: out, .offset: 0, .size: 8, .value_kind: global_buffer, .address_space: global }
      - { .name: mode, .offset: 8, .size: 4, .value_kind: by_value }
...
.end_amdgpu_metadata
.endif
.ifdef TARGET_GFX942
.amdgpu_metadata
---
amdhsa.version: [ 1, 2 ]
amdhsa.target: amdgcn-amd-amdhsa--gfx942
amdhsa.kernels:
  - .name: asm_trap
    .symbol: asm_trap.kd
    .kernarg_segment_size: 12
    .kernarg_segment_align: 8
    .group_segment_fixed_size: 0
    .private_segment_fixed_size: 0
    .wavefront_size: 64
    .sgpr_count: 8
    .vgpr_count: 4
    .max_flat_workgroup_size: 256
    .args:
      - { .name: out, .offset: 0, .size: 8, .value_kind: global_buffer, .address_space: global }
      - { .name: mode, .offset: 8, .size: 4, .value_kind: by_value }
...
.end_amdgpu_metadata
.endif
.ifdef TARGET_GFX90A
.amdgpu_metadata
---
amdhsa.version: [ 1, 2 ]
amdhsa.target: amdgcn-amd-amdhsa--gfx90a
amdhsa.kernels:
  - .name: asm_trap
    .symbol: asm_trap.kd
    .kernarg_segment_size: 12
    .kernarg_segment_align: 8
    .group_segment_fixed_size: 0
    .private_segment_fixed_size: 0
    .wavefront_size: 64
    .sgpr_count: 8
    .vgpr_count: 4
    .max_flat_workgroup_size: 256
    .args:
      - { .name: out, .offset: 0, .size: 8, .value_kind: global_buffer, .address_space: global }
      - { .name: mode, .offset: 8, .size: 4, .value_kind: by_value }
...
.end_amdgpu_metadata
.endif
