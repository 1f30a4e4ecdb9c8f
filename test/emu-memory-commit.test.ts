// Fresh emulated GPU memory is committed when it is allocated, as the kernel hands out cleared pages
// for a buffer object, so its first use costs what the next one does. Observed through the process's
// resident set (/proc/self/smaps_rollup), never through timing.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { SAB_MEMORY, COMMIT_AT_ALLOCATION_MAX_BYTES } from '../src/emu/process/backing.js';
import { commitPages } from '../src/os/shared-memory.js';

const MiB = 1 << 20;

function residentBytes(): number {
  const m = /^Rss:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/smaps_rollup', 'utf8'));
  assert.ok(m, 'smaps_rollup has an Rss line');
  return Number(m[1]) * 1024;
}

const allZero = (b: Uint8Array): boolean => {
  const w = new BigUint64Array(b.buffer, b.byteOffset, b.byteLength / 8);
  for (let i = 0; i < w.length; i++) if (w[i] !== 0n) return false;
  return true;
};

describe('emulated GPU memory is committed at allocation', () => {
  it('a 32 MiB buffer object is resident and zero before anything touches it', () => {
    const before = residentBytes();
    const b = SAB_MEMORY.allocate(32 * MiB, 'fresh');
    const grown = residentBytes() - before;
    assert.ok(grown >= 31 * MiB, `resident set grew by ${grown} bytes at allocation`);
    assert.ok(allZero(b.bytes));
  });

  it(`a buffer object over ${COMMIT_AT_ALLOCATION_MAX_BYTES / MiB} MiB keeps its pages for first touch`, () => {
    const before = residentBytes();
    const b = SAB_MEMORY.allocate(COMMIT_AT_ALLOCATION_MAX_BYTES * 2, 'large');
    const grown = residentBytes() - before;
    assert.ok(grown < 64 * MiB, `resident set grew by ${grown} bytes`);
    assert.equal(b.bytes[b.bytes.length - 1], 0);
  });

  it('committing pages changes no byte, also for a view that starts and ends inside a page', () => {
    const whole = new Uint8Array(new SharedArrayBuffer(3 * MiB));
    for (let i = 0; i < whole.length; i += 4093) whole[i] = (i * 7) & 0xff;
    const copy = whole.slice();
    assert.equal(commitPages(whole.subarray(100, whole.length - 100)), true);
    assert.deepEqual(whole, copy);
  });
});
