// Runs the benchmark sections on one device and gathers their figures into one report.
import { selectHost } from '../../host-select.js';
import { Kfd } from '../../driver/kfd.js';
import type { Host } from '../../os/host.js';
import { Tracer, type TraceEvent } from '../../driver/tracer.js';
import { copyBandwidth } from './copy-bandwidth.js';
import { dispatchBench } from './dispatch.js';
import { signalBench } from './signal.js';
import { isaBench } from './isa-section.js';
import { submissionBench } from './submission.js';
import { servedBench } from './served.js';
import { renderNodeBench } from './render-node.js';
import type { BenchContext, BenchFigure, BenchSection } from './types.js';

export const BENCH_SECTIONS: readonly BenchSection[] = [copyBandwidth, dispatchBench, signalBench, isaBench, submissionBench, renderNodeBench, servedBench];

export interface BenchOptions {
  readonly device?: string;
  readonly quick?: boolean;
  readonly timeoutMs?: number;
  readonly sections?: readonly BenchSection[];
  /** Called when a section starts and after every step: steps done so far of `total`. */
  readonly progress?: (p: { done: number; total: number; section: string; label: string; sectionDone: boolean }) => void;
  readonly note?: (line: string) => void;
  /** Time every submission on the GPU (see Tracer); the events end up in the report. */
  readonly trace?: boolean;
}

export interface BenchReport {
  readonly device: string;
  readonly emulated: boolean;
  readonly summary: string;
  readonly quick: boolean;
  readonly seconds: number;
  readonly figures: BenchFigure[];
  readonly notes: string[];
  /** GPU-timed submissions of the sections run on the device (with `trace`). */
  readonly trace: TraceEvent[];
  /** The process's peak resident set size when the sections ended (emulated GPU memory included). */
  readonly peakRssBytes: number;
}

export async function runBenchmarks(o: BenchOptions = {}): Promise<BenchReport> {
  const started = performance.now();
  const host: Host = selectHost(o.device, o.note);
  const quick = o.quick ?? false;
  const sections = o.sections ?? BENCH_SECTIONS;
  const figures: BenchFigure[] = [];
  const notes: string[] = [];
  let kfd: Kfd | undefined;
  const tracer = o.trace ? new Tracer() : undefined;
  try {
    kfd = Kfd.open(host);
    const devices = kfd.devices();
    if (tracer) for (const d of devices) d.tracer = tracer;
    const emulated = host.description.emulated;
    const total = sections.reduce((n, s) => n + s.steps({ devices, emulated, quick }), 0);
    let done = 0;
    for (const s of sections) {
      o.progress?.({ done, total, section: s.name, label: 'starting', sectionDone: false });
      const ctx: BenchContext = {
        kfd,
        devices,
        device: devices[0]!,
        emulated,
        quick,
        timeoutMs: o.timeoutMs ?? 30_000,
        step: (label) => o.progress?.({ done: ++done, total, section: s.name, label, sectionDone: false }),
      };
      const r = await s.run(ctx);
      tracer?.collect();
      figures.push(...r.figures);
      notes.push(...r.notes);
      o.progress?.({ done, total, section: s.name, label: `${r.figures.length} figure(s)`, sectionDone: true });
    }
  } finally {
    tracer?.collect(true);
    kfd?.close();
    await host.shutdown();
  }
  const d = host.description;
  return { device: d.device, emulated: d.emulated, summary: d.summary, quick, seconds: (performance.now() - started) / 1000, figures, notes, trace: tracer?.events ?? [], peakRssBytes: process.resourceUsage().maxRSS * 1024 };
}
