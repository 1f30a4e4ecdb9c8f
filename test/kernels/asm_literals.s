// Literal and inline-constant encodings, one lane per work-item; out has 10 dwords per lane:
//  [0] s_mov_b32 literal 0x12345678 xor lane            [1] VOP2 literal: lane + 0xdeadbeef
//  [2] VOP3 fma with inline floats: lane*0.5 + -4.0     [3] inline 1/(2*pi) * lane
//  [4] v_fmaak_f32 (literal 3rd operand): lane*lane + 1.0 (gfx90a has no v_fmaak_f32: v_madak_f32)
//  [5] s_movk_i32 0x8000 sign-extends to 0xffff8000
//  [6] high half of s_mov_b64 -16 (inline constant sign-extended) xor high half of
//      s_mov_b64 0x12345678 (32-bit literal, high half 0) = 0xffffffff
//  [7] low halves added: 0xfffffff0 + 0x12345678 (wrapping)
//  [8..9] f64 lane + 3.0: on gfx1100 via a VOP3 f64 literal (0x40080000 is the high dword),
//         on gfx942 (no VOP3 literals) via registers.
.include "wave.inc"
  .text
  .globl asm_literals
  .p2align 8
  .type asm_literals,@function
asm_literals:
  s_load_dwordx2 s[4:5], s[0:1], 0x0
  v_and_b32 v0, 0x3ff, v0
  v_mul_u32_u24 v1, 40, v0
  s_mov_b32 s6, 0x12345678
  v_xor_b32 v2, s6, v0
  VADD v3, 0xdeadbeef, v0
  v_cvt_f32_u32 v4, v0
  v_fma_f32 v5, v4, 0.5, -4.0
  v_mul_f32 v6, 0.15915494, v4
.ifdef TARGET_GFX90A
  v_madak_f32 v7, v4, v4, 0x3f800000
.else
  v_fmaak_f32 v7, v4, v4, 0x3f800000
.endif
  s_movk_i32 s7, 0x8000
  v_mov_b32 v8, s7
  s_mov_b64 s[8:9], -16
  s_mov_b64 s[10:11], 0x12345678
  s_xor_b32 s12, s9, s11
  s_add_u32 s13, s8, s10
  v_mov_b32 v9, s12
  v_mov_b32 v10, s13
  v_cvt_f64_u32 v[12:13], v0
.ifdef TARGET_GFX942
  v_mov_b32 v16, 0
  v_mov_b32 v17, 0x40080000
  v_add_f64 v[14:15], v[16:17], v[12:13]
.else
.ifdef TARGET_GFX90A
  v_mov_b32 v16, 0
  v_mov_b32 v17, 0x40080000
  v_add_f64 v[14:15], v[16:17], v[12:13]
.else
  v_add_f64 v[14:15], 0x40080000, v[12:13]
.endif
.endif
  WAIT_SMEM
  global_store_dword v1, v2, s[4:5]
  global_store_dword v1, v3, s[4:5] offset:4
  global_store_dword v1, v5, s[4:5] offset:8
  global_store_dword v1, v6, s[4:5] offset:12
  global_store_dword v1, v7, s[4:5] offset:16
  global_store_dword v1, v8, s[4:5] offset:20
  global_store_dword v1, v9, s[4:5] offset:24
  global_store_dword v1, v10, s[4:5] offset:28
  global_store_dwordx2 v1, v[14:15], s[4:5] offset:32
  s_endpgm
.Lasm_literals_end:
  .size asm_literals, .Lasm_literals_end - asm_literals

KERNEL_DESCRIPTOR asm_literals, 18, 16

.ifdef TARGET_GFX1100
.amdgpu_metadata
---
amdhsa.version: [ 1, 2 ]
amdhsa.target: amdgcn-amd-amdhsa--gfx1100
amdhsa.kernels:
  - .name: asm_literals
    .symbol: asm_literals.kd
    .kernarg_segment_size: 8
    .kernarg_segment_align: 8
    .group_segment_fixed_size: 0
    .private_segment_fixed_size: 0
    .wavefront_size: 32
    .sgpr_count: 16
    .vgpr_count: 18
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
  - .name: asm_literals
    .symbol: asm_literals.kd
    .kernarg_segment_size: 8
    .kernarg_segment_align: 8
    .group_segment_fixed_size: 0
    .private_segment_fixed_size: 0
    .wavefront_size: 32
    .sgpr_count: 16
    .vgpr_count: 18
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
  - .name: asm_literals
    .symbol: asm_literals.kd
    .kernarg_segment_size: 8
    .kernarg_segment_align: 8
    .group_segment_fixed_size: 0
    .private_segment_fixed_size: 0
    .wavefront_size: 64
    .sgpr_count: 16
    .vgpr_count: 18
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
  - .name: asm_literals
    .symbol: asm_literals.kd
    .kernarg_segment_size: 8
    .kernarg_segment_align: 8
    .group_segment_fixed_size: 0
    .private_segment_fixed_size: 0
    .wavefront_size: 64
    .sgpr_count: 16
    .vgpr_count: 18
    .max_flat_workgroup_size: 256
    .args:
      - { .name: out, .offset: 0, .size: 8, .value_kind: global_buffer, .address_space: global }
...
.end_amdgpu_metadata
.endif
