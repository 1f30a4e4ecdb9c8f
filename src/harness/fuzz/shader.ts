// Fuzz target "shader": the shader core (decoder + executor, src/emu/isa) fed random instruction
// words — uniformly random dwords mixed with real instruction words taken from the corpus kernels, so
// that many decode and run — then s_endpgm. A wave must finish, stop with a ShaderFault (illegal or
// unimplemented instruction, trap, halt) or a GpuFault (VM fault), or still be running when the
// instruction budget is spent (a random branch can loop, as on hardware). No other JS exception may
// escape, and no step may take longer than the time bound.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as fc from 'fast-check';
import { loadCodeObject } from '../../codeobj/index.js';
import { packagePath } from '../../os/package-root.js';
import { GpuFault, GpuVm } from '../../emu/gpu-vm.js';
import { createShaderCore } from '../../emu/isa/core.js';
import { ShaderFault, type DispatchSetup, type IsaFamily } from '../../emu/isa/types.js';
import { bump, describeError, FuzzViolation, since, type FuzzTarget, type TargetSession } from './target.js';

const TARGETS: readonly { target: string; family: IsaFamily; waveSize: 32 | 64; endpgm: number }[] = [
  { target: 'gfx1100', family: 'rdna3', waveSize: 32, endpgm: 0xbfb0_0000 },
  { target: 'gfx942', family: 'cdna3', waveSize: 64, endpgm: 0xbf81_0000 },
  { target: 'gfx90a', family: 'cdna2', waveSize: 64, endpgm: 0xbf81_0000 },
];
const CODE_VA = 0x7_0000_0000n;
const DATA_VA = 0x8_0000_0000n;
const SCRATCH_VA = 0x9_0000_0000n;
const DATA_BYTES = 0x10000;
const INSTRUCTION_BUDGET = 20_000;
const STEP = 2_000;
/** One step of STEP instructions may not take longer than this. */
const STEP_BOUND_MS = 2_000;

/** The dwords of every corpus kernel's .text, per ISA family: real instructions to splice in. */
function instructionWords(): Map<IsaFamily, number[]> {
  const dir = packagePath('test/kernels');
  const out = new Map<IsaFamily, number[]>(TARGETS.map((t) => [t.family, []]));
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.co')).sort()) {
    const t = TARGETS.find((x) => f.includes(`.${x.target}.`));
    if (!t) continue;
    const co = loadCodeObject(new Uint8Array(readFileSync(join(dir, f))));
    const text = co.elf.section('.text');
    if (!text) continue;
    const b = co.elf.sectionBytes(text);
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    for (let o = 0; o + 4 <= b.length; o += 4) out.get(t.family)!.push(dv.getUint32(o, true));
  }
  return out;
}

export const shaderTarget: FuzzTarget = {
  name: 'shader',
  what: 'shader core (RDNA3, CDNA3, CDNA2) ← random and corpus instruction words',
  batch: 300,
  open(): TargetSession {
    const pools = instructionWords();
    const counts = new Map<string, number>();
    const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
    const input = fc.record({
      target: fc.nat({ max: TARGETS.length - 1 }),
      picks: fc.array(fc.oneof({ weight: 1, arbitrary: fc.record({ random: u32 }) }, { weight: 2, arbitrary: fc.record({ corpus: fc.nat(), flip: fc.option(fc.integer({ min: 0, max: 31 }), { nil: undefined }) }) }), { minLength: 1, maxLength: 24 }),
      sgprs: fc.array(u32, { minLength: 4, maxLength: 4 }),
      threads: fc.integer({ min: 1, max: 64 }),
      scratch: fc.boolean(),
      lds: fc.constantFrom(0, 256, 65536),
    });
    const core = createShaderCore();
    const property = fc.property(input, (inp) => {
      const t = TARGETS[inp.target]!;
      const pool = pools.get(t.family)!;
      const words = inp.picks.map((p) => ('random' in p ? p.random : (pool[p.corpus % pool.length]! ^ (p.flip === undefined ? 0 : 1 << p.flip)) >>> 0));
      const code = new Uint8Array(0x1000);
      const cdv = new DataView(code.buffer);
      words.forEach((w, i) => cdv.setUint32(i * 4, w, true));
      cdv.setUint32(words.length * 4, t.endpgm, true);
      const vm = new GpuVm();
      vm.map({ start: CODE_VA, end: CODE_VA + 0x1000n, bytes: code, offset: 0, writable: false, executable: true, label: 'code' });
      vm.map({ start: DATA_VA, end: DATA_VA + BigInt(DATA_BYTES), bytes: new Uint8Array(DATA_BYTES), offset: 0, writable: true, executable: false, label: 'data' });
      if (inp.scratch) vm.map({ start: SCRATCH_VA, end: SCRATCH_VA + 0x10000n, bytes: new Uint8Array(0x10000), offset: 0, writable: true, executable: false, label: 'scratch' });
      const setup: DispatchSetup = {
        target: t.target,
        entry: CODE_VA,
        rsrc1: 0,
        // USER_SGPR = 4 [5:1], TGID_X_EN [7], TIDIG_COMP_CNT = 2 [12:11], SCRATCH_EN [0] with scratch.
        rsrc2: (4 << 1) | (1 << 7) | (2 << 11) | (inp.scratch ? 1 : 0),
        rsrc3: 0,
        // s[0:1] = a data buffer the kernel may read and write, s[2:3] random.
        userSgprs: [Number(DATA_VA & 0xffff_ffffn), Number(DATA_VA >> 32n), inp.sgprs[2]!, inp.sgprs[3]!],
        workgroupSize: [inp.threads, 1, 1],
        workgroups: [1, 1, 1],
        waveSize: t.waveSize,
        ldsBytes: inp.lds,
        ...(inp.scratch ? { scratch: { bytesPerLane: 64, base: SCRATCH_VA } } : {}),
      };
      let outcome: string;
      try {
        const d = core.start(setup, vm);
        for (;;) {
          const start = performance.now();
          const r = d.step(STEP);
          const ms = since(start);
          if (ms > STEP_BOUND_MS) throw new FuzzViolation(`${t.target}: ${STEP} instructions took ${ms.toFixed(0)} ms (bound ${STEP_BOUND_MS} ms)`);
          if (r === 'done') {
            outcome = 'completed';
            break;
          }
          if (d.instructions >= INSTRUCTION_BUDGET) {
            outcome = 'still running at the instruction budget';
            break;
          }
        }
      } catch (e) {
        if (e instanceof FuzzViolation) throw e;
        if (e instanceof ShaderFault) outcome = `wave fault: ${e.kind}`;
        else if (e instanceof GpuFault) outcome = 'VM fault';
        else throw new FuzzViolation(`${t.target}: words [${words.map((w) => '0x' + w.toString(16).padStart(8, '0')).join(', ')}]: untyped exception escaped: ${describeError(e)}`, { cause: e });
      }
      bump(counts, outcome);
      return true;
    });
    return { property, counts, close: async () => undefined };
  },
};
