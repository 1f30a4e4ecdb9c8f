// Use-after-free and double-free of a buffer, a queue or a KFD event is a clear UseAfterFreeError
// (an input error: the caller's bug), never a silent success, a stale ioctl or a crash; the refused
// call leaves the emulated kernel as it was.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { EmuHost } from '../src/emu/host.js';
import { Kfd } from '../src/driver/kfd.js';
import { Pm4Queue } from '../src/driver/queues/pm4-queue.js';
import { AqlQueue } from '../src/driver/queues/aql-queue.js';
import { SdmaQueue } from '../src/driver/queues/sdma-queue.js';
import { UseAfterFreeError } from '../src/driver/errors.js';
import { KFD_IOC_EVENT } from '../src/uapi/kfd.js';
import type { Device } from '../src/driver/device.js';

const refused = (op: string, thing: RegExp) => (e: unknown): boolean =>
  e instanceof UseAfterFreeError && e.kind === 'input' && thing.test(e.message) && e.message.includes(`: ${op} after it was`);

describe('use after free on emu:gfx1100', () => {
  let host: EmuHost;
  let kfd: Kfd;
  let dev: Device;
  before(() => {
    host = new EmuHost('emu:gfx1100');
    kfd = Kfd.open(host);
    dev = kfd.device(0);
  });
  after(async () => {
    kfd.close();
    await host.shutdown();
  });

  it('a buffer: free twice, CPU view, map and unmap after free are refused', () => {
    const b = dev.alloc(8192, { domain: 'gtt', label: 'victim' });
    b.view[0] = 1;
    b.free();
    const live = host.liveObjects();
    assert.throws(() => b.free(), refused('free', /^GPU 0 \(gfx1100, gpu_id \d+\): victim \(gtt, 8192 bytes at 0x[0-9a-f]+\)/));
    assert.throws(() => b.view, refused('CPU view', /victim/));
    assert.throws(() => b.mapTo([dev.gpuId]), refused('map to GPUs', /victim/));
    assert.throws(() => b.unmapFrom([dev.gpuId]), refused('unmap from GPUs', /victim/));
    assert.deepEqual(host.liveObjects(), live, 'nothing reached the kernel');
  });

  for (const [name, create] of [
    ['PM4', (d: Device) => Pm4Queue.create(d)],
    ['AQL', (d: Device) => AqlQueue.create(d)],
    ['SDMA', (d: Device) => SdmaQueue.create(d)],
  ] as const) {
    it(`a ${name} queue: destroy twice, submit and wait after destroy are refused`, () => {
      const q = create(dev);
      q.destroy();
      const live = host.liveObjects();
      const label = new RegExp(`${name} queue \\d+`);
      assert.throws(() => q.destroy(), refused('destroy', label));
      assert.throws(() => q.wait(1n, 100), refused('wait', label));
      if (q instanceof AqlQueue) assert.throws(() => q.barrier([]), refused('submit', label));
      else assert.throws(() => q.submit(new Uint32Array(0)), refused('submit', label));
      assert.deepEqual(host.liveObjects(), live);
    });
  }

  it('a KFD event: destroy twice and wait after destroy are refused', () => {
    const page = kfd.events(dev);
    const e = page.create(KFD_IOC_EVENT.SIGNAL, true);
    page.destroyEvent(e);
    const live = host.liveObjects();
    assert.throws(() => page.destroyEvent(e), refused('destroy', new RegExp(`KFD event ${e.id}`)));
    assert.throws(() => page.wait([e], 10), refused('wait', new RegExp(`KFD event ${e.id}`)));
    assert.deepEqual(host.liveObjects(), live);
  });

  it('a queue or buffer the device released on close(): using it afterwards is refused too', () => {
    const h = new EmuHost('emu:gfx1100');
    const k = Kfd.open(h);
    try {
      const d = k.device(0);
      const q = Pm4Queue.create(d);
      const b = d.alloc(4096, { domain: 'gtt' });
      d.close();
      assert.throws(() => q.destroy(), UseAfterFreeError);
      assert.throws(() => b.free(), UseAfterFreeError);
    } finally {
      k.close();
      void h.shutdown();
    }
  });
});
