// The emulated render node rejects (and accepts) arguments as Linux 6.12's amdgpu and DRM core do. Each
// test names the kernel function whose rule it checks. The rules, and where the emulator departs:
//
// | rule                                                              | kernel function                    | errno   |
// |-------------------------------------------------------------------|------------------------------------|---------|
// | a request of another type; an amdgpu command with no handler      | drm_ioctl                          | ENOTTY / EINVAL |
// | domain_flags outside the 6.12 settable mask; domains outside MASK | amdgpu_gem_create_ioctl            | EINVAL  |
// | ENCRYPTED without TMZ; GDS/GWS/OA with VM_ALWAYS_VALID            | amdgpu_gem_create_ioctl            | EINVAL  |
// | mmap offset of an unknown handle / of NO_CPU_ACCESS or userptr    | amdgpu_mode_dumb_mmap              | ENOENT / EPERM |
// | GEM_CLOSE of an unknown handle                                    | drm_gem_handle_delete              | EINVAL  |
// | GEM_OP unknown handle / unknown op / SET_PLACEMENT on a userptr   | amdgpu_gem_op_ioctl                | ENOENT / EINVAL / EPERM |
// | userptr: unaligned, unknown flags / writable without REGISTER     | amdgpu_gem_userptr_ioctl           | EINVAL / EACCES |
// | metadata larger than 256 bytes                                    | amdgpu_gem_metadata_ioctl          | EINVAL  |
// | VA below RESERVED_BOTTOM, in the hole, into RESERVED_TOP; flags; op| amdgpu_gem_va_ioctl               | EINVAL  |
// | VA/offset/size unaligned, empty, past the BO                      | amdgpu_vm_verify_parameters        | EINVAL  |
// | a mapping over another (a KFD BO's too: one VM per GPU)            | amdgpu_vm_bo_map                   | EINVAL  |
// | UNMAP where the BO has no mapping                                 | amdgpu_vm_bo_unmap                 | ENOENT  |
// | context: unknown op, unknown id, priority above NORMAL            | amdgpu_ctx_ioctl / _free / _priority_permit | EINVAL / EACCES |
// | BO list with an unknown handle, UPDATE of an unknown list         | amdgpu_bo_list_create / idr_replace| ENOENT  |
//
// Command submission, sync objects and PRIME: emu-drm-cs-validation.test.ts.
//
// Departures: an empty BO is refused with EINVAL; GDS/GWS/OA and PRT mappings are not emulated.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as drm from '../src/uapi/drm.js';
import * as kfd from '../src/uapi/kfd.js';
import { ioc } from '../src/uapi/ioc.js';
import { RawDrm, RWX, withDrm } from './support/raw-drm.js';

const IOC = drm.DRM_IOC;
const D = drm.AMDGPU_GEM_DOMAIN;
const C = drm.AMDGPU_GEM_CREATE;
const VA = drm.AMDGPU_VA_OP;
const G1100 = 'emu:gfx1100';

function create(d: RawDrm, size: bigint, domains: number, flags = 0n): string {
  return d.errno(IOC.AMDGPU_GEM_CREATE, { in: { bo_size: size, alignment: 0n, domains: BigInt(domains), domain_flags: flags } });
}

function va(d: RawDrm, v: { handle: number; op?: number; flags?: number; va: bigint; offset?: bigint; size: bigint }): string {
  return d.errno(IOC.AMDGPU_GEM_VA, { handle: v.handle, operation: v.op ?? VA.MAP, flags: v.flags ?? RWX, va_address: v.va, offset_in_bo: v.offset ?? 0n, map_size: v.size });
}

function ctxOp(d: RawDrm, op: number, ctxId = 0, priority = 0, flags = 0): string {
  return d.errno(IOC.AMDGPU_CTX, { in: { op, flags, ctx_id: ctxId, priority } });
}

describe('drm_ioctl: command decoding', () => {
  test('drm_ioctl: another type (TCGETS) → ENOTTY; an amdgpu command past the table or in a hole of it → EINVAL; a short argument buffer → EFAULT', () =>
    withDrm(G1100, (d) => {
      // TCGETS (asm-generic/ioctls.h 0x5401), what isatty() asks.
      assert.equal(d.rawIoctl(0x5401, new Uint8Array(64)), 'ENOTTY');
      // amdgpu_ioctls_kms ends at SCHED (0x15) and has no handler at 0x0a-0x0f (amdgpu_drv.c, Linux 6.12).
      assert.equal(d.rawIoctl(ioc('rw', drm.DRM_IOCTL_BASE, 0x40 + 0x3f, 8), new Uint8Array(8)), 'EINVAL');
      assert.equal(d.rawIoctl(ioc('rw', drm.DRM_IOCTL_BASE, 0x40 + 0x16, 8), new Uint8Array(8)), 'EINVAL');
      assert.equal(d.rawIoctl(ioc('rw', drm.DRM_IOCTL_BASE, 0x40 + 0x0a, 8), new Uint8Array(8)), 'EINVAL');
      assert.equal(d.rawIoctl(IOC.AMDGPU_GEM_CREATE.request, new Uint8Array(8)), 'EFAULT');
    }));
});

describe('GEM objects (amdgpu_gem.c)', () => {
  test('amdgpu_gem_create_ioctl: VRAM_CONTIGUOUS (not settable in 6.12) → EINVAL; domains 0x80 → EINVAL; GTT/VRAM/CPU → OK', () =>
    withDrm(G1100, (d) => {
      assert.equal(create(d, 4096n, D.GTT, BigInt(C.VRAM_CONTIGUOUS)), 'EINVAL');
      assert.equal(create(d, 4096n, 0x80), 'EINVAL');
      assert.equal(create(d, 4096n, D.GTT, BigInt(C.CPU_GTT_USWC | C.EXPLICIT_SYNC)), 'OK');
      assert.equal(create(d, 4096n, D.VRAM, BigInt(C.CPU_ACCESS_REQUIRED)), 'OK');
      assert.equal(create(d, 4096n, D.CPU), 'OK');
    }));

  test('amdgpu_gem_create_ioctl: ENCRYPTED without TMZ → EINVAL; a GDS BO with VM_ALWAYS_VALID → EINVAL', () =>
    withDrm(G1100, (d) => {
      assert.equal(create(d, 4096n, D.VRAM, BigInt(C.ENCRYPTED)), 'EINVAL');
      assert.equal(create(d, 4096n, D.GDS, BigInt(C.VM_ALWAYS_VALID)), 'EINVAL');
    }));

  test('amdgpu_mode_dumb_mmap: unknown handle → ENOENT; NO_CPU_ACCESS → EPERM; the offset maps the object', () =>
    withDrm(G1100, (d) => {
      assert.equal(d.errno(IOC.AMDGPU_GEM_MMAP, { in: { handle: 99, _pad: 0 } }), 'ENOENT');
      const hidden = d.gemCreate(4096, D.VRAM, BigInt(C.NO_CPU_ACCESS));
      assert.equal(d.errno(IOC.AMDGPU_GEM_MMAP, { in: { handle: hidden, _pad: 0 } }), 'EPERM');
      const h = d.gemCreate(8192, D.GTT);
      const a = d.cpuMap(h, 8192);
      const b = d.cpuMap(h, 8192);
      a.bytes[5000] = 0x42;
      assert.equal(b.bytes[5000], 0x42);
    }));

  test('drm_gem_handle_delete: GEM_CLOSE of an unknown or already closed handle → EINVAL', () =>
    withDrm(G1100, (d) => {
      const h = d.gemCreate(4096);
      assert.equal(d.errno(IOC.GEM_CLOSE, { handle: h, pad: 0 }), 'OK');
      assert.equal(d.errno(IOC.GEM_CLOSE, { handle: h, pad: 0 }), 'EINVAL');
    }));

  test('amdgpu_gem_op_ioctl: GET_GEM_CREATE_INFO reports size, alignment, domains and flags (VRAM_CLEARED always set); unknown handle → ENOENT; unknown op → EINVAL', () =>
    withDrm(G1100, (d) => {
      const bytes = drm.gemCreateArgs.encode({ in: { bo_size: 5000n, alignment: 100n, domains: BigInt(D.VRAM), domain_flags: BigInt(C.CPU_ACCESS_REQUIRED) } });
      d.host.ioctl(d.fd, IOC.AMDGPU_GEM_CREATE.request, bytes);
      const h = drm.gemCreateOut.decode(bytes).handle;
      const out = d.userMapping(32);
      assert.equal(d.errno(IOC.AMDGPU_GEM_OP, { handle: h, op: drm.AMDGPU_GEM_OP.GET_GEM_CREATE_INFO, value: out.address }), 'OK');
      assert.deepEqual(drm.gemCreateIn.decode(out.bytes), { bo_size: 8192n, alignment: 4096n, domains: BigInt(D.VRAM), domain_flags: BigInt(C.CPU_ACCESS_REQUIRED | C.VRAM_CLEARED) });
      assert.equal(d.errno(IOC.AMDGPU_GEM_OP, { handle: 77, op: 0, value: out.address }), 'ENOENT');
      assert.equal(d.errno(IOC.AMDGPU_GEM_OP, { handle: h, op: 9, value: 0n }), 'EINVAL');
      assert.equal(d.errno(IOC.AMDGPU_GEM_OP, { handle: h, op: drm.AMDGPU_GEM_OP.SET_PLACEMENT, value: BigInt(D.GTT | D.OA) }), 'OK');
      assert.equal(d.errno(IOC.AMDGPU_GEM_OP, { handle: h, op: drm.AMDGPU_GEM_OP.GET_GEM_CREATE_INFO, value: out.address }), 'OK');
      assert.equal(drm.gemCreateIn.decode(out.bytes).domains, BigInt(D.GTT));
    }));

  test('amdgpu_gem_userptr_ioctl: unaligned → EINVAL; unknown flags → EINVAL; writable without REGISTER → EACCES; a registered range is GPU-visible process memory', () =>
    withDrm(G1100, (d) => {
      const U = drm.AMDGPU_GEM_USERPTR;
      const m = d.userMapping(8192);
      const up = (addr: bigint, size: bigint, flags: number) => d.try(IOC.AMDGPU_GEM_USERPTR, { addr, size, flags, handle: 0 });
      assert.equal(up(m.address + 8n, 4096n, U.REGISTER).errno, 'EINVAL');
      assert.equal(up(m.address, 4096n, U.REGISTER | 0x10).errno, 'EINVAL');
      assert.equal(up(m.address, 4096n, U.ANONONLY).errno, 'EACCES');
      const r = up(m.address, 8192n, U.REGISTER | U.VALIDATE);
      assert.equal(r.errno, 'OK');
      assert.equal(d.errno(IOC.AMDGPU_GEM_MMAP, { in: { handle: r.out.handle, _pad: 0 } }), 'EPERM');
      assert.equal(d.errno(IOC.AMDGPU_GEM_OP, { handle: r.out.handle, op: drm.AMDGPU_GEM_OP.SET_PLACEMENT, value: BigInt(D.VRAM) }), 'EPERM');
      // The GPU writes into the process's own pages through a VA mapping of the userptr BO.
      const target = d.freshVa(8192);
      assert.equal(d.vaOp(VA.MAP, r.out.handle, target, 8192), 'OK');
      assert.deepEqual(d.writeThroughCs(target + 4096n, 0xabcd), { errno: 'OK', busy: 0n });
      assert.equal(new DataView(m.bytes.buffer, m.bytes.byteOffset).getUint32(4096, true), 0xabcd);
    }));

  test('amdgpu_gem_metadata_ioctl: SET keeps flags, tiling and data, GET returns them; more than 256 bytes → EINVAL', () =>
    withDrm(G1100, (d) => {
      const h = d.gemCreate(4096);
      const OP = drm.AMDGPU_GEM_METADATA_OP;
      const data = Array.from({ length: 64 }, (_, i) => (i < 3 ? 0x100 + i : 0));
      assert.equal(d.errno(IOC.AMDGPU_GEM_METADATA, { handle: h, op: OP.SET_METADATA, data: { flags: 7n, tiling_info: 0x55n, data_size_bytes: 12, data } }), 'OK');
      const r = d.try(IOC.AMDGPU_GEM_METADATA, { handle: h, op: OP.GET_METADATA, data: { flags: 0n, tiling_info: 0n, data_size_bytes: 0, data: new Array(64).fill(0) } });
      assert.deepEqual([r.errno, r.out.data.flags, r.out.data.tiling_info, r.out.data.data_size_bytes, r.out.data.data.slice(0, 4)], ['OK', 7n, 0x55n, 12, [0x100, 0x101, 0x102, 0]]);
      assert.equal(d.errno(IOC.AMDGPU_GEM_METADATA, { handle: h, op: OP.SET_METADATA, data: { flags: 0n, tiling_info: 0n, data_size_bytes: 257, data } }), 'EINVAL');
      assert.equal(d.errno(IOC.AMDGPU_GEM_METADATA, { handle: 1234, op: OP.GET_METADATA }), 'ENOENT');
    }));

  test('amdgpu_gem_wait_idle_ioctl: unknown handle → ENOENT; an idle BO → status 0', () =>
    withDrm(G1100, (d) => {
      assert.equal(d.errno(IOC.AMDGPU_GEM_WAIT_IDLE, { in: { handle: 5, flags: 0, timeout: 0n } }), 'ENOENT');
      const h = d.gemCreate(4096);
      const r = d.try(IOC.AMDGPU_GEM_WAIT_IDLE, { in: { handle: h, flags: 0, timeout: 0n } });
      assert.deepEqual([r.errno, drm.gemWaitIdleOut.decode(drm.gemWaitIdleArgs.encode(r.out)).status], ['OK', 0]);
    }));
});

describe('GPU virtual addresses (amdgpu_gem_va_ioctl, amdgpu_vm.c)', () => {
  test('amdgpu_gem_va_ioctl: VA below AMDGPU_VA_RESERVED_BOTTOM, in the hole, or reaching AMDGPU_VA_RESERVED_TOP → EINVAL', () =>
    withDrm(G1100, (d) => {
      const h = d.gemCreate(0x10000);
      assert.equal(va(d, { handle: h, va: 0x8000n, size: 0x1000n }), 'EINVAL');
      assert.equal(va(d, { handle: h, va: 0x10000n, size: 0x1000n }), 'OK');
      assert.equal(va(d, { handle: h, va: 0x0000_8000_0000_0000n, size: 0x1000n }), 'EINVAL');
      // The top 4 MiB + 8 KiB of the 48-bit VM (TRAP + SEQ64 + CSA) belong to the kernel. The upper half
      // of the VM is reached through the sign-extended (high) addresses; its low-half spelling is the hole.
      const top = (1n << 48n) - ((2n << 12n) + (4n << 20n));
      const high = (x: bigint): bigint => x | 0xffff_0000_0000_0000n;
      assert.equal(va(d, { handle: h, va: top - 0x1000n, size: 0x1000n }), 'EINVAL');
      assert.equal(va(d, { handle: h, va: high(top - 0x1000n), size: 0x2000n }), 'EINVAL');
      assert.equal(va(d, { handle: h, va: high(top - 0x1000n), size: 0x1000n }), 'OK');
      // A high address is its masked low form: the mapping made through it is in the hole, spelt low.
      assert.equal(va(d, { handle: h, va: 0xffff_8000_0010_0000n, size: 0x1000n }), 'OK');
      assert.equal(va(d, { handle: h, op: VA.UNMAP, va: 0x8000_0010_0000n, size: 0x1000n }), 'EINVAL');
      assert.equal(va(d, { handle: h, op: VA.UNMAP, va: 0xffff_8000_0010_0000n, size: 0x1000n }), 'OK');
    }));

  test('amdgpu_gem_va_ioctl: flags outside the valid and PRT sets, an unknown operation → EINVAL; an unknown handle → ENOENT', () =>
    withDrm(G1100, (d) => {
      const h = d.gemCreate(4096);
      const at = d.freshVa(4096);
      assert.equal(va(d, { handle: h, va: at, size: 4096n, flags: 1 << 12 }), 'EINVAL');
      assert.equal(va(d, { handle: h, va: at, size: 4096n, op: 7 }), 'EINVAL');
      assert.equal(va(d, { handle: 999, va: at, size: 4096n }), 'ENOENT');
      assert.equal(va(d, { handle: h, va: at, size: 4096n, flags: RWX | drm.AMDGPU_VM_MTYPE.UC | drm.AMDGPU_VM_DELAY_UPDATE }), 'OK');
    }));

  test('amdgpu_vm_verify_parameters: unaligned VA, offset or size, an empty range, or a range past the BO → EINVAL', () =>
    withDrm(G1100, (d) => {
      const h = d.gemCreate(8192);
      const at = d.freshVa(8192);
      assert.equal(va(d, { handle: h, va: at + 0x800n, size: 4096n }), 'EINVAL');
      assert.equal(va(d, { handle: h, va: at, offset: 0x10n, size: 4096n }), 'EINVAL');
      assert.equal(va(d, { handle: h, va: at, size: 100n }), 'EINVAL');
      assert.equal(va(d, { handle: h, va: at, size: 0n }), 'EINVAL');
      assert.equal(va(d, { handle: h, va: at, offset: 4096n, size: 8192n }), 'EINVAL');
      assert.equal(va(d, { handle: h, va: at, offset: 4096n, size: 4096n }), 'OK');
    }));

  test('amdgpu_vm_bo_map: a range overlapping another mapping (of this file, or a KFD BO in the same GPU VM) → EINVAL', () =>
    withDrm(G1100, (d) => {
      const a = d.gemCreate(8192);
      const b = d.gemCreate(8192);
      const at = d.freshVa(16384);
      assert.equal(va(d, { handle: a, va: at, size: 8192n }), 'OK');
      assert.equal(va(d, { handle: b, va: at + 4096n, size: 8192n }), 'EINVAL');
      assert.equal(va(d, { handle: b, va: at + 8192n, size: 8192n }), 'OK');
      // KFD adopts the render file's VM (ACQUIRE_VM): its BOs live in the same address space.
      const kfdFd = d.host.open('/dev/kfd', 2);
      const gpuId = d.host.gpus[0]!.gpuId;
      d.call(kfd.KFD_IOC.ACQUIRE_VM, { drm_fd: d.fd, gpu_id: gpuId }, kfdFd);
      const kva = d.freshVa(4096);
      const bo = d.call(kfd.KFD_IOC.ALLOC_MEMORY_OF_GPU, { va_addr: kva, size: 4096n, gpu_id: gpuId, flags: kfd.KFD_IOC_ALLOC_MEM_FLAGS.GTT | kfd.KFD_IOC_ALLOC_MEM_FLAGS.WRITABLE }, kfdFd);
      d.call(kfd.KFD_IOC.MAP_MEMORY_TO_GPU, { handle: bo.handle, device_ids_array_ptr: d.userWords([gpuId]), n_devices: 1, n_success: 0 }, kfdFd);
      assert.equal(va(d, { handle: a, va: kva, size: 4096n }), 'EINVAL');
      // And the other way round: KFD cannot map over a GEM mapping.
      const over = d.call(kfd.KFD_IOC.ALLOC_MEMORY_OF_GPU, { va_addr: at, size: 4096n, gpu_id: gpuId, flags: kfd.KFD_IOC_ALLOC_MEM_FLAGS.GTT | kfd.KFD_IOC_ALLOC_MEM_FLAGS.WRITABLE }, kfdFd);
      assert.equal(d.errno(kfd.KFD_IOC.MAP_MEMORY_TO_GPU, { handle: over.handle, device_ids_array_ptr: d.userWords([gpuId]), n_devices: 1, n_success: 0 }, kfdFd), 'EINVAL');
    }));

  test('amdgpu_vm_bo_unmap: no mapping of the BO at that VA → ENOENT; amdgpu_vm_bo_clear_mappings cuts a mapping in two', () =>
    withDrm(G1100, (d) => {
      const h = d.gemCreate(3 * 4096);
      const at = d.freshVa(3 * 4096);
      assert.equal(va(d, { handle: h, op: VA.UNMAP, va: at, size: 4096n }), 'ENOENT');
      assert.equal(va(d, { handle: h, va: at, size: 3n * 4096n }), 'OK');
      assert.equal(va(d, { handle: 0, op: VA.CLEAR, va: at + 4096n, size: 4096n }), 'OK');
      // What is left: [at, at+4K) and [at+8K, at+12K), each a mapping of its own.
      assert.equal(va(d, { handle: h, op: VA.UNMAP, va: at + 4096n, size: 4096n }), 'ENOENT');
      assert.equal(va(d, { handle: h, op: VA.UNMAP, va: at + 8192n, size: 4096n }), 'OK');
      assert.equal(va(d, { handle: h, op: VA.UNMAP, va: at, size: 4096n }), 'OK');
      assert.equal(va(d, { handle: h, op: VA.UNMAP, va: at, size: 4096n }), 'ENOENT');
      assert.equal(va(d, { handle: 0, op: VA.CLEAR, va: at + 1n, size: 4096n }), 'EINVAL');
    }));
});

describe('contexts and BO lists (amdgpu_ctx.c, amdgpu_bo_list.c)', () => {
  test('amdgpu_ctx_ioctl: unknown op → EINVAL; amdgpu_ctx_free / amdgpu_ctx_query of an unknown id → EINVAL; garbage priority is NORMAL', () =>
    withDrm(G1100, (d) => {
      const O = drm.AMDGPU_CTX_OP;
      assert.equal(ctxOp(d, 99), 'EINVAL');
      assert.equal(ctxOp(d, O.FREE_CTX, 42), 'EINVAL');
      assert.equal(ctxOp(d, O.QUERY_STATE, 42), 'EINVAL');
      const id = d.ctx(12345);
      assert.equal(ctxOp(d, O.QUERY_STATE, id), 'OK');
      assert.equal(ctxOp(d, O.FREE_CTX, id), 'OK');
      assert.equal(ctxOp(d, O.FREE_CTX, id), 'EINVAL');
    }));

  test('amdgpu_ctx_priority_permit: a priority above NORMAL without CAP_SYS_NICE → EACCES', () =>
    withDrm(G1100, (d) => {
      assert.equal(ctxOp(d, drm.AMDGPU_CTX_OP.ALLOC_CTX, 0, drm.AMDGPU_CTX_PRIORITY.HIGH), 'EACCES');
      assert.equal(ctxOp(d, drm.AMDGPU_CTX_OP.ALLOC_CTX, 0, drm.AMDGPU_CTX_PRIORITY.LOW), 'OK');
    }));

  test('amdgpu_bo_list_create: an unknown handle → ENOENT; UPDATE of an unknown list → ENOENT; unknown op → EINVAL; DESTROY of an unknown list → OK', () =>
    withDrm(G1100, (d) => {
      const O = drm.AMDGPU_BO_LIST_OP;
      const h = d.gemCreate(4096);
      const list = (handles: number[]) => d.userWords(handles.flatMap((x) => [x, 0]));
      const op = (operation: number, handles: number[], listHandle = 0) => d.try(IOC.AMDGPU_BO_LIST, { in: { operation, list_handle: listHandle, bo_number: handles.length, bo_info_size: 8, bo_info_ptr: list(handles) } });
      assert.equal(op(O.CREATE, [h, 55]).errno, 'ENOENT');
      const ok = op(O.CREATE, [h]);
      assert.equal(ok.errno, 'OK');
      const listHandle = drm.boListOut.decode(drm.boListArgs.encode(ok.out)).list_handle;
      assert.ok(listHandle >= 1);
      assert.equal(op(O.UPDATE, [h], 99).errno, 'ENOENT');
      assert.equal(op(O.UPDATE, [h], listHandle).errno, 'OK');
      assert.equal(op(9, []).errno, 'EINVAL');
      assert.equal(op(O.DESTROY, [], 1234).errno, 'OK');
    }));
});
