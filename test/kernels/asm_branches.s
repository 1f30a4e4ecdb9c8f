// SCC/VCC/EXEC branch corner cases, one work-group of 64 lanes (two waves on gfx1100, one on gfx942).
// out[lane] gets one bit per check that took the expected path (see src/harness/corpus for the
// expected word):
//  bit 0  s_cmp_eq_u32 on workgroup id 0 -> scc1 path
//  bit 1  s_add_u32 carry-out sets SCC (0xffffffff + 1)
//  bit 2  s_cmp_lt_i32 -1 < 0 is true (signed)
//  bit 3  s_cmp_lt_u32 0xffffffff < 0 is false (unsigned): the scc1 branch must not be taken
//  bit 4  s_cbranch_vccz not taken when some lane of the wave has local id < 16 (whole wave gets it)
//  bit 5  s_and_saveexec with vcc: only lanes < 16
//  bit 6/7 if/else on odd/even lanes via saveexec + andn2 exec
//  bits 9-13  a loop running (lane & 7) times under a shrinking exec mask adds 3 per trip
//  bit 16 s_cbranch_vccnz not taken when vcc was cleared by a scalar write
//  bit 17 s_cbranch_execz taken when exec is 0 (the branch skips a write that would set bit 18)
//  bit 31 reached the end
.include "wave.inc"
  .text
  .globl asm_branches
  .p2align 8
  .type asm_branches,@function
asm_branches:
  s_load_dwordx2 s[4:5], s[0:1], 0x0
  v_and_b32 v0, 0x3ff, v0
  v_lshlrev_b32 v1, 2, v0
  v_mov_b32 v2, 0

  s_cmp_eq_u32 s2, 0
  s_cbranch_scc0 .Lafter0
  v_or_b32 v2, 1, v2
.Lafter0:
  s_mov_b32 s6, -1
  s_add_u32 s6, s6, 1
  s_cbranch_scc0 .Lafter1
  v_or_b32 v2, 2, v2
.Lafter1:
  s_mov_b32 s7, -1
  s_cmp_lt_i32 s7, 0
  s_cbranch_scc0 .Lafter2
  v_or_b32 v2, 4, v2
.Lafter2:
  s_cmp_lt_u32 s7, 0
  s_cbranch_scc1 .Lafter3
  v_or_b32 v2, 8, v2
.Lafter3:
  VCMP gt_u32, 16, v0
  s_cbranch_vccz .Lafter4
  v_or_b32 v2, 16, v2
.Lafter4:
  AND_SAVEEXEC_VCC 8, 9
  s_cbranch_execz .Lrestore5
  v_or_b32 v2, 32, v2
.Lrestore5:
  EXEC_RESTORE 8, 9

  v_and_b32 v3, 1, v0
  VCMP eq_u32, 1, v3
  AND_SAVEEXEC_VCC 8, 9
  v_or_b32 v2, 64, v2
  EXEC_ELSE 8, 9
  v_or_b32 v2, 0x80, v2
  EXEC_RESTORE 8, 9

  v_and_b32 v3, 7, v0
  v_mov_b32 v4, 0
  EXEC_SAVE 10, 11
.Lloop:
  VCMP ne_u32, 0, v3
  EXEC_AND_VCC
  s_cbranch_execz .Lloop_done
  VADD v4, 3, v4
  VADD v3, -1, v3
  s_branch .Lloop
.Lloop_done:
  EXEC_RESTORE 10, 11
  v_lshlrev_b32 v4, 9, v4
  v_or_b32 v2, v2, v4

  VCC_CLEAR
  s_cbranch_vccnz .Lafter8
  v_or_b32 v2, 0x10000, v2
.Lafter8:
  EXEC_SAVE 10, 11
  VCMP gt_u32, 0, v0
  EXEC_AND_VCC
  s_cbranch_execz .Lafter9
  v_or_b32 v2, 0x40000, v2
.Lafter9:
  EXEC_RESTORE 10, 11
  v_or_b32 v2, 0x20000, v2

  v_or_b32 v2, 0x80000000, v2
  WAIT_SMEM
  global_store_dword v1, v2, s[4:5]
  s_endpgm
.Lasm_branches_end:
  .size asm_branches, .Lasm_branches_end - asm_branches

KERNEL_DESCRIPTOR asm_branches, 8, 16

.ifdef TARGET_GFX1100
.amdgpu_metadata
---
amdhsa.version: [ 1, 2 ]
amdhsa.target: amdgcn-amd-amdhsa--gfx1100
amdhsa.kernels:
  - .name: asm_branches
    .symbol: asm_branches.kd
    .kernarg_segment_size: 8
    .kernarg_segment_align: 8
    .group_segment_fixed_size: 0
    .private_segment_fixed_size: 0
    .wavefront_size: 32
    .sgpr_count: 16
    .vgpr_count: 8
    .max_flat_workgroup_size: 256
    .args:
      - { .name: out, .offset: 0, .size: 8, .value_kind: global_buffer, .address_space: global }
...
.end_amdgpu_metadata
.endif
.ifdef TARGET_GFX1201
.amdgpu_metadata
---
amdhsa.version: [ 1, 2 ]
amdhsa.target: amdgcn-amd-amdhsa--gfx1201
amdhsa.kernels:
  - .name: asm_branches
    .symbol: asm_branches.kd
    .kernarg_segment_size: 8
    .kernarg_segment_align: 8
    .group_segment_fixed_size: 0
    .private_segment_fixed_size: 0
    .wavefront_size: 32
    .sgpr_count: 16
    .vgpr_count: 8
    .max_flat_workgroup_size: 256
    .args:
      - { .name: out, .offset: 0, .size: 8, .value_kind: global_buffer, .address_space: global }
...
.end_amdgpu_metadata
.endif
.ifdef TARGET_GFX942
.amdgpu_metadata
---
amdhsa.version: [ 1, 2 ]
amdhsa.target: amdgcn-amd-amdhsa--gfx942
amdhsa.kernels:
  - .name: asm_branches
    .symbol: asm_branches.kd
    .kernarg_segment_size: 8
    .kernarg_segment_align: 8
    .group_segment_fixed_size: 0
    .private_segment_fixed_size: 0
    .wavefront_size: 64
    .sgpr_count: 16
    .vgpr_count: 8
    .max_flat_workgroup_size: 256
    .args:
      - { .name: out, .offset: 0, .size: 8, .value_kind: global_buffer, .address_space: global }
...
.end_amdgpu_metadata
.endif
.ifdef TARGET_GFX90A
.amdgpu_metadata
---
amdhsa.version: [ 1, 2 ]
amdhsa.target: amdgcn-amd-amdhsa--gfx90a
amdhsa.kernels:
  - .name: asm_branches
    .symbol: asm_branches.kd
    .kernarg_segment_size: 8
    .kernarg_segment_align: 8
    .group_segment_fixed_size: 0
    .private_segment_fixed_size: 0
    .wavefront_size: 64
    .sgpr_count: 16
    .vgpr_count: 8
    .max_flat_workgroup_size: 256
    .args:
      - { .name: out, .offset: 0, .size: 8, .value_kind: global_buffer, .address_space: global }
...
.end_amdgpu_metadata
.endif
