// Table-driven packet layouts: a packet is a list of bit fields at (dword, low bit, width). The same
// table encodes, decodes and prints, so an encoder cannot disagree with its decoder.

export interface FieldDef {
  readonly name: string;
  /** Dword index inside the packet (0 = header). */
  readonly dw: number;
  readonly lo: number;
  readonly bits: number;
  /** Symbolic names for values, for printing. */
  readonly names?: Readonly<Record<number, string>>;
}

export function field(name: string, dw: number, lo = 0, bits = 32, names?: Readonly<Record<number, string>>): FieldDef {
  return names ? { name, dw, lo, bits, names } : { name, dw, lo, bits };
}

/** A 64-bit address split over two dwords (lo, hi): printed and set as one value. */
export function addr64(name: string, dwLo: number, loShift = 0): FieldDef[] {
  return [field(`${name}_lo`, dwLo, loShift, 32 - loShift), field(`${name}_hi`, dwLo + 1)];
}

export type FieldValues = Record<string, number>;

export function mask(bits: number): number {
  return bits >= 32 ? 0xffffffff : (1 << bits) - 1;
}

/** ORs every given field into `out` starting at `at` (the dwords must be zero or hold other fields). */
export function setFields(defs: readonly FieldDef[], values: FieldValues, out: Uint32Array, at: number): void {
  for (const f of defs) {
    const v = values[f.name];
    if (v === undefined) continue;
    const m = mask(f.bits);
    if (v < 0 || v > m || !Number.isInteger(v)) throw new RangeError(`field ${f.name}=${v} does not fit in ${f.bits} bits`);
    out[at + f.dw] = (out[at + f.dw]! | ((v & m) << f.lo)) >>> 0;
  }
}

export function getFields(defs: readonly FieldDef[], dwords: ArrayLike<number>, at: number): FieldValues {
  let read = decoders.get(defs);
  if (!read) decoders.set(defs, (read = compileDecoder(defs)));
  return read(dwords, at);
}

type FieldDecoder = (dwords: ArrayLike<number>, at: number) => FieldValues;

/** One decoder per layout table, made on first use: the emulated engines decode every packet they run. */
const decoders = new WeakMap<readonly FieldDef[], FieldDecoder>();

/**
 * A layout's decoder as one generated function returning an object literal: the same fields in the same
 * order every time, so every packet of a layout has one shape and no property is stored by a computed
 * name (a loop doing that costs several times more per packet). A packet cut short by the end of
 * `dwords` keeps the fields that are present.
 */
function compileDecoder(defs: readonly FieldDef[]): FieldDecoder {
  const read = (f: FieldDef): string => (f.bits >= 32 ? `d[a + ${f.dw}] >>> 0` : `(d[a + ${f.dw}] >>> ${f.lo}) & ${mask(f.bits)}`);
  const last = defs.reduce((m, f) => Math.max(m, f.dw), -1);
  const whole = `return { ${defs.map((f) => `${JSON.stringify(f.name)}: ${read(f)}`).join(', ')} };`;
  const partial = defs.map((f) => `if (a + ${f.dw} < n) o[${JSON.stringify(f.name)}] = ${read(f)};`).join('\n');
  const src = `const n = d.length;\nif (a + ${last} < n) { ${whole} }\nconst o = {};\n${partial}\nreturn o;`;
  return new Function('d', 'a', src) as FieldDecoder;
}

/** Joins `<name>_lo`/`<name>_hi` pairs into one bigint address (lo already shifted back). */
export function address(values: FieldValues, name: string, loShift = 0): bigint {
  return (BigInt(values[`${name}_hi`] ?? 0) << 32n) | (BigInt(values[`${name}_lo`] ?? 0) << BigInt(loShift));
}

export function splitAddress(name: string, va: bigint, loShift = 0): FieldValues {
  return { [`${name}_lo`]: Number((va & 0xffffffffn) >> BigInt(loShift)), [`${name}_hi`]: Number((va >> 32n) & 0xffffffffn) };
}

export function formatFields(defs: readonly FieldDef[], values: FieldValues, skip: ReadonlySet<string> = new Set()): string {
  const parts: string[] = [];
  const seenAddr = new Set<string>();
  for (const f of defs) {
    if (skip.has(f.name)) continue;
    const v = values[f.name];
    if (v === undefined) continue;
    const pair = /^(.*)_(lo|hi)$/.exec(f.name);
    if (pair && values[`${pair[1]}_lo`] !== undefined && values[`${pair[1]}_hi`] !== undefined) {
      const base = pair[1]!;
      if (seenAddr.has(base)) continue;
      seenAddr.add(base);
      const lo = defs.find((d) => d.name === `${base}_lo`)!;
      parts.push(`${base}=0x${address(values, base, lo.lo).toString(16)}`);
      continue;
    }
    const sym = f.names?.[v];
    parts.push(sym !== undefined ? `${f.name}=${sym}` : `${f.name}=${f.bits > 4 ? '0x' + v.toString(16) : v}`);
  }
  return parts.join(' ');
}
