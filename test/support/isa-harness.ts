// The shader-core test harness: the minimal CP lives with the benchmark that also needs it.
export { runKernelOnShaderCore as runCorpusKernel, type HarnessRun } from '../../src/harness/bench/isa-bench.js';
