// Differential fuzzing of the block compiler against the per-instruction executor: random programs
// of real corpus instruction words (some with one bit flipped) and random dwords run in both modes
// from the same state must end the same way (completed, still running at the budget, or the same
// fault with the same message and location), after the same number of instructions, with the same
// bytes in the data buffer and in scratch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as fc from 'fast-check';
import { loadCodeObject } from '../src/codeobj/index.js';
import { GpuFault, GpuVm } from '../src/emu/gpu-vm.js';
import { createShaderCore, type ExecMode } from '../src/emu/isa/core.js';
import type { DispatchSetup } from '../src/emu/isa/types.js';
import { packagePath } from '../src/os/package-root.js';

const TARGETS = [
  { target: 'gfx1100', waveSize: 32, endpgm: 0xbfb0_0000, runs: 300 },
  { target: 'gfx942', waveSize: 64, endpgm: 0xbf81_0000, runs: 300 },
  { target: 'gfx1201', waveSize: 32, endpgm: 0xbfb0_0000, runs: 150 },
  { target: 'gfx90a', waveSize: 64, endpgm: 0xbf81_0000, runs: 150 },
] as const;
const CODE_VA = 0x7_0000_0000n;
const DATA_VA = 0x8_0000_0000n;
const SCRATCH_VA = 0x9_0000_0000n;
const DATA_BYTES = 0x10000;
const BUDGET = 5_000;

function words(target: string): number[] {
  const dir = packagePath('test/kernels');
  const out: number[] = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith(`.${target}.co`)).sort()) {
    const co = loadCodeObject(new Uint8Array(readFileSync(join(dir, f))));
    const text = co.elf.section('.text');
    if (!text) continue;
    const b = co.elf.sectionBytes(text);
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    for (let o = 0; o + 4 <= b.length; o += 4) out.push(dv.getUint32(o, true));
  }
  return out;
}

interface Run {
  readonly outcome: string;
  readonly instructions: number;
  readonly data: Buffer;
  readonly scratch: Buffer;
}

function run(exec: ExecMode, t: (typeof TARGETS)[number], program: number[], sgprs: number[], threads: number): Run {
  const code = new Uint8Array(0x1000);
  const cdv = new DataView(code.buffer);
  program.forEach((w, i) => cdv.setUint32(i * 4, w, true));
  cdv.setUint32(program.length * 4, t.endpgm, true);
  const vm = new GpuVm();
  const data = new Uint8Array(DATA_BYTES);
  for (let i = 0; i < DATA_BYTES; i++) data[i] = (i * 7 + 3) & 0xff;
  const scratch = new Uint8Array(0x10000);
  vm.map({ start: CODE_VA, end: CODE_VA + 0x1000n, bytes: code, offset: 0, writable: false, executable: true, label: 'code' });
  vm.map({ start: DATA_VA, end: DATA_VA + BigInt(DATA_BYTES), bytes: data, offset: 0, writable: true, executable: false, label: 'data' });
  vm.map({ start: SCRATCH_VA, end: SCRATCH_VA + 0x10000n, bytes: scratch, offset: 0, writable: true, executable: false, label: 'scratch' });
  const setup: DispatchSetup = {
    target: t.target, entry: CODE_VA, rsrc1: 0, rsrc2: (4 << 1) | (1 << 7) | (2 << 11), rsrc3: 0,
    userSgprs: [Number(DATA_VA & 0xffff_ffffn), Number(DATA_VA >> 32n), sgprs[0]!, sgprs[1]!],
    workgroupSize: [threads, 1, 1], workgroups: [1, 1, 1], waveSize: t.waveSize, ldsBytes: 256,
    scratch: { bytesPerLane: 64, base: SCRATCH_VA },
  };
  // hotAfter 1: every block runs as its generated function from its first run.
  const d = createShaderCore({ exec, hotAfter: 1 }).start(setup, vm);
  let outcome = 'still running at the budget';
  try {
    while (d.instructions < BUDGET) {
      if (d.step(500) === 'done') {
        outcome = 'completed';
        break;
      }
    }
  } catch (e) {
    if (e instanceof GpuFault) outcome = `VM fault at 0x${e.va.toString(16)}: ${JSON.stringify(e.shader)}`;
    else if (e instanceof Error) outcome = `${e.name}: ${e.message}`;
    else throw e;
  }
  return { outcome, instructions: d.instructions, data: Buffer.from(data), scratch: Buffer.from(scratch) };
}

for (const t of TARGETS) {
  test(`${t.target}: random programs of corpus instruction words end identically in both modes`, () => {
    const pool = words(t.target);
    const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
    const pick = fc.oneof(
      { weight: 1, arbitrary: u32.map((w) => ({ word: w })) },
      { weight: 6, arbitrary: fc.record({ at: fc.nat(), flip: fc.option(fc.integer({ min: 0, max: 31 }), { nil: undefined, freq: 4 }) }) },
    );
    fc.assert(
      fc.property(fc.array(pick, { minLength: 1, maxLength: 40 }), fc.array(u32, { minLength: 2, maxLength: 2 }), fc.integer({ min: 1, max: 64 }), (picks, sgprs, threads) => {
        const program = picks.map((p) => ('word' in p ? p.word : (pool[p.at % pool.length]! ^ (p.flip === undefined ? 0 : 1 << p.flip)) >>> 0));
        const a = run('interp', t, program, sgprs, threads);
        const b = run('block', t, program, sgprs, threads);
        assert.equal(b.outcome, a.outcome);
        assert.equal(b.instructions, a.instructions);
        assert.ok(b.data.equals(a.data), 'data buffer differs');
        assert.ok(b.scratch.equals(a.scratch), 'scratch differs');
      }),
      { numRuns: t.runs, seed: 17 },
    );
  });
}
