// `amdgpu-ts emulate -- COMMAND ARGS…`: runs an unmodified program (rocminfo, a HSA or HIP program)
// with the emulated GPU behind its /dev/kfd, render node and sysfs.
import { writeFileSync } from 'node:fs';
import { parseEmuSpec } from '../emu/models/models.js';
import { runServed } from '../emu/serve/run.js';
import type { ServerStats } from '../emu/serve/server.js';
import { optionHelp, parseArgs, UsageError, type OptionSpec } from './args.js';
import type { CommandIo } from './io.js';

const OPTIONS: readonly OptionSpec[] = [
  { name: 'device', value: 'emu:MODEL', help: 'the emulated GPU to serve (default emu:gfx90a, the newest target ROCm 5.2.3 knows)' },
  { name: 'json-stats', value: 'FILE', help: 'write what the program asked of the kernel (ioctls by name and outcome, opens, mmaps, memory) as JSON' },
  { name: 'timeout', value: 'SECONDS', help: 'kill COMMAND (SIGKILL) if it runs longer; the statistics are still written' },
  { name: 'quiet', help: 'no summary line on stderr' },
  { name: 'help', help: 'show this help' },
];

export const EMULATE_HELP = `usage: amdgpu-ts emulate [--device emu:MODEL] [--json-stats FILE] [--timeout SECONDS] [--quiet] -- COMMAND [ARGS…]

Runs COMMAND with the emulated GPU behind /dev/kfd, /dev/dri/renderD* and the KFD/DRM/PCI sysfs files,
so unmodified ROCm user space (rocminfo, HSA and HIP programs) runs without a GPU. A small preload
library (native/preload, built with the system cc on first use) forwards the program's calls on those
paths to this process; all other calls go to libc. Memory the program maps is shared, not copied.

${optionHelp(OPTIONS)}

SIGINT, SIGTERM and SIGHUP are passed on to COMMAND; the emulator exits after it, removing its files.

exit status: COMMAND's own; 128+N when signal N ended it; 2 bad usage, an unknown model or a COMMAND
that cannot be started; 1 the preload library cannot be built (no C compiler); 3 internal error.
Errors are one line on stderr; --debug (or AMDGPU_TS_DEBUG=1) adds the stack trace.`;

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGBUS: 7, SIGFPE: 8, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15 };

/** Our options come before COMMAND; everything from COMMAND on (or after `--`) is the program's. */
function split(argv: readonly string[]): { ours: string[]; program: string[] } {
  const dashes = argv.indexOf('--');
  if (dashes >= 0) return { ours: argv.slice(0, dashes), program: argv.slice(dashes + 1) };
  const ours: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) return { ours, program: argv.slice(i) };
    ours.push(a);
    const spec = OPTIONS.find((o) => a === `--${o.name}`);
    if (spec?.value && i + 1 < argv.length) ours.push(argv[++i]!);
  }
  return { ours, program: [] };
}

export function summary(stats: ServerStats): string {
  let calls = 0;
  const rejected: string[] = [];
  for (const s of stats.sessions) {
    for (const c of s.ioctls) {
      calls += c.ok;
      for (const [errno, n] of Object.entries(c.failed)) {
        calls += n;
        rejected.push(`${c.name} ${errno}×${n}`);
      }
    }
  }
  const procs = stats.sessions.length;
  const tail = rejected.length ? `; failed: ${rejected.join(', ')}` : '';
  const bugs = stats.internalErrors.length ? `; ${stats.internalErrors.length} emulator error(s), see --json-stats` : '';
  const hangs = stats.sessions.flatMap((s) => s.hangs.map((h) => (h.ring ? `; ring ${h.ring} job hung: ${h.reason}` : `; queue ${h.queueId} (${h.kind}) stopped: ${h.reason}`))).join('');
  return `amdgpu-ts emulate: ${stats.device} served ${procs} process${procs === 1 ? '' : 'es'}, ${calls} ioctls${tail}${hangs}${bugs}`;
}

export async function runEmulate(argv: readonly string[], io: CommandIo): Promise<number> {
  const { ours, program } = split(argv);
  const p = parseArgs(ours, OPTIONS);
  if (p.flags.has('help')) {
    io.out(EMULATE_HELP);
    return 0;
  }
  if (p.positionals.length) throw new UsageError(`unexpected argument "${p.positionals[0]}" before the command`);
  if (program.length === 0) throw new UsageError('no command to run (amdgpu-ts emulate -- COMMAND ARGS…)');
  const spec = parseEmuSpec(p.values.get('device')?.[0] ?? 'emu:gfx90a');
  const timeoutText = p.values.get('timeout')?.[0];
  const timeoutS = timeoutText === undefined ? undefined : Number(timeoutText);
  if (timeoutS !== undefined && !(timeoutS > 0)) throw new UsageError(`--timeout ${timeoutText}: expected a positive number of seconds`);
  const r = await runServed({ spec, command: program[0]!, args: program.slice(1), timeoutMs: timeoutS === undefined ? undefined : timeoutS * 1000, forwardSignals: true });
  const file = p.values.get('json-stats')?.[0];
  if (file) writeFileSync(file, JSON.stringify({ command: program, exitCode: r.exitCode, signal: r.signal, wallMs: Math.round(r.wallMs), ...r.stats }, null, 2) + '\n');
  if (!p.flags.has('quiet')) io.err(summary(r.stats));
  if (r.timedOut) io.err(`amdgpu-ts emulate: ${program[0]} killed after --timeout ${timeoutText} s`);
  if (r.signal) return 128 + (SIGNALS[r.signal] ?? 0);
  return r.exitCode ?? 1;
}
