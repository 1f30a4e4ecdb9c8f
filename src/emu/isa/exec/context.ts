// What instruction compilation needs to know about the dispatch, and the compiled handler shape.
import type { IsaFamily } from '../types.js';
import type { Wave } from './wave.js';

export interface CompileContext {
  readonly family: IsaFamily;
  readonly waveSize: 32 | 64;
}

/** Executes one instruction on a wave. w.pc already points at the next instruction; branches overwrite it. */
export type Handler = (w: Wave) => void;
