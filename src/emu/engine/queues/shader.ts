// The shader core, when this build has one. The engines start dispatches through it; without it a
// dispatch stops the queue as unsupported rather than pretending to run.
import type { ShaderCore } from '../../isa/types.js';

let core: ShaderCore | null | undefined;

/** `workers`: threads per dispatch (the device's ?workers=N; undefined: the core's default); `exec`: compiled blocks or per instruction. */
export async function loadShaderCore(workers: number | undefined, exec: 'block' | 'interp'): Promise<void> {
  const path = '../../isa/parallel/index.js';
  try {
    const mod = (await import(path)) as { createParallelShaderCore?: (options: { workers?: number; exec: 'block' | 'interp' }) => ShaderCore };
    core = mod.createParallelShaderCore ? mod.createParallelShaderCore(workers === undefined ? { exec } : { workers, exec }) : null;
  } catch (e) {
    if ((e as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw e;
    core = null;
  }
}

export function shaderCore(): ShaderCore | null {
  return core ?? null;
}

/** Ends the shader core's worker threads (the engine thread is exiting). */
export function closeShaderCore(): void {
  core?.close?.();
}
