// Shared shape of the compiled (OpenCL C) corpus entries: file naming and defaults.
import { CORPUS_TARGETS, type CorpusKernel, type CorpusTarget, type Dim3 } from './types.js';

/** Initial contents of output words, so that unwritten elements are detectable. */
export const SENTINEL = 0xcdcdcdcd;

export type Entry = Omit<CorpusKernel, 'file' | 'targets' | 'source' | 'expect'> &
  Partial<Pick<CorpusKernel, 'expect'>>;

/** Adds the file naming (<kernel>.<target>[.O0].co) shared by every compiled kernel. */
export function compiled(entry: Entry, variant: '' | '.O0' = ''): CorpusKernel {
  return {
    expect: 'complete',
    ...entry,
    source: `${entry.kernel}.cl`,
    targets: CORPUS_TARGETS,
    file: (target: CorpusTarget) => `test/kernels/${entry.kernel}.${target}${variant}.co`,
  };
}

export const grid1 = (x: number): Dim3 => [x, 1, 1];
