// The render-node self-test checks skip, saying why, on a GPU whose render node cannot be opened
// (e.g. no read-write access to /dev/dri/renderD*), instead of failing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderNodeChecks } from '../src/harness/checks/render-node.js';
import { Skip, type CheckContext } from '../src/harness/check.js';
import { OsError } from '../src/os/errors.js';
import type { Kfd } from '../src/driver/kfd.js';
import type { Device } from '../src/driver/device.js';

test('every drm.* check skips with the open error when the render node cannot be opened', async () => {
  const device = { index: 0, name: 'GPU 0 (gfx1100, gpu_id 1)' } as Device;
  const kfd = { renderDevice: () => { throw new OsError({ call: 'open', errno: 13, target: '/dev/dri/renderD128' }); } } as unknown as Kfd;
  const ctx = { device, devices: [device], kfd, timeoutMs: 1000 } as unknown as CheckContext;
  assert.deepEqual(renderNodeChecks.map((c) => c.name), ['drm.copy', 'drm.fill', 'drm.dispatch', 'drm.syncobj', 'drm.timeout']);
  for (const c of renderNodeChecks) {
    await assert.rejects(async () => c.run(ctx), (e: unknown) => {
      assert.ok(e instanceof Skip, `${c.name}: ${String(e)}`);
      assert.match(e.message, /^the render-node path is not available on GPU 0 \(gfx1100, gpu_id 1\): open \/dev\/dri\/renderD128 failed: EACCES/);
      return true;
    });
  }
});
