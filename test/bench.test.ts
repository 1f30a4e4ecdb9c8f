// Smoke test of `amdgpu-ts bench --quick --json` on the emulated GPU: one JSON document whose figures
// are positive numbers, every section present, the submission paths carrying a C baseline (or the
// reason it is unavailable). Not a timed test: it asserts the shape, never a speed.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runBench } from '../src/cli/bench.js';
import type { CommandIo } from '../src/cli/io.js';
import { CORPUS_TARGETS } from '../src/harness/corpus/index.js';
import { BENCH_SECTIONS } from '../src/harness/bench/run.js';
import { defaultShaderWorkers } from '../src/emu/isa/parallel/index.js';
import { buildHsaBench } from '../src/harness/bench/served.js';
import { samplePlan } from '../src/harness/bench/copy-bandwidth.js';
import { inCI, requireOracle } from './support/tools.js';

interface Figure {
  section: string;
  name: string;
  value: number;
  unit: string;
  baseline: number | null;
  baselineLabel: string | null;
  ratio: number | null;
  timing: string;
  detail?: string;
  emulated: boolean;
}

function capture(): CommandIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => void stdout.push(l), err: (l) => void stderr.push(l), interactive: false };
}

describe('amdgpu-ts bench --quick --json on emu:gfx1100', () => {
  it('prints one JSON document of positive, labelled figures for every section', async () => {
    const io = capture();
    // Every section but "served" (which always runs on emu:gfx90a; covered below).
    assert.deepEqual(BENCH_SECTIONS.map((x) => x.key), ['copy', 'dispatch', 'signal', 'shader', 'submission', 'drm', 'served']);
    const code = await runBench(['--quick', '--json', '--device', 'emu:gfx1100', '--only', 'copy,dispatch,signal', '--only', 'shader', '--only', 'submission,drm'], io);
    assert.equal(code, 0, io.stderr.join('\n'));
    assert.equal(io.stdout.length, 1, 'exactly one write to stdout');
    const doc = JSON.parse(io.stdout[0]!) as { device: string; emulated: boolean; quick: boolean; figures: Figure[]; notes: string[] };
    assert.equal(doc.device, 'emu:gfx1100');
    assert.equal(doc.emulated, true);
    assert.equal(doc.quick, true);
    assert.deepEqual([...new Set(doc.figures.map((f) => f.section))], ['copy', 'dispatch', 'signal', 'shader core', 'submission', 'drm']);
    for (const f of doc.figures) {
      assert.ok(Number.isFinite(f.value) && f.value > 0, `${f.section} ${f.name}: value ${f.value}`);
      assert.equal(f.emulated, true, `${f.name} is labelled emulated`);
      assert.ok(f.unit.length > 0 && f.timing.length > 0);
      if (f.baseline !== null) {
        assert.ok(f.baseline > 0 && f.ratio! > 0, `${f.name}: baseline ${f.baseline}, ratio ${f.ratio}`);
        assert.ok(f.baselineLabel);
      }
    }
    const names = (section: string): string[] => doc.figures.filter((f) => f.section === section).map((f) => f.name);
    assert.deepEqual(names('copy'), [...['GTT→VRAM', 'VRAM→GTT', 'VRAM→VRAM'].flatMap((d) => ['4 KiB', '64 KiB', '1 MiB'].map((s) => `${d} ${s}`)), 'fresh GTT→GTT 32 MiB', 'fresh VRAM→VRAM 32 MiB']);
    assert.deepEqual(names('dispatch'), ['PM4', 'AQL'].flatMap((q) => [`${q} dispatch rate`, `${q} dispatch latency median`, `${q} dispatch latency p99`]));
    assert.deepEqual(names('signal'), ['PM4 round trip median', 'PM4 round trip p99', 'SDMA round trip median', 'SDMA round trip p99']);
    const scaling = names('shader core').filter((n) => / 1 → \d+ workers \(/.test(n));
    assert.equal(names('shader core').length - scaling.length, 3 * 2 * CORPUS_TARGETS.length, 'hash_loop and sgemm_tiled on each corpus target: interp, block, block vs interp');
    assert.deepEqual(scaling.filter((n) => n.includes(' 1 → 2 workers ')).map((n) => /\((\w+)\)$/.exec(n)![1]), [...CORPUS_TARGETS], 'hash_loop on 1 and 2 workers on each corpus target');
    assert.equal(scaling.length, CORPUS_TARGETS.length * new Set([2, defaultShaderWorkers()]).size, 'and on the default worker count when it is not 2');
    // Each scaling figure also says what the dispatch cost in CPU on 1 and on N threads (all threads counted).
    for (const f of doc.figures.filter((x) => scaling.includes(x.name))) {
      const cpu = /CPU per dispatch, all threads, median: ([\d.]+) ms and ([\d.]+) ms \(×([\d.]+)/.exec(f.detail ?? '');
      assert.ok(cpu, `${f.name}: ${f.detail}`);
      const [one, many, ratio] = cpu.slice(1).map(Number) as [number, number, number];
      assert.ok(one > 0 && many > 0, `${f.name}: CPU ${one} ms and ${many} ms`);
      assert.ok(Math.abs(ratio - many / one) <= 0.01 + 0.01 * ratio, `${f.name}: ×${ratio} is ${many} / ${one}`);
    }
    const sub = doc.figures.filter((f) => f.section === 'submission');
    const floors = ['PM4 dispatch', 'AQL dispatch', 'SDMA copy 4 KiB'].map((p) => `${p}: its stores in plain JS (floor)`);
    assert.deepEqual(sub.map((f) => f.name), ['PM4 dispatch', 'AQL dispatch', 'PM4 dispatch (prepared)', 'AQL dispatch (prepared)', 'SDMA copy 4 KiB', 'SDMA copy 4 KiB (prepared)', ...floors, 'emulator doorbell store']);
    const cMissing = doc.notes.find((n) => n.includes('C baseline unavailable'));
    for (const f of sub.slice(0, 9)) {
      assert.equal(f.unit, 'ns/submission');
      if (!cMissing) assert.ok(f.baseline !== null && Math.abs(f.ratio! - f.value / f.baseline) < 1e-9 * f.ratio!, `${f.name}: ratio is TS / C`);
    }
    // Each floor says what the driver's path costs against it, plain and prepared, as the ratio of the two figures.
    for (const [i, name] of floors.entries()) {
      const floor = sub[6 + i]!;
      const path = name.split(':')[0]!;
      const m = /the driver costs ([\d.]+)× this, ([\d.]+)× prepared$/.exec(floor.detail ?? '');
      assert.ok(m, `${name}: ${floor.detail}`);
      assert.ok(Math.abs(Number(m[1]) - sub.find((f) => f.name === path)!.value / floor.value) < 0.01, `${name}: plain path ÷ floor`);
      assert.ok(Math.abs(Number(m[2]) - sub.find((f) => f.name === `${path} (prepared)`)!.value / floor.value) < 0.01, `${name}: prepared path ÷ floor`);
    }
    assert.ok(!doc.notes.some((n) => n.includes('did not consume')), 'the paused engine consumed every submission');
    // The render-node (CS) figures carry the user-mode queue's cost from the same run as their baseline.
    assert.deepEqual(names('drm'), ['SDMA copy 4 KiB', 'PM4 NOP'].flatMap((p) => [`CS ${p} round trip median`, `CS ${p} round trip p99`, `CS ${p} back-to-back`]));
    for (const f of doc.figures.filter((x) => x.section === 'drm')) {
      assert.equal(f.baselineLabel, 'the user-mode queue, same run');
      assert.ok(f.baseline !== null && Math.abs(f.ratio! - f.value / f.baseline) < 1e-9 * f.ratio!, `${f.name}: ratio is CS / user-mode`);
    }
    assert.ok(io.stderr.some((l) => l.startsWith('bench: submission path')), 'a progress line per section on stderr');
  });

  it('rejects unknown options and sections as usage errors', async () => {
    await assert.rejects(runBench(['--frobnicate'], capture()), { name: 'UsageError' });
    await assert.rejects(runBench(['--only', 'copy,frobnicate'], capture()), { name: 'UsageError', message: /--only frobnicate: no such section; expected copy, dispatch, signal, shader, submission, drm, served/ });
  });
});

describe('amdgpu-ts bench --only served (unmodified ROCr served on emu:gfx90a vs our driver in-process)', () => {
  it('says what is missing instead of measuring when the compiler is absent', () => {
    const r = buildHsaBench('/nonexistent', '/nonexistent/cc');
    assert.ok('missing' in r && r.missing.some((m) => m.includes('C compiler (/nonexistent/cc)')), JSON.stringify(r));
  });

  it('reports rocminfo wall time, ROCr dispatch round trips and doorbell → engine latency with in-process ratios', async (t) => {
    if (!requireOracle(t, { commands: ['cc', 'rocminfo'], files: ['/usr/include/hsa/hsa.h'] })) return;
    const io = capture();
    const code = await runBench(['--quick', '--json', '--device', 'emu:gfx90a', '--only', 'served'], io);
    assert.equal(code, 0, io.stderr.join('\n'));
    const doc = JSON.parse(io.stdout[0]!) as { figures: Figure[]; notes: string[] };
    const skipped = doc.notes.find((n) => n.startsWith('served: skipped: '));
    if (skipped) {
      if (inCI) assert.fail(`CI must run the served bench, but ${skipped}`);
      return void t.skip(skipped.slice('served: '.length));
    }
    assert.deepEqual(doc.notes, []);
    assert.deepEqual(doc.figures.map((f) => f.name), [
      'rocminfo wall time',
      'ROCr dispatch round trip median',
      'ROCr dispatch round trip p90',
      'doorbell → engine (served) median',
      'doorbell → engine (served) p90',
      'doorbell → engine (served) max',
    ]);
    const [rocminfo, ...rest] = doc.figures;
    assert.equal(rocminfo!.unit, 'ms');
    assert.equal(rocminfo!.timing, 'wall clock, median of 1 run(s)');
    assert.ok(rocminfo!.value > 0 && rocminfo!.baseline === null);
    for (const f of doc.figures) {
      assert.equal(f.section, 'served');
      assert.equal(f.emulated, true, `${f.name} is labelled emulated`);
    }
    for (const f of rest) {
      assert.equal(f.unit, 'µs');
      assert.ok(f.value > 0 && f.baseline! > 0 && Math.abs(f.ratio! - f.value / f.baseline!) < 1e-9 * f.ratio!, `${f.name}: ${f.value} / ${f.baseline} = ${f.ratio}`);
      assert.match(f.baselineLabel!, /in-process/);
    }
    assert.match(rest[0]!.detail!, /^20 empty-kernel dispatches through ROCr/);
    assert.match(rest[2]!.detail!, /^50 empty BARRIER_AND packets/);
  });
});

describe('copy bench sample plan', () => {
  // An engine whose first copies of every run are slow for 2 ms (as measured after the CPU's turn),
  // then steady: a run of n copies takes n * steady + 2 ms.
  const SLOW_START_NS = 2e6;
  const engine = (steadyNs: number) => {
    const runs: number[] = [];
    return { runs, calibrate: (n: number) => (runs.push(n), steadyNs + SLOW_START_NS / n), sampleNs: (n: number) => n * steadyNs + SLOW_START_NS };
  };

  it('predicts the engine sample\'s length within 15% past a 2 ms slow start, where one 64 MiB calibration was off by up to 3x', () => {
    for (const [bytes, steadyNs] of [[256 << 10, 8e3], [1 << 20, 33e3], [4 << 20, 140e3], [64 << 20, 10e6]] as const) {
      const e = engine(steadyNs);
      const probe = Math.max(1, Math.min(4096, Math.floor((64 << 20) / bytes)));
      const plan = samplePlan(e.calibrate, probe, 20e6, 4096);
      const real = e.sampleNs(plan.repeats);
      assert.ok(Math.abs(plan.ns - real) / real < 0.15, `${bytes} B: planned ${plan.ns} ns, the sample takes ${real} ns (calibration runs ${e.runs.join(', ')})`);
      assert.ok(e.runs.length >= 2 && e.runs.length <= 4, `${bytes} B: ${e.runs.length} calibration runs`);
      assert.equal(e.runs[0], probe);
    }
  });

  it('gives the CPU the engine sample\'s real length where the ring caps the copies', () => {
    // 4 KiB copies at 800 ns: 25000 would fill 20 ms, the ring holds 4096; the CPU's batch must then
    // last 4096 copies' time, not the 20 ms the plan aimed at.
    assert.deepEqual(samplePlan(() => 800, 4096, 20e6, 4096), { repeats: 4096, ns: 4096 * 800 });
    // A copy longer than the whole sample: one copy, lasting what it takes.
    assert.deepEqual(samplePlan(() => 50e6, 1, 20e6, 4096), { repeats: 1, ns: 50e6 });
  });
});
