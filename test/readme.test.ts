// The README's library example runs as written, from the package root (as a user would after a clone).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../src/os/package-root.js';

test('README: the two commands come first, and the library example runs as written', () => {
  const root = packageRoot();
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)![1]!;
  assert.match(firstBlock, /^npm start\b/m);
  assert.match(firstBlock, /^npm test\b/m);
  const section = readme.slice(readme.indexOf('## Library'));
  const code = /```js\n([\s\S]*?)```/.exec(section)![1]!;
  const file = join(root, `.readme-example-${process.pid}.mjs`);
  writeFileSync(file, code);
  try {
    const r = spawnSync(process.execPath, [file], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^GPU 0 \(gfx1100, gpu_id \d+\), 96 CUs \(emulated\)$/m);
    assert.match(r.stdout, /^100 101 1123$/m);
  } finally {
    rmSync(file, { force: true });
  }
});
