// One struct codec for the kernel ABI: a layout is declared once, as the C header declares it
// (fields in order, natural alignment), and yields size, offsets, encode and decode.

export type Scalar = 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'u64' | 'i64';

export interface ArrayType { readonly array: Scalar | StructLayout<readonly FieldSpec[]>; readonly length: number }
export type FieldType = Scalar | ArrayType | StructLayout<readonly FieldSpec[]>;
export type FieldSpec = readonly [name: string, type: FieldType];

type ScalarValue<S extends Scalar> = S extends 'u64' | 'i64' ? bigint : number;
type ValueOf<T> = T extends Scalar
  ? ScalarValue<T>
  : T extends ArrayType
    ? ValueOf<T['array']>[]
    : T extends StructLayout<infer F>
      ? StructValue<F>
      : never;

export type StructValue<F extends readonly FieldSpec[]> = {
  [K in F[number] as K[0]]: ValueOf<K[1]>;
};
export type StructInput<F extends readonly FieldSpec[]> = Partial<StructValue<F>>;

const scalarSize: Record<Scalar, number> = { u8: 1, i8: 1, u16: 2, i16: 2, u32: 4, i32: 4, u64: 8, i64: 8 };

interface FieldInfo {
  readonly name: string;
  readonly type: FieldType;
  readonly offset: number;
  readonly size: number;
}

function isScalar(t: FieldType): t is Scalar {
  return typeof t === 'string';
}
function isArray(t: FieldType): t is ArrayType {
  return typeof t === 'object' && 'array' in t;
}

function sizeAlign(t: FieldType): { size: number; align: number } {
  if (isScalar(t)) return { size: scalarSize[t], align: scalarSize[t] };
  if (isArray(t)) {
    const e = sizeAlign(t.array);
    return { size: e.size * t.length, align: e.align };
  }
  return { size: t.size, align: t.align };
}

export class StructLayout<F extends readonly FieldSpec[]> {
  readonly size: number;
  readonly align: number;
  readonly fields: readonly FieldInfo[];
  private readonly byName: Map<string, FieldInfo>;

  constructor(readonly name: string, specs: F, opts: { packed?: boolean } = {}) {
    let offset = 0;
    let maxAlign = 1;
    const fields: FieldInfo[] = [];
    for (const [fname, type] of specs) {
      const { size, align } = sizeAlign(type);
      const a = opts.packed ? 1 : align;
      offset = Math.ceil(offset / a) * a;
      fields.push({ name: fname, type, offset, size });
      offset += size;
      maxAlign = Math.max(maxAlign, a);
    }
    this.align = maxAlign;
    this.size = Math.ceil(offset / maxAlign) * maxAlign;
    this.fields = fields;
    this.byName = new Map(fields.map((f) => [f.name, f]));
  }

  offsetOf(field: F[number][0]): number {
    const f = this.byName.get(field);
    if (!f) throw new Error(`${this.name} has no field ${field}`);
    return f.offset;
  }

  /** Encode into a fresh zeroed buffer (or into `into` at `at`); fields left out are zero. */
  encode(value: StructInput<F>, into?: Uint8Array, at = 0): Uint8Array {
    const out = into ?? new Uint8Array(this.size);
    const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
    if (!into) this.writeFields(dv, at, value as Record<string, unknown>);
    else {
      out.fill(0, at, at + this.size);
      this.writeFields(dv, at, value as Record<string, unknown>);
    }
    return out;
  }

  decode(bytes: Uint8Array, at = 0): StructValue<F> {
    if (bytes.byteLength < at + this.size) {
      throw new RangeError(`${this.name}: need ${this.size} bytes at ${at}, have ${bytes.byteLength - at}`);
    }
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return this.readFields(dv, at) as StructValue<F>;
  }

  private writeFields(dv: DataView, base: number, value: Record<string, unknown>): void {
    for (const f of this.fields) {
      const v = value[f.name];
      if (v === undefined) continue;
      writeValue(dv, base + f.offset, f.type, v, `${this.name}.${f.name}`);
    }
  }

  readFields(dv: DataView, base: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const f of this.fields) out[f.name] = readValue(dv, base + f.offset, f.type);
    return out;
  }
}

function writeValue(dv: DataView, at: number, t: FieldType, v: unknown, what: string): void {
  if (isScalar(t)) {
    writeScalar(dv, at, t, v, what);
  } else if (isArray(t)) {
    const arr = v as unknown[];
    if (arr.length > t.length) throw new RangeError(`${what}: ${arr.length} elements do not fit in ${t.length}`);
    const es = sizeAlign(t.array).size;
    arr.forEach((e, i) => writeValue(dv, at + i * es, t.array, e, `${what}[${i}]`));
  } else {
    for (const f of t.fields) {
      const fv = (v as Record<string, unknown>)[f.name];
      if (fv !== undefined) writeValue(dv, at + f.offset, f.type, fv, `${what}.${f.name}`);
    }
  }
}

function writeScalar(dv: DataView, at: number, t: Scalar, v: unknown, what: string): void {
  switch (t) {
    case 'u64':
    case 'i64': {
      const b = typeof v === 'bigint' ? v : BigInt(v as number);
      if (t === 'u64') dv.setBigUint64(at, BigInt.asUintN(64, b), true);
      else dv.setBigInt64(at, BigInt.asIntN(64, b), true);
      return;
    }
  }
  const n = typeof v === 'bigint' ? Number(v) : (v as number);
  if (!Number.isInteger(n)) throw new TypeError(`${what}: ${String(v)} is not an integer`);
  switch (t) {
    case 'u8': dv.setUint8(at, n); break;
    case 'i8': dv.setInt8(at, n); break;
    case 'u16': dv.setUint16(at, n, true); break;
    case 'i16': dv.setInt16(at, n, true); break;
    case 'u32': dv.setUint32(at, n >>> 0, true); break;
    case 'i32': dv.setInt32(at, n | 0, true); break;
  }
}

function readValue(dv: DataView, at: number, t: FieldType): unknown {
  if (isScalar(t)) {
    switch (t) {
      case 'u8': return dv.getUint8(at);
      case 'i8': return dv.getInt8(at);
      case 'u16': return dv.getUint16(at, true);
      case 'i16': return dv.getInt16(at, true);
      case 'u32': return dv.getUint32(at, true);
      case 'i32': return dv.getInt32(at, true);
      case 'u64': return dv.getBigUint64(at, true);
      case 'i64': return dv.getBigInt64(at, true);
    }
  }
  if (isArray(t)) {
    const es = sizeAlign(t.array).size;
    return Array.from({ length: t.length }, (_, i) => readValue(dv, at + i * es, t.array));
  }
  return t.readFields(dv, at);
}

export function struct<const F extends readonly FieldSpec[]>(name: string, fields: F, opts?: { packed?: boolean }): StructLayout<F> {
  return new StructLayout(name, fields, opts);
}

export function array<T extends Scalar | StructLayout<readonly FieldSpec[]>>(type: T, length: number): { readonly array: T; readonly length: number } {
  return { array: type, length };
}
