#!/usr/bin/env node
// Runs the compiled CLI; on a fresh clone it installs dependencies and builds first.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'dist', 'src', 'cli', 'main.js');
if (!existsSync(entry)) {
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'ensure.mjs')], { stdio: ['ignore', 2, 2] });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
// A reader that stopped early (`| head`) is not an error: stop quietly, as Unix tools do.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});
const { main } = await import(entry);
process.exitCode = await main(process.argv.slice(2));
