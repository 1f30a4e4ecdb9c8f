// `amdgpu-ts selftest`: the ordered check suite on one device (real or emulated).
import { writeFileSync } from 'node:fs';
import { runSelftest, selectChecks } from '../harness/selftest.js';
import { SELFTEST } from '../harness/suite.js';
import { chromeTrace } from '../harness/trace-file.js';
import { parseArgs, optionHelp, UsageError, type OptionSpec } from './args.js';
import { table } from './table.js';
import type { CommandIo } from './io.js';
import { EXIT_STATUS_HELP } from './report-error.js';

const OPTIONS: readonly OptionSpec[] = [
  { name: 'device', value: 'D', help: 'auto (default), native, or emu:<model>[?inject=drop-interrupt,flip-copy-byte,stall-queue]' },
  { name: 'only', value: 'PATTERN', repeat: true, help: 'run only checks whose name contains PATTERN (or matches it as a regex); repeatable' },
  { name: 'list', help: 'list the checks and what each proves, then exit' },
  { name: 'json', help: 'print {device, emulated, checks: [{name, status, ms, detail}]} as one JSON document' },
  { name: 'trace', value: 'FILE', help: 'write GPU timestamps of every submission as Chrome/Perfetto trace JSON' },
  { name: 'timeout', value: 'MS', help: 'timeout of each GPU wait (default 20000)' },
  { name: 'help', help: 'show this help' },
];

export const SELFTEST_HELP = `usage: amdgpu-ts selftest [--device D] [--only PATTERN]... [--json] [--trace FILE]

Runs the self-test suite: device open, topology, memory per domain, CPU<->GPU visibility, queues of
every kind, PM4 fences and interrupt-driven waits, SDMA copies and fills, queue-to-queue waits,
timestamps, dispatch of every corpus kernel on AQL and PM4 queues (checked against a CPU reference),
compute/SDMA overlap, peer copy and access (with several GPUs), the render-node path (drm.*: SDMA copy
and fill on the kernel DMA ring, a dispatch on its COMPUTE ring, a syncobj-ordered DMA → COMPUTE pair,
a fence timeout naming the ring; skipped, saying why, where the render node cannot be opened), a
deliberate VM fault and a deliberate hang. A live line per check goes to stderr; the result table (or JSON) to stdout.
Exit status: 0 when every check passed or was skipped with a reason, 1 when one failed, 2 on usage errors.

${optionHelp(OPTIONS)}

${EXIT_STATUS_HELP}`;

const clip = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export async function runSelftestCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const a = parseArgs(argv, OPTIONS);
  if (a.flags.has('help')) {
    io.out(SELFTEST_HELP);
    return 0;
  }
  if (a.positionals.length) throw new UsageError(`unexpected argument "${a.positionals[0]}"`);
  const checks = selectChecks(SELFTEST, a.values.get('only'));
  if (a.flags.has('list')) {
    io.out(table(['check', 'proves'], checks.map((c) => [c.name, c.proves])));
    return 0;
  }
  if (checks.length === 0) throw new UsageError(`--only ${a.values.get('only')!.join(', ')} matches no check (see --list)`);
  const timeout = a.values.get('timeout')?.[0];
  const timeoutMs = timeout === undefined ? undefined : Number(timeout);
  if (timeoutMs !== undefined && !(timeoutMs > 0)) throw new UsageError(`--timeout ${timeout}: want a positive number of milliseconds`);
  const traceFile = a.values.get('trace')?.[0];
  const json = a.flags.has('json');
  const report = await runSelftest(checks, {
    device: a.values.get('device')?.[0],
    only: a.values.get('only'),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    trace: traceFile !== undefined,
    note: (l) => io.err(l),
    progress: (line, done) => {
      if (done || io.interactive) io.err(line);
    },
  });
  if (traceFile) {
    writeFileSync(traceFile, JSON.stringify(chromeTrace(report.tracer!.events)));
    io.err(`amdgpu-ts: wrote ${report.tracer!.events.length} GPU operations to ${traceFile} (open in ui.perfetto.dev)`);
  }
  const failed = report.checks.filter((c) => c.status === 'failed').length;
  if (json) {
    io.out(JSON.stringify({ device: report.device, emulated: report.emulated, checks: report.checks.map((c) => ({ ...c, ms: Math.round(c.ms * 10) / 10 })) }, null, 2));
  } else {
    io.out(`${report.summary}${report.emulated ? ' — every result is from the emulated GPU' : ''}`);
    io.out(table(['check', 'result', 'time', 'detail'], report.checks.map((c) => [c.name, c.status, `${c.ms.toFixed(0)} ms`, clip(c.detail.split('\n')[0]!, 110)])));
    const passed = report.checks.filter((c) => c.status === 'passed').length;
    const skipped = report.checks.filter((c) => c.status === 'skipped').length;
    io.out(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
    for (const c of report.checks.filter((x) => x.status === 'failed')) io.out(`\nFAILED ${c.name}:\n${c.detail}`);
  }
  return failed ? 1 : 0;
}
