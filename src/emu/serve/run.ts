// Runs a program with the emulated GPU behind its /dev/kfd, render nodes and sysfs: a served file tree
// in a temporary folder, the socket server, the preload library, and the child process.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeviceSpec } from '../models/models.js';
import { AmdgpuError } from '../../errors.js';
import { EmuServer, type ServerStats } from './server.js';
import { buildPreload } from './preload-build.js';
import { EMULATED_KFD_RDEV, REDIRECTED_PREFIXES, writeServedTree } from './tree.js';

export interface ServedRunOptions {
  readonly spec: DeviceSpec;
  readonly command: string;
  readonly args: readonly string[];
  /** Extra environment for the child (on top of this process's). */
  readonly env?: Readonly<Record<string, string>>;
  /** 'inherit' (the default) or 'pipe' to collect the child's output. */
  readonly stdio?: 'inherit' | 'pipe';
  /** Kill the child (SIGKILL) after this long; undefined: wait as long as it runs. */
  readonly timeoutMs?: number;
  /** Called once the server listens, with its socket path (tests kill the server mid-run). */
  readonly onListening?: (server: EmuServer) => void;
  /**
   * Pass SIGINT, SIGTERM and SIGHUP sent to this process on to the child and outlive them until it
   * exits, so that the served folder is removed (the emulate command): by default they end this
   * process as usual, and the folder stays behind.
   */
  readonly forwardSignals?: boolean;
}

const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export interface ServedRunResult {
  /** The child's exit status, or null when a signal ended it. */
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly timedOut: boolean;
  readonly stdout: string;
  readonly stderr: string;
  readonly wallMs: number;
  readonly stats: ServerStats;
}

/** The program to serve cannot be started (not found, not executable): bad input. */
export class ServedStartError extends AmdgpuError {
  constructor(message: string) {
    super('input', message);
    this.name = 'ServedStartError';
  }
}

export async function runServed(o: ServedRunOptions): Promise<ServedRunResult> {
  const preload = buildPreload();
  const dir = mkdtempSync(join(tmpdir(), 'amdgpu-ts-'));
  const root = join(dir, 'root');
  let server: EmuServer | undefined;
  try {
    writeServedTree(root, o.spec);
    server = await EmuServer.listen(join(dir, 'socket'), o.spec, root);
    o.onListening?.(server);
    const inherited = process.env.LD_PRELOAD;
    const env = {
      ...process.env,
      ...o.env,
      LD_PRELOAD: inherited ? `${preload}:${inherited}` : preload,
      AMDGPU_TS_SOCKET: server.socketPath,
      AMDGPU_TS_ROOT: root,
      AMDGPU_TS_PREFIXES: REDIRECTED_PREFIXES.join(':'),
      AMDGPU_TS_KFD_RDEV: EMULATED_KFD_RDEV,
    };
    const started = performance.now();
    const child = spawn(o.command, [...o.args], { env, stdio: o.stdio === 'pipe' ? ['ignore', 'pipe', 'pipe'] : 'inherit' });
    const forward = (signal: NodeJS.Signals): void => void child.kill(signal);
    if (o.forwardSignals) for (const s of FORWARDED_SIGNALS) process.on(s, forward);
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    let timedOut = false;
    const timer = o.timeoutMs === undefined ? undefined : setTimeout(() => ((timedOut = true), child.kill('SIGKILL')), o.timeoutMs);
    const outcome = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.once('error', (e: NodeJS.ErrnoException) => reject(new ServedStartError(`cannot run ${o.command}: ${e.code ?? e.message}`)));
      child.once('close', (code, signal) => resolve({ code, signal }));
    }).finally(() => {
      clearTimeout(timer);
      for (const s of FORWARDED_SIGNALS) process.off(s, forward);
    });
    const wallMs = performance.now() - started;
    await server.close();
    return { exitCode: outcome.code, signal: outcome.signal, timedOut, stdout, stderr, wallMs, stats: server.stats() };
  } finally {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
