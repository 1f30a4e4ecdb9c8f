// `amdgpu-ts bench`: copy bandwidth, dispatch rate and latency, signal round trips, shader-core speed
// (emulated device), the CPU cost of the submission path against a C baseline, and unmodified ROCr
// served on emu:gfx90a against our driver in-process.
import { writeFileSync } from 'node:fs';
import { BENCH_SECTIONS, runBenchmarks, type BenchReport } from '../harness/bench/run.js';
import { chromeTrace } from '../harness/trace-file.js';
import { round3 } from '../harness/bench/stats.js';
import type { BenchFigure } from '../harness/bench/types.js';
import { parseArgs, optionHelp, UsageError, type OptionSpec } from './args.js';
import { table } from './table.js';
import type { CommandIo } from './io.js';
import { EXIT_STATUS_HELP } from './report-error.js';

const OPTIONS: readonly OptionSpec[] = [
  { name: 'device', value: 'D', help: 'auto (default), native, or emu:<model>' },
  { name: 'json', help: 'print the report as one JSON document: {device, emulated, figures: [{section, name, value, unit, baseline, ratio, …}]}' },
  { name: 'only', value: 'SECTION', repeat: true, help: `run only these sections (repeat or comma-separate): ${BENCH_SECTIONS.map((s) => s.key).join(', ')}` },
  { name: 'quick', help: 'small sizes and few iterations (tests, CI): well under 20 s' },
  { name: 'timeout', value: 'MS', help: 'timeout of each GPU wait (default 30000)' },
  { name: 'trace', value: 'FILE', help: 'write GPU timestamps of every submission as Chrome/Perfetto trace JSON (the timestamp packets add a little to each submission)' },
  { name: 'help', help: 'show this help' },
];

export const BENCH_HELP = `usage: amdgpu-ts bench [--device D] [--only SECTION] [--json] [--quick] [--trace FILE]

Measures, on one device:
  copy        SDMA copy bandwidth 4 KiB … 256 MiB, GTT→VRAM, VRAM→GTT, VRAM→VRAM (and peer VRAM→VRAM
              with two GPUs), timed by SDMA TIMESTAMP packets; baseline: CPU memcpy; and a 32 MiB
              copy between freshly allocated GTT (VRAM) buffers against the same copy repeated
  dispatch    rate (back-to-back launches of the empty kernel, one wait) and launch-to-completion
              latency (median, p99) on PM4 and AQL queues
  signal      CPU→GPU→CPU round trip: PM4 WAIT_REG_MEM + WRITE_DATA, SDMA POLL_REGMEM + FENCE
  shader core emulated instructions/s and slowdown against plain TypeScript (emulated device only)
  submission  CPU cost of one PM4 dispatch, one AQL dispatch and one SDMA copy submission (plain and
              prepared), always on emu:gfx1100?engines=paused, each in a thread of its own, against a
              C program (cc -O2) storing the same bytes; and those stores as plain JavaScript with no
              driver code (the floor no TypeScript path goes below), against the same C program; in
              3 rounds (1 with --quick) taken in turns, each figure the best of its rounds
  drm         the render-node submission cost next to the user-mode queues', in one run: a 4 KiB SDMA
              copy and a PM4 NOP submitted through CS (IB on the kernel DMA / COMPUTE ring, WAIT_CS)
              and to a KFD queue, round trip (median, p99) and back-to-back; ratio = CS / user-mode
  served      always on emu:gfx90a: rocminfo's wall time served (amdgpu-ts emulate); the empty-kernel
              dispatch round trip through unmodified ROCr (test/served/hsa_bench.c) and the
              doorbell → engine latency of an empty barrier (CPU spinning on its signal), each after
              2000 untimed ones and against our own driver in-process on the same model; skipped,
              saying what is missing, without cc, rocminfo or libhsa-runtime-dev
On the emulated GPU every figure is the emulator's, and is labelled so. The table ends with the
process's peak resident set size (JSON: peakRssBytes). Progress goes to stderr; the
table (or JSON) to stdout.

${optionHelp(OPTIONS)}

${EXIT_STATUS_HELP}`;

function formatValue(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return '-';
  const r = round3(x);
  return Math.abs(r) >= 1e6 ? r.toExponential(2) : String(r);
}

function progressBar(done: number, total: number, width = 30): string {
  const filled = total ? Math.round((done / total) * width) : width;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(done).padStart(String(total).length)}/${total}`;
}

function renderTable(r: BenchReport): string {
  const label = r.emulated ? ` — emulated (${r.device}): figures describe the emulator, not a GPU` : ` — ${r.summary}`;
  const out: string[] = [`amdgpu-ts bench${label}${r.quick ? ' (quick)' : ''}`];
  const sections = [...new Set(r.figures.map((f) => f.section))];
  for (const s of sections) {
    const rows = r.figures.filter((f) => f.section === s);
    const emulatedTag = s === 'submission' ? ' (emulated device, engines paused)' : s === 'served' ? ' (emulated device emu:gfx90a, served vs in-process)' : r.emulated ? ' (emulated)' : '';
    out.push('', `${s}${emulatedTag} — ${[...new Set(rows.map((f) => f.timing.replace(/,.*$/, '')))].join('; ')}`);
    out.push(table(['what', 'value', 'unit', 'baseline', 'ratio', 'baseline is'], rows.map((f: BenchFigure) => [f.name, formatValue(f.value), f.unit, formatValue(f.baseline), f.ratio === null ? '-' : `${round3(f.ratio)}×`, f.baselineLabel ?? '-'])));
  }
  if (r.notes.length) out.push('', ...r.notes.map((n) => `note: ${n}`));
  out.push('', `${r.figures.length} figures in ${r.seconds.toFixed(1)} s; peak RSS ${(r.peakRssBytes / 2 ** 20).toFixed(0)} MiB`);
  return out.join('\n');
}

export async function runBench(argv: readonly string[], io: CommandIo): Promise<number> {
  const a = parseArgs(argv, OPTIONS);
  if (a.flags.has('help')) {
    io.out(BENCH_HELP);
    return 0;
  }
  if (a.positionals.length) throw new UsageError(`unexpected argument "${a.positionals[0]}"`);
  const timeout = a.values.get('timeout')?.[0];
  const timeoutMs = timeout === undefined ? undefined : Number(timeout);
  if (timeoutMs !== undefined && !(timeoutMs > 0)) throw new UsageError(`--timeout ${timeout}: want a positive number of milliseconds`);
  const only = (a.values.get('only') ?? []).flatMap((v) => v.split(',')).map((k) => k.trim()).filter(Boolean);
  const unknown = only.find((k) => !BENCH_SECTIONS.some((s) => s.key === k));
  if (unknown !== undefined) throw new UsageError(`--only ${unknown}: no such section; expected ${BENCH_SECTIONS.map((s) => s.key).join(', ')}`);
  const drawing = io.interactive;
  const report = await runBenchmarks({
    device: a.values.get('device')?.[0],
    quick: a.flags.has('quick'),
    ...(only.length ? { sections: BENCH_SECTIONS.filter((s) => only.includes(s.key)) } : {}),
    trace: a.values.has('trace'),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    note: (l) => io.err(l),
    progress: (p) => {
      if (drawing) process.stderr.write(`\r\x1b[2K${progressBar(p.done, p.total)} ${p.section}: ${p.label}`);
      else if (p.label === 'starting') io.err(`bench: ${p.section} …`);
      else if (p.sectionDone) io.err(`bench: ${p.section} done (${p.label})`);
    },
  });
  if (drawing) process.stderr.write('\r\x1b[2K');
  const traceFile = a.values.get('trace')?.[0];
  if (traceFile) {
    writeFileSync(traceFile, JSON.stringify(chromeTrace(report.trace)));
    io.err(`amdgpu-ts: wrote ${report.trace.length} GPU operations to ${traceFile} (open in ui.perfetto.dev)`);
  }
  const { trace: _trace, ...summary } = report;
  if (a.flags.has('json')) io.out(JSON.stringify({ ...summary, figures: report.figures.map((f) => ({ ...f, emulated: f.section === 'submission' || f.section === 'served' || report.emulated })) }, null, 2));
  else io.out(renderTable(report));
  return 0;
}
