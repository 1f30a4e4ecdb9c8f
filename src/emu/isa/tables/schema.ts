// Shape of the generated opcode tables (rdna3.ts, cdna3.ts, cdna2.ts) as written by scripts/gen-isa-tables.mjs.

/** One opcode: n = mnemonic as LLVM prints it, o = operand slots in print order, f = flags. */
export interface RawOpcode {
  readonly n: string;
  readonly o: readonly string[];
  readonly f?: string;
  /** Operand slots when the cache bit glc/sc0 makes an atomic return the old value. */
  readonly g?: readonly string[];
}

/** Encoding name (SOP1 … MTBUF, plus FLAT/SCRATCH/GLOBAL by segment) → opcode → entry. */
export type RawOpcodeTable = Readonly<Record<string, Readonly<Record<number, RawOpcode>>>>;
