// Names of the FLAT/GLOBAL/SCRATCH/MUBUF data operations as LLVM spells them on gfx11 and gfx9,
// reduced to an access shape (RDNA3 ISA guide ch. 16.9-16.11, CDNA3 ISA "FLAT"/"MUBUF" opcode lists).

export interface Access {
  readonly kind: 'load' | 'store' | 'atomic';
  /** Element size in bytes (1, 2, 4) and number of dwords moved (1..4) for dword accesses. */
  readonly bytes: 1 | 2 | 4;
  readonly dwords: number;
  readonly signed: boolean;
  /** 16-bit VGPR halves: load into / store from the low or high half. */
  readonly d16?: 'lo' | 'hi';
  readonly atomic?: string;
  readonly wide?: boolean;
}

const LOADS: Record<string, Omit<Access, 'kind'>> = {
  b32: { bytes: 4, dwords: 1, signed: false }, dword: { bytes: 4, dwords: 1, signed: false },
  b64: { bytes: 4, dwords: 2, signed: false }, dwordx2: { bytes: 4, dwords: 2, signed: false },
  b96: { bytes: 4, dwords: 3, signed: false }, dwordx3: { bytes: 4, dwords: 3, signed: false },
  b128: { bytes: 4, dwords: 4, signed: false }, dwordx4: { bytes: 4, dwords: 4, signed: false },
  u8: { bytes: 1, dwords: 1, signed: false }, ubyte: { bytes: 1, dwords: 1, signed: false },
  i8: { bytes: 1, dwords: 1, signed: true }, sbyte: { bytes: 1, dwords: 1, signed: true },
  u16: { bytes: 2, dwords: 1, signed: false }, ushort: { bytes: 2, dwords: 1, signed: false },
  i16: { bytes: 2, dwords: 1, signed: true }, sshort: { bytes: 2, dwords: 1, signed: true },
  d16_b16: { bytes: 2, dwords: 1, signed: false, d16: 'lo' }, short_d16: { bytes: 2, dwords: 1, signed: false, d16: 'lo' },
  d16_hi_b16: { bytes: 2, dwords: 1, signed: false, d16: 'hi' }, short_d16_hi: { bytes: 2, dwords: 1, signed: false, d16: 'hi' },
  d16_u8: { bytes: 1, dwords: 1, signed: false, d16: 'lo' }, ubyte_d16: { bytes: 1, dwords: 1, signed: false, d16: 'lo' },
  d16_i8: { bytes: 1, dwords: 1, signed: true, d16: 'lo' }, sbyte_d16: { bytes: 1, dwords: 1, signed: true, d16: 'lo' },
  d16_hi_u8: { bytes: 1, dwords: 1, signed: false, d16: 'hi' }, ubyte_d16_hi: { bytes: 1, dwords: 1, signed: false, d16: 'hi' },
  d16_hi_i8: { bytes: 1, dwords: 1, signed: true, d16: 'hi' }, sbyte_d16_hi: { bytes: 1, dwords: 1, signed: true, d16: 'hi' },
};

const STORES: Record<string, Omit<Access, 'kind'>> = {
  b8: { bytes: 1, dwords: 1, signed: false }, byte: { bytes: 1, dwords: 1, signed: false },
  b16: { bytes: 2, dwords: 1, signed: false }, short: { bytes: 2, dwords: 1, signed: false },
  b32: LOADS.b32!, dword: LOADS.b32!, b64: LOADS.b64!, dwordx2: LOADS.b64!, b96: LOADS.b96!, dwordx3: LOADS.b96!, b128: LOADS.b128!, dwordx4: LOADS.b128!,
  d16_hi_b8: { bytes: 1, dwords: 1, signed: false, d16: 'hi' }, byte_d16_hi: { bytes: 1, dwords: 1, signed: false, d16: 'hi' },
  d16_hi_b16: { bytes: 2, dwords: 1, signed: false, d16: 'hi' }, short_d16_hi: { bytes: 2, dwords: 1, signed: false, d16: 'hi' },
};

/** Atomic names of both generations → one operation name. */
const ATOMICS: Record<string, string> = {
  add: 'add', add_u32: 'add', add_u64: 'add', sub: 'sub', sub_u32: 'sub', sub_u64: 'sub', rsub_u32: 'rsub',
  smin: 'smin', min_i32: 'smin', min_i64: 'smin', umin: 'umin', min_u32: 'umin', min_u64: 'umin',
  smax: 'smax', max_i32: 'smax', max_i64: 'smax', umax: 'umax', max_u32: 'umax', max_u64: 'umax',
  and: 'and', and_b32: 'and', and_b64: 'and', or: 'or', or_b32: 'or', or_b64: 'or', xor: 'xor', xor_b32: 'xor', xor_b64: 'xor',
  inc: 'inc', inc_u32: 'inc', inc_u64: 'inc', dec: 'dec', dec_u32: 'dec', dec_u64: 'dec',
  swap: 'swap', swap_b32: 'swap', swap_b64: 'swap', cmpswap: 'cmpswap', cmpswap_b32: 'cmpswap', cmpswap_b64: 'cmpswap',
  add_f32: 'add_f32', min_f32: 'min_f32', max_f32: 'max_f32', add_f64: 'add_f64', min_f64: 'min_f64', max_f64: 'max_f64',
  csub_u32: 'csub',
};

/** Parses "<global|flat|scratch|buffer>_<load|store|atomic>_<suffix>". */
export function accessOf(op: string): Access | undefined {
  const m = /^(?:global|flat|scratch|buffer)_(load|store|atomic)_(\w+)$/.exec(op);
  if (!m) return undefined;
  const [, kind, rest] = m;
  if (kind === 'load') return LOADS[rest!] ? { kind, ...LOADS[rest!]! } : undefined;
  if (kind === 'store') return STORES[rest!] ? { kind, ...STORES[rest!]! } : undefined;
  const x2 = rest!.endsWith('_x2');
  const name = x2 ? rest!.slice(0, -3) : rest!;
  const atomic = ATOMICS[name];
  if (!atomic) return undefined;
  const wide = x2 || /64$/.test(name);
  return { kind: 'atomic', bytes: 4, dwords: wide ? 2 : 1, signed: false, atomic, wide };
}
