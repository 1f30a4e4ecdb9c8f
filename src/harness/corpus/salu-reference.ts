// CPU reference of asm_salu (test/kernels/asm_salu.s): the scalar operations it runs, in its order, from
// the ISA guides' pseudocode (RDNA3 ISA ch. 16.1-16.5 "SOP2/SOPK/SOP1/SOPC", CDNA3 ISA ch. 12): each
// gives a 32-bit result (compares: the 0 the kernel leaves) and the SCC after it; operations that leave
// SCC alone pass the previous one through.

/** One operation: (a, b, scc before) → [result, scc after]. */
type SaluCase = (a: number, b: number, scc: number) => [number, number];

const u = (x: number): number => x >>> 0;
const bit = (c: boolean): number => (c ? 1 : 0);
const nz = (r: number): [number, number] => [u(r), bit(u(r) !== 0)];
/** Signed 32-bit add/sub overflow: the exact result leaves the int32 range. */
const overflows = (exact: number): number => bit(exact > 0x7fffffff || exact < -0x80000000);
const shiftAdd = (n: number): SaluCase => (a, b) => {
  const exact = a * 2 ** n + b;
  return [u(exact), bit(exact > 0xffffffff)];
};
const cmp = (f: (x: number, y: number) => boolean, signed: boolean): SaluCase => (a, b) => [0, bit(signed ? f(a | 0, b | 0) : f(a, b))];
const COMPARES: readonly [string, (x: number, y: number) => boolean][] = [
  ['eq', (x, y) => x === y], ['lg', (x, y) => x !== y], ['gt', (x, y) => x > y], ['ge', (x, y) => x >= y], ['lt', (x, y) => x < y], ['le', (x, y) => x <= y],
];
/** SOPK immediate 0x8001: sign-extended for the i32 compares, zero-extended for u32. */
const K_I32 = -0x7fff;
const K_U32 = 0x8001;

/** In the kernel's order (asm_salu.s). */
export const SALU_CASES: readonly SaluCase[] = [
  (a, b) => [u(a + b), bit(a + b > 0xffffffff)],
  (a, b) => [u(a - b), bit(b > a)],
  (a, b, scc) => [u(a + b + scc), bit(a + b + scc > 0xffffffff)],
  (a, b) => [u(a + b), overflows((a | 0) + (b | 0))],
  (a, b) => [u(a - b), overflows((a | 0) - (b | 0))],
  (a, b, scc) => [u(Number((BigInt(a) * BigInt(b)) & 0xffffffffn)), scc],
  (a, b) => nz(a & b),
  (a, b) => nz(a | b),
  (a, b) => nz(a ^ b),
  (a, b) => nz(a & ~b),
  (a, b) => nz(a | ~b),
  (a, b) => nz(~(a & b)),
  (a, b) => nz(~(a | b)),
  (a, b) => nz(~(a ^ b)),
  (a, b) => nz(Number((BigInt(a) << BigInt(b & 31)) & 0xffffffffn)),
  (a, b) => nz(Math.floor(a / 2 ** (b & 31))),
  (a, b) => nz(Math.floor((a | 0) / 2 ** (b & 31))),
  (a, b, scc) => [scc ? a : b, scc],
  (a, b) => [Math.min(a, b), bit(a < b)],
  (a, b) => [Math.max(a, b), bit(a > b)],
  (a, b) => [u(Math.min(a | 0, b | 0)), bit((a | 0) < (b | 0))],
  (a, b) => [u(Math.max(a | 0, b | 0)), bit((a | 0) > (b | 0))],
  shiftAdd(1), shiftAdd(2), shiftAdd(3), shiftAdd(4),
  ...COMPARES.map(([, f]) => cmp(f, true)),
  ...COMPARES.map(([, f]) => cmp(f, false)),
  (a) => nz(~a),
  (_a, _b, scc) => [0xffff8765, scc],
  (a) => [u((a | 0) + 0x7abc), overflows((a | 0) + 0x7abc)],
  (a) => [u((a | 0) - 0x7fff), overflows((a | 0) - 0x7fff)],
  ...COMPARES.map(([, f]): SaluCase => (a) => [0, bit(f(a | 0, K_I32))]),
  ...COMPARES.map(([, f]): SaluCase => (a) => [0, bit(f(a, K_U32))]),
];

export const SALU_ROUNDS = 16;

/** The words asm_salu stores: per round, per case, [result, scc]. */
export function saluWords(): Uint32Array {
  const out = new Uint32Array(SALU_ROUNDS * SALU_CASES.length * 2);
  let x = 0x9e3779b9;
  let o = 0;
  for (let r = 0; r < SALU_ROUNDS; r++) {
    x = u(Math.imul(x, 0x41c64e6d) + 0x3039);
    const a = x;
    const mixed = u((a >>> 7) ^ a);
    const b = [a, mixed & 63, u(a + 1), mixed][r % 4]!;
    // SCC from the round's setup: its last compare, r % 4 == 2.
    let scc = bit(r % 4 === 2);
    for (const c of SALU_CASES) {
      const [v, s] = c(a, b, scc);
      out[o++] = v;
      out[o++] = s;
      scc = s;
    }
  }
  return out;
}
