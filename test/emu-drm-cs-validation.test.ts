// The emulated render node's command submission, sync objects and PRIME reject (and accept) arguments
// as Linux 6.12's amdgpu and DRM core do (GEM, VA, contexts and BO lists: emu-drm-validation.test.ts).
// Each test names the kernel function whose rule it checks:
//
// | rule                                                              | kernel function                    | errno   |
// |-------------------------------------------------------------------|------------------------------------|---------|
// | CS: no chunks, unknown context, guilty context                    | amdgpu_cs_parser_init              | EINVAL / ECANCELED |
// | CS: unknown chunk id, short IB chunk, no IB, two fence chunks      | amdgpu_cs_pass1                    | EINVAL  |
// | CS: IP type, instance, ring out of range                          | amdgpu_ctx_get_entity              | EINVAL  |
// | CS: an IP with no ring on this GPU (GFX on gfx942, UVD)            | amdgpu_cs_job_idx (entity->rq)     | EINVAL  |
// | CS: user fence BO not one page, offset past it                    | amdgpu_cs_p1_user_fence            | EINVAL  |
// | CS: BO list handle and BO_HANDLES chunk; unknown list             | amdgpu_cs_parser_bos               | EINVAL / ENOENT |
// | CS: dependency on a sequence number never handed out              | amdgpu_ctx_get_fence               | EINVAL  |
// | CS: in-syncobj unknown / without a fence                          | drm_syncobj_find_fence             | ENOENT / EINVAL |
// | CS: out-syncobj unknown                                           | amdgpu_cs_p2_syncobj_out           | EINVAL  |
// | syncobj: create flags; destroy/handle_to_fd of an unknown handle  | drm_syncobj_create_ioctl, _destroy, _handle_to_fd | EINVAL |
// | syncobj wait: flags, no handles, unknown handle, no fence, timeout| drm_syncobj_array_find / _wait_timeout | EINVAL / ENOENT / ETIME |
// | PRIME: flags, unknown handle, userptr export, fd not a dma-buf     | drm_prime_handle_to_fd_ioctl, amdgpu_gem_prime_export, dma_buf_get | EINVAL / ENOENT / EPERM / EBADF |
//
// Departures: an IB's VA is not checked at CS time (amdgpu_cs_patch_ibs checks it only for UVD/VCE rings,
// so on COMPUTE/DMA a bad IB faults when it runs, as tested in emu-drm-hang); WAIT_FOR_SUBMIT on a fence
// nobody submitted ends with ETIME at once (nothing can submit while the single-threaded emulated kernel waits).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as drm from '../src/uapi/drm.js';
import * as kfd from '../src/uapi/kfd.js';
import { absTimeout, ibChunk, depChunk, PAGE, RawDrm, semChunk, withDrm } from './support/raw-drm.js';
import { Pm4Builder } from '../src/hw/pm4/builder.js';

const IOC = drm.DRM_IOC;
const H = drm.AMDGPU_HW_IP;
const CH = drm.AMDGPU_CHUNK_ID;
const D = drm.AMDGPU_GEM_DOMAIN;
const VA = drm.AMDGPU_VA_OP;
const G1100 = 'emu:gfx1100';
const G942 = 'emu:gfx942';

function nopIb(d: RawDrm): { va: bigint; dwords: number } {
  const g = d.gem(PAGE);
  const dw = new Pm4Builder(d.family).nop(4).dwords;
  g.cpu.bytes.set(new Uint8Array(dw.buffer, dw.byteOffset, dw.byteLength));
  return { va: g.va, dwords: dw.length };
}

describe('command submission (amdgpu_cs.c)', () => {
  test('amdgpu_cs_parser_init: no chunks → EINVAL; an unknown context → EINVAL', () =>
    withDrm(G1100, (d) => {
      const ib = nopIb(d);
      assert.equal(d.cs(d.ctx(), []).errno, 'EINVAL');
      assert.equal(d.cs(77, [ibChunk(ib.va, ib.dwords, H.COMPUTE)]).errno, 'EINVAL');
    }));

  test('amdgpu_cs_pass1: an unknown chunk id → EINVAL; an IB chunk shorter than drm_amdgpu_cs_chunk_ib → EINVAL; no IB → EINVAL; two user fences → EINVAL', () =>
    withDrm(G1100, (d) => {
      const ctx = d.ctx();
      const ib = nopIb(d);
      const good = ibChunk(ib.va, ib.dwords, H.COMPUTE);
      assert.equal(d.cs(ctx, [good, { id: 0x63, data: new Uint8Array(8) }]).errno, 'EINVAL');
      assert.equal(d.cs(ctx, [{ id: CH.IB, data: good.data.subarray(0, 28) }]).errno, 'EINVAL');
      const s = d.syncobj(true);
      assert.equal(d.cs(ctx, [semChunk(CH.SYNCOBJ_IN, [s])]).errno, 'EINVAL');
      const uf = d.gemCreate(4096);
      const fence = { id: CH.FENCE, data: drm.csChunkFence.encode({ handle: uf, offset: 0 }) };
      assert.equal(d.cs(ctx, [good, fence, fence]).errno, 'EINVAL');
      assert.equal(d.cs(ctx, [good]).errno, 'OK');
    }));

  test('amdgpu_cs_pass1: a chunk pointer outside process memory → EFAULT', () =>
    withDrm(G1100, (d) => {
      const ctx = d.ctx();
      const array = d.user(new Uint8Array(new BigUint64Array([0xdead0000n]).buffer));
      const bytes = drm.csArgs.encode({ in: { ctx_id: ctx, bo_list_handle: 0, num_chunks: 1, flags: 0, chunks: array } });
      assert.equal(d.rawIoctl(IOC.AMDGPU_CS.request, bytes), 'EFAULT');
    }));

  test('amdgpu_ctx_get_entity: HW IP 10, instance 1, COMPUTE ring 4, DMA ring 2 → EINVAL', () =>
    withDrm(G1100, (d) => {
      const ctx = d.ctx();
      const ib = nopIb(d);
      assert.equal(d.cs(ctx, [ibChunk(ib.va, ib.dwords, 10)]).errno, 'EINVAL');
      const one = ibChunk(ib.va, ib.dwords, H.COMPUTE);
      new DataView(one.data.buffer).setUint32(24, 1, true);
      assert.equal(d.cs(ctx, [one]).errno, 'EINVAL');
      assert.equal(d.cs(ctx, [ibChunk(ib.va, ib.dwords, H.COMPUTE, 4)]).errno, 'EINVAL');
      assert.equal(d.cs(ctx, [ibChunk(ib.va, ib.dwords, H.COMPUTE, 3)]).errno, 'OK');
      assert.equal(d.cs(ctx, [ibChunk(ib.va, ib.dwords, H.DMA, 2)]).errno, 'EINVAL');
    }));

  test('amdgpu_cs_job_idx: an IP without a ring (GFX on gfx942, UVD) has no run queue → EINVAL; GFX on gfx1100 runs', async () => {
    await withDrm(G942, (d) => {
      const ib = nopIb(d);
      assert.equal(d.cs(d.ctx(), [ibChunk(ib.va, ib.dwords, H.GFX)]).errno, 'EINVAL');
      assert.equal(d.cs(d.ctx(), [ibChunk(ib.va, ib.dwords, H.UVD)]).errno, 'EINVAL');
    });
    await withDrm(G1100, (d) => {
      const ib = nopIb(d);
      const ctx = d.ctx();
      const c = d.cs(ctx, [ibChunk(ib.va, ib.dwords, H.GFX)]);
      assert.equal(c.errno, 'OK');
      assert.deepEqual(d.waitCs(ctx, H.GFX, c.seq, absTimeout(5000)), { errno: 'OK', busy: 0n });
    });
  });

  test('amdgpu_cs_p1_user_fence: a user fence BO that is not one page, or an offset past its last 8 bytes → EINVAL; a good one receives the sequence number', () =>
    withDrm(G1100, (d) => {
      const ctx = d.ctx();
      const ib = nopIb(d);
      const good = ibChunk(ib.va, ib.dwords, H.COMPUTE);
      const fence = (handle: number, offset: number) => ({ id: CH.FENCE, data: drm.csChunkFence.encode({ handle, offset }) });
      const big = d.gemCreate(8192);
      const page = d.gemCreate(4096);
      assert.equal(d.cs(ctx, [good, fence(big, 0)]).errno, 'EINVAL');
      assert.equal(d.cs(ctx, [good, fence(page, 4089)]).errno, 'EINVAL');
      assert.equal(d.cs(ctx, [good, fence(4321, 0)]).errno, 'EINVAL');
      const view = d.cpuMap(page, 4096);
      const c1 = d.cs(ctx, [good, fence(page, 64)]);
      const c2 = d.cs(ctx, [good, fence(page, 4088)]);
      assert.deepEqual(d.waitCs(ctx, H.COMPUTE, c2.seq, absTimeout(5000)), { errno: 'OK', busy: 0n });
      const dv = new DataView(view.bytes.buffer, view.bytes.byteOffset, 4096);
      assert.deepEqual([dv.getBigUint64(64, true), dv.getBigUint64(4088, true)], [c1.seq, c2.seq]);
    }));

  test('amdgpu_cs_parser_bos: a BO list handle together with a BO_HANDLES chunk → EINVAL; an unknown list handle → ENOENT', () =>
    withDrm(G1100, (d) => {
      const ctx = d.ctx();
      const ib = nopIb(d);
      const good = ibChunk(ib.va, ib.dwords, H.COMPUTE);
      const h = d.gemCreate(4096);
      const entries = d.userWords([h, 0]);
      const listChunk = { id: CH.BO_HANDLES, data: drm.boListIn.encode({ operation: 0, list_handle: 0, bo_number: 1, bo_info_size: 8, bo_info_ptr: entries }) };
      const created = d.call(IOC.AMDGPU_BO_LIST, { in: { operation: 0, list_handle: 0, bo_number: 1, bo_info_size: 8, bo_info_ptr: entries } });
      const listHandle = drm.boListOut.decode(drm.boListArgs.encode(created)).list_handle;
      assert.equal(d.cs(ctx, [good, listChunk], listHandle).errno, 'EINVAL');
      assert.equal(d.cs(ctx, [good], 999).errno, 'ENOENT');
      assert.equal(d.cs(ctx, [good], listHandle).errno, 'OK');
      assert.equal(d.cs(ctx, [good, listChunk]).errno, 'OK');
    }));

  test('amdgpu_ctx_get_fence: a dependency or WAIT_CS on a sequence number never handed out → EINVAL; amdgpu_cs_p2_dependencies: an unknown context → EINVAL', () =>
    withDrm(G1100, (d) => {
      const ctx = d.ctx();
      const ib = nopIb(d);
      const good = ibChunk(ib.va, ib.dwords, H.COMPUTE);
      assert.equal(d.cs(ctx, [good, depChunk([{ ctx, ip: H.DMA, seq: 1n }])]).errno, 'EINVAL');
      assert.equal(d.cs(ctx, [good, depChunk([{ ctx: 50, ip: H.DMA, seq: 0n }])]).errno, 'EINVAL');
      assert.equal(d.waitCs(ctx, H.COMPUTE, 1n, 0n).errno, 'EINVAL');
      assert.equal(d.waitCs(99, H.COMPUTE, 0n, 0n).errno, 'EINVAL');
      const c = d.cs(ctx, [good]);
      assert.equal(d.cs(ctx, [good, depChunk([{ ctx, ip: H.COMPUTE, seq: c.seq }])]).errno, 'OK');
    }));

  test('drm_syncobj_find_fence: an in-syncobj that does not exist → ENOENT, one without a fence → EINVAL; amdgpu_cs_p2_syncobj_out: an unknown out-syncobj → EINVAL', () =>
    withDrm(G1100, (d) => {
      const ctx = d.ctx();
      const ib = nopIb(d);
      const good = ibChunk(ib.va, ib.dwords, H.COMPUTE);
      assert.equal(d.cs(ctx, [good, semChunk(CH.SYNCOBJ_IN, [404])]).errno, 'ENOENT');
      assert.equal(d.cs(ctx, [good, semChunk(CH.SYNCOBJ_IN, [d.syncobj(false)])]).errno, 'EINVAL');
      assert.equal(d.cs(ctx, [good, semChunk(CH.SYNCOBJ_OUT, [404])]).errno, 'EINVAL');
      const out = d.syncobj(false);
      assert.equal(d.cs(ctx, [good, semChunk(CH.SYNCOBJ_OUT, [out]), semChunk(CH.SYNCOBJ_OUT, [out])]).errno, 'EINVAL');
      assert.equal(d.cs(ctx, [good, semChunk(CH.SYNCOBJ_IN, [d.syncobj(true)]), semChunk(CH.SYNCOBJ_OUT, [out])]).errno, 'OK');
    }));

  test('amdgpu_cs_wait_fences_ioctl and amdgpu_cs_fence_to_handle_ioctl: all/any of a set; a fence as a sync object; an unknown `what` → EINVAL', () =>
    withDrm(G1100, (d) => {
      const ctx = d.ctx();
      const ib = nopIb(d);
      const c = d.cs(ctx, [ibChunk(ib.va, ib.dwords, H.COMPUTE)]);
      const fence = { ctx_id: ctx, ip_type: H.COMPUTE, ip_instance: 0, ring: 0, seq_no: c.seq };
      const list = d.user(drm.amdgpuFence.encode(fence));
      for (const waitAll of [1, 0]) {
        const r = d.try(IOC.AMDGPU_WAIT_FENCES, { in: { fences: list, fence_count: 1, wait_all: waitAll, timeout_ns: absTimeout(5000) } });
        assert.deepEqual([r.errno, drm.waitFencesOut.decode(drm.waitFencesArgs.encode(r.out))], ['OK', { status: 1, first_signaled: 0 }]);
      }
      const toHandle = (what: number) => d.try(IOC.AMDGPU_FENCE_TO_HANDLE, { in: { fence, what, pad: 0 } });
      assert.equal(toHandle(3).errno, 'EINVAL');
      const s = toHandle(drm.AMDGPU_FENCE_TO_HANDLE.GET_SYNCOBJ);
      assert.equal(s.errno, 'OK');
      const handle = drm.fenceToHandleOut.decode(drm.fenceToHandleArgs.encode(s.out)).handle;
      assert.equal(d.errno(IOC.SYNCOBJ_WAIT, { handles: d.userWords([handle]), timeout_nsec: absTimeout(5000), count_handles: 1, flags: 0 }), 'OK');
    }));
});

describe('sync objects (drm_syncobj.c)', () => {
  test('drm_syncobj_create_ioctl: unknown flags → EINVAL; drm_syncobj_destroy: pad or an unknown (destroyed) handle → EINVAL', () =>
    withDrm(G1100, (d) => {
      assert.equal(d.errno(IOC.SYNCOBJ_CREATE, { handle: 0, flags: 2 }), 'EINVAL');
      const s = d.syncobj();
      assert.equal(d.errno(IOC.SYNCOBJ_DESTROY, { handle: s, pad: 1 }), 'EINVAL');
      assert.equal(d.errno(IOC.SYNCOBJ_DESTROY, { handle: s, pad: 0 }), 'OK');
      assert.equal(d.errno(IOC.SYNCOBJ_DESTROY, { handle: s, pad: 0 }), 'EINVAL');
    }));

  test('drm_syncobj_array_find: waiting on, signalling or resetting a destroyed syncobj → ENOENT; drm_syncobj_handle_to_fd of one → EINVAL', () =>
    withDrm(G1100, (d) => {
      const s = d.syncobj(true);
      d.call(IOC.SYNCOBJ_DESTROY, { handle: s, pad: 0 });
      const handles = d.userWords([s]);
      assert.equal(d.errno(IOC.SYNCOBJ_WAIT, { handles, timeout_nsec: 0n, count_handles: 1, flags: 0 }), 'ENOENT');
      assert.equal(d.errno(IOC.SYNCOBJ_SIGNAL, { handles, count_handles: 1, pad: 0 }), 'ENOENT');
      assert.equal(d.errno(IOC.SYNCOBJ_RESET, { handles, count_handles: 1, pad: 0 }), 'ENOENT');
      assert.equal(d.errno(IOC.SYNCOBJ_HANDLE_TO_FD, { handle: s, flags: 0, fd: 0, pad: 0 }), 'EINVAL');
    }));

  test('drm_syncobj_array_wait_timeout: bad flags or no handles → EINVAL; no fence → EINVAL; WAIT_FOR_SUBMIT with nothing submitted → ETIME; SIGNAL then WAIT → OK, RESET empties it again', () =>
    withDrm(G1100, (d) => {
      const W = drm.DRM_SYNCOBJ_WAIT_FLAGS;
      const a = d.syncobj();
      const b = d.syncobj();
      const handles = d.userWords([a, b]);
      const wait = (flags: number, count = 2) => d.try(IOC.SYNCOBJ_WAIT, { handles, timeout_nsec: absTimeout(10), count_handles: count, flags });
      assert.equal(wait(1 << 5).errno, 'EINVAL');
      assert.equal(wait(0, 0).errno, 'EINVAL');
      assert.equal(wait(0).errno, 'EINVAL');
      assert.equal(wait(W.WAIT_FOR_SUBMIT).errno, 'ETIME');
      d.call(IOC.SYNCOBJ_SIGNAL, { handles: d.userWords([b]), count_handles: 1, pad: 0 });
      // Any of them: b (index 1) is the first signalled; all of them still needs a.
      const any = wait(W.WAIT_FOR_SUBMIT);
      assert.deepEqual([any.errno, any.out.first_signaled], ['OK', 1]);
      assert.equal(wait(W.WAIT_ALL | W.WAIT_FOR_SUBMIT).errno, 'ETIME');
      d.call(IOC.SYNCOBJ_RESET, { handles: d.userWords([b]), count_handles: 1, pad: 0 });
      assert.equal(wait(0, 0).errno, 'EINVAL');
      assert.equal(d.errno(IOC.SYNCOBJ_RESET, { handles, count_handles: 0, pad: 0 }), 'EINVAL');
    }));

  test('drm_syncobj_timeline_signal_ioctl / _query_ioctl: flags → EINVAL; signalled points are queried back; drm_syncobj_transfer_ioctl moves a point into a binary syncobj', () =>
    withDrm(G1100, (d) => {
      const t = d.syncobj();
      const handles = d.userWords([t]);
      const points = (v: bigint) => d.user(new Uint8Array(new BigUint64Array([v]).buffer));
      assert.equal(d.errno(IOC.SYNCOBJ_TIMELINE_SIGNAL, { handles, points: points(3n), count_handles: 1, flags: 1 }), 'EINVAL');
      assert.equal(d.errno(IOC.SYNCOBJ_TIMELINE_SIGNAL, { handles, points: points(3n), count_handles: 1, flags: 0 }), 'OK');
      const out = d.userMapping(8);
      assert.equal(d.errno(IOC.SYNCOBJ_QUERY, { handles, points: out.address, count_handles: 1, flags: 2 }), 'EINVAL');
      assert.equal(d.errno(IOC.SYNCOBJ_QUERY, { handles, points: out.address, count_handles: 1, flags: 0 }), 'OK');
      assert.equal(new DataView(out.bytes.buffer, out.bytes.byteOffset).getBigUint64(0, true), 3n);
      const bin = d.syncobj();
      assert.equal(d.errno(IOC.SYNCOBJ_TRANSFER, { src_handle: t, dst_handle: bin, src_point: 5n, dst_point: 0n, flags: 0, pad: 0 }), 'EINVAL');
      assert.equal(d.errno(IOC.SYNCOBJ_TRANSFER, { src_handle: t, dst_handle: 909, src_point: 3n, dst_point: 0n, flags: 0, pad: 0 }), 'ENOENT');
      assert.equal(d.errno(IOC.SYNCOBJ_TRANSFER, { src_handle: t, dst_handle: bin, src_point: 3n, dst_point: 0n, flags: 0, pad: 1 }), 'EINVAL');
      assert.equal(d.errno(IOC.SYNCOBJ_TRANSFER, { src_handle: t, dst_handle: bin, src_point: 3n, dst_point: 0n, flags: 0, pad: 0 }), 'OK');
      assert.equal(d.errno(IOC.SYNCOBJ_WAIT, { handles: d.userWords([bin]), timeout_nsec: 0n, count_handles: 1, flags: 0 }), 'OK');
    }));

  test('drm_syncobj_fd_to_handle: a syncobj fd imported into another render file is the same syncobj; a closed fd or a dma-buf fd → EINVAL', () =>
    withDrm(G1100, (d) => {
      const s = d.syncobj();
      const fd = d.call(IOC.SYNCOBJ_HANDLE_TO_FD, { handle: s, flags: 0, fd: 0, pad: 0 }).fd;
      const other = d.open();
      const imported = d.call(IOC.SYNCOBJ_FD_TO_HANDLE, { handle: 0, flags: 0, fd, pad: 0 }, other).handle;
      d.call(IOC.SYNCOBJ_SIGNAL, { handles: d.userWords([s]), count_handles: 1, pad: 0 });
      assert.equal(d.errno(IOC.SYNCOBJ_WAIT, { handles: d.userWords([imported]), timeout_nsec: 0n, count_handles: 1, flags: 0 }, other), 'OK');
      assert.equal(d.errno(IOC.SYNCOBJ_FD_TO_HANDLE, { handle: 0, flags: 0, fd: 4000, pad: 0 }), 'EINVAL');
      const dmabuf = d.call(IOC.PRIME_HANDLE_TO_FD, { handle: d.gemCreate(4096), flags: 0, fd: 0 }).fd;
      assert.equal(d.errno(IOC.SYNCOBJ_FD_TO_HANDLE, { handle: 0, flags: 0, fd: dmabuf, pad: 0 }), 'EINVAL');
      assert.equal(d.errno(IOC.SYNCOBJ_FD_TO_HANDLE, { handle: 0, flags: 2, fd, pad: 0 }), 'EINVAL');
    }));
});

describe('PRIME (drm_prime.c, amdgpu_dma_buf.c)', () => {
  test('drm_prime_handle_to_fd_ioctl: flags other than CLOEXEC|RDWR → EINVAL; unknown handle → ENOENT; amdgpu_gem_prime_export: a userptr → EPERM', () =>
    withDrm(G1100, (d) => {
      const h = d.gemCreate(4096);
      assert.equal(d.errno(IOC.PRIME_HANDLE_TO_FD, { handle: h, flags: 0x1, fd: 0 }), 'EINVAL');
      assert.equal(d.errno(IOC.PRIME_HANDLE_TO_FD, { handle: 321, flags: 0, fd: 0 }), 'ENOENT');
      const m = d.userMapping(4096);
      const up = d.call(IOC.AMDGPU_GEM_USERPTR, { addr: m.address, size: 4096n, flags: drm.AMDGPU_GEM_USERPTR.REGISTER, handle: 0 });
      assert.equal(d.errno(IOC.PRIME_HANDLE_TO_FD, { handle: up.handle, flags: 0, fd: 0 }), 'EPERM');
      assert.equal(d.errno(IOC.PRIME_HANDLE_TO_FD, { handle: h, flags: drm.DRM_PRIME_FLAGS.CLOEXEC | drm.DRM_PRIME_FLAGS.RDWR, fd: 0 }), 'OK');
    }));

  test('dma_buf_get: a closed fd → EBADF, a syncobj fd → EINVAL; a dma-buf imported into another render file shares the memory and keeps one handle per file', () =>
    withDrm(G1100, (d) => {
      assert.equal(d.errno(IOC.PRIME_FD_TO_HANDLE, { handle: 0, flags: 0, fd: 4000 }), 'EBADF');
      const sfd = d.call(IOC.SYNCOBJ_HANDLE_TO_FD, { handle: d.syncobj(), flags: 0, fd: 0, pad: 0 }).fd;
      assert.equal(d.errno(IOC.PRIME_FD_TO_HANDLE, { handle: 0, flags: 0, fd: sfd }), 'EINVAL');
      const h = d.gemCreate(4096);
      const mine = d.cpuMap(h, 4096);
      const fd = d.call(IOC.PRIME_HANDLE_TO_FD, { handle: h, flags: 0, fd: 0 }).fd;
      assert.equal(d.call(IOC.PRIME_FD_TO_HANDLE, { handle: 0, flags: 0, fd }).handle, h);
      const other = d.open();
      const theirs = d.call(IOC.PRIME_FD_TO_HANDLE, { handle: 0, flags: 0, fd }, other).handle;
      assert.equal(d.call(IOC.PRIME_FD_TO_HANDLE, { handle: 0, flags: 0, fd }, other).handle, theirs);
      // Closing the exporter's handle and the fd leaves the object alive through the importer.
      d.call(IOC.GEM_CLOSE, { handle: h, pad: 0 });
      d.host.close(fd);
      const view = d.cpuMap(theirs, 4096, other);
      mine.bytes[100] = 0x99;
      assert.equal(view.bytes[100], 0x99);
    }));

  test('kfd_ioctl_import_dmabuf: a render-node dma-buf becomes a KFD BO on the same memory (GPU writes through its KFD VA reach the GEM object); a closed fd → EBADF, a syncobj fd → EINVAL, before ACQUIRE_VM → ENODEV', () =>
    withDrm(G1100, (d) => {
      const K = kfd.KFD_IOC;
      const kfdFd = d.host.open('/dev/kfd', 2);
      const gpuId = d.host.gpus[0]!.gpuId;
      const h = d.gemCreate(8192, D.VRAM);
      const view = d.cpuMap(h, 8192);
      const fd = d.call(IOC.PRIME_HANDLE_TO_FD, { handle: h, flags: 0, fd: 0 }).fd;
      const kva = d.freshVa(8192);
      const imp = (dmabuf_fd: number) => d.try(K.IMPORT_DMABUF, { va_addr: kva, handle: 0n, gpu_id: gpuId, dmabuf_fd }, kfdFd);
      assert.equal(imp(fd).errno, 'ENODEV');
      d.call(K.ACQUIRE_VM, { drm_fd: d.fd, gpu_id: gpuId }, kfdFd);
      assert.equal(imp(4000).errno, 'EBADF');
      const sfd = d.call(IOC.SYNCOBJ_HANDLE_TO_FD, { handle: d.syncobj(), flags: 0, fd: 0, pad: 0 }).fd;
      assert.equal(imp(sfd).errno, 'EINVAL');
      const r = imp(fd);
      assert.equal(r.errno, 'OK');
      d.call(K.MAP_MEMORY_TO_GPU, { handle: r.out.handle, device_ids_array_ptr: d.userWords([gpuId]), n_devices: 1, n_success: 0 }, kfdFd);
      // The exporter lets go of everything: the KFD BO keeps the object alive.
      d.host.close(fd);
      d.call(IOC.GEM_CLOSE, { handle: h, pad: 0 });
      assert.deepEqual(d.writeThroughCs(kva + 4096n, 0x1eaf), { errno: 'OK', busy: 0n });
      assert.equal(new DataView(view.bytes.buffer, view.bytes.byteOffset).getUint32(4096, true), 0x1eaf);
    }));

  test('kfd_ioctl_export_dmabuf: an unknown handle → EINVAL, userptr memory → EPERM (amdgpu_gem_prime_export); a KFD VRAM BO exported and imported into a render file is the same memory, and outlives FREE_MEMORY_OF_GPU while the dma-buf is held', () =>
    withDrm(G1100, (d) => {
      const K = kfd.KFD_IOC;
      const KF = kfd.KFD_IOC_ALLOC_MEM_FLAGS;
      const kfdFd = d.host.open('/dev/kfd', 2);
      const gpuId = d.host.gpus[0]!.gpuId;
      d.call(K.ACQUIRE_VM, { drm_fd: d.fd, gpu_id: gpuId }, kfdFd);
      assert.equal(d.try(K.EXPORT_DMABUF, { handle: (BigInt(gpuId) << 32n) | 77n, flags: 0, dmabuf_fd: 0 }, kfdFd).errno, 'EINVAL');
      const m = d.userMapping(4096);
      const up = d.call(K.ALLOC_MEMORY_OF_GPU, { va_addr: d.freshVa(4096), size: 4096n, gpu_id: gpuId, flags: KF.USERPTR | KF.WRITABLE, mmap_offset: m.address }, kfdFd);
      assert.equal(d.try(K.EXPORT_DMABUF, { handle: up.handle, flags: 0, dmabuf_fd: 0 }, kfdFd).errno, 'EPERM');
      const bo = d.call(K.ALLOC_MEMORY_OF_GPU, { va_addr: d.freshVa(8192), size: 8192n, gpu_id: gpuId, flags: KF.VRAM | KF.WRITABLE | KF.PUBLIC }, kfdFd);
      const cpu = d.host.mmap(0n, 8192, 3, 1, d.fd, bo.mmap_offset);
      const fd = d.call(K.EXPORT_DMABUF, { handle: bo.handle, flags: 0, dmabuf_fd: 0 }, kfdFd).dmabuf_fd;
      const h = d.call(IOC.PRIME_FD_TO_HANDLE, { handle: 0, flags: 0, fd }).handle;
      const at = d.freshVa(8192);
      assert.equal(d.vaOp(VA.MAP, h, at, 8192), 'OK');
      const ib = d.gem(PAGE);
      const ctx = d.ctx();
      const write = (value: number) => {
        const dw = new Pm4Builder(d.family).writeData(at + 4096n, [value]).dwords;
        ib.cpu.bytes.set(new Uint8Array(dw.buffer, dw.byteOffset, dw.byteLength));
        const c = d.cs(ctx, [ibChunk(ib.va, dw.length, H.COMPUTE)]);
        assert.deepEqual(d.waitCs(ctx, H.COMPUTE, c.seq, absTimeout(5000)), { errno: 'OK', busy: 0n });
      };
      write(0xaaaa);
      assert.equal(new DataView(cpu.bytes.buffer, cpu.bytes.byteOffset).getUint32(4096, true), 0xaaaa);
      // KFD frees its BO; the render file's handle still holds the memory, and the GPU still reaches it.
      assert.equal(d.errno(K.FREE_MEMORY_OF_GPU, { handle: bo.handle }, kfdFd), 'OK');
      write(0xbbbb);
      assert.equal(new DataView(cpu.bytes.buffer, cpu.bytes.byteOffset).getUint32(4096, true), 0xbbbb);
    }));
});
