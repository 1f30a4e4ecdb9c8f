#!/usr/bin/env node
// Makes a fresh clone runnable: installs dependencies when they are missing, then builds (incrementally).
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const needed = ['typescript', 'koffi', '@msgpack/msgpack', '@types/node', 'fast-check'];
const run = (cmd, args) => {
  // stdout stays clean for the command's own output (`npm run bench -- --json` is one JSON document).
  const r = spawnSync(cmd, args, { cwd: root, stdio: ['inherit', process.stderr, 'inherit'], env: { ...process.env, npm_config_nodedir: process.env.npm_config_nodedir ?? '/usr' } });
  if (r.status !== 0) {
    console.error(`amdgpu-ts: \`${cmd} ${args.join(' ')}\` failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status ?? 1);
  }
};

if (needed.some((p) => !existsSync(join(root, 'node_modules', p, 'package.json')))) {
  console.error('amdgpu-ts: installing dependencies (npm install) …');
  run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=warn']);
}
run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.json')]);
