// The shader core, when this build has one. The engines start dispatches through it; without it a
// dispatch stops the queue as unsupported rather than pretending to run.
import type { ShaderCore } from '../../isa/types.js';

let core: ShaderCore | null | undefined;

export async function loadShaderCore(exec: 'block' | 'interp'): Promise<void> {
  const path = '../../isa/core.js';
  try {
    const mod = (await import(path)) as { createShaderCore?: (options: { exec: 'block' | 'interp' }) => ShaderCore };
    core = mod.createShaderCore ? mod.createShaderCore({ exec }) : null;
  } catch (e) {
    if ((e as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw e;
    core = null;
  }
}

export function shaderCore(): ShaderCore | null {
  return core ?? null;
}
