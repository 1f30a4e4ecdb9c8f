// The block compiler (src/emu/isa/compile) against the per-instruction executor, its reference: every
// corpus kernel on every corpus target gives bit-identical buffers and the same instruction count in
// both modes, and a kernel that faults, traps or halts stops with the same report (kind, message, pc,
// wave, lane, instruction text). Block formation: a block ends after its first control instruction
// and before a word that does not decode, so such a word costs nothing until a wave reaches it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileBlock } from '../src/emu/isa/compile/block.js';
import { GpuFault } from '../src/emu/engine/vm.js';
import type { GpuMemory } from '../src/emu/isa/exec/mem.js';
import { CORPUS, CORPUS_TARGETS, corpusKernel, type CorpusKernel } from '../src/harness/corpus/index.js';
import { runCorpusKernel, type HarnessRun } from './support/isa-harness.js';
import type { ExecMode } from '../src/emu/isa/core.js';

type Outcome = { run: HarnessRun } | { error: unknown };

function outcome(run: () => HarnessRun): Outcome {
  try {
    return { run: run() };
  } catch (error) {
    return { error };
  }
}

/** What a fault report says: class, kind, message and (memory faults) where the wave stood. */
function report(e: unknown): unknown {
  if (!(e instanceof Error)) return e;
  return { name: e.name, message: e.message, kind: (e as { kind?: string }).kind, pc: (e as { pc?: number }).pc, shader: e instanceof GpuFault ? e.shader : undefined };
}

for (const target of CORPUS_TARGETS) {
  for (const k of CORPUS) {
    if (!k.targets.includes(target)) continue;
    test(`corpus ${k.id} on ${target}: block-compiled and per-instruction runs agree bit for bit (${k.expect})`, () => {
      const limit = k.expect === 'complete' ? undefined : 1_000_000;
      const [interp, block] = (['interp', 'block'] as ExecMode[]).map((exec) => outcome(() => runCorpusKernel(k, target, limit, 1, { exec, hotAfter: 1 })));
      if ('run' in interp!) {
        assert.ok('run' in block!, `block mode failed: ${'error' in block! ? String(block.error) : ''}`);
        assert.equal(block.run.instructions, interp.run.instructions);
        assert.deepEqual([...block.run.outputs.keys()], [...interp.run.outputs.keys()]);
        for (const [name, bytes] of interp.run.outputs) assert.ok(Buffer.from(bytes).equals(Buffer.from(block.run.outputs.get(name)!)), `${name} differs`);
        assert.equal(k.expect, 'complete');
      } else {
        assert.ok('error' in block!, 'block mode completed where interp faulted');
        assert.notEqual(k.expect, 'complete');
        assert.deepEqual(report(block.error), report(interp.error));
      }
    });
  }
}

test('a long uniform loop (wave turns end inside blocks, their prefixes get compiled) agrees bit for bit on every target', () => {
  const base = corpusKernel('hash_loop');
  const long: CorpusKernel = { ...base, args: (ctx) => base.args(ctx).map((a) => (a.name === 'rounds' && a.kind === 'u32' ? { ...a, value: 300 } : a)) };
  for (const target of CORPUS_TARGETS) {
    // Blocks and prefixes generated at once, and after the default number of runs (handlers until then).
    const [interp, ...blocks] = [{ exec: 'interp' as const }, { exec: 'block' as const, hotAfter: 1 }, { exec: 'block' as const }].map((o) => runCorpusKernel(long, target, undefined, 1, o));
    for (const block of blocks) {
      assert.equal(block.instructions, interp!.instructions, target);
      assert.ok(Buffer.from(block.outputs.get('out')!).equals(Buffer.from(interp!.outputs.get('out')!)), `${target}: out differs`);
    }
    // The loop body is ~15-22 instructions and a turn 256: most turns end inside the loop's block.
    assert.ok(interp!.instructions > 300 * 15 * 4, `${target}: ${interp!.instructions} instructions`);
  }
});

const noMemory = (): GpuMemory => {
  throw new Error('no memory access expected');
};

test('a block ends after its branch, and before an undecodable word without failing to compile', () => {
  const ctx = { family: 'rdna3', waveSize: 32 } as const;
  const words = (...w: number[]): DataView => {
    const dv = new DataView(new ArrayBuffer(w.length * 4));
    w.forEach((x, i) => dv.setUint32(i * 4, x, true));
    return dv;
  };
  const PC = 0x1000;
  // v_mov_b32 v1, 0 (0x7e020280); s_nop 0; s_branch +1; <undefined SOPP 127>; s_endpgm
  const branchy = compileBlock(ctx, words(0x7e02_0280, 0xbf80_0000, 0xbfa0_0001, 0xbfff_0000, 0xbfb0_0000), PC, noMemory)!;
  assert.deepEqual(branchy.pcs, [PC, PC + 4, PC + 8]);
  assert.deepEqual(branchy.nexts, [PC + 4, PC + 8, PC + 12]);
  // The same straight line without the branch: the block stops before the unknown word.
  const straight = compileBlock(ctx, words(0x7e02_0280, 0xbf80_0000, 0xbfff_0000, 0xbfb0_0000), PC, noMemory)!;
  assert.equal(straight.length, 2);
  assert.equal(straight.bytes.length, 8);
  // A block cannot start at the unknown word: the per-instruction path reports it when reached.
  assert.equal(compileBlock(ctx, words(0xbfff_0000, 0xbfb0_0000), PC, noMemory), undefined);
});
