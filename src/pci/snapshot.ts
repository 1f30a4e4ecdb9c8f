// A decoded snapshot of a GPU's status registers (GRBM, CP, SDMA), for hang and timeout reports.
// Read through the same path as `amdgpu-ts regs`: IP discovery bases, the generated register
// database and a read-only mapping of the register BAR. Never throws: a GPU whose registers cannot be
// read (no root, no debugfs, no database for its GC version) gets one line saying why.
import type { Host } from '../os/host.js';
import { readPciFunction, registerBarIndex } from './devices.js';
import { debugfsDirOf, parseIpDiscovery } from './ip-discovery.js';
import { RegisterAperture, formatRegister, registerTableFor, resolveRegister } from './registers.js';

/** The registers a hang report shows, when the database has them. */
export const SNAPSHOT_REGISTERS = ['GRBM_STATUS', 'GRBM_STATUS2', 'CP_CPC_STATUS', 'CP_CPF_STATUS', 'SDMA0_STATUS_REG', 'SDMA0_QUEUE0_RB_RPTR', 'SDMA0_QUEUE0_RB_WPTR', 'SDMA0_QUEUE1_RB_RPTR', 'SDMA0_QUEUE1_RB_WPTR', 'CP_HQD_ACTIVE', 'CP_HQD_PQ_RPTR', 'CP_HQD_PQ_WPTR_LO'];

export function registerSnapshot(host: Host, pciAddress: string): string {
  try {
    const fn = readPciFunction(host, pciAddress);
    const dir = debugfsDirOf(host, pciAddress);
    if (!dir) return `register snapshot: not available (no readable debugfs DRM directory for ${pciAddress}; needs root)`;
    const d = parseIpDiscovery(host.readBytes(`${dir}/amdgpu_discovery`));
    const { table, gcVersion } = registerTableFor(d);
    const ap = new RegisterAperture(host, fn, registerBarIndex(''), false);
    try {
      const lines = [`register snapshot (GC ${gcVersion}, ${pciAddress} resource${registerBarIndex('')}):`];
      for (const name of SNAPSHOT_REGISTERS) {
        const def = table.registers.find((r) => r.name === name);
        if (!def) continue;
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
