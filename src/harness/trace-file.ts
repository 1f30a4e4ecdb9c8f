// Chrome / Perfetto trace JSON (the "Trace Event Format"): one process per GPU, one thread (track)
// per queue, one complete ("X") event per operation, timestamps in microseconds of the GPU clock.
import type { TraceEvent } from '../driver/tracer.js';

/** The GPU clock counts at 100 MHz (GET_CLOCK_COUNTERS gpu_clock_counter frequency). */
const TICKS_PER_US = 100n;

export interface ChromeTrace {
  readonly traceEvents: readonly Record<string, unknown>[];
  readonly displayTimeUnit: 'ns' | 'ms';
}

export function chromeTrace(events: readonly TraceEvent[]): ChromeTrace {
  const tracks = [...new Set(events.map((e) => e.track))];
  const t0 = events.reduce((m, e) => (e.start < m ? e.start : m), events[0]?.start ?? 0n);
  const gpuOf = (track: string): string => /^(GPU \d+)/.exec(track)?.[1] ?? 'GPU';
  const gpus = [...new Set(tracks.map(gpuOf))];
  const pid = (track: string): number => gpus.indexOf(gpuOf(track)) + 1;
  const tid = (track: string): number => tracks.indexOf(track) + 1;
  const meta = [
    ...gpus.map((g, i) => ({ name: 'process_name', ph: 'M', pid: i + 1, tid: 0, args: { name: g } })),
    ...tracks.map((t) => ({ name: 'thread_name', ph: 'M', pid: pid(t), tid: tid(t), args: { name: t.replace(/^GPU \d+ \([^)]*\) /, '') } })),
  ];
  const ops = [...events]
    .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0))
    .map((e) => ({
      name: e.name,
      cat: 'gpu',
      ph: 'X',
      pid: pid(e.track),
      tid: tid(e.track),
      ts: Number(e.start - t0) / Number(TICKS_PER_US),
      dur: Math.max(0, Number(e.end - e.start) / Number(TICKS_PER_US)),
    }));
  return { traceEvents: [...meta, ...ops], displayTimeUnit: 'ns' };
}
