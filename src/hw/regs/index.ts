// The register database by IP version: which generated table describes a GPU's GC block.
import type { RegisterDef } from './types.js';
import * as gc11 from './gc_11_0_0.js';
import * as gc943 from './gc_9_4_3.js';
import * as gc942 from './gc_9_4_2.js';

export type { RegisterDef, RegisterField } from './types.js';
export { decodeFields } from './types.js';

export interface RegisterTable {
  /** The IP block whose discovery bases the offsets are relative to. */
  readonly block: string;
  /** The header the table was generated from. */
  readonly source: string;
  readonly registers: readonly RegisterDef[];
}

/** GC version "major.minor.revision" → table: gfx1100 (GC 11.0.0), gfx942 (GC 9.4.3), gfx90a (GC 9.4.2). */
export const REGISTER_TABLES: ReadonlyMap<string, RegisterTable> = new Map([
  ['11.0.0', { block: gc11.BLOCK, source: 'gc_11_0_0', registers: gc11.REGISTERS }],
  ['9.4.3', { block: gc943.BLOCK, source: 'gc_9_4_3', registers: gc943.REGISTERS }],
  ['9.4.2', { block: gc942.BLOCK, source: 'gc_9_4_2', registers: gc942.REGISTERS }],
]);
