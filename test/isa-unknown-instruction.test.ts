// An instruction word the generated table does not know stops the wave with a decoded report, on every
// ISA family the shader core runs (issue 14's bad-input case for RDNA4, and the same contract elsewhere),
// whether the wave runs instruction by instruction or as compiled blocks; a wave that branches over
// such a word never meets it and completes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GpuVm } from '../src/emu/gpu-vm.js';
import { createShaderCore, EXEC_MODES } from '../src/emu/isa/core.js';
import { ShaderFault, type DispatchSetup } from '../src/emu/isa/types.js';

const CODE_VA = 0x7_0000_0000n;
/** SOPP opcode 127 (0xbfff0000) is undefined on every family here; s_endpgm is each family's own encoding. */
const CASES = [
  { target: 'gfx1201', waveSize: 32, endpgm: 0xbfb0_0000, family: 'rdna4' },
  { target: 'gfx1100', waveSize: 32, endpgm: 0xbfb0_0000, family: 'rdna3' },
  { target: 'gfx942', waveSize: 64, endpgm: 0xbf81_0000, family: 'cdna3' },
  { target: 'gfx90a', waveSize: 64, endpgm: 0xbf81_0000, family: 'cdna2' },
] as const;

/** SOPP s_branch (simm16 = 1: skip one dword): RDNA 0xbfa0, GFX9 0xbf82. */
const branchOverOne = (c: (typeof CASES)[number]): number => (c.waveSize === 32 ? 0xbfa0_0001 : 0xbf82_0001);

function dispatch(c: (typeof CASES)[number], exec: (typeof EXEC_MODES)[number], words: number[]) {
  const code = new Uint8Array(0x1000);
  const dv = new DataView(code.buffer);
  words.forEach((w, i) => dv.setUint32(i * 4, w, true));
  const vm = new GpuVm();
  vm.map({ start: CODE_VA, end: CODE_VA + 0x1000n, bytes: code, offset: 0, writable: false, executable: true, label: 'code' });
  const setup: DispatchSetup = { target: c.target, entry: CODE_VA, rsrc1: 0, rsrc2: 0, rsrc3: 0, userSgprs: [], workgroupSize: [1, 1, 1], workgroups: [1, 1, 1], waveSize: c.waveSize, ldsBytes: 0 };
  return createShaderCore({ exec, hotAfter: 1 }).start(setup, vm);
}

for (const c of CASES) {
  for (const exec of EXEC_MODES) {
    test(`${c.target} (${exec}): an unknown instruction faults the wave as illegal, naming the opcode and its pc`, () => {
      // s_nop 0: the wave runs before it meets the unknown word.
      const d = dispatch(c, exec, [0xbf80_0000, 0xbfff_0000, c.endpgm]);
      assert.throws(() => {
        while (d.step(100) !== 'done');
      }, (e: unknown) => e instanceof ShaderFault && e.kind === 'illegal' && e.pc === 0x7_0000_0004 && new RegExp(`unknown ${c.family} SOPP opcode 127 at pc 0x700000004 \\(0xbfff0000\\)`).test(e.message));
    });

    test(`${c.target} (${exec}): an unknown instruction the wave branches over is never decoded`, () => {
      const d = dispatch(c, exec, [0xbf80_0000, branchOverOne(c), 0xbfff_0000, c.endpgm]);
      let steps = 0;
      while (d.step(100) !== 'done') assert.ok(++steps < 10, 'the wave did not end');
      assert.equal(d.instructions, 3);
    });
  }
}
