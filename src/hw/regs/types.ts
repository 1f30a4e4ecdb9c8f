// A register as the kernel's asic_reg headers describe it: dword offset from an IP segment base.
export interface RegisterField {
  readonly name: string;
  readonly shift: number;
  readonly mask: number;
}

export interface RegisterDef {
  readonly name: string;
  /** Dwords from the segment base (reg_offset[ip][inst][baseIndex]). */
  readonly offset: number;
  readonly baseIndex: number;
  /** Whether `regs write` may store to it (scratch registers only). */
  readonly writeSafe: boolean;
  readonly fields: readonly RegisterField[];
}

export function decodeFields(def: RegisterDef, value: number): { name: string; value: number }[] {
  return def.fields.map((f) => ({ name: f.name, value: ((value & f.mask) >>> 0) >>> f.shift }));
}
