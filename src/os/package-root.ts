// Locates files shipped with the package (kernel corpus, fixtures) whether running from dist/ or a
// build directory elsewhere.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

function isPackageRoot(dir: string): boolean {
  const p = join(dir, 'package.json');
  if (!existsSync(p)) return false;
  try {
    return (JSON.parse(readFileSync(p, 'utf8')) as { name?: string }).name === 'amdgpu-ts';
  } catch {
    return false;
  }
}

function walkUp(from: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    if (isPackageRoot(dir)) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

export function packageRoot(): string {
  cached ??= walkUp(dirname(fileURLToPath(import.meta.url))) ?? walkUp(process.cwd());
  if (!cached) throw new Error('cannot find the amdgpu-ts package root (package.json named amdgpu-ts)');
  return cached;
}

export function packagePath(...parts: string[]): string {
  return join(packageRoot(), ...parts);
}
