// The corpus manifest (src/harness/corpus): every entry matches its code objects' metadata, its
// checks reject untouched buffers, and its CPU references agree with the kernels' own source code
// compiled for the host with gcc (for kernels whose work-items are independent) and with gcc's
// _Float16 / fmaf for the floating-point helpers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCodeObject } from '../src/codeobj/index.js';
import { CORPUS, CORPUS_TARGETS, corpusContext, corpusKernel, type ArgSpec, type CorpusKernel } from '../src/harness/corpus/index.js';
import { f32Bits, fmaF32, toF16Bits, toBf16Bits, bitsToF32 } from '../src/harness/corpus/fp.js';
import { Xorshift32 } from '../src/harness/corpus/data.js';
import { packagePath } from '../src/os/package-root.js';
import { requireOracle } from './support/tools.js';

const KIND_FOR_VALUE_KIND: Record<string, ArgSpec['kind'][]> = {
  global_buffer: ['buffer', 'address'],
  dynamic_shared_pointer: ['dynamicLds'],
  by_value: ['u32', 'i32', 'f32', 'u64'],
};

test('corpus manifest: ids unique, files present, arguments match each code object', () => {
  assert.equal(new Set(CORPUS.map((k) => k.id)).size, CORPUS.length);
  assert.ok(CORPUS.length >= 25);
  for (const entry of CORPUS) {
    for (const target of entry.targets) {
      const path = packagePath(entry.file(target));
      assert.ok(existsSync(path), `${entry.id}: ${entry.file(target)} missing`);
      const co = loadCodeObject(new Uint8Array(readFileSync(path)), { target });
      const k = co.kernel(entry.kernel);
      const args = entry.args(corpusContext(target));
      assert.deepEqual(args.map((a) => a.name), k.explicitArgs.map((a) => a.name), `${entry.id}/${target}: argument names/order`);
      args.forEach((a, i) => {
        const md = k.explicitArgs[i]!;
        assert.ok(KIND_FOR_VALUE_KIND[md.valueKind]?.includes(a.kind), `${entry.id}: ${a.name} is ${a.kind}, metadata says ${md.valueKind}`);
        if (md.valueKind === 'by_value') assert.equal(md.size, a.kind === 'u64' ? 8 : 4, `${entry.id}: ${a.name} size`);
      });
      const threads = entry.block[0] * entry.block[1] * entry.block[2];
      assert.ok(threads <= k.metadata.maxFlatWorkgroupSize, `${entry.id}: block of ${threads} > max_flat_workgroup_size`);
      assert.ok(entry.grid.every((g, d) => g >= entry.block[d]!), `${entry.id}: grid smaller than block`);
    }
  }
  assert.equal(corpusKernel('vector_add.O0').file('gfx942'), 'test/kernels/vector_add.gfx942.O0.co');
  assert.equal(corpusKernel('fault').faultAddress, 0x7a5a_0000_0000n);
});

test('corpus checks are not vacuous: untouched output buffers fail', () => {
  for (const entry of CORPUS) {
    if (entry.id === 'empty' || entry.expect === 'fault') continue;
    for (const target of CORPUS_TARGETS) {
      const ctx = corpusContext(target);
      const outputs = new Map(
        entry.args(ctx).flatMap((a) => (a.kind === 'buffer' ? [[a.name, a.data] as const] : [])),
      );
      const verdict = entry.check(outputs, ctx);
      assert.equal(typeof verdict, 'string', `${entry.id}/${target}: check accepted the initial buffers`);
      assert.equal(entry.check(new Map(), ctx)?.includes('missing'), true, `${entry.id}: missing buffers reported`);
    }
  }
});

// ---------------------------------------------------------------------------------------------
// Host execution of the kernel sources: a shim common.h maps the OpenCL spellings and AMDGPU
// builtins to C, and a generated main() runs every work-item in turn.
const SHIM = `#pragma once
#include <math.h>
#include <string.h>
#define __kernel
#define __global
#define __constant const
#define __local
typedef unsigned char u8; typedef unsigned short u16; typedef unsigned int u32; typedef int i32;
typedef unsigned long u64;
extern u32 cpu_local[3], cpu_group[3], cpu_size[3], cpu_blocks[3];
static inline u32 group_size_x_from_packet(void) { return cpu_size[0]; }
static inline u32 group_size_y_from_packet(void) { return cpu_size[1]; }
static inline u32 group_size_x_from_hidden(void) { return cpu_size[0]; }
static inline u32 block_count_x_from_hidden(void) { return cpu_blocks[0]; }
static inline u32 local_id_x(void) { return cpu_local[0]; }
static inline u32 local_id_y(void) { return cpu_local[1]; }
static inline u32 group_id_x(void) { return cpu_group[0]; }
static inline u32 group_id_y(void) { return cpu_group[1]; }
static inline u32 global_id_x_packet(void) { return cpu_group[0] * cpu_size[0] + cpu_local[0]; }
static inline u32 global_id_x_hidden(void) { return cpu_group[0] * cpu_size[0] + cpu_local[0]; }
#define LDS_BARRIER() do { } while (0)
#define __builtin_amdgcn_sqrtf(x) sqrtf(x)
#define __builtin_amdgcn_rcpf(x) (1.0f / (x))
#define __builtin_amdgcn_rsqf(x) ((float)(1.0 / sqrt((double)(x))))
#define __builtin_amdgcn_exp2f(x) exp2f(x)
#define __builtin_amdgcn_logf(x) log2f(x)
#define __builtin_amdgcn_sinf(x) ((float)sin((double)(x) * 6.283185307179586))
#define __builtin_amdgcn_cosf(x) ((float)cos((double)(x) * 6.283185307179586))
static inline float f32_from_bits(u32 b) { float f; memcpy(&f, &b, 4); return f; }
`;

function cArg(a: ArgSpec, i: number): string {
  switch (a.kind) {
    case 'buffer': return `(void *)buf${i}`;
    case 'u32': return `${a.value >>> 0}u`;
    case 'i32': return `${a.value | 0}`;
    case 'f32': return `f32_from_bits(0x${f32Bits(a.value).toString(16)}u)`;
    case 'u64': return `${a.value}ull`;
    default: throw new Error(`${a.kind} arguments cannot run on the host`);
  }
}

function hostProgram(entry: CorpusKernel, args: ArgSpec[]): string {
  const buffers = args.map((a, i) =>
    a.kind === 'buffer'
      ? `static unsigned char buf${i}[${Math.max(1, a.data.length)}] __attribute__((aligned(16))) = {${[...a.data].join(',')}};\n`
      : '',
  );
  const [gx, gy, gz] = entry.grid;
  const [bx, by, bz] = entry.block;
  const out = args.map((a, i) => (a.kind === 'buffer' ? `fwrite(buf${i}, 1, ${a.data.length}, stdout);\n` : ''));
  return `#include <stdio.h>
#include "common.h"
#include "${entry.source}"
u32 cpu_local[3], cpu_group[3], cpu_size[3] = {${bx}, ${by}, ${bz}}, cpu_blocks[3] = {${Math.ceil(gx / bx)}, ${Math.ceil(gy / by)}, ${Math.ceil(gz / bz)}};
${buffers.join('')}
int main(void) {
  for (u32 z = 0; z < ${gz}; z++) for (u32 y = 0; y < ${gy}; y++) for (u32 x = 0; x < ${gx}; x++) {
    cpu_local[0] = x % ${bx}; cpu_local[1] = y % ${by}; cpu_local[2] = z % ${bz};
    cpu_group[0] = x / ${bx}; cpu_group[1] = y / ${by}; cpu_group[2] = z / ${bz};
    ${entry.kernel}(${args.map(cArg).join(', ')});
  }
${out.join('')}  return 0;
}
`;
}

function compileAndRun(dir: string, name: string, source: string, extra: string[] = []): Buffer {
  writeFileSync(join(dir, `${name}.c`), source);
  const exe = join(dir, name);
  const cc = spawnSync('gcc', ['-std=gnu11', '-O1', '-ffp-contract=off', '-I', dir, '-o', exe, join(dir, `${name}.c`), ...extra, '-lm'], { encoding: 'utf8' });
  assert.equal(cc.status, 0, `gcc failed for ${name}:\n${cc.stderr}`);
  const r = spawnSync(exe, [], { maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, `${name} exited with ${r.status}`);
  return r.stdout;
}

// Kernels whose work-items are independent (no LDS, barriers or cross-lane operations).
const HOST_RUNNABLE = ['vector_add', 'saxpy', 'fill', 'hash_loop', 'divergent', 'scratch_spill', 'transcendentals', 'reloc_table'];

test('CPU references agree with the kernel sources run on the host (gcc)', (t) => {
  if (!requireOracle(t, { commands: ['gcc'] })) return;
  const dir = mkdtempSync(join(tmpdir(), 'corpus-host-'));
  try {
    writeFileSync(join(dir, 'common.h'), SHIM);
    for (const id of HOST_RUNNABLE) {
      const entry = corpusKernel(id);
      copyFileSync(packagePath('test', 'kernels', entry.source), join(dir, entry.source));
      const ctx = corpusContext('gfx1100');
      const args = entry.args(ctx);
      const stdout = compileAndRun(dir, id, hostProgram(entry, args));
      const outputs = new Map<string, Uint8Array>();
      let at = 0;
      for (const a of args) {
        if (a.kind !== 'buffer') continue;
        outputs.set(a.name, new Uint8Array(stdout.subarray(at, at + a.data.length)));
        at += a.data.length;
      }
      assert.equal(at, stdout.length);
      assert.equal(entry.check(outputs, ctx), undefined, `${id}: reference disagrees with the host run`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fp helpers: f16 conversion, bf16 rounding and fma agree with gcc (_Float16, fmaf)', (t) => {
  if (!requireOracle(t, { commands: ['gcc'] })) return;
  const rng = new Xorshift32(99);
  const values: number[] = [0, -0, 1, -1, 65504, 65519.99, 65520, 1e-8, 2 ** -24, 2 ** -25, 3 * 2 ** -26, 6.1e-5, 0.1, 1 / 3];
  for (let i = 0; i < 2000; i++) values.push(bitsToF32(rng.nextU32() & 0xbfffffff)); // finite, |x| < 4
  for (let i = 0; i < 500; i++) values.push(Math.fround(rng.nextFloat(-70000, 70000)));
  const f32s = values.map(Math.fround);
  const triples = Array.from({ length: 3000 }, (_, i) => {
    // Mix in products of short mantissas so that ties and near-ties appear.
    const a = i % 3 === 0 ? Math.fround(rng.nextInt(1, 4095) / 64) : Math.fround(rng.nextFloat(-1e3, 1e3));
    const b = i % 3 === 0 ? Math.fround(rng.nextInt(1, 4095) / 64) : Math.fround(rng.nextFloat(-1e3, 1e3));
    const c = i % 3 === 0 ? Math.fround(rng.nextInt(1, 1 << 24) * 2 ** -20) : Math.fround(rng.nextFloat(-1e6, 1e6));
    return [a, b, c] as const;
  });
  const dir = mkdtempSync(join(tmpdir(), 'corpus-fp-'));
  try {
    const hex = (xs: readonly number[]) => xs.map((x) => `0x${f32Bits(x).toString(16)}u`).join(',');
    const src = `#include <stdio.h>
#include <string.h>
#include <math.h>
static const unsigned in[] = {${hex(f32s)}};
static const unsigned fm[] = {${hex(triples.flat())}};
static float f(unsigned b) { float x; memcpy(&x, &b, 4); return x; }
int main(void) {
  for (unsigned i = 0; i < sizeof in / 4; i++) { _Float16 h = (_Float16)f(in[i]); unsigned short s; memcpy(&s, &h, 2); printf("%u\\n", s); }
  for (unsigned i = 0; i < sizeof fm / 4; i += 3) { float r = fmaf(f(fm[i]), f(fm[i + 1]), f(fm[i + 2])); unsigned u; memcpy(&u, &r, 4); printf("%u\\n", u); }
  return 0;
}
`;
    const lines = compileAndRun(dir, 'fp', src).toString('utf8').trim().split('\n').map(Number);
    const half = lines.slice(0, f32s.length);
    const fma = lines.slice(f32s.length);
    assert.deepEqual(f32s.map(toF16Bits), half, 'f32 -> f16 (round to nearest even)');
    assert.deepEqual(triples.map(([a, b, c]) => f32Bits(fmaF32(a, b, c))), fma, 'fmaf');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // bf16: round to nearest even on the upper 16 bits (no host oracle in gcc 12): spot values.
  assert.equal(toBf16Bits(bitsToF32(0x3f808000)), 0x3f80, 'tie, even stays');
  assert.equal(toBf16Bits(bitsToF32(0x3f818000)), 0x3f82, 'tie, odd rounds up');
  assert.equal(toBf16Bits(bitsToF32(0x3f808001)), 0x3f81, 'above tie rounds up');
  assert.equal(toBf16Bits(bitsToF32(0x7f7fffff)), 0x7f80, 'overflow to infinity');
  assert.equal(toBf16Bits(NaN) & 0x7fc0, 0x7fc0, 'NaN stays quiet NaN');
});
