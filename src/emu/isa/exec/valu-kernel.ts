// Turns a VALU operation spec into a lane-loop function once per (operation, result placement), so
// the operation's expression is compiled by V8 inside its own loop: no per-lane call, no allocation.
import * as helpers from './valu-helpers.js';
import { bf16ToF32, f64FromBits, f64ToF16, halfToFloat } from './float.js';
import type { LaneType, OpSpec } from './valu-ops.js';
import type { Wave } from './wave.js';

/**
 * Runs one operation over the active lanes (w.actLo/actHi). D is the destination row offset; each
 * source is a row offset and a lane stride (0 for a scalar broadcast slot). Mask results (compares,
 * carries) come back in w.outLo/outHi; carry-in and VCC-conditioned ops read w.cinLo/cinHi.
 */
export type LaneKernel = (w: Wave, D: number, sa: number, ta: number, sb: number, tb: number, sc: number, tc: number) => void;

/** Where a 16-bit result goes: low half keeping the high half, low half zeroing it, or high half. */
export type HalfPlacement = 'keep' | 'zero' | 'hi';

const names = ['a', 'b', 'c'];
const strides = ['ta', 'tb', 'tc'];
const offsets = ['sa', 'sb', 'sc'];

/** The statement that reads source k of type t for lane l (row offset sa/sb/sc, lane stride ta/tb/tc). */
function load(t: LaneType, k: number): string {
  const v = names[k]!;
  const i = `${offsets[k]} + l * ${strides[k]}`;
  switch (t) {
    case 'u32': return `const ${v} = R[${i}];`;
    case 'i32': return `const ${v} = R[${i}] | 0;`;
    case 'f32': return `const ${v} = F[${i}];`;
    case 'f16': return `const ${v} = H[R[${i}] & 0xffff];`;
    case 'u16': return `const ${v} = R[${i}] & 0xffff;`;
    case 'i16': return `const ${v} = (R[${i}] << 16) >> 16;`;
    case 'bf16': return `const ${v} = bf16ToF32(R[${i}]);`;
    case 'f64': return `const ${v} = f64FromBits(R[${i}], R[${i} + 64]);`;
    case 'u64': return `const ${v}_lo = R[${i}], ${v}_hi = R[${i} + 64];`;
    case 'b': return `const ${v} = (l < 32 ? ciLo >>> l : ciHi >>> (l - 32)) & 1;`;
  }
}

const setMask = 'if (l < 32) mLo |= 1 << l; else mHi |= 1 << (l - 32);';

/** The statement that writes lane l's result to row offset D (or its bit to mLo/mHi). */
export function store(spec: OpSpec, half: HalfPlacement): string {
  const e = spec.body;
  const to16 = spec.dst === 'f16' ? (x: string) => `f64ToF16(${x})` : (x: string) => `((${x}) & 0xffff)`;
  const put16 = (x: string): string =>
    half === 'zero' ? `R[D + l] = ${to16(x)};` : half === 'hi' ? `R[D + l] = (R[D + l] & 0xffff) | (${to16(x)} << 16);` : `R[D + l] = (R[D + l] & 0xffff0000) | ${to16(x)};`;
  const carry = spec.carry ? `if (co) { ${setMask} }` : '';
  if (spec.dst === 'u64') return `{ let lo = 0, hi = 0, co = 0; ${e}; R[D + l] = lo; R[D + 64 + l] = hi; ${carry} }`;
  if (spec.carry) {
    const put = spec.dst === 'f32' ? 'F[D + l] = r;' : spec.dst === 'f64' ? 'f64v[0] = r; R[D + l] = u64v[0]; R[D + 64 + l] = u64v[1];' : 'R[D + l] = r;';
    return `{ let r = 0, co = 0; ${e}; ${put} ${carry} }`;
  }
  switch (spec.dst) {
    case 'u32': return `R[D + l] = ${e};`;
    case 'f32': return `F[D + l] = ${e};`;
    case 'f16':
    case 'u16': return put16(e);
    case 'f64': return `f64v[0] = ${e}; R[D + l] = u64v[0]; R[D + 64 + l] = u64v[1];`;
    case 'mask': return `if (${e}) { ${setMask} }`;
  }
}

const cache = new Map<string, LaneKernel>();
const helperNames = Object.keys(helpers).filter((k) => k !== 'default');

/**
 * The names load() and store() statements use besides R, F, D and the lane: the helpers, the half
 * table and conversions, bound from the arguments K and X (laneScopeArgs) of the generated factory.
 */
export const LANE_SCOPE = `
const { ${helperNames.join(', ')} } = K;
const { H, f64ToF16, f64FromBits, bf16ToF32 } = X;
const fround = Math.fround;
const scratch = new ArrayBuffer(8), f64v = new Float64Array(scratch), u64v = new Uint32Array(scratch);`;

export function laneScopeArgs(): [typeof helpers, { H: Float32Array; f64ToF16: typeof f64ToF16; f64FromBits: typeof f64FromBits; bf16ToF32: typeof bf16ToF32 }] {
  return [helpers, { H: halfToFloat, f64ToF16, f64FromBits, bf16ToF32 }];
}

export function laneKernel(spec: OpSpec, half: HalfPlacement = 'keep'): LaneKernel {
  const key = `${spec.name}/${half}`;
  let k = cache.get(key);
  if (k) return k;
  const loads = spec.src.map((t, i) => load(t, i)).join('\n      ');
  const usesVcc = spec.body.includes('vccBit') ? 'const vccBit = (l < 32 ? ciLo >>> l : ciHi >>> (l - 32)) & 1;' : '';
  const src = `${LANE_SCOPE}
return function ${spec.name}(w, D, sa, ta, sb, tb, sc, tc) {
  const R = w.R, F = w.F, n = w.waveSize, eLo = w.actLo, eHi = w.actHi, ciLo = w.cinLo, ciHi = w.cinHi;
  let mLo = 0, mHi = 0;
  for (let l = 0; l < n; l++) {
    if (((l < 32 ? eLo >>> l : eHi >>> (l - 32)) & 1) === 0) continue;
    ${usesVcc}
    ${loads}
    ${store(spec, half)}
  }
  w.outLo = mLo >>> 0;
  w.outHi = mHi >>> 0;
};`;
  // The source text is assembled only from the static operation table above, never from input.
  k = new Function('K', 'X', src)(...laneScopeArgs()) as LaneKernel;
  cache.set(key, k);
  return k;
}
