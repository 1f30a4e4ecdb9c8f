// The data every benchmark section produces: one figure per measured path, with a baseline and the
// ratio where the benchmark has one, so a report (table or JSON) reads the same for all sections.
import type { Device } from '../../driver/device.js';
import type { Kfd } from '../../driver/kfd.js';

export interface BenchFigure {
  readonly section: string;
  /** What was measured, e.g. "GTT→VRAM 4 MiB" or "PM4 dispatch". */
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** The same work done another way (plain TS, C, CPU memcpy), in the same unit; null when none applies. */
  readonly baseline: number | null;
  readonly baselineLabel: string | null;
  /** value / baseline (or its inverse where stated in baselineLabel); null without a baseline. */
  readonly ratio: number | null;
  /** How the figure was timed: GPU timestamps, wall clock, … */
  readonly timing: string;
  readonly detail?: string;
}

export interface SectionResult {
  readonly figures: BenchFigure[];
  /** Why (part of) the section did not run, e.g. "needs two GPUs". */
  readonly notes: string[];
}

export interface BenchContext {
  readonly kfd: Kfd;
  readonly devices: readonly Device[];
  readonly device: Device;
  readonly emulated: boolean;
  readonly quick: boolean;
  readonly timeoutMs: number;
  /** Reports one finished step of the section (drives the progress bar). */
  step(label: string): void;
}

export interface BenchSection {
  /** Short name for `--only` (copy, dispatch, …). */
  readonly key: string;
  readonly name: string;
  /** Steps this section reports through ctx.step (the progress bar's share). */
  steps(ctx: Pick<BenchContext, 'devices' | 'emulated' | 'quick'>): number;
  run(ctx: BenchContext): SectionResult | Promise<SectionResult>;
}

export function figure(f: Omit<BenchFigure, 'baseline' | 'baselineLabel' | 'ratio'> & Partial<Pick<BenchFigure, 'baseline' | 'baselineLabel' | 'ratio'>>): BenchFigure {
  return { baseline: null, baselineLabel: null, ratio: null, ...f };
}
