// A decoded snapshot of a GPU's status registers (GRBM, CP, SDMA, NBIO BIOS scratch), for hang and timeout reports.
// Read through the same path as `amdgpu-ts regs`: IP discovery bases, the generated register
// database and a read-only mapping of the register BAR. Never throws: a GPU whose registers cannot be
// read (no root, no debugfs, no database for its IP versions) gets one line saying why.
import type { Host } from '../os/host.js';
import { readPciFunction, registerBarIndex } from './devices.js';
import { debugfsDirOf, parseIpDiscovery } from './ip-discovery.js';
import { RegisterAperture, describeTables, formatRegister, registerTablesFor, resolveRegister } from './registers.js';

/** The registers a hang report shows, when the database has them (gfx11, SDMA 4.4.2 and 4.4.0 names). */
export const SNAPSHOT_REGISTERS = [
  'GC.GRBM_STATUS', 'GC.GRBM_STATUS2', 'GC.CP_CPC_STATUS', 'GC.CP_CPF_STATUS', 'GC.CP_HQD_ACTIVE', 'GC.CP_HQD_PQ_RPTR', 'GC.CP_HQD_PQ_WPTR_LO',
  'SDMA0.SDMA0_STATUS_REG', 'SDMA0.SDMA0_QUEUE0_RB_RPTR', 'SDMA0.SDMA0_QUEUE0_RB_WPTR', 'SDMA0.SDMA0_QUEUE1_RB_RPTR', 'SDMA0.SDMA0_QUEUE1_RB_WPTR',
  'SDMA0.SDMA_STATUS_REG', 'SDMA0.SDMA_F32_CNTL', 'SDMA0.SDMA_RLC0_RB_RPTR', 'SDMA0.SDMA_RLC0_RB_WPTR', 'SDMA0.SDMA_RLC1_RB_RPTR', 'SDMA0.SDMA_RLC1_RB_WPTR',
  'SDMA0.SDMA0_F32_CNTL', 'SDMA0.SDMA0_RLC0_RB_RPTR', 'SDMA0.SDMA0_RLC0_RB_WPTR', 'SDMA0.SDMA0_RLC1_RB_RPTR', 'SDMA0.SDMA0_RLC1_RB_WPTR',
  'NBIO.BIF_BX0_BIOS_SCRATCH_3', 'NBIO.BIF_BX0_BIOS_SCRATCH_7',
];

export function registerSnapshot(host: Host, pciAddress: string): string {
  try {
    const fn = readPciFunction(host, pciAddress);
    const dir = debugfsDirOf(host, pciAddress);
    if (!dir) return `register snapshot: not available (no readable debugfs DRM directory for ${pciAddress}; needs root)`;
    const d = parseIpDiscovery(host.readBytes(`${dir}/amdgpu_discovery`));
    const tables = registerTablesFor(d);
    const ap = new RegisterAperture(host, fn, registerBarIndex(''), false);
    try {
      const lines = [`register snapshot (${describeTables(tables)}, ${pciAddress} resource${registerBarIndex('')}):`];
      for (const spec of SNAPSHOT_REGISTERS) {
        const [block, name] = spec.split('.') as [string, string];
        const table = tables.find((t) => t.block === block);
        const def = table?.registers.find((r) => r.name === name);
        if (!table || !def) continue;
        const r = resolveRegister(d, table, def);
        const v = ap.read(r);
        const [head, ...fields] = formatRegister(r, v);
        // only the fields that are set: a busy bit is what a reader looks for
        lines.push(`  ${head}`, ...fields.filter((f) => !/\s0 \(0x0\)$/.test(f)).map((f) => `  ${f}`));
      }
      return lines.join('\n');
    } finally {
      ap.close();
    }
  } catch (e) {
    return `register snapshot: not available (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`;
  }
}
