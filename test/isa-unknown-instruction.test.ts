// An instruction word the generated table does not know stops the wave with a decoded report, on every
// ISA family the shader core runs (issue 14's bad-input case for RDNA4, and the same contract elsewhere).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GpuVm } from '../src/emu/engine/vm.js';
import { createShaderCore } from '../src/emu/isa/core.js';
import { ShaderFault, type DispatchSetup } from '../src/emu/isa/types.js';

const CODE_VA = 0x7_0000_0000n;
/** SOPP opcode 127 (0xbfff0000) is undefined on every family here; s_endpgm is each family's own encoding. */
const CASES = [
  { target: 'gfx1201', waveSize: 32, endpgm: 0xbfb0_0000, family: 'rdna4' },
  { target: 'gfx1100', waveSize: 32, endpgm: 0xbfb0_0000, family: 'rdna3' },
  { target: 'gfx942', waveSize: 64, endpgm: 0xbf81_0000, family: 'cdna3' },
  { target: 'gfx90a', waveSize: 64, endpgm: 0xbf81_0000, family: 'cdna2' },
] as const;

for (const c of CASES) {
  test(`${c.target}: an unknown instruction faults the wave as illegal, naming the opcode and its pc`, () => {
    const code = new Uint8Array(0x1000);
    const dv = new DataView(code.buffer);
    dv.setUint32(0, 0xbf80_0000, true); // s_nop 0: the wave runs before it meets the unknown word
    dv.setUint32(4, 0xbfff_0000, true);
    dv.setUint32(8, c.endpgm, true);
    const vm = new GpuVm();
    vm.map({ start: CODE_VA, end: CODE_VA + 0x1000n, bytes: code, offset: 0, writable: false, executable: true, label: 'code' });
    const setup: DispatchSetup = { target: c.target, entry: CODE_VA, rsrc1: 0, rsrc2: 0, rsrc3: 0, userSgprs: [], workgroupSize: [1, 1, 1], workgroups: [1, 1, 1], waveSize: c.waveSize, ldsBytes: 0 };
    const d = createShaderCore().start(setup, vm);
    assert.throws(() => {
      while (d.step(100) !== 'done');
    }, (e: unknown) => e instanceof ShaderFault && e.kind === 'illegal' && new RegExp(`unknown ${c.family} SOPP opcode 127 at pc 0x700000004 \\(0xbfff0000\\)`).test(e.message));
  });
}
