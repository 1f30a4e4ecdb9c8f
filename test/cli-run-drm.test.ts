// `amdgpu-ts run --queue drm`: the kernel launched through the render node (an IB on the kernel's
// compute ring) gives the same output as through a user-mode PM4 queue; with --check-bounds an access
// past a buffer's end is a hung ring whose report decodes the IB and names the argument.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { main } from '../src/cli/main.js';
import type { CommandIo } from '../src/cli/io.js';
import { REPO_ROOT } from './fixtures/topology/index.js';

async function cli(argv: readonly string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CommandIo = { out: (l) => out.push(l), err: (l) => err.push(l), interactive: false };
  return { code: await main(argv, io), out, err };
}

for (const [model, target] of [['emu:gfx1100', 'gfx1100'], ['emu:gfx942', 'gfx942']] as const) {
  describe(`run --queue drm on ${model}`, () => {
    const co = join(REPO_ROOT, 'test', 'kernels', `fill.${target}.co`);
    const args = (n: number, ...more: string[]) => ['run', co, 'fill', '--device', model, '--grid', '256', '--block', '64', '--arg', 'buf:4096', '--arg', 'u32:0x01020304', '--arg', `u32:${n}`, ...more];

    it('the fill kernel on the kernel compute ring writes the same bytes as on a PM4 queue', async () => {
      const drm = await cli(args(1024, '--queue', 'drm', '--json'));
      const pm4 = await cli(args(1024, '--queue', 'pm4', '--json'));
      assert.deepEqual([drm.code, pm4.code, drm.err, pm4.err], [0, 0, [], []]);
      const a = JSON.parse(drm.out.join('\n')) as { queue: string; elapsedUs: number | null; buffers: { sha256: string }[] };
      const b = JSON.parse(pm4.out.join('\n')) as { buffers: { sha256: string }[] };
      assert.equal(a.queue, 'drm');
      assert.equal(a.elapsedUs, null);
      assert.equal(a.buffers[0]!.sha256, b.buffers[0]!.sha256);
      const text = await cli(args(1024, '--queue', 'drm'));
      assert.match(text.out[0]!, /^fill on GPU 0 \(gfx\d+, gpu_id \d+\) render node \(emulated\), kernel compute ring \(render node CS\): grid 256x1x1, block 64x1x1, no GPU timestamp$/);
    });

    it('--check-bounds: one element past the end hangs the ring; the report decodes the IB and names the argument', async () => {
      const r = await cli(args(1025, '--queue', 'drm', '--check-bounds'));
      assert.equal(r.code, 1);
      const err = r.err.join('\n');
      assert.match(err, /GPU hang reported by the kernel: kernel fill: the kernel timed the job out on its ring \(WAIT_CS: ETIME\)/);
      assert.match(err, /kernel COMPUTE ring 0 \(context \d+\): 0 of 1 submissions known done, context guilty/);
      assert.match(err, /DISPATCH_DIRECT dim_x=0x100/);
      assert.match(err, /\nemulated kernel: ring comp_1\.0\.0 hung: GPU VM fault .* at 0x[0-9a-f]+/);
      assert.match(err, /out of bounds: kernel fill, argument 0 \(out\), a 4096-byte buffer at 0x[0-9a-f]+: an access 0 bytes past its end \(offset 4096\)/);
    });
  });
}
