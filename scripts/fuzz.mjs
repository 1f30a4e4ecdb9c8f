#!/usr/bin/env node
// `npm run fuzz`: the fuzz targets (src/harness/fuzz) for a time budget, per-target counts on stdout,
// and for any failure its batch seed, the fast-check path of the failing input and the command that
// replays it. Exit 0 no failure, 1 a failure, 2 bad usage.
// Usage: npm run fuzz [-- --seconds N] [-- --target parser|decoders|engines|ioctls|shader] [-- --seed S]
//        [-- --runs R] [-- --path P]   (without --seconds: one batch per target)
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'src');
const { runFuzz, formatReports } = await import(join(dist, 'harness', 'fuzz', 'run.js'));
const { TARGET_NAMES } = await import(join(dist, 'harness', 'fuzz', 'target.js'));
const { reportError, takeDebugFlag } = await import(join(dist, 'cli', 'report-error.js'));
const { parseArgs, UsageError } = await import(join(dist, 'cli', 'args.js'));
const { processIo } = await import(join(dist, 'cli', 'io.js'));

const { argv, debug } = takeDebugFlag(process.argv.slice(2));
try {
  const a = parseArgs(argv, [
    { name: 'seconds', value: 'N', help: 'fuzz for N seconds in all, split over the targets (default: one batch per target)' },
    { name: 'target', value: 'T', repeat: true, help: `only this target (${TARGET_NAMES.join(', ')}); may repeat` },
    { name: 'seed', value: 'S', help: 'base seed: batch i runs from seed S + i (default: from the clock, printed)' },
    { name: 'runs', value: 'R', help: "inputs per batch (default: the target's batch size)" },
    { name: 'path', value: 'P', help: 'replay one input: the path printed with a failure (with its --seed and --runs)' },
  ]);
  if (a.positionals.length) throw new UsageError(`unexpected argument "${a.positionals[0]}"`);
  const num = (k) => {
    const v = a.values.get(k)?.[0];
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new UsageError(`--${k} wants a number, got "${v}"`);
    if (!Number.isInteger(n) && k !== 'seconds') throw new UsageError(`--${k} wants an integer, got "${v}"`);
    return n;
  };
  const targets = a.values.get('target') ?? [...TARGET_NAMES];
  for (const t of targets) if (!TARGET_NAMES.includes(t)) throw new UsageError(`unknown fuzz target "${t}" (known: ${TARGET_NAMES.join(', ')})`);
  const seconds = num('seconds');
  if (seconds !== undefined && !(seconds > 0)) throw new UsageError('--seconds wants a positive number');
  const runs = num('runs');
  if (runs !== undefined && !(runs > 0)) throw new UsageError('--runs wants a positive integer');
  const seed = num('seed') ?? ((Date.now() ^ (process.pid << 16)) | 0);
  const path = a.values.get('path')?.[0];
  processIo.err(`fuzz: base seed ${seed}${seconds ? `, ${seconds} s` : ''}, targets ${targets.join(', ')}`);
  const reports = await runFuzz({ targets, seed, seconds, runs, path, log: processIo.err });
  for (const line of formatReports(reports)) processIo.out(line);
  process.exitCode = reports.some((r) => r.failures.length) ? 1 : 0;
} catch (e) {
  process.exitCode = reportError('fuzz', e, processIo, debug);
}
