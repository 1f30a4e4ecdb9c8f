// V_CMP / V_CMPX / V_CMP_CLASS as VALU specs with a per-lane mask result. Condition names per the
// ISA guides' VOPC opcode lists (RDNA3 ISA §16.8, CDNA3 ISA §12.x); LLVM spells "always true" t/tru.
import { registerSpec } from './valu-ops.js';

const FLOAT_CONDS: Record<string, string> = {
  f: 'false', lt: 'a < b', eq: 'a === b', le: 'a <= b', gt: 'a > b', lg: 'a < b || a > b', ge: 'a >= b',
  o: 'a === a && b === b', u: 'a !== a || b !== b', nge: '!(a >= b)', nlg: '!(a < b || a > b)', ngt: '!(a > b)',
  nle: '!(a <= b)', neq: 'a !== b', nlt: '!(a < b)', tru: 'true', t: 'true',
};
const INT_CONDS: Record<string, string> = { f: 'false', lt: 'a < b', eq: 'a === b', le: 'a <= b', gt: 'a > b', ne: 'a !== b', lg: 'a !== b', ge: 'a >= b', t: 'true', tru: 'true' };
const INT64_CONDS: Record<string, string> = { f: 'false', lt: '< 0', eq: '=== 0', le: '<= 0', gt: '> 0', ne: '!== 0', lg: '!== 0', ge: '>= 0', t: 'true', tru: 'true' };

for (const prefix of ['v_cmp', 'v_cmpx']) {
  for (const [cond, expr] of Object.entries(FLOAT_CONDS)) {
    for (const t of ['f16', 'f32', 'f64']) registerSpec(`${prefix}_${cond}_${t}`, `mask = ${t} ${t} : ${expr}`);
  }
  for (const [cond, expr] of Object.entries(INT_CONDS)) {
    for (const t of ['i16', 'u16', 'i32', 'u32']) registerSpec(`${prefix}_${cond}_${t}`, `mask = ${t} ${t} : ${expr}`);
  }
  for (const [cond, rel] of Object.entries(INT64_CONDS)) {
    for (const t of ['i64', 'u64']) {
      const e = rel === 'true' || rel === 'false' ? rel : `cmp64(a_lo, a_hi, b_lo, b_hi, ${t === 'i64'}) ${rel}`;
      registerSpec(`${prefix}_${cond}_${t}`, `mask = u64 u64 : ${e}`);
    }
  }
  registerSpec(`${prefix}_class_f32`, 'mask = u32 u32 : classBits(a, b, 8, 23)');
  registerSpec(`${prefix}_class_f16`, 'mask = u32 u32 : classBits(a & 0xffff, b, 5, 10)');
  registerSpec(`${prefix}_class_f64`, 'mask = u64 u32 : classBits64(a_lo, a_hi, b)');
}
