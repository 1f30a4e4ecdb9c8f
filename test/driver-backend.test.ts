// The backend seam: a Device, its memory, queues and timelines reach the GPU only through the Backend
// verbs, so another backend plugs in without touching them; the PCI diagnostic backend gives device
// info and register snapshots and refuses the rest with an input error.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { EmuHost } from '../src/emu/host.js';
import { Device } from '../src/driver/device.js';
import { DriverError } from '../src/driver/errors.js';
import { Pm4Queue } from '../src/driver/queues/pm4-queue.js';
import { AqlQueue } from '../src/driver/queues/aql-queue.js';
import { SdmaQueue } from '../src/driver/queues/sdma-queue.js';
import { Kfd, gpuName } from '../src/driver/kfd.js';
import { readTopology } from '../src/driver/topology.js';
import { KfdBackend } from '../src/driver/backend/kfd.js';
import { KfdProcess } from '../src/driver/backend/kfd-process.js';
import { PciBackend } from '../src/driver/backend/pci.js';
import type { Backend } from '../src/driver/backend/backend.js';
import { registerSnapshot } from '../src/pci/snapshot.js';
import { Pm4Builder } from '../src/hw/pm4/builder.js';

/** A backend that forwards every verb to `inner` and writes down which verb ran (with the queue kind). */
function recording(inner: Backend, log: string[]): Backend {
  return new Proxy(inner, {
    get(target, key, receiver) {
      const v = Reflect.get(target, key, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        const first = args[0] as { kind?: string } | undefined;
        log.push(key === 'createQueue' ? `createQueue:${first?.kind}` : String(key));
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

describe('backend seam on emu:gfx1100', () => {
  let host: EmuHost;
  before(() => {
    host = new EmuHost('emu:gfx1100');
  });
  after(async () => {
    await host.shutdown();
  });

  it('a Device over a wrapped KFD backend runs a PM4 fence and an SDMA copy using only Backend verbs', () => {
    const kfd = new KfdProcess(host);
    const node = readTopology(host).gpus[0]!;
    const log: string[] = [];
    const inner = new KfdBackend(kfd, node, gpuName(node, 0));
    const dev = new Device(recording(inner, log), 0);
    try {
      assert.equal(dev.name, 'GPU 0 (gfx1100, gpu_id ' + node.gpuId + ')');
      assert.equal(dev.apertures, inner.apertures);
      const pm4 = Pm4Queue.create(dev);
      const b = new Pm4Builder(dev.target.family);
      pm4.wait(pm4.submit(b.nop(4).dwords), 5000, 'a fenced NOP');
      assert.equal(pm4.timeline.value, 1n);
      const src = dev.alloc(4096, { domain: 'gtt' });
      const dst = dev.alloc(4096, { domain: 'gtt' });
      src.view.fill(0x5a);
      const sdma = SdmaQueue.create(dev);
      sdma.wait(sdma.copy(dst.va, src.va, 4096), 5000, 'an SDMA copy');
      assert.ok(dst.view.every((x) => x === 0x5a), 'the copy landed');
      dev.releaseQueues();
      dev.close();
      // Every kernel-facing step went through the seam, in the order the driver takes it.
      const seen = new Set(log);
      for (const verb of ['alloc', 'map', 'createQueue:pm4', 'createQueue:sdma', 'createEvent', 'destroyQueue', 'destroyEvent', 'unmap', 'free', 'close']) assert.ok(seen.has(verb), `${verb} went through the backend (saw ${[...seen].join(', ')})`);
      assert.ok(log.indexOf('createQueue:pm4') < log.indexOf('destroyQueue'));
      assert.equal(log.at(-1), 'close');
      assert.equal(log.filter((v) => v === 'alloc').length, log.filter((v) => v === 'free').length, 'every allocation was freed through the backend');
    } finally {
      kfd.close();
    }
    assert.deepEqual(host.liveObjects(), { bos: 0, queues: 0, events: 0, gpuMappings: 0, cpuMappings: 0, openFiles: 0 });
  });

  it('the KFD session hands each device its backend, and register snapshots come through it', () => {
    const kfd = Kfd.open(host);
    try {
      const dev = kfd.device(0);
      const backend = kfd.backendOf(dev);
      assert.equal(dev.backend, backend);
      assert.equal(backend.gpuId, dev.gpuId);
      assert.equal(dev.registerSnapshot(), registerSnapshot(host, dev.node.pciAddress));
      // A device over another backend (same index, same GPU) is not this session's.
      const stranger = new Device(new PciBackend(host, dev.node, dev.name), 0);
      assert.throws(() => kfd.backendOf(stranger), (e: unknown) => e instanceof DriverError && e.kind === 'input' && /not a device of this KFD session/.test(e.message));
      stranger.close();
    } finally {
      kfd.close();
    }
  });

  it('the PCI diagnostic backend: device info and the register snapshot, everything else refused as input', () => {
    const node = readTopology(host).gpus[0]!;
    const live = host.liveObjects();
    const dev = new Device(new PciBackend(host, node, gpuName(node, 0)), 0);
    assert.equal(dev.target.name, 'gfx1100');
    assert.equal(dev.node.pciAddress, node.pciAddress);
    const snapshot = dev.registerSnapshot();
    assert.match(snapshot, /^register snapshot \(GC 11\.0\.0, [0-9a-f:.]+ resource5\):\n {2}GC\.GRBM_STATUS \(0x8010\) = 0x[0-9a-f]{8}/);
    assert.equal(snapshot, registerSnapshot(host, node.pciAddress));
    const refused = (what: RegExp) => (e: unknown) =>
      e instanceof DriverError && e.kind === 'input' && what.test(e.message) && /is not supported on the PCI diagnostic backend/.test(e.message);
    assert.throws(() => dev.alloc(4096), refused(/allocating GPU memory/));
    assert.throws(() => dev.apertures, refused(/apertures/));
    assert.throws(() => Pm4Queue.create(dev), refused(/allocating GPU memory/));
    assert.throws(() => AqlQueue.create(dev), refused(/allocating GPU memory/));
    assert.equal(dev.vmFault, undefined);
    dev.close();
    // Nothing reached the kernel interface: no file, mapping, buffer or queue was made.
    assert.deepEqual(host.liveObjects(), live);
  });
});
