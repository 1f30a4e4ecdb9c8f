// `amdgpu-ts emulate` under SIGINT / SIGTERM: the signal goes on to the served program, the emulator
// waits for it, removes its temporary folder (socket and served file tree) and exits 128 + N as the
// program did. Before, the signal ended the emulator at once and the folder stayed in TMPDIR.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packagePath } from '../src/os/package-root.js';
import { requireOracle } from './support/tools.js';

for (const [signal, status] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  test(`${signal} to the emulator ends the served program with it and leaves nothing in TMPDIR (exit ${status})`, async (t) => {
    if (!requireOracle(t, { commands: ['cc'] })) return;
    const tmp = mkdtempSync(join(tmpdir(), 'amdgpu-ts-signals-'));
    try {
      const emu = spawn(process.execPath, [packagePath('bin', 'amdgpu-ts.js'), 'emulate', '--quiet', '--', 'sh', '-c', 'echo started; exec sleep 30'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: tmp } });
      let out = '';
      let err = '';
      emu.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      emu.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      const exited = new Promise<number | null>((resolve) => emu.once('exit', (code) => resolve(code)));
      const deadline = Date.now() + 30_000;
      while (!out.includes('started') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.ok(out.includes('started'), `the served program started: ${err}`);
      assert.equal(readdirSync(tmp).length, 1, 'the emulator keeps one folder while it serves');
      const t0 = Date.now();
      emu.kill(signal);
      assert.equal(await exited, status, `exit status 128 + ${signal}: ${err}`);
      assert.ok(Date.now() - t0 < 10_000, 'the program ended with the signal, not after its 30 s');
      assert.deepEqual(readdirSync(tmp), [], 'the served folder was removed');
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
}
