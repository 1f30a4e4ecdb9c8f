// Builds the preload library (native/preload/*.c) with the system C compiler on first use, into a cache
// folder keyed by a hash of its sources and the compiler, so an edited source is rebuilt and a second
// run costs nothing. No binary is shipped.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { packagePath } from '../../os/package-root.js';
import { AmdgpuError } from '../../errors.js';

/** The exact build command (README "Run ROCm programs without a GPU" quotes it). */
export const PRELOAD_CFLAGS = ['-std=gnu11', '-O2', '-fPIC', '-shared', '-Wall', '-Wextra', '-Wno-unused-parameter'] as const;
export const PRELOAD_LIBS = ['-ldl', '-lpthread'] as const;

/** The preload library cannot be built (no C compiler, a compile error): the machine lacks something. */
export class PreloadBuildError extends AmdgpuError {
  constructor(message: string) {
    super('runtime', message);
    this.name = 'PreloadBuildError';
  }
}

export function preloadSourceDir(): string {
  return packagePath('native', 'preload');
}

function cacheDir(): string {
  const base = process.env.AMDGPU_TS_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'amdgpu-ts');
  return base;
}

/** Path of the built library, building it when the cache lacks this version. */
export function buildPreload(compiler = process.env.CC ?? 'cc'): string {
  const dir = preloadSourceDir();
  const sources = readdirSync(dir).filter((f) => f.endsWith('.c')).sort().map((f) => join(dir, f));
  if (sources.length === 0) throw new PreloadBuildError(`no C sources in ${dir}`);
  const hash = createHash('sha256');
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.c') || n.endsWith('.h')).sort()) hash.update(f).update(readFileSync(join(dir, f)));
  hash.update(compiler).update(PRELOAD_CFLAGS.join(' '));
  const out = join(cacheDir(), `preload-${hash.digest('hex').slice(0, 16)}.so`);
  if (existsSync(out)) return out;
  mkdirSync(cacheDir(), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  const r = spawnSync(compiler, [...PRELOAD_CFLAGS, '-o', tmp, ...sources, ...PRELOAD_LIBS], { encoding: 'utf8' });
  if (r.error) throw new PreloadBuildError(`cannot run the C compiler "${compiler}" to build the preload library (${(r.error as NodeJS.ErrnoException).code ?? r.error.message}); install gcc or set CC`);
  if (r.status !== 0) throw new PreloadBuildError(`building the preload library failed (${compiler} exit ${r.status}):\n${r.stderr.trim()}`);
  if (r.stderr.trim()) throw new PreloadBuildError(`the preload library must build without warnings; ${compiler} said:\n${r.stderr.trim()}`);
  renameSync(tmp, out);
  return out;
}
