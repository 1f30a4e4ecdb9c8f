// Several GPUs: copies from one GPU's memory to another's, and direct peer access.
import { SdmaQueue } from '../../driver/queues/sdma-queue.js';
import { Pm4Queue } from '../../driver/queues/pm4-queue.js';
import { expect, fillPattern, firstDifference, Skip, type Check } from '../check.js';

export const peerCopy: Check = {
  name: 'peer.copy',
  proves: "one GPU's SDMA engine copies between its VRAM and another GPU's VRAM mapped into its VM",
  run({ devices, timeoutMs }) {
    if (devices.length < 2) throw new Skip('needs two GPUs; this system has one');
    const [a, b] = devices as [(typeof devices)[0], (typeof devices)[0]];
    const n = 8 << 20;
    const src = a.alloc(n, { domain: 'vram', hostVisible: true });
    const dst = b.alloc(n, { domain: 'vram', hostVisible: true });
    const q = SdmaQueue.create(a, { xgmi: a.node.ioLinks.some((l) => l.type === 11) });
    try {
      dst.mapTo([a.gpuId]);
      fillPattern(src.view, 99);
      q.wait(q.copy(dst.va, src.va, n), timeoutMs);
      const at = firstDifference(dst.view, src.view);
      expect(at < 0, `peer copy ${a.name} → ${b.name}: byte ${at} is 0x${dst.view[at]?.toString(16)}, want 0x${src.view[at]?.toString(16)}`);
      return `${n >> 20} MiB ${a.target.name}#${a.index} → #${b.index} on ${q.label.replace(/^.*\) /, '')}`;
    } finally {
      q.destroy();
      dst.free();
      src.free();
    }
  },
};

export const peerAccess: Check = {
  name: 'peer.access',
  proves: "a GPU's compute queue writes into another GPU's memory through its own VM",
  run({ devices, timeoutMs }) {
    if (devices.length < 2) throw new Skip('needs two GPUs; this system has one');
    const results: string[] = [];
    for (let i = 1; i < devices.length; i++) {
      const owner = devices[0]!;
      const peer = devices[i]!;
      const mem = owner.alloc(4096, { domain: 'vram', hostVisible: true });
      const q = Pm4Queue.create(peer);
      try {
        mem.mapTo([peer.gpuId]);
        q.wait(q.submit(q.builder().writeData(mem.va + 64n, [0xbeef0000 + i]).dwords, { label: 'peer WRITE_DATA' }), timeoutMs);
        const got = new DataView(mem.view.buffer, mem.view.byteOffset).getUint32(64, true);
        expect(got === 0xbeef0000 + i, `GPU ${peer.index} wrote 0x${(0xbeef0000 + i).toString(16)} into GPU 0's VRAM, GPU 0 holds 0x${got.toString(16)}`);
        results.push(`#${i}→#0`);
      } finally {
        q.destroy();
        mem.free();
      }
    }
    return `peer writes ${results.join(', ')}`;
  },
};
