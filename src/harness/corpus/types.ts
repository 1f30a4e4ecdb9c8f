// The kernel corpus as data, independent of any driver: which code object, which arguments (as
// host buffers and scalars), which grid, and how to judge the results.

export type CorpusTarget = 'gfx1100' | 'gfx1201' | 'gfx942' | 'gfx90a';
export const CORPUS_TARGETS: readonly CorpusTarget[] = ['gfx1100', 'gfx1201', 'gfx942', 'gfx90a'];

/** What a run needs to know about the device it ran on. */
export interface CorpusContext {
  readonly target: CorpusTarget;
  /** Wavefront size the corpus code objects were compiled for (gfx1100 and gfx1201: 32, gfx942 and gfx90a: 64). */
  readonly waveSize: 32 | 64;
}

export function corpusContext(target: CorpusTarget): CorpusContext {
  return { target, waveSize: target === 'gfx1100' || target === 'gfx1201' ? 32 : 64 };
}

/**
 * One explicit kernel argument, in declaration order; `name` equals the argument's `.name` in the
 * code object metadata. Hidden arguments are not listed: the runtime fills them from the metadata.
 */
export type ArgSpec =
  /** A global buffer: the runtime allocates `data.byteLength` bytes, copies `data` in, passes the
   *  address, and reads the whole buffer back afterwards (outputs are keyed by `name`). */
  | { readonly kind: 'buffer'; readonly name: string; readonly data: Uint8Array }
  | { readonly kind: 'u32' | 'i32' | 'f32'; readonly name: string; readonly value: number }
  | { readonly kind: 'u64'; readonly name: string; readonly value: bigint }
  /** A raw device address passed as a pointer argument (no allocation), e.g. to provoke a fault. */
  | { readonly kind: 'address'; readonly name: string; readonly value: bigint }
  /** An OpenCL `__local` pointer argument (metadata value_kind dynamic_shared_pointer): the runtime
   *  reserves `bytes` of LDS after the static group segment and passes its LDS offset. */
  | { readonly kind: 'dynamicLds'; readonly name: string; readonly bytes: number };

/** How the dispatch is expected to end. */
export type Expectation =
  | 'complete'
  /** A GPU memory fault at `faultAddress` (page-aligned comparison). */
  | 'fault'
  /** The wave executes s_trap; the dispatch reports an error instead of completing. */
  | 'trap'
  /** The wave halts (s_sethalt): the dispatch never completes; run only with a timeout. */
  | 'hang';

export type Dim3 = readonly [number, number, number];

export interface CorpusKernel {
  /** Unique corpus id, e.g. "vector_add" or "vector_add.O0" or "asm_trap.halt". */
  readonly id: string;
  /** Kernel name in the code object metadata (`.name`; the descriptor symbol is `<kernel>.kd`). */
  readonly kernel: string;
  /** Source file in test/kernels. */
  readonly source: string;
  /** What the kernel exercises, one line. */
  readonly exercises: string;
  readonly targets: readonly CorpusTarget[];
  /** Code object path relative to the package root: test/kernels/<kernel>.<target>[.O0].co. */
  file(target: CorpusTarget): string;
  /** Grid size in work-items (as in the AQL packet), and work-group size. */
  readonly grid: Dim3;
  readonly block: Dim3;
  readonly expect: Expectation;
  /** For expect === 'fault': the address the kernel stores to. */
  readonly faultAddress?: bigint;
  /** Fresh argument list (buffers are new copies each call). */
  args(ctx: CorpusContext): ArgSpec[];
  /** Judges the read-back buffers (keyed by argument name); returns a failure message or undefined. */
  check(outputs: ReadonlyMap<string, Uint8Array>, ctx: CorpusContext): string | undefined;
  /** Float tolerance used by check, with its reason; absent for bit-exact kernels. */
  readonly tolerance?: string;
}
