// Prepared launches: encoded once, submitted many times; same results as dispatch(), and the
// per-queue kernel-argument ring wraps around and reuses ranges only after their launches retired.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { EmuHost } from '../src/emu/host.js';
import { Kfd } from '../src/driver/kfd.js';
import { Program } from '../src/driver/program.js';
import { Pm4Queue } from '../src/driver/queues/pm4-queue.js';
import { AqlQueue } from '../src/driver/queues/aql-queue.js';
import { packagePath } from '../src/os/package-root.js';
import type { Device } from '../src/driver/device.js';

for (const model of ['emu:gfx1100', 'emu:gfx942']) {
  describe(`prepared launches on ${model}`, () => {
    let host: EmuHost;
    let kfd: Kfd;
    let dev: Device;
    let program: Program;
    before(() => {
      host = new EmuHost(model);
      kfd = Kfd.open(host);
      dev = kfd.device(0);
      program = Program.load(dev, new Uint8Array(readFileSync(packagePath(`test/kernels/fill.${dev.target.name}.co`))));
    });
    after(async () => {
      kfd.close();
      await host.shutdown();
    });

    for (const kind of ['aql', 'pm4'] as const) {
      it(`${kind}: 9,000 launches through a kernarg ring that wraps, each writing its own slot`, () => {
        const q = kind === 'aql' ? AqlQueue.create(dev) : Pm4Queue.create(dev, { ringBytes: 1 << 20 });
        const n = 9000;
        const out = dev.alloc(n * 4, { domain: 'gtt' });
        const words = new Uint32Array(out.view.buffer, out.view.byteOffset, n);
        const fill = program.kernel('fill');
        // Launch i fills element i with i+1: a prepared launch per distinct argument set.
        const launches = Array.from({ length: 16 }, (_, i) => fill.prepare(q, { grid: 1, block: 1, args: [{ va: out.va + BigInt(4 * i) }, i + 1, 1] }));
        let last;
        for (let i = 0; i < n; i++) last = i < 16 ? launches[i]!.submit() : fill.dispatch(q, { grid: 1, block: 1, args: [{ va: out.va + BigInt(4 * i) }, i + 1, 1] });
        q.wait(last!.value, 60_000);
        for (let i = 0; i < n; i++) if (words[i] !== i + 1) assert.fail(`element ${i} is ${words[i]}, want ${i + 1}`);
        // The same prepared launch again, many times: the ring keeps reusing retired ranges.
        words.fill(0);
        for (let r = 0; r < 3000; r++) last = launches[r % 16]!.submit();
        q.wait(last!.value, 60_000);
        for (let i = 0; i < 16; i++) assert.equal(words[i], i + 1);
        assert.equal(words[16], 0);
        q.destroy();
        out.free();
      });
    }
  });
}
