// Runs self-test checks against one host: a live line per check on the progress stream, results as
// data for the table or JSON.
import { selectHost } from '../host-select.js';
import { Kfd } from '../driver/kfd.js';
import { Tracer } from '../driver/tracer.js';
import type { Host } from '../os/host.js';
import { CheckFailure, Skip, type Check, type CheckContext, type CheckResult } from './check.js';

export interface SelftestOptions {
  readonly device?: string;
  /** Only checks whose name contains one of these substrings (or matches as a regular expression). */
  readonly only?: readonly string[];
  readonly timeoutMs?: number;
  readonly trace?: boolean;
  /** One line per finished check (and the "running" line before it). */
  readonly progress?: (line: string, done: boolean) => void;
  readonly note?: (line: string) => void;
}

export interface SelftestReport {
  readonly device: string;
  readonly emulated: boolean;
  readonly summary: string;
  readonly checks: CheckResult[];
  readonly tracer: Tracer | undefined;
}

export function selectChecks(all: readonly Check[], only: readonly string[] | undefined): Check[] {
  if (!only || only.length === 0) return [...all];
  return all.filter((c) => only.some((p) => c.name.includes(p) || safeRegex(p)?.test(c.name)));
}

function safeRegex(p: string): RegExp | undefined {
  try {
    return new RegExp(p);
  } catch {
    return undefined;
  }
}

function describeError(e: unknown): string {
  if (e instanceof CheckFailure) return e.message;
  if (e instanceof Error) return `${e.name === 'Error' ? '' : e.name + ': '}${e.message}`;
  return String(e);
}

export async function runSelftest(checks: readonly Check[], o: SelftestOptions = {}): Promise<SelftestReport> {
  const host: Host = selectHost(o.device, o.note);
  const results: CheckResult[] = [];
  let kfd: Kfd | undefined;
  const tracer = o.trace ? new Tracer() : undefined;
  try {
    kfd = Kfd.open(host);
    const devices = kfd.devices();
    if (tracer) for (const d of devices) d.tracer = tracer;
    const ctx: CheckContext = { host, kfd, devices, device: devices[0]!, timeoutMs: o.timeoutMs ?? 20_000 };
    for (let i = 0; i < checks.length; i++) {
      const c = checks[i]!;
      const tag = `[${String(i + 1).padStart(String(checks.length).length)}/${checks.length}]`;
      o.progress?.(`${tag} ${c.name} …`, false);
      const t0 = performance.now();
      let r: CheckResult;
      try {
        const detail = await c.run(ctx);
        r = { name: c.name, status: 'passed', ms: performance.now() - t0, detail };
      } catch (e) {
        if (e instanceof Skip) r = { name: c.name, status: 'skipped', ms: performance.now() - t0, detail: e.message };
        else r = { name: c.name, status: 'failed', ms: performance.now() - t0, detail: `${describeError(e)} [this check proves: ${c.proves}]` };
      }
      tracer?.collect();
      results.push(r);
      o.progress?.(`${tag} ${c.name} ${r.status} (${r.ms.toFixed(0)} ms)${r.status !== 'passed' ? ': ' + r.detail.split('\n')[0] : ''}`, true);
    }
  } finally {
    tracer?.collect(true);
    kfd?.close();
    await host.shutdown();
  }
  return { device: host.description.device, emulated: host.description.emulated, summary: host.description.summary, checks: results, tracer };
}
