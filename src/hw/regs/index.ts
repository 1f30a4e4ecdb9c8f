// The register database: which generated table describes which IP block of a GPU, chosen by the
// (block, version) its IP discovery table reports, and which discovery block's segment bases the
// table's offsets are relative to.
import type { RegisterDef } from './types.js';
import * as gc11 from './gc_11_0_0.js';
import * as gc943 from './gc_9_4_3.js';
import * as gc942 from './gc_9_4_2.js';
import * as sdma600 from './sdma_6_0_0.js';
import * as sdma442 from './sdma_4_4_2.js';
import * as sdma440 from './sdma_4_4_0.js';
import * as nbio430 from './nbio_4_3_0.js';
import * as nbio790 from './nbio_7_9_0.js';

export type { RegisterDef, RegisterField } from './types.js';
export { decodeFields } from './types.js';

export interface RegisterTable {
  /** What `regs` takes before the dot: GC, SDMA0, NBIO. */
  readonly block: string;
  /** The IP discovery block (soc15_hw_ip.h name) whose version selects this table. */
  readonly discoveryName: string;
  /** major.minor.revision as IP discovery reports it. */
  readonly version: string;
  /** The IP discovery block whose segment bases the offsets are relative to. */
  readonly baseBlock: string;
  /**
   * Dwords between instances when they share one segment (SDMA 6: sdma_v6_0.c adds SDMA1_REG_OFFSET 0x600
   * per instance to GC's base); undefined when each instance has its own discovery bases.
   */
  readonly instanceStride?: number;
  /** The header the table was generated from. */
  readonly source: string;
  readonly registers: readonly RegisterDef[];
}

export const REGISTER_TABLES: readonly RegisterTable[] = [
  { block: 'GC', discoveryName: 'GC', version: '11.0.0', baseBlock: 'GC', source: 'gc_11_0_0', registers: gc11.REGISTERS },
  { block: 'GC', discoveryName: 'GC', version: '9.4.3', baseBlock: 'GC', source: 'gc_9_4_3', registers: gc943.REGISTERS },
  { block: 'GC', discoveryName: 'GC', version: '9.4.2', baseBlock: 'GC', source: 'gc_9_4_2', registers: gc942.REGISTERS },
  // gfx11 SDMA registers live in the GC headers and GC's segment 0 (sdma_v6_0.c: sdma_v6_0_get_reg_offset)
  { block: 'SDMA0', discoveryName: 'SDMA0', version: '6.0.0', baseBlock: 'GC', instanceStride: 0x600, source: 'gc_11_0_0', registers: sdma600.REGISTERS },
  // sdma_v4_4_2.c: reg_offset[SDMA0_HWIP][instance][0] + the sdma_4_4_2_offset.h offset
  { block: 'SDMA0', discoveryName: 'SDMA0', version: '4.4.2', baseBlock: 'SDMA0', source: 'sdma_4_4_2', registers: sdma442.REGISTERS },
  // sdma_v4_0.c (which runs SDMA 4.4.0): reg_offset[SDMA0_HWIP][instance][0] + the offset
  { block: 'SDMA0', discoveryName: 'SDMA0', version: '4.4.0', baseBlock: 'SDMA0', source: 'sdma_4_4_0', registers: sdma440.REGISTERS },
  // NBIO_HWIP is discovery's NBIF block (amdgpu_discovery.c hw_id_map)
  { block: 'NBIO', discoveryName: 'NBIF', version: '4.3.0', baseBlock: 'NBIF', source: 'nbio_4_3_0', registers: nbio430.REGISTERS },
  { block: 'NBIO', discoveryName: 'NBIF', version: '7.9.0', baseBlock: 'NBIF', source: 'nbio_7_9_0', registers: nbio790.REGISTERS },
];

/** The table for one discovery block at one version, if the database has it. */
export function registerTable(discoveryName: string, version: string): RegisterTable | undefined {
  return REGISTER_TABLES.find((t) => t.discoveryName === discoveryName && t.version === version);
}
