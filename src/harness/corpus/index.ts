// The kernel corpus: every test/kernels code object with its arguments and CPU reference.
// Consumers (shader-core tests, selftest) iterate CORPUS, load packagePath(file(target)), build kernargs from
// `args(ctx)` and the code object metadata, dispatch `grid`/`block`, read back every buffer
// argument by name and call `check`.
import { COMPILED_KERNELS } from './compiled.js';
import { HANDWRITTEN_KERNELS } from './handwritten.js';
import type { CorpusKernel } from './types.js';

export * from './types.js';
export { compareExact, compareF32, type FloatTolerance } from './compare.js';
export { FAULT_ADDRESS } from './compiled.js';

export const CORPUS: readonly CorpusKernel[] = [...COMPILED_KERNELS, ...HANDWRITTEN_KERNELS];

export function corpusKernel(id: string): CorpusKernel {
  const k = CORPUS.find((c) => c.id === id);
  if (!k) throw new Error(`no corpus kernel "${id}" (have: ${CORPUS.map((c) => c.id).join(', ')})`);
  return k;
}
