// The block compiler (src/emu/isa/compile) against the per-instruction executor, its reference: every
// corpus kernel on every corpus target gives bit-identical buffers and the same instruction count in
// both modes, and a kernel that faults, traps or halts stops with the same report (kind, message, pc,
// wave, lane, instruction text). Block formation: a block ends after its first control instruction
// and before a word that does not decode, so such a word costs nothing until a wave reaches it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileBlock } from '../src/emu/isa/compile/block.js';
import { GpuFault } from '../src/emu/gpu-vm.js';
import type { GpuMemory } from '../src/emu/isa/exec/mem.js';
import { CORPUS, CORPUS_TARGETS, corpusKernel, type CorpusKernel } from '../src/harness/corpus/index.js';
import { runCorpusKernel, type HarnessRun } from './support/isa-harness.js';
import type { ExecMode } from '../src/emu/isa/core.js';
import { decodeInstruction } from '../src/emu/isa/decode.js';
import { EXEC_LO, LANES, rowBound, Wave } from '../src/emu/isa/exec/wave.js';

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

const wordsOf = (...w: number[]): DataView => {
  const dv = new DataView(new ArrayBuffer(w.length * 4));
  w.forEach((x, i) => dv.setUint32(i * 4, x, true));
  return dv;
};

test('a block that branches back to its own start runs as a loop, at most as often as it is allowed', () => {
  const ctx = { family: 'rdna3', waveSize: 32 } as const;
  const PC = 0x1000;
  // s_add_i32 s0, s0, 1; s_cmp_lt_u32 s0, 10; v_add_nc_u32 v1, s0, v1; s_cbranch_scc1 -4 (back to PC)
  const loop = compileBlock(ctx, wordsOf(0x8100_8100, 0xbf0a_8a00, 0x4a02_0200, 0xbfa2_fffc), PC, noMemory)!;
  assert.equal(loop.length, 4);
  const run = loop.compiled(1)!;
  const w = new Wave('rdna3', 32);
  w.S[EXEC_LO] = 0b101;
  w.pc = PC;
  assert.equal(run(w, 4), 4);
  assert.deepEqual([w.S[0], w.pc, w.R[LANES], w.R[LANES + 1], w.R[LANES + 2]], [4, PC, 1 + 2 + 3 + 4, 0, 10]);
  // The branch falls through after the 10th run, before the allowance is used up.
  assert.equal(run(w, 100), 6);
  assert.deepEqual([w.S[0], w.scc, w.pc, w.R[LANES], w.R[LANES + 1], w.R[LANES + 2]], [10, 0, PC + 16, 55, 0, 55]);
});

test('a VOPD instruction bounds the register rows by its own operands', () => {
  // v_dual_mov_b32 v7, 0 :: v_dual_lshlrev_b32 v8, 6, v1 (sgemm_tiled gfx1100): rows up to v8 + the margin, not all 256.
  const ins = decodeInstruction('rdna3', wordsOf(0xca22_0080, 0x0708_0286), 0, 0);
  assert.equal(ins.encoding, 'VOPD');
  assert.equal(rowBound(ins), 8 + 8);
});

test('waves interleave the same whatever the step budgets: a dispatch stepped 3 instructions at a time stands exactly where one stepped 512 at a time does', () => {
  // Each step used to start a new round-robin pass at wave 0, so the caller's budget (the engine's
  // adaptive step, a pool thread's chunk) decided which wave of a workgroup ran first: seen as a
  // bounds report naming a different first bad byte under load.
  for (const id of ['hash_loop.O0', 'histogram']) {
    const k = corpusKernel(id);
    const snapshots = [3, 512].map((budget) => {
      const at = new Map<number, string>();
      runCorpusKernel(k, 'gfx1100', undefined, 1, { exec: 'block' }, {
        budget,
        observe: (run) => {
          if (run.instructions % 1536 === 0) at.set(run.instructions, JSON.stringify(run.liveWaves!().map((w) => [w.workgroup, w.wave, w.pc, w.instructions, w.atBarrier])));
        },
      });
      return at;
    });
    const common = [...snapshots[1]!.keys()].filter((t) => snapshots[0]!.has(t));
    assert.ok(common.length >= 3, `${id}: ${common.length} common observation points`);
    for (const t of common) assert.equal(snapshots[0]!.get(t), snapshots[1]!.get(t), `${id} after ${t} instructions`);
  }
});
