// SDMA copies and fills: sizes, alignments, directions, verified byte for byte.
import { SdmaQueue } from '../../driver/queues/sdma-queue.js';
import type { Domain } from '../../driver/memory.js';
import { CheckFailure, expect, fillPattern, firstDifference, type Check } from '../check.js';

const SIZES = [1, 3, 4096, 4097, 65536 + 5, (1 << 20) + 3, 16 << 20];
const OFFSETS: readonly (readonly [number, number])[] = [[0, 0], [1, 3], [4, 8], [7, 0]];
const DIRECTIONS: readonly (readonly [Domain, Domain])[] = [['gtt', 'vram'], ['vram', 'gtt'], ['vram', 'vram'], ['gtt', 'gtt']];

export const sdmaCopy: Check = {
  name: 'sdma.copy',
  proves: 'SDMA COPY_LINEAR moves exactly the bytes asked for, for every size, alignment and VRAM/GTT direction',
  run({ device, timeoutMs }) {
    const q = SdmaQueue.create(device);
    const max = SIZES[SIZES.length - 1]! + 16;
    const bufs = new Map<Domain, [ReturnType<typeof device.alloc>, ReturnType<typeof device.alloc>]>();
    try {
      for (const d of ['gtt', 'vram'] as const) bufs.set(d, [device.alloc(max, { domain: d, hostVisible: true }), device.alloc(max, { domain: d, hostVisible: true })]);
      let copies = 0;
      let bytes = 0;
      for (const [from, to] of DIRECTIONS) {
        const src = bufs.get(from)![0];
        const dst = bufs.get(to)![1];
        for (const size of SIZES) {
          for (const [so, doff] of size > 1 << 20 ? [[0, 0] as const] : OFFSETS) {
            fillPattern(src.view.subarray(so, so + size), size + so);
            dst.view.fill(0xee, 0, size + doff + 8);
            q.wait(q.copy(dst.va + BigInt(doff), src.va + BigInt(so), size), timeoutMs);
            const at = firstDifference(dst.view.subarray(doff, doff + size), src.view.subarray(so, so + size));
            if (at >= 0) throw new CheckFailure(`${from}→${to} copy of ${size} bytes (src+${so}, dst+${doff}): byte ${at} is 0x${dst.view[doff + at]!.toString(16)}, want 0x${src.view[so + at]!.toString(16)}`);
            expect(dst.view[doff + size] === 0xee && (doff === 0 || dst.view[doff - 1] === 0xee), `${from}→${to} copy of ${size} bytes wrote outside its destination`);
            copies++;
            bytes += size;
          }
        }
      }
      return `${copies} copies, ${(bytes / (1 << 20)).toFixed(1)} MiB, 4 directions, sizes 1 B…16 MiB`;
    } finally {
      q.destroy();
      for (const [a, b] of bufs.values()) {
        a.free();
        b.free();
      }
    }
  },
};

export const sdmaFill: Check = {
  name: 'sdma.fill',
  proves: 'SDMA CONST_FILL writes the 32-bit pattern over exactly the range asked for',
  run({ device, timeoutMs }) {
    const q = SdmaQueue.create(device);
    const b = device.alloc(4 << 20, { domain: 'vram', hostVisible: true });
    try {
      for (const [off, size] of [[0, 4], [64, 4096], [4, (1 << 20) + 12]] as const) {
        b.view.fill(0);
        q.wait(q.fill(b.va + BigInt(off), 0xcafe0123, size), timeoutMs);
        const w = new Uint32Array(b.view.buffer, b.view.byteOffset, b.size / 4);
        for (let i = off / 4; i < (off + size) / 4; i++) if (w[i] !== 0xcafe0123) expect(false, `fill of ${size} bytes at +${off}: dword ${i} is 0x${w[i]!.toString(16)}`);
        expect(w[(off + size) / 4] === 0 && (off === 0 || w[off / 4 - 1] === 0), `fill of ${size} bytes at +${off} wrote outside its range`);
      }
      return '3 fills (4 B, 4 KiB, 1 MiB + 12 B)';
    } finally {
      q.destroy();
      b.free();
    }
  },
};
