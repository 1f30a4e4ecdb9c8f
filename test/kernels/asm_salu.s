// SALU corner cases: 54 scalar operations on pairs of operands from a scalar LCG, 16 rounds; each
// stores its 32-bit result (compares: 0) and SCC as two dwords. Round r's pair (a, b): a = the LCG value,
// b = (a >> 7) ^ a, except b = a when r % 4 == 0, b & 63 when r % 4 == 1, a + 1 when r % 4 == 2.
// The CPU reference (src/harness/corpus/salu-reference.ts) lists the same operations in the same order.
// Generated with the list there in mind; the block compiler inlines most of these (compile/salu-inline.ts).
.include "wave.inc"
  .text
  .globl asm_salu
  .p2align 8
  .type asm_salu,@function
asm_salu:
  s_load_dwordx2 s[4:5], s[0:1], 0x0
  v_mov_b32 v1, 0
  s_mov_b32 s20, 0x9e3779b9
  s_mov_b32 s21, 0
  WAIT_SMEM
.Lround:
  s_mul_i32 s20, s20, 0x41c64e6d
  s_add_u32 s20, s20, 0x3039
  s_mov_b32 s6, s20
  s_lshr_b32 s23, s20, 7
  s_xor_b32 s7, s23, s20
  s_and_b32 s24, s21, 3
  s_and_b32 s25, s7, 63
  s_add_u32 s26, s6, 1
  s_cmp_eq_u32 s24, 0
  s_cselect_b32 s7, s6, s7
  s_cmp_eq_u32 s24, 1
  s_cselect_b32 s7, s25, s7
  s_cmp_eq_u32 s24, 2
  s_cselect_b32 s7, s26, s7
  s_add_u32 s8, s6, s7
  s_cselect_b32 s9, 1, 0
  v_mov_b32 v2, s8
  v_mov_b32 v3, s9
  global_store_dwordx2 v1, v[2:3], s[4:5] offset:0
  s_sub_u32 s8, s6, s7
  s_cselect_b32 s9, 1, 0
  v_mov_b32 v2, s8
  v_mov_b32 v3, s9
  global_store_dwordx2 v1, v[2:3], s[4:5] offset:8
  s_addc_u32 s8, s6, s7
  s_cselect_b32 s9, 1, 0
  v_mov_b32 v2, s8
  v_mov_b32 v3, s9
  global_store_dwordx2 v1, v[2:3], s[4:5] offset:16
  s_add_i32 s8, s6, s7
  s_cselect_b32 s9, 1, 0
  v_mov_b32 v2, s8
  v_mov_b32 v3, s9
  global_store_dwordx2 v1, v[2:3], s[4:5] offset:24
  s_sub_i32 s8, s6, s7
  s_cselect_b32 s9, 1, 0
  v_mov_b32 v2, s8
  v_mov_b32 v3, s9
  global_store_dwordx2 v1, v[2:3], s[4:5] offset:32
  s_mul_i32 s8, s6, s7
  s_cselect_b32 s9, 1, 0
  v_mov_b32 v2, s8
  v_mov_b32 v3, s9
  global_store_dwordx2 v1, v[2:3], s[4:5] offset:40
  s_and_b32 s8, s6, s7
  s_cselect_b32 s9, 1, 0
  v_mov_b32 v2, s8
  v_mov_b32 v3, s9
  global_store_dwordx2 v1, v[2:3], s[4:5] offset:48
  s_or_b32 s8, s6, s7
  s_cselect_b32 s9, 1, 0
  v_mov_b32 v2, s8
  v_mov_b32 v3, s9
  global_store_dwordx2 v1, v[2:3], s[4:5] offset:56
  s_xor_b32 s8, s6, s7
  s_cselect_b32 s9, 1, 0
  v_mov_b32 v2, s8
  v_mov_b32 v3, s9
  global_store_dwordx2 v1, v[2:3], s[4:5] offset:64
  s_andn2_b32 s8, s6, s7
  s_cselect_b32 s9, 1, 0
  v_mov_b32 v2, s8
  v_mov_b32 v3, s9
  global_store_dwordx2 v1, v[2:3], s[4:5] offset:72
  s_orn2_b32 s8, s6, s7
  s_cselect_b32 s9, 1, 0
  v_mov_b32 v2, s8
  v_mov_b32 v3, s9
  global_store_dwordx2 v1, v[2:3], s[4:5] offset:80
  s_nand_b32 s8, s6, s7
  s_cselect_b32 s9, 1, 0
  v_mov_b32 v2, s8
  v_mov_b32 v3, s9
  global_store_dwordx2 v1, v[2:3], s[4:5] offset:88
  s_nor_b32 s8, s6, s7
  s_cselect_b32 s9, 1, 0
  v_mov_b32 v2, s8
  v_mov_b32 v3, s9
  global_store_dwordx2 v1, v[2:3], s[4:5] offset:96
  s_xnor_b32 s8, s6, s7
  s_cselect_b32 s9, 1, 0
  v_mov_b32 v2, s8
  v_mov_b32 v3, s9
  global_store_dwordx2 v1, v[2:3], s[4:5] offset:104
  s_lshl_b32 s8, s6, s7
  s_cselect_b32 s9, 1, 0
  v_mov_b32 v2, s8
  v_mov_b32 v3, s9
  global_store_dwordx2 v1, v[2:3], s[4:5] offset:112
  s_lshr_b32 s8, s6, s7
  s_cselect_b32 s9, 1, 0
  v_mov_b32 v2, s8
  v_mov_b32 v3, s9
  global_store_dwordx2 v1, v[2:3], s[4:5] offset:120
  s_ashr_i32 s8, s6, s7
  s_cselect_b32 s9, 1, 0
  v_mov_b32 v2, s8
  v_mov_b32 v3, s9
  global_store_dwordx2 v1, v[2:3], s[4:5] offset:128
  s_cselect_b32 s8, s6, s7
  s_cselect_b32 s9, 1, 0
  v_mov_b32 v2, s8
  v_mov_b32 v3, s9
  global_store_dwordx2 v1, v[2:3], s[4:5] offset:136
  s_min_u32 s8, s6, s7
  s_cselect_b32 s9, 1, 0
  v_mov_b32 v2, s8
  v_mov_b32 v3, s9
  global_store_dwordx2 v1, v[2:3], s[4:5] offset:144
  s_max_u32 s8, s6, s7
  s_cselect_b32 s9, 1, 0
  v_mov_b32 v2, s8
  v_mov_b32 v3, s9
  global_store_dwordx2 v1, v[2:3], s[4:5] offset:152
  s_min_i32 s8, s6, s7
  s_cselect_b32 s9, 1, 0
  v_mov_b32 v2, s8
  v_mov_b32 v3, s9
  global_store_dwordx2 v1, v[2:3], s[4:5] offset:160
  s_max_i32 s8, s6, s7
  s_cselect_b32 s9, 1, 0
  v_mov_b32 v2, s8
  v_mov_b32 v3, s9
  global_store_dwordx2 v1, v[2:3], s[4:5] offset:168
  s_lshl1_add_u32 s8, s6, s7
  s_cselect_b32 s9, 1, 0
  v_mov_b32 v2, s8
  v_mov_b32 v3, s9
  global_store_dwordx2 v1, v[2:3], s[4:5] offset:176
  s_lshl2_add_u32 s8, s6, s7
  s_cselect_b32 s9, 1, 0
  v_mov_b32 v2, s8
  v_mov_b32 v3, s9
  global_store_dwordx2 v1, v[2:3], s[4:5] offset:184
  s_lshl3_add_u32 s8, s6, s7
  s_cselect_b32 s9, 1, 0
  v_mov_b32 v2, s8
  v_mov_b32 v3, s9
  global_store_dwordx2 v1, v[2:3], s[4:5] offset:192
  s_lshl4_add_u32 s8, s6, s7
  s_cselect_b32 s9, 1, 0
  v_mov_b32 v2, s8
  v_mov_b32 v3, s9
  global_store_dwordx2 v1, v[2:3], s[4:5] offset:200
  s_mov_b32 s8, 0
  s_cmp_eq_i32 s6, s7
  s_cselect_b32 s9, 1, 0
  v_mov_b32 v2, s8
  v_mov_b32 v3, s9
  global_store_dwordx2 v1, v[2:3], s[4:5] offset:208
  s_mov_b32 s8, 0
  s_cmp_lg_i32 s6, s7
  s_cselect_b32 s9, 1, 0
  v_mov_b32 v2, s8
  v_mov_b32 v3, s9
  global_store_dwordx2 v1, v[2:3], s[4:5] offset:216
  s_mov_b32 s8, 0
  s_cmp_gt_i32 s6, s7
  s_cselect_b32 s9, 1, 0
  v_mov_b32 v2, s8
  v_mov_b32 v3, s9
  global_store_dwordx2 v1, v[2:3], s[4:5] offset:224
  s_mov_b32 s8, 0
  s_cmp_ge_i32 s6, s7
  s_cselect_b32 s9, 1, 0
  v_mov_b32 v2, s8
  v_mov_b32 v3, s9
  global_store_dwordx2 v1, v[2:3], s[4:5] offset:232
  s_mov_b32 s8, 0
  s_cmp_lt_i32 s6, s7
  s_cselect_b32 s9, 1, 0
  v_mov_b32 v2, s8
  v_mov_b32 v3, s9
  global_store_dwordx2 v1, v[2:3], s[4:5] offset:240
  s_mov_b32 s8, 0
  s_cmp_le_i32 s6, s7
  s_cselect_b32 s9, 1, 0
  v_mov_b32 v2, s8
  v_mov_b32 v3, s9
  global_store_dwordx2 v1, v[2:3], s[4:5] offset:248
  s_mov_b32 s8, 0
  s_cmp_eq_u32 s6, s7
  s_cselect_b32 s9, 1, 0
  v_mov_b32 v2, s8
  v_mov_b32 v3, s9
  global_store_dwordx2 v1, v[2:3], s[4:5] offset:256
  s_mov_b32 s8, 0
  s_cmp_lg_u32 s6, s7
  s_cselect_b32 s9, 1, 0
  v_mov_b32 v2, s8
  v_mov_b32 v3, s9
  global_store_dwordx2 v1, v[2:3], s[4:5] offset:264
  s_mov_b32 s8, 0
  s_cmp_gt_u32 s6, s7
  s_cselect_b32 s9, 1, 0
  v_mov_b32 v2, s8
  v_mov_b32 v3, s9
  global_store_dwordx2 v1, v[2:3], s[4:5] offset:272
  s_mov_b32 s8, 0
  s_cmp_ge_u32 s6, s7
  s_cselect_b32 s9, 1, 0
  v_mov_b32 v2, s8
  v_mov_b32 v3, s9
  global_store_dwordx2 v1, v[2:3], s[4:5] offset:280
  s_mov_b32 s8, 0
  s_cmp_lt_u32 s6, s7
  s_cselect_b32 s9, 1, 0
  v_mov_b32 v2, s8
  v_mov_b32 v3, s9
  global_store_dwordx2 v1, v[2:3], s[4:5] offset:288
  s_mov_b32 s8, 0
  s_cmp_le_u32 s6, s7
  s_cselect_b32 s9, 1, 0
  v_mov_b32 v2, s8
  v_mov_b32 v3, s9
  global_store_dwordx2 v1, v[2:3], s[4:5] offset:296
  s_mov_b32 s8, s6
  s_not_b32 s8, s8
  s_cselect_b32 s9, 1, 0
  v_mov_b32 v2, s8
  v_mov_b32 v3, s9
  global_store_dwordx2 v1, v[2:3], s[4:5] offset:304
  s_movk_i32 s8, 0x8765
  s_cselect_b32 s9, 1, 0
  v_mov_b32 v2, s8
  v_mov_b32 v3, s9
  global_store_dwordx2 v1, v[2:3], s[4:5] offset:312
  s_mov_b32 s8, s6
.ifdef TARGET_GFX1201
  s_addk_co_i32 s8, 0x7abc
.else
  s_addk_i32 s8, 0x7abc
.endif
  s_cselect_b32 s9, 1, 0
  v_mov_b32 v2, s8
  v_mov_b32 v3, s9
  global_store_dwordx2 v1, v[2:3], s[4:5] offset:320
  s_mov_b32 s8, s6
.ifdef TARGET_GFX1201
  s_addk_co_i32 s8, 0x8001
.else
  s_addk_i32 s8, 0x8001
.endif
  s_cselect_b32 s9, 1, 0
  v_mov_b32 v2, s8
  v_mov_b32 v3, s9
  global_store_dwordx2 v1, v[2:3], s[4:5] offset:328
  s_mov_b32 s8, 0
.ifdef TARGET_GFX1201
  s_cmp_eq_i32 s6, 0xffff8001
.else
  s_cmpk_eq_i32 s6, 0x8001
.endif
  s_cselect_b32 s9, 1, 0
  v_mov_b32 v2, s8
  v_mov_b32 v3, s9
  global_store_dwordx2 v1, v[2:3], s[4:5] offset:336
  s_mov_b32 s8, 0
.ifdef TARGET_GFX1201
  s_cmp_lg_i32 s6, 0xffff8001
.else
  s_cmpk_lg_i32 s6, 0x8001
.endif
  s_cselect_b32 s9, 1, 0
  v_mov_b32 v2, s8
  v_mov_b32 v3, s9
  global_store_dwordx2 v1, v[2:3], s[4:5] offset:344
  s_mov_b32 s8, 0
.ifdef TARGET_GFX1201
  s_cmp_gt_i32 s6, 0xffff8001
.else
  s_cmpk_gt_i32 s6, 0x8001
.endif
  s_cselect_b32 s9, 1, 0
  v_mov_b32 v2, s8
  v_mov_b32 v3, s9
  global_store_dwordx2 v1, v[2:3], s[4:5] offset:352
  s_mov_b32 s8, 0
.ifdef TARGET_GFX1201
  s_cmp_ge_i32 s6, 0xffff8001
.else
  s_cmpk_ge_i32 s6, 0x8001
.endif
  s_cselect_b32 s9, 1, 0
  v_mov_b32 v2, s8
  v_mov_b32 v3, s9
  global_store_dwordx2 v1, v[2:3], s[4:5] offset:360
  s_mov_b32 s8, 0
.ifdef TARGET_GFX1201
  s_cmp_lt_i32 s6, 0xffff8001
.else
  s_cmpk_lt_i32 s6, 0x8001
.endif
  s_cselect_b32 s9, 1, 0
  v_mov_b32 v2, s8
  v_mov_b32 v3, s9
  global_store_dwordx2 v1, v[2:3], s[4:5] offset:368
  s_mov_b32 s8, 0
.ifdef TARGET_GFX1201
  s_cmp_le_i32 s6, 0xffff8001
.else
  s_cmpk_le_i32 s6, 0x8001
.endif
  s_cselect_b32 s9, 1, 0
  v_mov_b32 v2, s8
  v_mov_b32 v3, s9
  global_store_dwordx2 v1, v[2:3], s[4:5] offset:376
  s_mov_b32 s8, 0
.ifdef TARGET_GFX1201
  s_cmp_eq_u32 s6, 0x8001
.else
  s_cmpk_eq_u32 s6, 0x8001
.endif
  s_cselect_b32 s9, 1, 0
  v_mov_b32 v2, s8
  v_mov_b32 v3, s9
  global_store_dwordx2 v1, v[2:3], s[4:5] offset:384
  s_mov_b32 s8, 0
.ifdef TARGET_GFX1201
  s_cmp_lg_u32 s6, 0x8001
.else
  s_cmpk_lg_u32 s6, 0x8001
.endif
  s_cselect_b32 s9, 1, 0
  v_mov_b32 v2, s8
  v_mov_b32 v3, s9
  global_store_dwordx2 v1, v[2:3], s[4:5] offset:392
  s_mov_b32 s8, 0
.ifdef TARGET_GFX1201
  s_cmp_gt_u32 s6, 0x8001
.else
  s_cmpk_gt_u32 s6, 0x8001
.endif
  s_cselect_b32 s9, 1, 0
  v_mov_b32 v2, s8
  v_mov_b32 v3, s9
  global_store_dwordx2 v1, v[2:3], s[4:5] offset:400
  s_mov_b32 s8, 0
.ifdef TARGET_GFX1201
  s_cmp_ge_u32 s6, 0x8001
.else
  s_cmpk_ge_u32 s6, 0x8001
.endif
  s_cselect_b32 s9, 1, 0
  v_mov_b32 v2, s8
  v_mov_b32 v3, s9
  global_store_dwordx2 v1, v[2:3], s[4:5] offset:408
  s_mov_b32 s8, 0
.ifdef TARGET_GFX1201
  s_cmp_lt_u32 s6, 0x8001
.else
  s_cmpk_lt_u32 s6, 0x8001
.endif
  s_cselect_b32 s9, 1, 0
  v_mov_b32 v2, s8
  v_mov_b32 v3, s9
  global_store_dwordx2 v1, v[2:3], s[4:5] offset:416
  s_mov_b32 s8, 0
.ifdef TARGET_GFX1201
  s_cmp_le_u32 s6, 0x8001
.else
  s_cmpk_le_u32 s6, 0x8001
.endif
  s_cselect_b32 s9, 1, 0
  v_mov_b32 v2, s8
  v_mov_b32 v3, s9
  global_store_dwordx2 v1, v[2:3], s[4:5] offset:424
  s_add_u32 s4, s4, 432
  s_addc_u32 s5, s5, 0
  s_add_i32 s21, s21, 1
  s_cmp_lt_u32 s21, 16
  s_cbranch_scc1 .Lround
  WAIT_STORES
  s_endpgm
.Lasm_salu_end:
  .size asm_salu, .Lasm_salu_end - asm_salu

KERNEL_DESCRIPTOR asm_salu, 8, 32

.ifdef TARGET_GFX1100
.amdgpu_metadata
---
amdhsa.version: [ 1, 2 ]
amdhsa.target: amdgcn-amd-amdhsa--gfx1100
amdhsa.kernels:
  - .name: asm_salu
    .symbol: asm_salu.kd
    .kernarg_segment_size: 8
    .kernarg_segment_align: 8
    .group_segment_fixed_size: 0
    .private_segment_fixed_size: 0
    .wavefront_size: 32
    .sgpr_count: 32
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
  - .name: asm_salu
    .symbol: asm_salu.kd
    .kernarg_segment_size: 8
    .kernarg_segment_align: 8
    .group_segment_fixed_size: 0
    .private_segment_fixed_size: 0
    .wavefront_size: 32
    .sgpr_count: 32
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
  - .name: asm_salu
    .symbol: asm_salu.kd
    .kernarg_segment_size: 8
    .kernarg_segment_align: 8
    .group_segment_fixed_size: 0
    .private_segment_fixed_size: 0
    .wavefront_size: 64
    .sgpr_count: 32
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
  - .name: asm_salu
    .symbol: asm_salu.kd
    .kernarg_segment_size: 8
    .kernarg_segment_align: 8
    .group_segment_fixed_size: 0
    .private_segment_fixed_size: 0
    .wavefront_size: 64
    .sgpr_count: 32
    .vgpr_count: 8
    .max_flat_workgroup_size: 256
    .args:
      - { .name: out, .offset: 0, .size: 8, .value_kind: global_buffer, .address_space: global }
...
.end_amdgpu_metadata
.endif
