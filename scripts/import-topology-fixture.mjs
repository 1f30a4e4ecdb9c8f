#!/usr/bin/env node
// Copies a captured KFD topology tree out of a git repository, byte for byte, into
// test/fixtures/topology/<name>/devices/virtual/kfd/kfd/topology/ (the fixture root stands for /sys).
//
//   node scripts/import-topology-fixture.mjs <git-dir> <commit> <tree-path> <fixture-name>
//
// <tree-path> is the folder inside the repository that holds nodes/ (and, when the capture has them,
// generation_id and system_properties). Every file below it is copied with `git show`, so nothing is
// edited; README.md files of the source folder are left out (their facts go into our README).
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [gitDir, commit, treePath, name] = process.argv.slice(2);
if (!gitDir || !commit || !treePath || !name || !/^[a-z0-9][a-z0-9-]*$/.test(name)) {
  console.error('usage: import-topology-fixture.mjs <git-dir> <commit> <tree-path> <fixture-name (a-z0-9-)>');
  process.exit(2);
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, 'test', 'fixtures', 'topology', name, 'devices', 'virtual', 'kfd', 'kfd', 'topology');
const prefix = treePath.replace(/\/+$/, '') + '/';

const git = (...args) => execFileSync('git', ['--git-dir', gitDir, ...args], { maxBuffer: 1 << 28 });
const listing = git('ls-tree', '-r', '--name-only', commit, '--', prefix).toString().split('\n').filter(Boolean);
const files = listing.filter((p) => p.startsWith(prefix) && !p.endsWith('/README.md'));
if (files.length === 0) {
  console.error(`no files under ${treePath} at ${commit}`);
  process.exit(1);
}

rmSync(target, { recursive: true, force: true });
for (const path of files) {
  const out = join(target, path.slice(prefix.length));
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, git('show', `${commit}:${path}`));
}
console.log(`${name}: ${files.length} files from ${treePath} @ ${commit}`);
