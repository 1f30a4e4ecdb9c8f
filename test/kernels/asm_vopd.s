// VOPD (RDNA3/RDNA4 dual issue, RDNA3 ISA guide §7.6): one instruction, two operations that read
// their sources before either writes. CDNA has no VOPD: on gfx942/gfx90a the same values come from
// the single operations in an order (and through a temporary) that gives the same result. Per lane L, with
// a = f32(L), b = f32(3L + 1), c = 5L + 7, d = 3L + 1 and VCC = the odd lanes, out has 22 dwords:
//  [0] a*b  [1] b+a  [2] a-b (sub)  [3] a-b (subrev)  [4] max(a,b)  [5] min(b,a)
//  [6] fmac: a*b + 1.0  [7] c (mov)  [8] fmaak: a*b + 3.0  [9] c + d  [10] fmamk: a*0.5 + b
//  [11] c << 3  [12] cndmask: odd ? b : a  [13] c & d  [14] mul_dx9_zero a*b  [15] b*a
//  [16] 2.0 + a  [17] cndmask: odd ? d : c
//  [18] c (X: mov v28 <- c)  [19] 100 + d (Y reads v28 before X writes it)
//  [20] L, [21] 7: two moves swapping v30 (7) and v31 (L)
// The CPU reference is vopdWords in src/harness/corpus/handwritten.ts.
.include "wave.inc"
  .text
  .globl asm_vopd
  .p2align 8
  .type asm_vopd,@function
asm_vopd:
  s_load_dwordx2 s[4:5], s[0:1], 0x0
  v_and_b32 v0, 0x3ff, v0
  s_lshl_b32 s6, s2, 6
  VADD v0, s6, v0
  v_cvt_f32_u32 v1, v0
  v_mad_u32_u24 v4, v0, 3, 1
  v_cvt_f32_u32 v2, v4
  v_mad_u32_u24 v3, v0, 5, 7
  v_and_b32 v5, 1, v0
  VCMP ne_u32, 0, v5
  v_mov_b32 v16, 1.0
  v_mov_b32 v28, 100
  v_mov_b32 v30, 7
  v_mov_b32 v31, v0
  v_mul_u32_u24 v40, 88, v0
  .macro SINGLE_OPS fmaak, fmamk
    v_mul_f32 v10, v1, v2
    v_add_f32 v11, v2, v1
    v_sub_f32 v12, v1, v2
    v_subrev_f32 v13, v2, v1
    v_max_f32 v14, v1, v2
    v_min_f32 v15, v2, v1
    v_fmac_f32 v16, v1, v2
    v_mov_b32 v17, v3
    \fmaak v18, v1, v2, 0x40400000
    v_add_u32 v19, v3, v4
    \fmamk v20, v1, 0x3f000000, v2
    v_lshlrev_b32 v21, 3, v3
    v_cndmask_b32 v22, v1, v2, vcc
    v_and_b32 v23, v3, v4
    v_mul_legacy_f32 v24, v1, v2
    v_mul_f32 v25, v2, v1
    v_add_f32 v26, 2.0, v1
    v_cndmask_b32 v27, v3, v4, vcc
    v_add_u32 v29, v28, v4
    v_mov_b32 v28, v3
    v_mov_b32 v32, v30
    v_mov_b32 v30, v31
    v_mov_b32 v31, v32
  .endm
.ifdef TARGET_GFX942
  SINGLE_OPS v_fmaak_f32, v_fmamk_f32
.else
.ifdef TARGET_GFX90A
  SINGLE_OPS v_madak_f32, v_madmk_f32
.else
  v_dual_mul_f32 v10, v1, v2 :: v_dual_add_f32 v11, v2, v1
  v_dual_sub_f32 v12, v1, v2 :: v_dual_subrev_f32 v13, v2, v1
.ifdef TARGET_GFX1201
  v_dual_max_num_f32 v14, v1, v2 :: v_dual_min_num_f32 v15, v2, v1
.else
  v_dual_max_f32 v14, v1, v2 :: v_dual_min_f32 v15, v2, v1
.endif
  v_dual_fmac_f32 v16, v1, v2 :: v_dual_mov_b32 v17, v3
  v_dual_fmaak_f32 v18, v1, v2, 0x40400000 :: v_dual_add_nc_u32 v19, v3, v4
  v_dual_fmamk_f32 v20, v1, 0x3f000000, v2 :: v_dual_lshlrev_b32 v21, 3, v3
  v_dual_cndmask_b32 v22, v1, v2 :: v_dual_and_b32 v23, v3, v4
  v_dual_mul_dx9_zero_f32 v24, v1, v2 :: v_dual_mul_f32 v25, v2, v1
  v_dual_add_f32 v26, 2.0, v1 :: v_dual_cndmask_b32 v27, v3, v4
  v_dual_mov_b32 v28, v3 :: v_dual_add_nc_u32 v29, v28, v4
  v_dual_mov_b32 v30, v31 :: v_dual_mov_b32 v31, v30
.endif
.endif
  WAIT_SMEM
  .irp i, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
    global_store_dword v40, v\i, s[4:5] offset:(\i - 10) * 4
  .endr
  s_endpgm
.Lasm_vopd_end:
  .size asm_vopd, .Lasm_vopd_end - asm_vopd

KERNEL_DESCRIPTOR asm_vopd, 41, 16

.ifdef TARGET_GFX1100
.amdgpu_metadata
---
amdhsa.version: [ 1, 2 ]
amdhsa.target: amdgcn-amd-amdhsa--gfx1100
amdhsa.kernels:
  - .name: asm_vopd
    .symbol: asm_vopd.kd
    .kernarg_segment_size: 8
    .kernarg_segment_align: 8
    .group_segment_fixed_size: 0
    .private_segment_fixed_size: 0
    .wavefront_size: 32
    .sgpr_count: 16
    .vgpr_count: 41
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
  - .name: asm_vopd
    .symbol: asm_vopd.kd
    .kernarg_segment_size: 8
    .kernarg_segment_align: 8
    .group_segment_fixed_size: 0
    .private_segment_fixed_size: 0
    .wavefront_size: 32
    .sgpr_count: 16
    .vgpr_count: 41
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
  - .name: asm_vopd
    .symbol: asm_vopd.kd
    .kernarg_segment_size: 8
    .kernarg_segment_align: 8
    .group_segment_fixed_size: 0
    .private_segment_fixed_size: 0
    .wavefront_size: 64
    .sgpr_count: 16
    .vgpr_count: 41
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
  - .name: asm_vopd
    .symbol: asm_vopd.kd
    .kernarg_segment_size: 8
    .kernarg_segment_align: 8
    .group_segment_fixed_size: 0
    .private_segment_fixed_size: 0
    .wavefront_size: 64
    .sgpr_count: 16
    .vgpr_count: 41
    .max_flat_workgroup_size: 256
    .args:
      - { .name: out, .offset: 0, .size: 8, .value_kind: global_buffer, .address_space: global }
...
.end_amdgpu_metadata
.endif
