// The emulated KFD rejects (and accepts) ioctl arguments as the Linux 6.12 kernel does: each case names
// the kernel function that decides (drivers/gpu/drm/amd/amdkfd/kfd_chardev.c, kfd_queue.c, kfd_events.c,
// kfd_process.c, amdgpu/amdgpu_amdkfd_gpuvm.c, amdgpu/amdgpu_vm.c).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as kfd from '../src/uapi/kfd.js';
import { ioc } from '../src/uapi/ioc.js';
import { O_RDWR } from '../src/os/host.js';
import { PAGE, RawKfd, withKfd } from './support/raw-kfd.js';

const IOC = kfd.KFD_IOC;
const F = kfd.KFD_IOC_ALLOC_MEM_FLAGS;
const Q = kfd.KFD_IOC_QUEUE_TYPE;
const GTT = F.GTT | F.WRITABLE;
const VRAM = F.VRAM | F.WRITABLE;
/** kfd_doorbell_process_slice on SOC15: 1024 doorbells of 8 bytes (kfd_doorbell.c). */
const DOORBELL_SLICE = 8192;
/** A user address above TASK_SIZE_MAX, which access_ok refuses. */
const KERNEL_ADDRESS = 0xffff_8000_0000_0000n;
const NONSIGNAL = kfd.KFD_SIGNAL_EVENT_LIMIT;

const G1100 = 'emu:gfx1100';
const G1100_KFD11 = 'emu:gfx1100?kfd=11';

function sdmaQueueArgs(k: RawKfd, type: number = Q.SDMA) {
  const ring = k.allocMapped(PAGE);
  const pointers = k.allocMapped(PAGE);
  return { ring_base_address: ring.va, ring_size: PAGE, write_pointer_address: pointers.va, read_pointer_address: pointers.va + 8n, gpu_id: k.gpuId, queue_type: type, queue_percentage: 100, queue_priority: 7 };
}

function eventPage(k: RawKfd) {
  return k.alloc(kfd.KFD_EVENT_PAGE_BYTES, GTT);
}

/** kfd_event_data entries for `ids` in process memory. */
function eventList(k: RawKfd, ids: readonly number[]): bigint {
  const m = k.userMemory(ids.length * kfd.eventData.size);
  ids.forEach((id, i) => kfd.eventData.encode({ event_id: id }, m.bytes, i * kfd.eventData.size));
  return m.address;
}

describe('kfd_ioctl: command decoding', () => {
  test('kfd_ioctl: an unknown command number (0x7f) → ENOTTY', () =>
    withKfd(G1100, (k) => {
      assert.equal(k.rawIoctl(ioc('rw', kfd.KFD_IOCTL_BASE, 0x7f, 8), new Uint8Array(8)), 'ENOTTY');
    }));

  test('kfd_ioctl: command number 0 is below AMDKFD_COMMAND_START → ENOTTY', () =>
    withKfd(G1100, (k) => {
      assert.equal(k.rawIoctl(ioc('rw', kfd.KFD_IOCTL_BASE, 0, 8), new Uint8Array(8)), 'ENOTTY');
    }));

  test('kfd_ioctl: RUNTIME_ENABLE (0x25) is past AMDKFD_COMMAND_END of KFD 1.11 → ENOTTY, and works on 1.17', async () => {
    await withKfd(G1100_KFD11, (k) => assert.equal(k.errno(IOC.RUNTIME_ENABLE, { mode_mask: 1 }), 'ENOTTY'));
    await withKfd(G1100, (k) => assert.equal(k.errno(IOC.RUNTIME_ENABLE, { mode_mask: 1 }), 'OK'));
  });

  test('kfd_ioctl (surprising): the caller\'s direction, type and size bits are ignored — GET_VERSION sent as _IOW(\'X\', 1, 16) still returns 1.17', () =>
    withKfd(G1100, (k) => {
      const bytes = new Uint8Array(16).fill(0xee);
      assert.equal(k.rawIoctl(ioc('w', 0x58, IOC.GET_VERSION.nr, 16), bytes), 'OK');
      const v = kfd.getVersionArgs.decode(bytes);
      assert.deepEqual([v.major_version, v.minor_version], [1, 17]);
      // GET_VERSION is IOC_OUT only: the caller's 16 bytes were zeroed, then the kernel's 8 written.
      assert.deepEqual([...bytes.subarray(8)], new Array(8).fill(0));
    }));

  test('kfd_ioctl: a request shorter than the struct copies back only its own size (GET_VERSION with size 4 → major only)', () =>
    withKfd(G1100, (k) => {
      const bytes = new Uint8Array(8).fill(0xee);
      assert.equal(k.rawIoctl(ioc('r', kfd.KFD_IOCTL_BASE, IOC.GET_VERSION.nr, 4), bytes), 'OK');
      assert.equal(new DataView(bytes.buffer).getUint32(0, true), 1);
      assert.deepEqual([...bytes.subarray(4)], [0xee, 0xee, 0xee, 0xee]);
    }));

  test('kfd_ioctl: the 88-byte CREATE_QUEUE of KFD ≤ 1.16 is zero-extended on a 1.17 kernel (sdma_engine_id reads 0)', () =>
    withKfd(G1100, (k) => {
      const bytes = kfd.createQueueArgsPre117.encode(sdmaQueueArgs(k, Q.SDMA_BY_ENG_ID));
      assert.equal(k.rawIoctl(IOC.CREATE_QUEUE_PRE_1_17.request, bytes), 'OK');
      assert.equal(bytes.byteLength, 88);
      assert.equal(kfd.createQueueArgsPre117.decode(bytes).queue_id, 0);
    }));

  test('kfd_ioctl_dbg_register: the deprecated debugger ioctls → EPERM', () =>
    withKfd(G1100, (k) => {
      assert.equal(k.errno(IOC.DBG_REGISTER_DEPRECATED, { gpu_id: k.gpuId }), 'EPERM');
      assert.equal(k.errno(IOC.DBG_WAVE_CONTROL_DEPRECATED, { gpu_id: k.gpuId }), 'EPERM');
    }));
});

describe('kfd_ioctl_acquire_vm and kfd_bind_process_to_device', () => {
  test('kfd_ioctl_acquire_vm: a drm_fd that is not open (fget fails) → EINVAL', () =>
    withKfd(G1100, (k) => assert.equal(k.errno(IOC.ACQUIRE_VM, { drm_fd: 999, gpu_id: k.gpuId }), 'EINVAL'), { acquire: false }));

  test('kfd_process_device_init_vm → amdgpu_file_to_fpriv: /dev/kfd itself as drm_fd → EINVAL', () =>
    withKfd(G1100, (k) => assert.equal(k.errno(IOC.ACQUIRE_VM, { drm_fd: k.fd, gpu_id: k.gpuId }), 'EINVAL'), { acquire: false }));

  test('kfd_ioctl_acquire_vm: unknown gpu_id (kfd_process_device_data_by_id) → EINVAL', () =>
    withKfd(G1100, (k) => assert.equal(k.errno(IOC.ACQUIRE_VM, { drm_fd: k.renderFd(), gpu_id: 0x1234 }), 'EINVAL'), { acquire: false }));

  test('kfd_ioctl_acquire_vm: the same drm file again → 0; another render fd for the same GPU → EBUSY', () =>
    withKfd(G1100, (k) => {
      assert.equal(k.errno(IOC.ACQUIRE_VM, { drm_fd: k.renderFd(), gpu_id: k.gpuId }), 'OK');
      const other = k.host.open(`/dev/dri/renderD${k.gpus[0]!.renderMinor}`, O_RDWR);
      assert.equal(k.errno(IOC.ACQUIRE_VM, { drm_fd: other, gpu_id: k.gpuId }), 'EBUSY');
    }));

  test('kfd_bind_process_to_device (no VM yet → -ENODEV): ALLOC_MEMORY_OF_GPU and SET_SCRATCH_BACKING_VA pass ENODEV through', () =>
    withKfd(
      G1100,
      (k) => {
        assert.equal(k.errno(IOC.ALLOC_MEMORY_OF_GPU, { va_addr: 0x100000000n, size: 4096n, gpu_id: k.gpuId, flags: GTT }), 'ENODEV');
        assert.equal(k.errno(IOC.SET_SCRATCH_BACKING_VA, { va_addr: 0x200000000n, gpu_id: k.gpuId }), 'ENODEV');
      },
      { acquire: false },
    ));

  test('kfd_ioctl_create_queue / _set_memory_policy / _set_trap_handler: a failed bind before ACQUIRE_VM is reported as ESRCH', () =>
    withKfd(
      G1100_KFD11,
      (k) => {
        assert.equal(k.createQueue({ gpu_id: k.gpuId, ring_size: PAGE, queue_type: Q.SDMA, queue_percentage: 100 }).errno, 'ESRCH');
        assert.equal(k.errno(IOC.SET_MEMORY_POLICY, { gpu_id: k.gpuId, default_policy: 0, alternate_policy: 1 }), 'ESRCH');
        assert.equal(k.errno(IOC.SET_TRAP_HANDLER, { gpu_id: k.gpuId }), 'ESRCH');
      },
      { acquire: false },
    ));

  test('kfd_ioctl_get_available_memory: kfd_lock_pdd_by_id needs no bound VM — works before ACQUIRE_VM', () =>
    withKfd(
      G1100,
      (k) => {
        const r = k.try(IOC.AVAILABLE_MEMORY, { gpu_id: k.gpuId });
        assert.equal(r.errno, 'OK');
        assert.equal(r.out.available, 24n * 1024n ** 3n);
      },
      { acquire: false },
    ));
});

describe('kfd_ioctl_alloc_memory_of_gpu', () => {
  test('kfd_ioctl_alloc_memory_of_gpu: size 0 → EINVAL, checked before the GPU (also on a GPU without VM)', async () => {
    await withKfd(G1100, (k) => assert.equal(k.errno(IOC.ALLOC_MEMORY_OF_GPU, { va_addr: 0x100000000n, size: 0n, gpu_id: k.gpuId, flags: GTT }), 'EINVAL'), { acquire: false });
  });

  test('kfd_ioctl_alloc_memory_of_gpu: unknown gpu_id → EINVAL', () =>
    withKfd(G1100, (k) => assert.equal(k.errno(IOC.ALLOC_MEMORY_OF_GPU, { va_addr: 0x100000000n, size: 4096n, gpu_id: 0xbeef, flags: GTT }), 'EINVAL')));

  test('amdgpu_amdkfd_gpuvm_alloc_memory_of_gpu (surprising): VRAM|USERPTR is not rejected — VRAM wins and the user address is ignored', () =>
    withKfd(G1100, (k) => {
      const before = k.call(IOC.AVAILABLE_MEMORY, { gpu_id: k.gpuId }).available;
      const user = k.userMemory(2 * PAGE);
      const r = k.try(IOC.ALLOC_MEMORY_OF_GPU, { va_addr: k.freshVa(2 * PAGE), size: BigInt(2 * PAGE), gpu_id: k.gpuId, flags: VRAM | F.USERPTR, mmap_offset: user.address });
      assert.equal(r.errno, 'OK');
      assert.notEqual(r.out.mmap_offset, user.address);
      assert.equal(before - k.call(IOC.AVAILABLE_MEMORY, { gpu_id: k.gpuId }).available, BigInt(2 * PAGE));
    }));

  test('amdgpu_amdkfd_gpuvm_alloc_memory_of_gpu: no domain flag (only WRITABLE) → EINVAL', () =>
    withKfd(G1100, (k) => assert.equal(k.errno(IOC.ALLOC_MEMORY_OF_GPU, { va_addr: k.freshVa(PAGE), size: 4096n, gpu_id: k.gpuId, flags: F.WRITABLE >>> 0 }), 'EINVAL')));

  test('kfd_ioctl_alloc_memory_of_gpu: DOORBELL must be exactly kfd_doorbell_process_slice (4096 → EINVAL, 8192 → mmap offset TYPE_DOORBELL|gpu_id)', () =>
    withKfd(G1100, (k) => {
      assert.equal(k.errno(IOC.ALLOC_MEMORY_OF_GPU, { va_addr: k.freshVa(PAGE), size: 4096n, gpu_id: k.gpuId, flags: F.DOORBELL }), 'EINVAL');
      const r = k.try(IOC.ALLOC_MEMORY_OF_GPU, { va_addr: k.freshVa(DOORBELL_SLICE), size: BigInt(DOORBELL_SLICE), gpu_id: k.gpuId, flags: F.DOORBELL });
      assert.equal(r.errno, 'OK');
      assert.equal(r.out.mmap_offset, kfd.KFD_MMAP.TYPE_DOORBELL | (BigInt(k.gpuId) << kfd.KFD_MMAP.GPU_ID_SHIFT));
    }));

  test('kfd_ioctl_alloc_memory_of_gpu: MMIO_REMAP of two pages → EINVAL (must be PAGE_SIZE)', () =>
    withKfd(G1100, (k) => assert.equal(k.errno(IOC.ALLOC_MEMORY_OF_GPU, { va_addr: k.freshVa(2 * PAGE), size: BigInt(2 * PAGE), gpu_id: k.gpuId, flags: F.MMIO_REMAP }), 'EINVAL')));

  test('amdgpu_amdkfd_gpuvm_alloc_memory_of_gpu: USERPTR with user address 0 → EINVAL', () =>
    withKfd(G1100, (k) => assert.equal(k.errno(IOC.ALLOC_MEMORY_OF_GPU, { va_addr: k.freshVa(PAGE), size: 4096n, gpu_id: k.gpuId, flags: F.USERPTR, mmap_offset: 0n }), 'EINVAL')));

  test('amdgpu_amdkfd_reserve_mem_limit: VRAM past the 24 GiB of the device → ENOMEM', () =>
    withKfd(G1100, (k) => assert.equal(k.errno(IOC.ALLOC_MEMORY_OF_GPU, { va_addr: k.freshVa(PAGE), size: 25n * 1024n ** 3n, gpu_id: k.gpuId, flags: VRAM }), 'ENOMEM')));
});

describe('kfd_ioctl_map_memory_to_gpu / _unmap_memory_from_gpu', () => {
  const mapArgs = (k: RawKfd, handle: bigint, ids: number[]) => ({ handle, device_ids_array_ptr: k.u32Array(ids), n_devices: ids.length, n_success: 0 });

  test('amdgpu_vm_verify_parameters: an unaligned VA is accepted by ALLOC and refused by MAP → EINVAL', () =>
    withKfd(G1100, (k) => {
      const bo = k.alloc(PAGE, GTT, k.gpuId, k.freshVa(PAGE) + 0x10n);
      assert.equal(k.errno(IOC.MAP_MEMORY_TO_GPU, mapArgs(k, bo.handle, [k.gpuId])), 'EINVAL');
    }));

  test('amdgpu_vm_bo_map: a VA range overlapping a mapped BO → EINVAL (the overlap is found at MAP, not at ALLOC)', () =>
    withKfd(G1100, (k) => {
      const a = k.allocMapped(4 * PAGE);
      const b = k.alloc(PAGE, GTT, k.gpuId, a.va + 2n * BigInt(PAGE));
      assert.equal(k.errno(IOC.MAP_MEMORY_TO_GPU, mapArgs(k, b.handle, [k.gpuId])), 'EINVAL');
    }));

  test('kfd_ioctl_map_memory_to_gpu: n_devices 0 → EINVAL; n_success > n_devices → EINVAL', () =>
    withKfd(G1100, (k) => {
      const bo = k.alloc(PAGE);
      assert.equal(k.errno(IOC.MAP_MEMORY_TO_GPU, { ...mapArgs(k, bo.handle, [k.gpuId]), n_devices: 0 }), 'EINVAL');
      assert.equal(k.errno(IOC.MAP_MEMORY_TO_GPU, { ...mapArgs(k, bo.handle, [k.gpuId]), n_success: 2 }), 'EINVAL');
    }));

  test('kfd_ioctl_map_memory_to_gpu: device_ids_array_ptr NULL → EFAULT (copy_from_user)', () =>
    withKfd(G1100, (k) => {
      const bo = k.alloc(PAGE);
      assert.equal(k.errno(IOC.MAP_MEMORY_TO_GPU, { handle: bo.handle, device_ids_array_ptr: 0n, n_devices: 1 }), 'EFAULT');
    }));

  test('kfd_ioctl_map_memory_to_gpu (surprising): a handle of a known GPU that names no BO → ENOMEM; an unknown GPU in the handle → EINVAL', () =>
    withKfd(G1100, (k) => {
      assert.equal(k.errno(IOC.MAP_MEMORY_TO_GPU, mapArgs(k, (BigInt(k.gpuId) << 32n) | 999n, [k.gpuId])), 'ENOMEM');
      assert.equal(k.errno(IOC.MAP_MEMORY_TO_GPU, mapArgs(k, (0x4242n << 32n) | 1n, [k.gpuId])), 'EINVAL');
    }));

  test('kfd_ioctl_map_memory_to_gpu: an unknown gpu_id after a good one → EINVAL, and n_success 1 reaches the caller (kfd_ioctl copies back on error)', () =>
    withKfd(G1100, (k) => {
      const bo = k.alloc(PAGE);
      const r = k.try(IOC.MAP_MEMORY_TO_GPU, mapArgs(k, bo.handle, [k.gpuId, 0x4242]));
      assert.equal(r.errno, 'EINVAL');
      assert.equal(r.out.n_success, 1);
    }));

  test('kfd_ioctl_map_memory_to_gpu: a peer GPU whose VM was never acquired → ENODEV (kfd_bind_process_to_device)', () =>
    withKfd(
      'emu:gfx1100x2',
      (k) => {
        const [a, b] = k.gpus;
        k.acquireVm(a!.gpuId);
        const bo = k.alloc(PAGE, GTT, a!.gpuId);
        const r = k.try(IOC.MAP_MEMORY_TO_GPU, mapArgs(k, bo.handle, [a!.gpuId, b!.gpuId]));
        assert.equal(r.errno, 'ENODEV');
        assert.equal(r.out.n_success, 1);
      },
      { acquire: false },
    ));

  test('amdgpu_amdkfd_gpuvm_unmap_memory_from_gpu: unmapping a BO that is not mapped → EINVAL', () =>
    withKfd(G1100, (k) => {
      const bo = k.alloc(PAGE);
      assert.equal(k.errno(IOC.UNMAP_MEMORY_FROM_GPU, mapArgs(k, bo.handle, [k.gpuId])), 'EINVAL');
    }));

  test('unmap_bo_from_gpuvm: a queue\'s ring BO cannot be unmapped on KFD 1.17 (EBUSY); KFD 1.11 does not track queue buffers', async () => {
    for (const [spec, expected] of [[G1100, 'EBUSY'], [G1100_KFD11, 'OK']] as const) {
      await withKfd(spec, (k) => {
        const ring = k.allocMapped(PAGE);
        assert.equal(k.createQueue({ ...sdmaQueueArgs(k), ring_base_address: ring.va }).errno, 'OK');
        assert.equal(k.errno(IOC.UNMAP_MEMORY_FROM_GPU, mapArgs(k, ring.handle, [k.gpuId])), expected, spec);
      });
    }
  });
});

describe('kfd_ioctl_free_memory_of_gpu', () => {
  test('kfd_ioctl_free_memory_of_gpu: unknown handle → EINVAL (also with an unknown GPU in the handle)', () =>
    withKfd(G1100, (k) => {
      assert.equal(k.errno(IOC.FREE_MEMORY_OF_GPU, { handle: (BigInt(k.gpuId) << 32n) | 777n }), 'EINVAL');
      assert.equal(k.errno(IOC.FREE_MEMORY_OF_GPU, { handle: (0x4242n << 32n) | 1n }), 'EINVAL');
    }));

  test('kfd_ioctl_free_memory_of_gpu: double free → EINVAL', () =>
    withKfd(G1100, (k) => {
      const bo = k.alloc(PAGE);
      assert.equal(k.errno(IOC.FREE_MEMORY_OF_GPU, { handle: bo.handle }), 'OK');
      assert.equal(k.errno(IOC.FREE_MEMORY_OF_GPU, { handle: bo.handle }), 'EINVAL');
    }));

  test('amdgpu_amdkfd_gpuvm_free_memory_of_gpu: freeing a BO still mapped → EBUSY', () =>
    withKfd(G1100, (k) => {
      const bo = k.allocMapped(PAGE);
      assert.equal(k.errno(IOC.FREE_MEMORY_OF_GPU, { handle: bo.handle }), 'EBUSY');
    }));

  test('kfd_ioctl_free_memory_of_gpu: the event page BO (p->signal_handle) → EPERM', () =>
    withKfd(G1100, (k) => {
      const page = eventPage(k);
      k.call(IOC.CREATE_EVENT, { event_page_offset: page.handle, event_type: kfd.KFD_IOC_EVENT.SIGNAL });
      assert.equal(k.errno(IOC.FREE_MEMORY_OF_GPU, { handle: page.handle }), 'EPERM');
    }));
});

describe('kfd_ioctl_create_queue', () => {
  test('set_queue_properties_from_user: queue_percentage 101 → EINVAL; bits 8-15 (pm4_target_xcc) are not part of the percentage', () =>
    withKfd(G1100, (k) => {
      assert.equal(k.createQueue({ ...sdmaQueueArgs(k), queue_percentage: 101 }).errno, 'EINVAL');
      assert.equal(k.createQueue({ ...sdmaQueueArgs(k), queue_percentage: 0x0164 }).errno, 'OK');
    }));

  test('set_queue_properties_from_user: queue_priority 16 > KFD_MAX_QUEUE_PRIORITY → EINVAL', () =>
    withKfd(G1100, (k) => assert.equal(k.createQueue({ ...sdmaQueueArgs(k), queue_priority: 16 }).errno, 'EINVAL')));

  test('set_queue_properties_from_user: ring size 3000, not a power of two → EINVAL', () =>
    withKfd(G1100, (k) => assert.equal(k.createQueue({ ...sdmaQueueArgs(k), ring_size: 3000 }).errno, 'EINVAL')));

  test('set_queue_properties_from_user (surprising): ring_size 0 and 256 are raised to KFD_MIN_QUEUE_RING_SIZE 1024 and written back', () =>
    withKfd(G1100_KFD11, (k) => {
      for (const size of [0, 256]) {
        const r = k.createQueue({ ...sdmaQueueArgs(k), ring_size: size });
        assert.equal(r.errno, 'OK');
        assert.equal(r.out.ring_size, 1024);
      }
    }));

  test('set_queue_properties_from_user: a ring base above TASK_SIZE_MAX → EFAULT (access_ok)', () =>
    withKfd(G1100, (k) => assert.equal(k.createQueue({ ...sdmaQueueArgs(k), ring_base_address: KERNEL_ADDRESS }).errno, 'EFAULT')));

  test('set_queue_properties_from_user: a write pointer above TASK_SIZE_MAX → EFAULT', () =>
    withKfd(G1100, (k) => assert.equal(k.createQueue({ ...sdmaQueueArgs(k), write_pointer_address: KERNEL_ADDRESS }).errno, 'EFAULT')));

  test('kfd_queue_buffer_get (surprising): NULL ring base or read pointer pass access_ok; KFD 1.17 refuses them (EINVAL), KFD 1.11 accepts them', async () => {
    await withKfd(G1100, (k) => {
      assert.equal(k.createQueue({ ...sdmaQueueArgs(k), ring_base_address: 0n }).errno, 'EINVAL');
      assert.equal(k.createQueue({ ...sdmaQueueArgs(k), read_pointer_address: 0n }).errno, 'EINVAL');
    });
    await withKfd(G1100_KFD11, (k) => {
      assert.equal(k.createQueue({ ...sdmaQueueArgs(k), ring_base_address: 0n }).errno, 'OK');
      assert.equal(k.createQueue({ ...sdmaQueueArgs(k), read_pointer_address: 0n }).errno, 'OK');
    });
  });

  test('set_queue_properties_from_user: queue_type 9 → -ENOTSUPP, the kernel-internal errno 524', () =>
    withKfd(G1100, (k) => assert.equal(k.createQueue({ ...sdmaQueueArgs(k), queue_type: 9 }).errno, 'ENOTSUPP')));

  test('set_queue_properties_from_user: SDMA_BY_ENG_ID is unknown to KFD 1.11 → errno 524 (ENOTSUPP)', () =>
    withKfd(G1100_KFD11, (k) => assert.equal(k.createQueue(sdmaQueueArgs(k, Q.SDMA_BY_ENG_ID)).errno, 'ENOTSUPP')));

  test('kfd_ioctl_create_queue: sdma_engine_id 2 on a GPU with 2 SDMA engines → EINVAL; engine 1 → OK', () =>
    withKfd(G1100, (k) => {
      assert.equal(k.createQueue({ ...sdmaQueueArgs(k, Q.SDMA_BY_ENG_ID), sdma_engine_id: 2 }).errno, 'EINVAL');
      assert.equal(k.createQueue({ ...sdmaQueueArgs(k, Q.SDMA_BY_ENG_ID), sdma_engine_id: 1 }).errno, 'OK');
    }));

  test('kfd_ioctl_create_queue: unknown gpu_id → EINVAL', () =>
    withKfd(G1100, (k) => assert.equal(k.createQueue({ ...sdmaQueueArgs(k), gpu_id: 0x4242 }).errno, 'EINVAL')));

  test('kfd_queue_acquire_buffers: a wrong eop_buffer_size → EINVAL on KFD 1.17, accepted by KFD 1.11', async () => {
    for (const [spec, expected] of [[G1100, 'EINVAL'], [G1100_KFD11, 'OK']] as const) {
      await withKfd(spec, (k) => assert.equal(k.createQueue({ ...k.computeQueueArgs(), eop_buffer_size: 8192n }).errno, expected, spec));
    }
  });

  test('kfd_queue_acquire_buffers: ctx_save_restore_size other than the node cwsr_size → EINVAL on KFD 1.17, accepted by KFD 1.11', async () => {
    for (const [spec, expected] of [[G1100, 'EINVAL'], [G1100_KFD11, 'OK']] as const) {
      await withKfd(spec, (k) => {
        const args = k.computeQueueArgs();
        assert.equal(k.createQueue({ ...args, ctx_save_restore_size: args.ctx_save_restore_size! - PAGE }).errno, expected, spec);
      });
    }
  });

  test('kfd_queue_acquire_buffers: ctl_stack_size other than the node ctl_stack_size → EINVAL on KFD 1.17; the exact sizes → OK', () =>
    withKfd(G1100, (k) => {
      const args = k.computeQueueArgs();
      assert.equal(k.createQueue({ ...args, ctl_stack_size: args.ctl_stack_size! + PAGE }).errno, 'EINVAL');
      assert.equal(k.createQueue(args).errno, 'OK');
    }));

  test('kfd_queue_buffer_get: a ring BO larger than ring_size → EINVAL on KFD 1.17', () =>
    withKfd(G1100, (k) => {
      const ring = k.allocMapped(4 * PAGE);
      assert.equal(k.createQueue({ ...sdmaQueueArgs(k), ring_base_address: ring.va, ring_size: PAGE }).errno, 'EINVAL');
    }));

  test('allocate_sdma_queue: the 13th SDMA queue on a GPU with 2 engines × 6 queues → ENOMEM', () =>
    withKfd(G1100, (k) => {
      const args = sdmaQueueArgs(k);
      for (let i = 0; i < 12; i++) assert.equal(k.createQueue(args).errno, 'OK', `queue ${i}`);
      assert.equal(k.createQueue(args).errno, 'ENOMEM');
    }));

  test('pqm_destroy_queue: an unknown queue id → EINVAL; pqm_update_queue_properties: unknown queue → EFAULT', () =>
    withKfd(G1100, (k) => {
      assert.equal(k.errno(IOC.DESTROY_QUEUE, { queue_id: 5 }), 'EINVAL');
      assert.equal(k.errno(IOC.UPDATE_QUEUE, { queue_id: 5, queue_percentage: 100 }), 'EFAULT');
    }));
});

describe('KFD events (kfd_events.c)', () => {
  test('allocate_signal_page (surprising): a signal event without an event page succeeds — KFD allocates one; event id 0 is reserved, the first id is 1', () =>
    withKfd(G1100, (k) => {
      const r = k.try(IOC.CREATE_EVENT, { event_type: kfd.KFD_IOC_EVENT.SIGNAL });
      assert.equal(r.errno, 'OK');
      assert.equal(r.out.event_id, 1);
      assert.equal(r.out.event_slot_index, 1);
      assert.equal(r.out.event_page_offset, kfd.KFD_MMAP.TYPE_EVENTS);
    }));

  test('kfd_kmap_event_page: an event page handed over after KFD allocated its own → EINVAL', () =>
    withKfd(G1100, (k) => {
      k.call(IOC.CREATE_EVENT, { event_type: kfd.KFD_IOC_EVENT.SIGNAL });
      assert.equal(k.errno(IOC.CREATE_EVENT, { event_page_offset: eventPage(k).handle, event_type: kfd.KFD_IOC_EVENT.SIGNAL }), 'EINVAL');
    }));

  test('kfd_kmap_event_page: an event page handle with an unknown GPU, or naming no BO → EINVAL', () =>
    withKfd(G1100, (k) => {
      assert.equal(k.errno(IOC.CREATE_EVENT, { event_page_offset: (0x4242n << 32n) | 1n, event_type: 0 }), 'EINVAL');
      assert.equal(k.errno(IOC.CREATE_EVENT, { event_page_offset: (BigInt(k.gpuId) << 32n) | 99n, event_type: 0 }), 'EINVAL');
    }));

  test('create_signal_event: the kernel-allocated page maps 256 slots — 255 signal events, the 256th → ENOSPC', () =>
    withKfd(G1100, (k) => {
      for (let i = 1; i <= 255; i++) assert.equal(k.call(IOC.CREATE_EVENT, { event_type: kfd.KFD_IOC_EVENT.SIGNAL }).event_id, i);
      assert.equal(k.errno(IOC.CREATE_EVENT, { event_type: kfd.KFD_IOC_EVENT.SIGNAL }), 'ENOSPC');
      // Other events do not use signal slots.
      assert.equal(k.call(IOC.CREATE_EVENT, { event_type: kfd.KFD_IOC_EVENT.MEMORY }).event_id, NONSIGNAL);
    }));

  test('kfd_event_destroy: an unknown event id (and the reserved id 0) → EINVAL', () =>
    withKfd(G1100, (k) => {
      assert.equal(k.errno(IOC.DESTROY_EVENT, { event_id: 77 }), 'EINVAL');
      assert.equal(k.errno(IOC.DESTROY_EVENT, { event_id: 0 }), 'EINVAL');
    }));

  test('kfd_set_event / kfd_reset_event: unknown id → EINVAL; a MEMORY event cannot be set or reset by the CPU → EINVAL', () =>
    withKfd(G1100, (k) => {
      assert.equal(k.errno(IOC.SET_EVENT, { event_id: 77 }), 'EINVAL');
      assert.equal(k.errno(IOC.RESET_EVENT, { event_id: 77 }), 'EINVAL');
      const mem = k.call(IOC.CREATE_EVENT, { event_type: kfd.KFD_IOC_EVENT.MEMORY }).event_id;
      assert.equal(k.errno(IOC.SET_EVENT, { event_id: mem }), 'EINVAL');
      assert.equal(k.errno(IOC.RESET_EVENT, { event_id: mem }), 'EINVAL');
    }));

  test('test_event_condition (surprising): waiting on 0 events completes at once (wait_result COMPLETE), even with wait_for_all 0', () =>
    withKfd(G1100, (k) => {
      const t0 = performance.now();
      const r = k.try(IOC.WAIT_EVENTS, { events_ptr: 0n, num_events: 0, wait_for_all: 0, timeout: 2000 });
      assert.equal(r.errno, 'OK');
      assert.equal(r.out.wait_result, kfd.KFD_IOC_WAIT_RESULT.COMPLETE);
      assert.ok(performance.now() - t0 < 1000);
    }));

  test('alloc_event_waiters: num_events 0xffffffff cannot be allocated → ENOMEM with wait_result FAIL', () =>
    withKfd(G1100, (k) => {
      const r = k.try(IOC.WAIT_EVENTS, { events_ptr: 0n, num_events: 0xffffffff, timeout: 0 });
      assert.equal(r.errno, 'ENOMEM');
      assert.equal(r.out.wait_result, kfd.KFD_IOC_WAIT_RESULT.FAIL);
    }));

  test('init_event_waiter: waiting on an unknown event id → EINVAL with wait_result FAIL', () =>
    withKfd(G1100, (k) => {
      const r = k.try(IOC.WAIT_EVENTS, { events_ptr: eventList(k, [123]), num_events: 1, timeout: 0, wait_result: 0 });
      assert.equal(r.errno, 'EINVAL');
      assert.equal(r.out.wait_result, kfd.KFD_IOC_WAIT_RESULT.FAIL);
    }));

  test('kfd_wait_on_events: an unsignaled event times out — returns 0 with KFD_IOC_WAIT_RESULT_TIMEOUT after the timeout', () =>
    withKfd(G1100, (k) => {
      const id = k.call(IOC.CREATE_EVENT, { event_type: kfd.KFD_IOC_EVENT.SIGNAL }).event_id;
      const t0 = performance.now();
      const r = k.try(IOC.WAIT_EVENTS, { events_ptr: eventList(k, [id]), num_events: 1, timeout: 50 });
      const waited = performance.now() - t0;
      assert.equal(r.errno, 'OK');
      assert.equal(r.out.wait_result, kfd.KFD_IOC_WAIT_RESULT.TIMEOUT);
      assert.ok(waited >= 45 && waited < 2000, `waited ${waited} ms`);
    }));

  test('kfd_set_event then kfd_wait_on_events: COMPLETE; an auto-reset event then times out on the next wait', () =>
    withKfd(G1100, (k) => {
      const id = k.call(IOC.CREATE_EVENT, { event_type: kfd.KFD_IOC_EVENT.SIGNAL, auto_reset: 1 }).event_id;
      k.call(IOC.SET_EVENT, { event_id: id });
      const list = eventList(k, [id]);
      assert.equal(k.call(IOC.WAIT_EVENTS, { events_ptr: list, num_events: 1, timeout: 0 }).wait_result, kfd.KFD_IOC_WAIT_RESULT.COMPLETE);
      assert.equal(k.call(IOC.WAIT_EVENTS, { events_ptr: list, num_events: 1, timeout: 0 }).wait_result, kfd.KFD_IOC_WAIT_RESULT.TIMEOUT);
    }));
});

describe('process and device ioctls', () => {
  test('kfd_ioctl_get_process_apertures_new: num_of_nodes 0 returns the node count; 1 of 2 fills one entry and returns 1 (not the count needed)', () =>
    withKfd('emu:gfx1100x2', (k) => {
      assert.equal(k.call(IOC.GET_PROCESS_APERTURES_NEW, { num_of_nodes: 0 }).num_of_nodes, 2);
      const out = k.userMemory(2 * kfd.processDeviceApertures.size);
      const r = k.call(IOC.GET_PROCESS_APERTURES_NEW, { kfd_process_device_apertures_ptr: out.address, num_of_nodes: 1 });
      assert.equal(r.num_of_nodes, 1);
      assert.equal(kfd.processDeviceApertures.decode(out.bytes, 0).gpu_id, k.gpus[0]!.gpuId);
      assert.equal(kfd.processDeviceApertures.decode(out.bytes, kfd.processDeviceApertures.size).gpu_id, 0);
    }));

  test('kfd_ioctl_set_memory_policy: default_policy 2 → EINVAL, checked before the GPU (unknown gpu_id also EINVAL)', () =>
    withKfd(G1100, (k) => {
      assert.equal(k.errno(IOC.SET_MEMORY_POLICY, { gpu_id: k.gpuId, default_policy: 2, alternate_policy: 0 }), 'EINVAL');
      assert.equal(k.errno(IOC.SET_MEMORY_POLICY, { gpu_id: 0x4242, default_policy: 0, alternate_policy: 0 }), 'EINVAL');
      assert.equal(k.errno(IOC.SET_MEMORY_POLICY, { gpu_id: k.gpuId, default_policy: 1, alternate_policy: 0 }), 'OK');
    }));

  test('kfd_ioctl_set_scratch_backing_va: unknown gpu_id → EINVAL', () =>
    withKfd(G1100, (k) => assert.equal(k.errno(IOC.SET_SCRATCH_BACKING_VA, { va_addr: 0x200000000n, gpu_id: 0x4242 }), 'EINVAL')));

  test('runtime_enable: a second enable → EBUSY; enabling after a queue exists → EEXIST; disable then enable → 0', async () => {
    await withKfd(G1100, (k) => {
      assert.equal(k.errno(IOC.RUNTIME_ENABLE, { mode_mask: 1 }), 'OK');
      assert.equal(k.errno(IOC.RUNTIME_ENABLE, { mode_mask: 1 }), 'EBUSY');
      assert.equal(k.errno(IOC.RUNTIME_ENABLE, { mode_mask: 0 }), 'OK');
      assert.equal(k.createQueue(sdmaQueueArgs(k)).errno, 'OK');
      assert.equal(k.errno(IOC.RUNTIME_ENABLE, { mode_mask: 1 }), 'EEXIST');
    });
  });

  test('kfd_ioctl_get_clock_counters: non-zero, monotonic, 1 GHz system clock; an unknown gpu_id is not an error (GPU counter 0)', () =>
    withKfd(G1100, (k) => {
      const a = k.call(IOC.GET_CLOCK_COUNTERS, { gpu_id: k.gpuId });
      const b = k.call(IOC.GET_CLOCK_COUNTERS, { gpu_id: k.gpuId });
      for (const f of ['gpu_clock_counter', 'cpu_clock_counter', 'system_clock_counter'] as const) {
        assert.ok(a[f] > 0n, f);
        assert.ok(b[f] >= a[f], f);
      }
      assert.equal(a.system_clock_freq, 1_000_000_000n);
      const none = k.try(IOC.GET_CLOCK_COUNTERS, { gpu_id: 0x4242 });
      assert.equal(none.errno, 'OK');
      assert.equal(none.out.gpu_clock_counter, 0n);
      assert.ok(none.out.cpu_clock_counter > 0n);
    }));
});
