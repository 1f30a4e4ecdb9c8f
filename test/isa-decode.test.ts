// Decoder and disassembler: field decoding of known encodings (values checked against
// `llvm-mc-19 -show-encoding`), inline constants, errors, and line-by-line parity with llvm-objdump-19
// on every code object of test/kernels/ plus kernels compiled here for gfx1100, gfx1201, gfx942 and gfx90a.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeInstruction, DecodeError } from '../src/emu/isa/decode.js';
import { disassemble, formatInstruction } from '../src/emu/isa/disasm.js';
import { inlineConstant32, inlineConstant64 } from '../src/emu/isa/operands.js';
import { disassembleCodeObject } from '../src/cli/disasm.js';
import type { IsaFamily } from '../src/emu/isa/types.js';
import { requireOracle } from './support/tools.js';
import { LLVM_OBJDUMP, OBJDUMP_LINE } from './isa-oracle.js';

const decode = (family: IsaFamily, ...words: number[]) => decodeInstruction(family, Uint32Array.from([...words, 0xbf800000]), 0, 0x1000);

test('RDNA3 encodings decode into manual-named fields with unified operand codes', () => {
  const add = decode('rdna3', 0xd5038105, 0x28020f06); // v_add_f32_e64 v5, -|v6|, v7 clamp mul:2
  assert.equal(add.encoding, 'VOP3');
  assert.equal(add.op, 'v_add_f32');
  assert.equal(add.size, 8);
  assert.deepEqual([add.fields.vdst, add.fields.src0, add.fields.src1, add.fields.neg, add.fields.abs, add.fields.clamp, add.fields.omod], [261, 262, 263, 1, 1, 1, 1]);
  const co = decode('rdna3', 0xd7000905, 0x00020f06); // v_add_co_u32 v5, s9, v6, v7
  assert.equal(co.encoding, 'VOP3SD');
  assert.equal(co.fields.sdst, 9);
  const smem = decode('rdna3', 0xf4040101, 0x0e000010); // s_load_b64 s[4:5], s[2:3], s7 offset:0x10
  assert.deepEqual([smem.op, smem.fields.sdata, smem.fields.sbase, smem.fields.soffset, smem.fields.offset], ['s_load_b64', 4, 2, 7, 16]);
  const glb = decode('rdna3', 0xdc521ff4, 0x05080006); // global_load_b32 v5, v6, s[8:9] offset:-12
  assert.deepEqual([glb.encoding, glb.fields.vdst, glb.fields.addr, glb.fields.saddr, glb.fields.offset], ['GLOBAL', 261, 262, 8, -12]);
  const lit = decode('rdna3', 0x020604ff, 0x3f800000); // v_cndmask_b32_e32 v3, 1.0 (literal), v2, vcc_lo
  assert.equal(lit.literal, 0x3f800000);
  assert.equal(lit.size, 8);
  const dpp = decode('rdna3', 0x060a0efa, 0x530cb106); // v_add_f32_dpp v5, v6, v7 quad_perm:[1,0,3,2] ...
  assert.deepEqual([dpp.ext, dpp.fields.src0, dpp.fields.dpp_ctrl, dpp.fields.row_mask, dpp.fields.bank_mask, dpp.fields.fi], ['dpp', 262, 0xb1, 5, 3, 1]);
  const dual = decode('rdna3', 0xc9060f06, 0x05081509); // v_dual_add_f32 v5, v6, v7 :: v_dual_mul_f32 v8, v9, v10
  assert.deepEqual([dual.op, dual.opy, dual.fields.vdstx, dual.fields.vdsty, dual.fields.srcy0, dual.fields.vsrcy1], ['v_dual_add_f32', 'v_dual_mul_f32', 261, 264, 265, 266]);
  const rfl = decode('rdna3', 0x7e0a0506); // v_readfirstlane_b32 s5, v6: the VOP1 vdst field is an SGPR here
  assert.equal(rfl.fields.vdst, 5);
});

test('CDNA3 encodings: SMEM imm/soe, AGPRs through acc bits, SDWA', () => {
  const s = decode('cdna3', 0xc0064101, 0x0e000010); // s_load_dwordx2 s[4:5], s[2:3], s7 offset:0x10
  assert.deepEqual([s.op, s.fields.imm, s.fields.soe, s.fields.soffset, s.fields.offset], ['s_load_dwordx2', 1, 1, 7, 16]);
  const ds = decode('cdna3', 0xda6c04d2, 0x05000006); // ds_read_b32 a5, v6 offset:1234
  assert.deepEqual([ds.op, ds.fields.vdst, ds.fields.addr, ds.fields.offset], ['ds_read_b32', 512 + 5, 262, 1234]);
  const mfma = decode('cdna3', 0xd3cc8900, 0x44020902); // v_mfma_f32_32x32x8_f16 a[0:15], v[2:3], v[4:5], a[0:15] cbsz:1 abid:1 blgp:2
  assert.deepEqual([mfma.fields.vdst, mfma.fields.src0, mfma.fields.src2, mfma.fields.cbsz, mfma.fields.abid, mfma.fields.blgp], [512, 258, 512, 1, 1, 2]);
  const sdwa = decode('cdna3', 0x020a0ef9, 0x04021506); // v_add_f32_sdwa v5, v6, v7 dst_sel:WORD_1 ...
  assert.deepEqual([sdwa.ext, sdwa.fields.src0, sdwa.fields.dst_sel, sdwa.fields.dst_unused, sdwa.fields.src0_sel, sdwa.fields.src1_sel], ['sdwa', 262, 5, 2, 2, 4]);
  assert.equal(formatInstruction('cdna3', sdwa), 'v_add_f32_sdwa v5, v6, v7 dst_sel:WORD_1 dst_unused:UNUSED_PRESERVE src0_sel:BYTE_2 src1_sel:WORD_0');
});

test('CDNA2 (gfx90a) encodings: glc/slc/scc cache bits where gfx940 has sc0/nt/sc1; scratch address by saddr', () => {
  const g = decode('cdna2', 0xde538000, 0x017f0002); // global_load_dword v1, v[2:3], off glc slc scc
  assert.deepEqual([g.fields.glc, g.fields.slc, g.fields.scc, g.fields.sc0], [1, 1, 1, undefined]);
  assert.equal(formatInstruction('cdna2', g), 'global_load_dword v1, v[2:3], off glc slc scc');
  assert.equal(formatInstruction('cdna3', decode('cdna3', 0xde538000, 0x017f0002)), 'global_load_dword v1, v[2:3], off sc0 nt sc1');
  const sv = decode('cdna2', 0xdc514000, 0x017f0002); // scratch_load_dword v1, v2, off glc
  assert.deepEqual([sv.encoding, sv.fields.sve, formatInstruction('cdna2', sv)], ['SCRATCH', 1, 'scratch_load_dword v1, v2, off glc']);
  const ss = decode('cdna2', 0xdc504000, 0x01030000); // scratch_load_dword v1, off, s3
  assert.deepEqual([ss.fields.sve, ss.fields.saddr, formatInstruction('cdna2', ss)], [0, 3, 'scratch_load_dword v1, off, s3']);
  const buf = decode('cdna2', 0xe052d000, 0x80010102); // buffer_load_dword v1, v2, s[4:7], 0 offen glc slc scc
  assert.equal(formatInstruction('cdna2', buf), 'buffer_load_dword v1, v2, s[4:7], 0 offen glc slc scc');
});

test('unknown opcodes and truncated instructions throw DecodeError naming pc and words', () => {
  assert.throws(() => decodeInstruction('rdna3', Uint32Array.from([0xffffffff]), 0, 0x40), (e: unknown) => e instanceof DecodeError && e.pc === 0x40 && /0xffffffff/.test(e.message));
  assert.throws(() => decodeInstruction('rdna3', Uint32Array.from([0xd5030005]), 0, 0), /truncated/);
  assert.throws(() => decodeInstruction('cdna3', Uint32Array.from([0xbfff0000]), 0, 0), /unknown cdna3 SOPP opcode 127/);
});

test('inline constants have per-type values (f16, f32, f64 differ; 1/(2*pi) included)', () => {
  assert.equal(inlineConstant32(128, 'b32'), 0);
  assert.equal(inlineConstant32(192, 'b32'), 64);
  assert.equal(inlineConstant32(193, 'b32'), 0xffffffff);
  assert.equal(inlineConstant32(208, 'b16'), 0xfff0);
  assert.equal(inlineConstant32(242, 'f32'), 0x3f800000);
  assert.equal(inlineConstant32(242, 'f16'), 0x3c00);
  assert.equal(inlineConstant32(242, 'bf16'), 0x3f80);
  assert.equal(inlineConstant32(248, 'f32'), 0x3e22f983);
  assert.equal(inlineConstant32(248, 'f16'), 0x3118);
  assert.equal(inlineConstant64(248), 0x3fc45f306dc9c882n);
  assert.equal(inlineConstant64(247), 0xc010000000000000n);
  assert.equal(inlineConstant64(200), 0xfffffffffffffff8n);
  assert.throws(() => inlineConstant32(255, 'f32'), RangeError);
});

function objdumpLines(file: string): Map<number, string> {
  const r = spawnSync(LLVM_OBJDUMP, ['-d', '--no-show-raw-insn', file], { encoding: 'utf8', maxBuffer: 1 << 28 });
  assert.equal(r.status, 0, r.stderr);
  const out = new Map<number, string>();
  for (const line of r.stdout.split('\n')) {
    const m = OBJDUMP_LINE.exec(line);
    if (m) out.set(parseInt(m[2]!, 16), m[1]!);
  }
  return out;
}

/** Compares our listing of every function with llvm-objdump-19; returns the differing lines. */
function compareWithObjdump(file: string): { lines: number; diffs: string[] } {
  const ref = objdumpLines(file);
  const report = disassembleCodeObject(readFileSync(file));
  const diffs: string[] = [];
  let lines = 0;
  for (const f of report.functions) {
    for (const l of f.instructions) {
      const want = ref.get(l.address);
      if (want === undefined) continue;
      lines++;
      if (want !== l.text) diffs.push(`${file} 0x${l.address.toString(16)}: llvm "${want}" ours "${l.text}"`);
    }
  }
  return { lines, diffs };
}

const KERNELS = join(process.cwd(), 'test/kernels');

test('every code object in test/kernels/ disassembles exactly as llvm-objdump-19 prints it', (t) => {
  if (!requireOracle(t, { commands: [LLVM_OBJDUMP] })) return;
  const files = existsSync(KERNELS) ? readdirSync(KERNELS).filter((f) => f.endsWith('.co')) : [];
  if (files.length === 0) { t.skip('skipped: no code objects in test/kernels'); return; }
  let lines = 0;
  const diffs: string[] = [];
  for (const f of files) {
    const r = compareWithObjdump(join(KERNELS, f));
    lines += r.lines;
    diffs.push(...r.diffs);
  }
  t.diagnostic(`${files.length} code objects, ${lines} instructions compared`);
  assert.ok(lines > 1000);
  assert.deepEqual(diffs, []);
});

const EXTRA_KERNELS = `
#pragma OPENCL EXTENSION cl_khr_fp16 : enable
__kernel void reduce(__global const int *in, __global int *out, __local int *tmp) {
  int l = __builtin_amdgcn_workitem_id_x();
  tmp[l] = in[__builtin_amdgcn_workgroup_id_x() * 256 + l];
  __builtin_amdgcn_s_barrier();
  for (int s = 128; s > 0; s >>= 1) { if (l < s) tmp[l] += tmp[l + s]; __builtin_amdgcn_s_barrier(); }
  if (l == 0) __atomic_fetch_add(out, tmp[0], __ATOMIC_RELAXED);
}
__kernel void dbl(__global double *x, __global long *y, __global half *h, float f) {
  int i = __builtin_amdgcn_workitem_id_x();
  x[i] = __builtin_sqrt(x[i]) * 0.15915494309189532 + (double)y[i];
  y[i] = y[i] * 3 + (y[i] >> 7) / 5;
  h[i] = h[i] * (half)f + (half)0.5f;
}
__kernel void mixed(__global uint *p, __global float4 *v, int k) {
  int i = __builtin_amdgcn_workitem_id_x();
  uint x = p[i];
  x = (x << 3) ^ (x >> 5) | __builtin_popcount(x) + __builtin_clz(x + 1);
  float4 q = v[i].wzyx * (float4)(1.0f, -2.0f, 0.5f, 3.7f);
  v[i + k] = q + (float4)0.25f;
  p[i] = x + (uint)(q.x > q.y ? 7 : 123456);
  for (int j = 0; j < k; j++) p[j * 64 + i] += j * 1000003;
}
__kernel void priv(__global int *o, int n) {
  int a[64];
  for (int i = 0; i < 64; i++) a[i] = i * n;
  o[__builtin_amdgcn_workitem_id_x()] = a[(n + __builtin_amdgcn_workitem_id_x()) & 63];
}
`;

test('kernels compiled here for gfx1100, gfx1201, gfx942 and gfx90a disassemble exactly as llvm-objdump-19 prints them', (t) => {
  if (!requireOracle(t, { commands: ['clang-19', 'ld.lld-19', LLVM_OBJDUMP] })) return;
  const dir = mkdtempSync(join(tmpdir(), 'isa-decode-'));
  try {
    writeFileSync(join(dir, 'k.cl'), EXTRA_KERNELS);
    for (const cpu of ['gfx1100', 'gfx1201', 'gfx942', 'gfx90a']) {
      const obj = join(dir, `k-${cpu}.o`);
      const co = join(dir, `k-${cpu}.co`);
      const cc = spawnSync('clang-19', ['-x', 'cl', '-cl-std=CL2.0', '--target=amdgcn-amd-amdhsa', `-mcpu=${cpu}`, '-nogpulib', '-O2', '-c', join(dir, 'k.cl'), '-o', obj], { encoding: 'utf8' });
      assert.equal(cc.status, 0, cc.stderr);
      const ld = spawnSync('ld.lld-19', ['-shared', obj, '-o', co], { encoding: 'utf8' });
      assert.equal(ld.status, 0, ld.stderr);
      const r = compareWithObjdump(co);
      assert.ok(r.lines > 150, `${cpu}: ${r.lines} lines`);
      assert.deepEqual(r.diffs, []);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('RDNA4 (gfx1201) encodings: SMEM th/scope and 24-bit offsets, 96-bit VGLOBAL/VSCRATCH/VBUFFER, split wait counters', () => {
  // Bytes from llvm-mc-19 -triple=amdgcn-amd-amdhsa -mcpu=gfx1201 -show-encoding.
  const sl = decode('rdna4', 0xf4e00141, 0xf8000010); // s_load_b32 s5, s[2:3], 0x10 th:TH_LOAD_NT scope:SCOPE_SYS
  assert.deepEqual([sl.op, sl.fields.sdata, sl.fields.sbase, sl.fields.offset, sl.fields.soffset, sl.fields.th, sl.fields.scope], ['s_load_b32', 5, 2, 0x10, 124, 1, 3]);
  assert.equal(formatInstruction('rdna4', sl), 's_load_b32 s5, s[2:3], 0x10 th:TH_LOAD_NT scope:SCOPE_SYS');
  assert.equal(formatInstruction('rdna4', decode('rdna4', 0xf4000141, 0xf8fffff0)), 's_load_b32 s5, s[2:3], -0x10');
  assert.equal(formatInstruction('rdna4', decode('rdna4', 0xf4002101, 0x0e000010)), 's_load_b64 s[4:5], s[2:3], s7 offset:0x10');
  const g = decode('rdna4', 0xee050008, 0x00000005, 0xfffff406); // global_load_b32 v5, v6, s[8:9] offset:-12
  assert.deepEqual([g.encoding, g.size, g.fields.saddr, g.fields.vdst, g.fields.addr, g.fields.offset], ['GLOBAL', 12, 8, 256 + 5, 256 + 6, -12]);
  assert.equal(formatInstruction('rdna4', g), 'global_load_b32 v5, v6, s[8:9] offset:-12');
  const at = decode('rdna4', 0xee0d407c, 0x04100005, 0x00000006); // global_atomic_add_u32 v5, v[6:7], v8, off th:TH_ATOMIC_RETURN
  assert.equal(formatInstruction('rdna4', at), 'global_atomic_add_u32 v5, v[6:7], v8, off th:TH_ATOMIC_RETURN');
  const sc = decode('rdna4', 0xed05007c, 0x00020005, 0x00001006); // scratch_load_b32 v5, v6, off offset:16
  assert.deepEqual([sc.encoding, sc.fields.sve, formatInstruction('rdna4', sc)], ['SCRATCH', 1, 'scratch_load_b32 v5, v6, off offset:16']);
  const b = decode('rdna4', 0xc4050003, 0x40801005, 0x00001006); // buffer_load_b32 v5, v6, s[8:11], s3 offen offset:16
  assert.deepEqual([b.encoding, b.fields.srsrc, b.fields.soffset, b.fields.offen], ['MUBUF', 8, 3, 1]);
  assert.equal(formatInstruction('rdna4', b), 'buffer_load_b32 v5, v6, s[8:11], s3 offen offset:16');
  const tb = decode('rdna4', 0xc4200003, 0x4b001005, 0x00001006);
  assert.equal(formatInstruction('rdna4', tb), 'tbuffer_load_format_x v5, v6, s[8:11], s3 format:[BUF_FMT_32_FLOAT] offen offset:16');
  assert.equal(formatInstruction('rdna4', decode('rdna4', 0xbfc00003)), 's_wait_loadcnt 0x3');
  assert.equal(formatInstruction('rdna4', decode('rdna4', 0xbfc70000)), 's_wait_kmcnt 0x0');
  assert.equal(formatInstruction('rdna4', decode('rdna4', 0xee0ac07c, 0x00080000, 0)), 'global_inv scope:SCOPE_DEV');
  // An opcode the gfx1201 table does not have: the decoder names family, encoding and opcode (the shader
  // core turns this into an 'illegal' ShaderFault, which stops the wave and the queue with this text).
  assert.throws(() => decodeInstruction('rdna4', Uint32Array.from([0xbfff0000]), 0, 0x40), (e: unknown) => e instanceof DecodeError && /unknown rdna4 SOPP opcode 127 at pc 0x40 \(0xbfff0000\)/.test(e.message));
});

test('disassemble() keeps going past undecodable words', () => {
  const bytes = new Uint8Array(Uint32Array.from([0xffffffff, 0xbfb00000]).buffer);
  const lines = disassemble('rdna3', bytes, 0x100);
  assert.equal(lines.length, 2);
  assert.match(lines[0]!.text, /^; invalid: /);
  assert.deepEqual([lines[1]!.address, lines[1]!.text], [0x104, 's_endpgm']);
});
