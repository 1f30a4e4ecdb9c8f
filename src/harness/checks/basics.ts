// Device open, topology sanity and memory: the floor every other check stands on.
import { Pm4Queue } from '../../driver/queues/pm4-queue.js';
import type { Domain } from '../../driver/memory.js';
import { expect, fillPattern, type Check } from '../check.js';

export const deviceOpen: Check = {
  name: 'device.open',
  proves: 'KFD answers GET_VERSION with a supported ABI and every GPU opens (ACQUIRE_VM, apertures)',
  run({ kfd, devices }) {
    expect(devices.length > 0, 'the topology lists no GPU');
    for (const d of devices) expect(d.apertures.gpuvmLimit > d.apertures.gpuvmBase, `${d.name}: empty GPUVM aperture`);
    return `KFD ${kfd.version.major}.${kfd.version.minor}, ${devices.length} GPU(s): ${devices.map((d) => d.target.name).join(', ')}`;
  },
};

export const topologySanity: Check = {
  name: 'topology',
  proves: 'the sysfs topology describes each GPU consistently (ids, compute units, memory, links both ways)',
  run({ kfd }) {
    const t = kfd.topology;
    const ids = new Set<number>();
    for (const g of t.gpus) {
      expect(g.gpuId !== 0 && !ids.has(g.gpuId), `node ${g.id}: gpu_id ${g.gpuId} is zero or repeated`);
      ids.add(g.gpuId);
      expect(g.cuCount > 0 && g.simdCount > 0, `node ${g.id}: no compute units`);
      expect(g.memBanks.length > 0, `node ${g.id}: no memory bank`);
      for (const l of g.ioLinks) {
        const back = t.nodes[l.nodeTo]?.ioLinks.some((r) => r.nodeTo === l.nodeFrom);
        expect(back, `node ${g.id}: io_link to node ${l.nodeTo} has no link back`);
      }
    }
    return `${t.nodes.length} node(s), ${t.gpus.length} GPU(s), ${t.gpus.reduce((n, g) => n + g.ioLinks.length, 0)} GPU io_link(s)`;
  },
};

const DOMAINS: { name: string; domain: Domain; hostVisible: boolean }[] = [
  { name: 'vram', domain: 'vram', hostVisible: true },
  { name: 'gtt', domain: 'gtt', hostVisible: true },
  { name: 'userptr', domain: 'userptr', hostVisible: true },
];

export const allocChecks: Check[] = DOMAINS.map(({ name, domain, hostVisible }) => ({
  name: `memory.alloc.${name}`,
  proves: `${name} memory can be allocated, mapped to the GPU, written by the CPU and freed`,
  run({ device }) {
    const sizes = [4096, 1 << 20, 64 << 20];
    for (const size of sizes) {
      const b = device.alloc(size, { domain, hostVisible });
      try {
        expect(b.va % 4096n === 0n, `${b.describe()} is not page aligned`);
        b.view[0] = 0x5a;
        b.view[size - 1] = 0xa5;
        expect(b.view[0] === 0x5a && b.view[size - 1] === 0xa5, `${b.describe()}: CPU writes did not stick`);
      } finally {
        b.free();
      }
    }
    return `allocated, mapped and freed ${sizes.map((s) => (s >= 1 << 20 ? `${s >> 20} MiB` : `${s >> 10} KiB`)).join(', ')}`;
  },
}));

/** COPY_DATA memory → memory of one dword, for GPU reads the CPU can check. */
function copyDwords(q: Pm4Queue, src: bigint, dst: bigint, n: number): Uint32Array {
  const b = q.builder();
  for (let i = 0; i < n; i++) b.copyData(1, 5, src + BigInt(4 * i), dst + BigInt(4 * i), false);
  return b.dwords;
}

export const cpuGpuChecks: Check[] = DOMAINS.map(({ name, domain, hostVisible }) => ({
  name: `memory.cpu-gpu.${name}`,
  proves: `the CPU and the GPU see the same ${name} memory: GPU reads what the CPU wrote and the CPU reads what the GPU wrote`,
  run({ device, timeoutMs }) {
    const q = Pm4Queue.create(device);
    const buf = device.alloc(8192, { domain, hostVisible });
    const out = device.alloc(4096, { domain: 'gtt', uncached: true });
    try {
      const n = 64;
      fillPattern(buf.view.subarray(0, 4 * n), 0x1234);
      const words = Array.from({ length: n }, (_, i) => (0xc0de0000 | i) >>> 0);
      q.wait(q.submit(q.builder().raw(copyDwords(q, buf.va, out.va, n)).writeData(buf.va + 4096n, words).dwords, { label: `${name} read+write` }), timeoutMs);
      const cpuWrote = new Uint32Array(buf.view.buffer, buf.view.byteOffset, n);
      const gpuRead = new Uint32Array(out.view.buffer, out.view.byteOffset, n);
      for (let i = 0; i < n; i++) expect(gpuRead[i] === cpuWrote[i], `GPU read 0x${gpuRead[i]!.toString(16)} at dword ${i} of ${buf.describe()}, CPU wrote 0x${cpuWrote[i]!.toString(16)}`);
      const gpuWrote = new Uint32Array(buf.view.buffer, buf.view.byteOffset + 4096, n);
      for (let i = 0; i < n; i++) expect(gpuWrote[i] === words[i], `CPU read 0x${gpuWrote[i]!.toString(16)} at dword ${i}, the GPU wrote 0x${words[i]!.toString(16)}`);
      return `${n} dwords each way through ${name}`;
    } finally {
      q.destroy();
      buf.free();
      out.free();
    }
  },
}));

export const pm4WriteFence: Check = {
  name: 'pm4.write-fence',
  proves: 'a PM4 compute queue executes WRITE_DATA and its RELEASE_MEM fence raises the timeline in order',
  run({ device, timeoutMs }) {
    const q = Pm4Queue.create(device);
    const mem = device.alloc(4096, { domain: 'gtt', uncached: true });
    try {
      const w = new Uint32Array(mem.view.buffer, mem.view.byteOffset, 16);
      let last;
      for (let i = 0; i < 16; i++) last = q.submit(q.builder().writeData(mem.va + BigInt(4 * i), [i * 3 + 1]).dwords, { label: 'WRITE_DATA' });
      q.wait(last!, timeoutMs);
      for (let i = 0; i < 16; i++) expect(w[i] === i * 3 + 1, `dword ${i} is ${w[i]}, want ${i * 3 + 1}`);
      expect(q.timeline.value === 16n, `timeline at ${q.timeline.value} after 16 fences`);
      return '16 WRITE_DATA + fences, timeline 16';
    } finally {
      q.destroy();
      mem.free();
    }
  },
};

export const queuesAllKinds: Check = {
  name: 'queues.all-kinds',
  proves: 'PM4, AQL and SDMA queues can all exist at once on the GPU and each runs a NOP submission',
  async run({ device, timeoutMs }) {
    const { AqlQueue } = await import('../../driver/queues/aql-queue.js');
    const { SdmaQueue } = await import('../../driver/queues/sdma-queue.js');
    const pm4 = Pm4Queue.create(device);
    const aql = AqlQueue.create(device);
    const sdma = SdmaQueue.create(device);
    try {
      pm4.wait(pm4.submit(pm4.builder().nop(4).dwords, { label: 'NOP' }), timeoutMs);
      sdma.wait(sdma.submit(sdma.builder().nop(4).dwords, { label: 'NOP' }), timeoutMs);
      aql.wait(aql.barrier([]), timeoutMs);
      return `PM4 queue ${pm4.queueId}, AQL queue ${aql.queueId} and SDMA queue ${sdma.queueId} each completed a NOP submission`;
    } finally {
      pm4.destroy();
      aql.destroy();
      sdma.destroy();
    }
  },
};
