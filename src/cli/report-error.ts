// How the CLI reports a failure: one line naming the input and the reason, and an exit status that
// says whose fault it was. Stack traces are for amdgpu-ts's own bugs, and for --debug.
import { AmdgpuError } from '../errors.js';
import { UsageError } from './args.js';
import type { CommandIo } from './io.js';

export const EXIT = {
  ok: 0,
  /** The GPU (real or emulated), the kernel or the OS failed: fault, hang, timeout, errno. */
  runtime: 1,
  /** Bad usage or unusable input: argument, file, device name, target. */
  input: 2,
  /** A bug in amdgpu-ts: an error nobody expected. */
  internal: 3,
} as const;

/** The exit-status paragraph every --help ends with (and the README repeats). */
export const EXIT_STATUS_HELP = `exit status: 0 success; 1 the GPU (or the emulated GPU), the kernel or the OS failed (fault,
hang, timeout, errno); 2 bad usage or unusable input (argument, file, device name, wrong target);
3 internal error (a bug: please report it). Errors are one line on stderr; --debug (or
AMDGPU_TS_DEBUG=1) adds the stack trace.`;

/** `--debug` may appear anywhere before a `--`; it is taken out before the command sees argv. */
export function takeDebugFlag(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): { argv: string[]; debug: boolean } {
  const end = argv.indexOf('--');
  const head = end < 0 ? [...argv] : argv.slice(0, end);
  const rest = end < 0 ? [] : argv.slice(end);
  const kept = head.filter((a) => a !== '--debug');
  const debug = kept.length !== head.length || (env.AMDGPU_TS_DEBUG !== undefined && env.AMDGPU_TS_DEBUG !== '' && env.AMDGPU_TS_DEBUG !== '0');
  return { argv: [...kept, ...rest], debug };
}

/** Node's fs errors (ENOENT, EISDIR, EACCES … on a path the user named) are input errors too. */
interface NodeSystemError extends Error {
  readonly code: string;
  readonly syscall: string;
  readonly path?: string;
}

function isNodeSystemError(e: unknown): e is NodeSystemError {
  return e instanceof Error && typeof (e as Partial<NodeSystemError>).code === 'string' && typeof (e as Partial<NodeSystemError>).syscall === 'string';
}

const oneLine = (s: string): string => s.replace(/\s*\n\s*/g, '; ');

/** Where a bug was thrown, for the one-line internal-error report: the first frame in amdgpu-ts's own code. */
function firstFrame(e: Error): string | undefined {
  const frames = e.stack?.split('\n').filter((l) => /^\s+at /.test(l)) ?? [];
  const frame = frames.find((l) => l.includes('/dist/src/')) ?? frames[0];
  return frame?.trim().replace(/^at /, '').replace(/file:\/\/\S*?\/dist\//, '');
}

function stackOf(e: unknown): string {
  const parts: string[] = [];
  for (let c: unknown = e, depth = 0; c !== undefined && depth < 5; depth++) {
    parts.push(c instanceof Error ? (c.stack ?? String(c)) : String(c));
    c = c instanceof Error ? c.cause : undefined;
    if (c !== undefined) parts.push('caused by:');
  }
  return parts.join('\n');
}

/**
 * Prints `e` for `command` and returns the exit status. Expected failures (AmdgpuError, fs errors)
 * take one line — a GPU fault or hang may add its decoded queue report below it; anything else is
 * an internal error. `debug` appends the stack trace in every case.
 */
export function reportError(command: string, e: unknown, io: CommandIo, debug: boolean): number {
  const prefix = `amdgpu-ts ${command}:`;
  let status: number;
  if (e instanceof AmdgpuError && e.kind === 'input') {
    const hint = e instanceof UsageError ? ` (see amdgpu-ts ${command} --help)` : '';
    io.err(`${prefix} ${oneLine(e.message)}${hint}`);
    status = EXIT.input;
  } else if (e instanceof AmdgpuError) {
    // The first line says what failed; a GPU report (queue state, decoded packets) may follow.
    io.err(`${prefix} ${e.message}`);
    status = EXIT.runtime;
  } else if (isNodeSystemError(e)) {
    const reason = e.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '');
    io.err(`${prefix} cannot ${e.syscall}${e.path ? ` ${e.path}` : ''}: ${e.code} (${reason})`);
    status = EXIT.input;
  } else {
    const what = e instanceof Error ? `${e.name}: ${oneLine(e.message)}${firstFrame(e) ? ` (at ${firstFrame(e)})` : ''}` : oneLine(String(e));
    io.err(`${prefix} internal error: ${what} — this is a bug in amdgpu-ts, please report it${debug ? '' : ' (run with --debug for the stack trace)'}`);
    status = EXIT.internal;
  }
  if (debug) io.err(stackOf(e));
  return status;
}
