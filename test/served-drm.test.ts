// libdrm's unmodified amdgpu_stress (Debian 12 libdrm-tests 2.4.114) on the served emulated GPU: it
// finds the render node through drmGetDevices2 (sysfs and /dev/dri), initialises libdrm_amdgpu,
// allocates GEM buffers in VRAM and GTT, maps them in its own GPU VA range, builds an SDMA COPY_LINEAR
// IB in a CPU-mapped GTT buffer and submits it through DRM_IOCTL_AMDGPU_CS with a BO list, then waits
// with DRM_IOCTL_AMDGPU_WAIT_CS. Outside CI a missing amdgpu_stress skips with the reason; in CI it fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { parseEmuSpec } from '../src/emu/models/models.js';
import { runServed, type ServedRunResult } from '../src/emu/serve/run.js';
import { requireOracle } from './support/tools.js';

const STRESS = { commands: ['amdgpu_stress'], install: 'apt-get install -y libdrm-tests' };

async function stress(model: string, args: string[]): Promise<ServedRunResult> {
  return runServed({ spec: parseEmuSpec(`emu:${model}`), command: 'amdgpu_stress', args, stdio: 'pipe', timeoutMs: 120_000 });
}

/** Every ioctl the client made was answered (none refused), and the emulator met no bug of its own. */
function assertCleanServe(r: ServedRunResult): void {
  assert.deepEqual(r.stats.internalErrors, [], 'emulator errors');
  assert.deepEqual(r.stats.protocolErrors, [], 'protocol errors');
  for (const s of r.stats.sessions) {
    assert.deepEqual(s.hangs, [], `ring hangs: ${JSON.stringify(s.hangs)}`);
    for (const c of s.ioctls) assert.deepEqual(c.failed, {}, `refused ${c.name}: ${c.why.join('; ')}`);
  }
}

function okCount(r: ServedRunResult, name: string): number {
  return r.stats.sessions.flatMap((s) => s.ioctls).filter((c) => c.name === name).reduce((n, c) => n + c.ok, 0);
}

for (const model of ['gfx90a', 'gfx1100']) {
  test(`amdgpu_stress on emu:${model}: VRAM and GTT buffers, 4 SDMA copies of 1 MiB submitted by CS and waited for`, async (t: TestContext) => {
    if (!requireOracle(t, STRESS)) return;
    const r = await stress(model, ['-b', 'v', '1m', '-b', 'g', '1m', '-c', '1', '2', '1m', '4']);
    assert.equal(r.exitCode, 0, `amdgpu_stress failed:\n${r.stdout}${r.stderr}`);
    const bos = [...r.stdout.matchAll(/^Allocated BO number (\d+) at 0x([0-9a-f]+), domain 0x([0-9a-f]+), size (\d+)$/gm)].map((m) => ({ n: Number(m[1]), va: BigInt(`0x${m[2]}`), domain: Number(`0x${m[3]}`), size: Number(m[4]) }));
    assert.deepEqual(bos.map((b) => [b.n, b.domain, b.size]), [[0, 0x2, 2 << 20], [1, 0x4, 1 << 20], [2, 0x2, 1 << 20]]);
    // libdrm's VA manager handed out three distinct, non-overlapping ranges
    const sorted = [...bos].sort((a, b) => (a.va < b.va ? -1 : 1));
    for (let i = 1; i < sorted.length; i++) assert.ok(sorted[i - 1]!.va + BigInt(sorted[i - 1]!.size) <= sorted[i]!.va, 'overlapping VAs');
    const done = /^Submitted 4 IBs to copy from 1\(([0-9a-f]+)\) to 2\(([0-9a-f]+)\) 1048576 bytes took (\d+) usec$/m.exec(r.stdout);
    assert.ok(done, `no completion line in:\n${r.stdout}`);
    t.diagnostic(`4 × 1 MiB SDMA copies through CS + WAIT_CS: ${done[3]} µs as amdgpu_stress measured it; wall ${Math.round(r.wallMs)} ms`);
    assertCleanServe(r);
    assert.equal(okCount(r, 'DRM_IOCTL_AMDGPU_CS'), 4);
    assert.ok(okCount(r, 'DRM_IOCTL_AMDGPU_WAIT_CS') >= 1);
    assert.equal(okCount(r, 'DRM_IOCTL_AMDGPU_GEM_CREATE'), 3);
    assert.equal(okCount(r, 'DRM_IOCTL_AMDGPU_GEM_VA'), 3);
  });
}

test('amdgpu_stress: a copy larger than its buffers runs past their VA and is reported as a GPU fault, and the client is not left waiting', async (t: TestContext) => {
  if (!requireOracle(t, STRESS)) return;
  // BO 1 is 64 KiB; the copy asks for 1 MiB, so the SDMA engine reads unmapped VA after the buffer.
  const r = await stress('gfx90a', ['-b', 'g', '64k', '-b', 'g', '64k', '-c', '1', '2', '1m', '1']);
  assert.deepEqual(r.stats.internalErrors, [], 'emulator errors');
  // The job's fault is the SDMA ring's, at the first page past the 64 KiB destination buffer, and the
  // client's WAIT_CS gets the kernel's answer for a job its timeout handling ended (ETIME).
  const hangs = r.stats.sessions.flatMap((s) => s.hangs);
  assert.equal(hangs.length, 1, `hangs: ${JSON.stringify(hangs)}`);
  assert.equal(hangs[0]!.ring, 'sdma0');
  assert.match(hangs[0]!.reason, /GPU VM fault \(not-present\) on write at 0x[0-9a-f]+/);
  const dst = /^Allocated BO number 2 at 0x([0-9a-f]+), domain 0x2, size 65536$/m.exec(r.stdout);
  assert.ok(dst, r.stdout);
  assert.equal(hangs[0]!.fault?.va, `0x${(BigInt(`0x${dst[1]}`) + 0x10000n).toString(16)}`);
  assert.deepEqual(r.stats.sessions.flatMap((s) => s.ioctls).filter((c) => Object.keys(c.failed).length).map((c) => [c.name, c.failed]), [['DRM_IOCTL_AMDGPU_WAIT_CS', { ETIME: 1 }]]);
  assert.notEqual(r.exitCode, 0, 'amdgpu_stress reports the failed submission');
  // As on the kernel, the faulting job is not left waiting forever (amdgpu_stress waits with an infinite
  // timeout): the ring's job ends with an error and the client gets its answer.
  assert.equal(r.timedOut, false, 'the client was left waiting');
});
