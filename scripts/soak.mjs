#!/usr/bin/env node
// `npm run soak`: the full soak (10,000 alloc/map/free cycles per memory kind, 100 create/destroy
// cycles per queue kind, 1,000 events, 100 device open/close cycles) on one device, default
// emu:gfx1100, with the numbers printed. Exit 0 nothing leaked, 1 a leak, 2 bad usage.
// Usage: npm run soak [-- --device D] [-- --scale 0.1]
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'src');
const { runSoak, formatSoak, FULL_SOAK } = await import(join(dist, 'harness', 'soak.js'));
const { selectHost } = await import(join(dist, 'host-select.js'));
const { reportError, takeDebugFlag } = await import(join(dist, 'cli', 'report-error.js'));
const { parseArgs, UsageError } = await import(join(dist, 'cli', 'args.js'));
const { processIo } = await import(join(dist, 'cli', 'io.js'));

const { argv, debug } = takeDebugFlag(process.argv.slice(2));
try {
  const a = parseArgs(argv, [
    { name: 'device', value: 'D', help: 'device (default emu:gfx1100)' },
    { name: 'scale', value: 'F', help: 'multiply every count by F (default 1)' },
  ]);
  const scale = Number(a.values.get('scale')?.[0] ?? 1);
  if (!(scale > 0)) throw new UsageError('--scale wants a positive number');
  const counts = Object.fromEntries(Object.entries(FULL_SOAK).map(([k, v]) => [k, Math.max(1, Math.round(v * scale))]));
  const host = selectHost(a.values.get('device')?.[0] ?? 'emu:gfx1100', processIo.err);
  try {
    const report = runSoak(host, counts, processIo.err);
    for (const line of formatSoak(report)) processIo.out(line);
    process.exitCode = report.leaks.length ? 1 : 0;
  } finally {
    await host.shutdown();
  }
} catch (e) {
  process.exitCode = reportError('soak', e, processIo, debug);
}
