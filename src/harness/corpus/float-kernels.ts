// Corpus entries for the floating-point OpenCL C kernels (f32 fma, tiled SGEMM, f16/bf16,
// transcendentals), with their tolerances and the reasons for them.
import { compareExact, compareF32, firstFailure } from './compare.js';
import { asF32, asU16, bytesOf, f32Array } from './data.js';
import { grid1, type Entry } from './entry.js';
import { bf16BitsToNumber, f16BitsToNumber, f16Round, fmaF32, toBf16Bits, toF16Bits } from './fp.js';

// ---------------------------------------------------------------------------------------------
const SAXPY_N = 1000;
const SAXPY_A = 2.5;
const saxpyX = (): Float32Array => f32Array(1024, 3, (r) => r.nextFloat(-100, 100));
const saxpyY = (): Float32Array => f32Array(1024, 4, (r) => r.nextFloat(-100, 100));
export const saxpy: Entry = {
  id: 'saxpy',
  kernel: 'saxpy',
  exercises: 'f32 fma (v_fma_f32), float scalar kernarg, group size from hidden argument group_size_x',
  grid: grid1(1024),
  block: grid1(128),
  tolerance: '0 ulp: fma is correctly rounded and the reference computes an exactly rounded fma',
  args: () => [
    { kind: 'f32', name: 'a', value: SAXPY_A },
    { kind: 'buffer', name: 'x', data: bytesOf(saxpyX()) },
    { kind: 'buffer', name: 'y', data: bytesOf(saxpyY()) },
    { kind: 'u32', name: 'n', value: SAXPY_N },
  ],
  check: (out) => {
    const x = saxpyX();
    const y = saxpyY();
    const want = Float32Array.from(y, (yi, i) => (i < SAXPY_N ? fmaF32(SAXPY_A, x[i]!, yi) : yi));
    return compareF32('y', out.get('y') && asF32(out.get('y')!), want, { ulps: 0 });
  },
};

// ---------------------------------------------------------------------------------------------
const GEMM = { M: 32, N: 48, K: 32 } as const;
const gemmA = (): Float32Array => f32Array(GEMM.M * GEMM.K, 8, (r) => r.nextInt(-4, 4));
const gemmB = (): Float32Array => f32Array(GEMM.K * GEMM.N, 9, (r) => r.nextInt(-4, 4));
export const sgemm: Entry = {
  id: 'sgemm_tiled',
  kernel: 'sgemm_tiled',
  exercises: '2-D grid and work-group (workitem_id_y, workgroup_id_y), 16x16 LDS tiles, fma accumulation',
  grid: [GEMM.N, GEMM.M, 1],
  block: [16, 16, 1],
  tolerance: '0 ulp: inputs are small integers, so every product and partial sum is exact in f32',
  args: () => [
    { kind: 'buffer', name: 'A', data: bytesOf(gemmA()) },
    { kind: 'buffer', name: 'B', data: bytesOf(gemmB()) },
    { kind: 'buffer', name: 'C', data: bytesOf(new Float32Array(GEMM.M * GEMM.N).fill(-1)) },
    { kind: 'u32', name: 'N', value: GEMM.N },
    { kind: 'u32', name: 'K', value: GEMM.K },
  ],
  check: (out) => {
    const A = gemmA();
    const B = gemmB();
    const want = new Float32Array(GEMM.M * GEMM.N);
    for (let r = 0; r < GEMM.M; r++)
      for (let c = 0; c < GEMM.N; c++) {
        let acc = 0;
        for (let k = 0; k < GEMM.K; k++) acc += A[r * GEMM.K + k]! * B[k * GEMM.N + c]!;
        want[r * GEMM.N + c] = acc;
      }
    return compareF32('C', out.get('C') && asF32(out.get('C')!), want, { ulps: 0 });
  },
};

// ---------------------------------------------------------------------------------------------
const HALF_N = 200;
// Magnitudes in [0.25, 8) and [0.25, 4): sums stay exact in f32, so f16 results need one rounding.
const halfA = (): Float32Array => f32Array(256, 11, (r) => (r.nextU32() & 1 ? -1 : 1) * r.nextFloat(0.25, 8));
const halfB = (): Float32Array => f32Array(256, 12, (r) => (r.nextU32() & 1 ? -1 : 1) * r.nextFloat(0.25, 4));
export const halfConvert: Entry = {
  id: 'half_convert',
  kernel: 'half_convert',
  exercises: 'f32->f16 and f32->bf16 conversion (round to nearest even), f16 mul/add, packed half2 mul, f16->f32',
  grid: grid1(256),
  block: grid1(64),
  tolerance: '0 ulp: every f16/bf16 operation is a single IEEE rounding the reference reproduces exactly',
  args: () => [
    { kind: 'buffer', name: 'a', data: bytesOf(halfA()) },
    { kind: 'buffer', name: 'b', data: bytesOf(halfB()) },
    { kind: 'buffer', name: 'out_h', data: bytesOf(new Uint16Array(4 * 256).fill(0xcdcd)) },
    { kind: 'buffer', name: 'out_bf', data: bytesOf(new Uint16Array(256).fill(0xcdcd)) },
    { kind: 'buffer', name: 'out_f', data: bytesOf(new Float32Array(256).fill(-1)) },
    { kind: 'u32', name: 'n', value: HALF_N },
  ],
  check: (out) => {
    const a = halfA();
    const b = halfB();
    const wantH = new Uint16Array(4 * 256).fill(0xcdcd);
    const wantBf = new Uint16Array(256).fill(0xcdcd);
    const wantF = new Float32Array(256).fill(-1);
    for (let i = 0; i < HALF_N; i++) {
      const ha = f16Round(a[i]!);
      const hb = f16Round(b[i]!);
      const product = f16Round(ha * hb);
      const sum = f16Round(product + ha);
      wantH[4 * i] = toF16Bits(ha);
      wantH[4 * i + 1] = toF16Bits(product);
      wantH[4 * i + 2] = toF16Bits(sum);
      wantH[4 * i + 3] = toF16Bits(f16Round(ha * product));
      wantBf[i] = toBf16Bits(a[i]!);
      wantF[i] = Math.fround(f16BitsToNumber(toF16Bits(sum)) + bf16BitsToNumber(wantBf[i]!));
    }
    return firstFailure(
      compareExact('out_h', out.get('out_h') && asU16(out.get('out_h')!), wantH),
      compareExact('out_bf', out.get('out_bf') && asU16(out.get('out_bf')!), wantBf),
      compareF32('out_f', out.get('out_f') && asF32(out.get('out_f')!), wantF, { ulps: 0 }),
    );
  },
};

// ---------------------------------------------------------------------------------------------
const TRANS_N = 200;
const transX = (): Float32Array => f32Array(256, 13, (r) => r.nextFloat(2, 64));
const TRANS_ULPS = 2;
const TRANS_SINCOS_ABS = 1e-5;
export const transcendentals: Entry = {
  id: 'transcendentals',
  kernel: 'transcendentals',
  exercises: 'v_sqrt/v_rcp/v_rsq/v_exp/v_log/v_sin/v_cos_f32 hardware approximations, separate mul+add',
  grid: grid1(256),
  block: grid1(64),
  tolerance:
    `sqrt, rcp, rsq, exp2, log2: ${TRANS_ULPS} ulp (hardware approximations documented as ~1 ulp, vs a ` +
    `correctly rounded reference); sin/cos: ${TRANS_SINCOS_ABS} absolute (no ulp bound is published, ` +
    'results lie in [-1, 1]); x*x+1: 0 ulp (two IEEE roundings)',
  args: () => [
    { kind: 'buffer', name: 'x', data: bytesOf(transX()) },
    { kind: 'buffer', name: 'out', data: bytesOf(new Float32Array(8 * 256).fill(-1)) },
    { kind: 'u32', name: 'n', value: TRANS_N },
  ],
  check: (out) => {
    const x = transX();
    const want = new Float32Array(8 * 256).fill(-1);
    for (let i = 0; i < TRANS_N; i++) {
      const v = x[i]!;
      const turns = Math.fround(v * 0.015625);
      want.set(
        [
          Math.sqrt(v),
          1 / v,
          1 / Math.sqrt(v),
          2 ** Math.fround(v * 0.125),
          Math.log2(v),
          Math.sin(2 * Math.PI * turns),
          Math.cos(2 * Math.PI * turns),
          Math.fround(Math.fround(v * v) + 1),
        ],
        8 * i,
      );
    }
    const got = out.get('out') && asF32(out.get('out')!);
    const k = (set: number[]) => (i: number) => set.includes(i % 8);
    return firstFailure(
      compareF32('out (sqrt/rcp/rsq/exp2/log2)', got, want, { ulps: TRANS_ULPS }, k([0, 1, 2, 3, 4])),
      compareF32('out (sin/cos)', got, want, { abs: TRANS_SINCOS_ABS }, k([5, 6])),
      compareF32('out (x*x+1 and untouched tail)', got, want, { ulps: 0 }, (i) => i % 8 === 7 || i >= 8 * TRANS_N),
    );
  },
};

