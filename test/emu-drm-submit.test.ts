// The render node's command submission on the emulated GPU, driven with raw ioctls: GEM objects made,
// CPU-mapped, mapped into the GPU VM, PM4 IBs run on the kernel's compute ring and SDMA IBs on its DMA
// ring, fences waited for with WAIT_CS, sync objects (binary and timeline) ordering one ring behind
// another, and work that outlives the BO it writes.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as drm from '../src/uapi/drm.js';
import { Pm4Builder } from '../src/hw/pm4/builder.js';
import { SdmaBuilder } from '../src/hw/sdma/builder.js';
import { sdmaVersionOf } from '../src/hw/sdma/decode.js';
import { absTimeout, ibChunk, semChunk, syncobjChunk, withDrm, type Gem, type RawDrm } from './support/raw-drm.js';

const H = drm.AMDGPU_HW_IP;
const CH = drm.AMDGPU_CHUNK_ID;
const D = drm.AMDGPU_GEM_DOMAIN;
const FOREVER = (1n << 64n) - 1n;

function words(g: Gem, at: number, n: number): number[] {
  const dv = new DataView(g.cpu.bytes.buffer, g.cpu.bytes.byteOffset, g.cpu.bytes.byteLength);
  return Array.from({ length: n }, (_, i) => dv.getUint32(at + i * 4, true));
}

function setWords(g: Gem, at: number, values: readonly number[]): void {
  const dv = new DataView(g.cpu.bytes.buffer, g.cpu.bytes.byteOffset, g.cpu.bytes.byteLength);
  values.forEach((v, i) => dv.setUint32(at + i * 4, v >>> 0, true));
}

/** Writes packets into an IB object at byte 0; returns their dword count. */
function fill(ib: Gem, dw: Uint32Array): number {
  ib.cpu.bytes.set(new Uint8Array(dw.buffer, dw.byteOffset, dw.byteLength));
  return dw.length;
}

function pm4(d: RawDrm): Pm4Builder {
  return new Pm4Builder(d.family);
}

function sdma(d: RawDrm): SdmaBuilder {
  return new SdmaBuilder(sdmaVersionOf(d.host.gpus[0]!.target.sdma));
}

for (const spec of ['emu:gfx1100', 'emu:gfx942']) {
  describe(`render-node submission on ${spec}`, () => {
    test('GEM_CREATE (GTT and VRAM) → GEM_MMAP → CPU write → GEM_VA → a PM4 IB on COMPUTE and an SDMA IB on DMA → WAIT_CS → the CPU reads the results', () =>
      withDrm(spec, (d) => {
        const src = d.gem(4096, D.GTT);
        const dst = d.gem(4096, D.VRAM);
        const ib = d.gem(4096, D.GTT);
        const sdmaIb = d.gem(4096, D.GTT);
        setWords(src, 0, Array.from({ length: 16 }, (_, i) => 0x1000 + i));
        const ctx = d.ctx();
        const n = fill(ib, pm4(d).writeData(dst.va, [0xcafe0001, 0xcafe0002]).dwords);
        const c1 = d.cs(ctx, [ibChunk(ib.va, n, H.COMPUTE)]);
        assert.deepEqual(c1, { errno: 'OK', seq: 1n });
        assert.deepEqual(d.waitCs(ctx, H.COMPUTE, c1.seq, absTimeout(5000)), { errno: 'OK', busy: 0n });
        assert.deepEqual(words(dst, 0, 2), [0xcafe0001, 0xcafe0002]);
        const m = fill(sdmaIb, sdma(d).copyLinear(dst.va + 256n, src.va, 64).fill(dst.va + 512n, 0x5a5a5a5a, 64).dwords);
        const c2 = d.cs(ctx, [ibChunk(sdmaIb.va, m, H.DMA)]);
        // Each context entity counts its own submissions from 1.
        assert.deepEqual(c2, { errno: 'OK', seq: 1n });
        assert.deepEqual(d.waitCs(ctx, H.DMA, c2.seq, FOREVER), { errno: 'OK', busy: 0n });
        assert.deepEqual(words(dst, 256, 16), Array.from({ length: 16 }, (_, i) => 0x1000 + i));
        assert.deepEqual(words(dst, 512, 16), new Array(16).fill(0x5a5a5a5a));
        // A second compute submission is sequence number 2; an old one waits as done.
        const c3 = d.cs(ctx, [ibChunk(ib.va, n, H.COMPUTE)]);
        assert.equal(c3.seq, 2n);
        assert.deepEqual(d.waitCs(ctx, H.COMPUTE, 1n, 0n), { errno: 'OK', busy: 0n });
        assert.deepEqual(d.waitCs(ctx, H.COMPUTE, 2n, absTimeout(5000)), { errno: 'OK', busy: 0n });
        assert.deepEqual(d.host.ringHangs(), []);
      }));

    test('a DMA submission\'s out-syncobj delays a COMPUTE submission that takes it in; WAIT_CS with timeout 0 says busy meanwhile', () =>
      withDrm(spec, (d) => {
        const flag = d.gem(4096, D.GTT);
        const data = d.gem(4096, D.GTT);
        const ibs = d.gem(8192, D.GTT);
        const ctx = d.ctx();
        const s = d.syncobj();
        // DMA: wait until the CPU sets the flag, then write 0x77 into data[0].
        const dmaIb = sdma(d).pollMem32(flag.va, 'EQ', 1).writeLinear(data.va, [0x77]).dwords;
        fill(ibs, dmaIb);
        const a = d.cs(ctx, [ibChunk(ibs.va, dmaIb.length, H.DMA), semChunk(CH.SYNCOBJ_OUT, [s])]);
        assert.equal(a.errno, 'OK');
        // COMPUTE: copy data[0] to data[1], only after the DMA job (SYNCOBJ_IN).
        const copy = pm4(d).copyData(2, 5, data.va, data.va + 4n, false).dwords;
        ibs.cpu.bytes.set(new Uint8Array(copy.buffer, copy.byteOffset, copy.byteLength), 4096);
        const b = d.cs(ctx, [ibChunk(ibs.va + 4096n, copy.length, H.COMPUTE), semChunk(CH.SYNCOBJ_IN, [s])]);
        assert.equal(b.errno, 'OK');
        assert.deepEqual(d.waitCs(ctx, H.COMPUTE, b.seq, 0n), { errno: 'OK', busy: 1n });
        assert.deepEqual(d.waitCs(ctx, H.COMPUTE, b.seq, absTimeout(30)), { errno: 'OK', busy: 1n });
        assert.deepEqual(words(data, 0, 2), [0, 0]);
        setWords(flag, 0, [1]);
        assert.deepEqual(d.waitCs(ctx, H.COMPUTE, b.seq, absTimeout(5000)), { errno: 'OK', busy: 0n });
        assert.deepEqual(words(data, 0, 2), [0x77, 0x77]);
        // The syncobj now holds a signalled fence: a plain wait on it returns at once.
        assert.equal(d.errno(drm.DRM_IOC.SYNCOBJ_WAIT, { handles: d.userWords([s]), timeout_nsec: 0n, count_handles: 1, flags: 0 }), 'OK');
      }));

    test('a timeline point signalled by a DMA submission: TIMELINE_WAIT, QUERY, and a COMPUTE submission waiting on the point', () =>
      withDrm(spec, (d) => {
        const flag = d.gem(4096, D.GTT);
        const data = d.gem(4096, D.GTT);
        const ibs = d.gem(8192, D.GTT);
        const ctx = d.ctx();
        const t = d.syncobj();
        const dmaIb = sdma(d).pollMem32(flag.va, 'EQ', 1).writeLinear(data.va, [0x55]).dwords;
        fill(ibs, dmaIb);
        assert.equal(d.cs(ctx, [ibChunk(ibs.va, dmaIb.length, H.DMA), syncobjChunk(CH.SYNCOBJ_TIMELINE_SIGNAL, [{ handle: t, point: 5n }])]).errno, 'OK');
        const copy = pm4(d).copyData(2, 5, data.va, data.va + 8n, false).dwords;
        ibs.cpu.bytes.set(new Uint8Array(copy.buffer, copy.byteOffset, copy.byteLength), 4096);
        const b = d.cs(ctx, [ibChunk(ibs.va + 4096n, copy.length, H.COMPUTE), syncobjChunk(CH.SYNCOBJ_TIMELINE_WAIT, [{ handle: t, point: 3n }])]);
        assert.equal(b.errno, 'OK');
        const handles = d.userWords([t]);
        const points = d.user(new Uint8Array(new BigUint64Array([5n]).buffer));
        const wait = (timeout: bigint, flags = 0) => d.errno(drm.DRM_IOC.SYNCOBJ_TIMELINE_WAIT, { handles, points, timeout_nsec: timeout, count_handles: 1, flags });
        assert.equal(wait(absTimeout(20)), 'ETIME');
        // WAIT_AVAILABLE: the point exists (it was submitted), signalled or not.
        assert.equal(wait(0n, drm.DRM_SYNCOBJ_WAIT_FLAGS.WAIT_AVAILABLE), 'OK');
        const query = (flags: number): bigint => {
          const out = d.userMapping(8);
          d.call(drm.DRM_IOC.SYNCOBJ_QUERY, { handles, points: out.address, count_handles: 1, flags });
          return new DataView(out.bytes.buffer, out.bytes.byteOffset, 8).getBigUint64(0, true);
        };
        assert.equal(query(0), 0n);
        assert.equal(query(drm.DRM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED), 5n);
        setWords(flag, 0, [1]);
        assert.equal(wait(absTimeout(5000)), 'OK');
        assert.equal(query(0), 5n);
        assert.deepEqual(d.waitCs(ctx, H.COMPUTE, b.seq, absTimeout(5000)), { errno: 'OK', busy: 0n });
        assert.deepEqual(words(data, 0, 3), [0x55, 0, 0x55]);
      }));

    test('GEM_WAIT_IDLE follows the fences of the submissions that listed the BO; one CS with a COMPUTE and a DMA IB runs both (a gang), its handle counting on the leader\'s entity', () =>
      withDrm(spec, (d) => {
        const flag = d.gem(4096, D.GTT);
        const target = d.gem(4096, D.GTT);
        const ibs = d.gem(8192, D.GTT);
        const ctx = d.ctx();
        const wait = pm4(d).waitMem32(flag.va, 'EQ', 1).writeData(target.va, [0x11]).dwords;
        fill(ibs, wait);
        const entries = d.userWords([target.handle, 0]);
        const listChunk = { id: CH.BO_HANDLES, data: drm.boListIn.encode({ operation: 0, list_handle: 0, bo_number: 1, bo_info_size: 8, bo_info_ptr: entries }) };
        const c = d.cs(ctx, [ibChunk(ibs.va, wait.length, H.COMPUTE), listChunk]);
        assert.equal(c.errno, 'OK');
        const idle = (timeout: bigint) => drm.gemWaitIdleOut.decode(drm.gemWaitIdleArgs.encode(d.call(drm.DRM_IOC.AMDGPU_GEM_WAIT_IDLE, { in: { handle: target.handle, flags: 0, timeout } }))).status;
        assert.equal(idle(0n), 1);
        setWords(flag, 0, [1]);
        assert.equal(idle(absTimeout(5000)), 0);
        assert.deepEqual(words(target, 0, 1), [0x11]);
        // A gang: the DMA IB comes last, so DMA's entity is the leader and counts the submission.
        const fillIb = sdma(d).fill(target.va + 256n, 0x22, 16).dwords;
        ibs.cpu.bytes.set(new Uint8Array(fillIb.buffer, fillIb.byteOffset, fillIb.byteLength), 4096);
        const write = pm4(d).writeData(target.va + 512n, [0x33]).dwords;
        ibs.cpu.bytes.set(new Uint8Array(write.buffer, write.byteOffset, write.byteLength), 6144);
        const g = d.cs(ctx, [ibChunk(ibs.va + 6144n, write.length, H.COMPUTE), ibChunk(ibs.va + 4096n, fillIb.length, H.DMA)]);
        assert.deepEqual(g, { errno: 'OK', seq: 1n });
        assert.deepEqual(d.waitCs(ctx, H.DMA, g.seq, absTimeout(5000)), { errno: 'OK', busy: 0n });
        // COMPUTE's entity handed out only the first submission's number.
        assert.equal(d.waitCs(ctx, H.COMPUTE, 2n, 0n).errno, 'EINVAL');
        assert.deepEqual(d.waitCs(ctx, H.COMPUTE, 1n, absTimeout(5000)), { errno: 'OK', busy: 0n });
        d.host.idle();
        assert.deepEqual([words(target, 256, 4), words(target, 512, 1)], [[0x22, 0x22, 0x22, 0x22], [0x33]]);
      }));

    test('a BO closed while a submission still writes it stays alive until the submission\'s fence signals', () =>
      withDrm(spec, (d) => {
        const flag = d.gem(4096, D.GTT);
        const target = d.gem(4096, D.VRAM);
        const ib = d.gem(4096, D.GTT);
        const ctx = d.ctx();
        const n = fill(ib, pm4(d).waitMem32(flag.va, 'EQ', 1).writeData(target.va + 64n, [0xfeed]).dwords);
        const c = d.cs(ctx, [ibChunk(ib.va, n, H.COMPUTE)]);
        assert.equal(c.errno, 'OK');
        assert.equal(d.errno(drm.DRM_IOC.GEM_CLOSE, { handle: target.handle, pad: 0 }), 'OK');
        // The handle is gone at once.
        assert.equal(d.vaOp(drm.AMDGPU_VA_OP.UNMAP, target.handle, target.va, 4096), 'ENOENT');
        setWords(flag, 0, [1]);
        assert.deepEqual(d.waitCs(ctx, H.COMPUTE, c.seq, absTimeout(5000)), { errno: 'OK', busy: 0n });
        assert.deepEqual(words(target, 64, 1), [0xfeed]);
        assert.deepEqual(d.host.ringHangs(), []);
        // Once the work finished the VA is free again for a new object.
        const other = d.gemCreate(4096, D.GTT);
        assert.equal(d.vaOp(drm.AMDGPU_VA_OP.MAP, other, target.va, 4096), 'OK');
      }));
  });
}
