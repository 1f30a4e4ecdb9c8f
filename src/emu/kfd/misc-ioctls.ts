// KFD ioctls about the process and its devices (kfd_chardev.c).
import * as kfd from '../../uapi/kfd.js';
import { gpuClock } from '../engine/clock.js';
import { fail } from './errors.js';
import { gpuById, type KfdState } from './state.js';
import type { EmuGpu } from '../gpu.js';
import { gbAddrConfigOf } from '../models/target-ip.js';

// kfd_flat_memory.c, gfx9 and later: LDS and scratch apertures in the 64-bit hole, GPUVM from
// SVM_USER_BASE (two pages of CWSR TBA/TMA plus two) to the end of the 47-bit user VA range.
const LDS_BASE = 1n << 48n;
const SCRATCH_BASE = 2n << 48n;
const apertureLimit = (base: bigint): bigint => (base & 0xffffffff00000000n) | 0xffffffffn;
export const SVM_USER_BASE = 4n * 4096n;
export const GPUVM_LIMIT = (1n << 47n) - 1n;

/** kfd_process_device_data_by_id: every GPU has process-device data from open; an unknown id → EINVAL. */
export function requireGpu(k: KfdState, gpuId: number, where: string): EmuGpu {
  const g = gpuById(k, gpuId);
  if (!g) fail('EINVAL', where, `no GPU with gpu_id ${gpuId} (kfd_process_device_data_by_id found none)`);
  return g;
}

/**
 * kfd_bind_process_to_device fails with -ENODEV until ACQUIRE_VM gave the GPU a VM. Some callers pass
 * that through; kfd_ioctl_create_queue, _set_memory_policy and _set_trap_handler replace it by -ESRCH.
 */
export function requireBoundGpu(k: KfdState, gpuId: number, where: string, unbound: 'ENODEV' | 'ESRCH'): EmuGpu {
  const g = requireGpu(k, gpuId, where);
  if (!k.vmAcquired.has(g)) fail(unbound, where, `gpu_id ${gpuId}: the process has not acquired this GPU's VM (call AMDKFD_IOC_ACQUIRE_VM first; kfd_bind_process_to_device)`);
  return g;
}

export function getVersion(k: KfdState, arg: Uint8Array): void {
  kfd.getVersionArgs.encode({ major_version: 1, minor_version: k.kfdMinor }, arg);
}

export function acquireVm(k: KfdState, arg: Uint8Array): void {
  const a = kfd.acquireVmArgs.decode(arg);
  const where = 'kfd_ioctl_acquire_vm';
  const g = requireGpu(k, a.gpu_id, where);
  const fdGpu = k.renderFds.get(a.drm_fd);
  if (!fdGpu) fail('EINVAL', where, `drm_fd ${a.drm_fd} is not an open render node`);
  if (fdGpu !== g) fail('EINVAL', where, `drm_fd ${a.drm_fd} is the render node of another GPU (gpu_id ${fdGpu.gpuId})`);
  const prev = k.vmAcquired.get(g);
  if (prev !== undefined && prev !== a.drm_fd) fail('EBUSY', 'kfd_process_device_init_vm', `gpu_id ${a.gpu_id}: VM already acquired through fd ${prev}`);
  k.vmAcquired.set(g, a.drm_fd);
}

export function getProcessAperturesNew(k: KfdState, arg: Uint8Array): void {
  const a = kfd.getProcessAperturesNewArgs.decode(arg);
  const bound = k.gpus;
  if (a.num_of_nodes === 0) {
    kfd.getProcessAperturesNewArgs.encode({ ...a, num_of_nodes: bound.length }, arg);
    return;
  }
  const n = Math.min(a.num_of_nodes, bound.length);
  // The count is written before copy_to_user, and kfd_ioctl copies the args back even on -EFAULT.
  kfd.getProcessAperturesNewArgs.encode({ ...a, num_of_nodes: n }, arg);
  const out = new Uint8Array(n * kfd.processDeviceApertures.size);
  bound.slice(0, n).forEach((g, i) => {
    kfd.processDeviceApertures.encode(
      {
        lds_base: LDS_BASE,
        lds_limit: apertureLimit(LDS_BASE),
        scratch_base: SCRATCH_BASE,
        scratch_limit: apertureLimit(SCRATCH_BASE),
        gpuvm_base: SVM_USER_BASE,
        gpuvm_limit: GPUVM_LIMIT,
        gpu_id: g.gpuId,
      },
      out,
      i * kfd.processDeviceApertures.size,
    );
  });
  k.user.write(a.kfd_process_device_apertures_ptr, out, 'kfd_ioctl_get_process_apertures_new');
}

/** amdgpu_amdkfd_get_tile_config: tile_mode_array[32] and macrotile_mode_array[16] of gfx.config. */
const NUM_TILE_CONFIGS = 32;
const NUM_MACRO_TILE_CONFIGS = 16;

/**
 * kfd_ioctl_get_tile_config (kfd_chardev.c) with amdgpu_amdkfd_get_tile_config (amdgpu_amdkfd.c):
 * gb_addr_config from gfx.config; num_banks, num_ranks and both tile-mode arrays are "not set from
 * GFX9 onwards" (every target the emulator has), so they read as zeros. The counts are clamped to the arrays' lengths and that many
 * u32s are copied to the caller's pointers (-EFAULT on a bad pointer, with the count set to 0).
 * Used by ROCr's image extension (ImageManagerKv::Initialize, which HIP's start-up runs).
 */
export function getTileConfig(k: KfdState, arg: Uint8Array): void {
  const where = 'kfd_ioctl_get_tile_config';
  const a = kfd.getTileConfigArgs.decode(arg);
  const g = requireGpu(k, a.gpu_id, where);
  const gbAddrConfig = gbAddrConfigOf(g.target.name);
  if (gbAddrConfig === undefined) fail('EINVAL', where, `GB_ADDR_CONFIG of the emulated ${g.target.name} is not known`);
  const out = { ...a, gb_addr_config: gbAddrConfig, num_banks: 0, num_ranks: 0 };
  out.num_tile_configs = Math.min(a.num_tile_configs, NUM_TILE_CONFIGS);
  out.num_macro_tile_configs = Math.min(a.num_macro_tile_configs, NUM_MACRO_TILE_CONFIGS);
  kfd.getTileConfigArgs.encode(out, arg);
  try {
    if (out.num_tile_configs) k.user.write(a.tile_config_ptr, new Uint8Array(out.num_tile_configs * 4), where);
  } catch (e) {
    kfd.getTileConfigArgs.encode({ ...out, num_tile_configs: 0 }, arg);
    throw e;
  }
  try {
    if (out.num_macro_tile_configs) k.user.write(a.macro_tile_config_ptr, new Uint8Array(out.num_macro_tile_configs * 4), where);
  } catch (e) {
    kfd.getTileConfigArgs.encode({ ...out, num_macro_tile_configs: 0 }, arg);
    throw e;
  }
}

export function setMemoryPolicy(k: KfdState, arg: Uint8Array): void {
  const a = kfd.setMemoryPolicyArgs.decode(arg);
  const where = 'kfd_ioctl_set_memory_policy';
  const valid = (p: number): boolean => p === kfd.KFD_IOC_CACHE_POLICY.COHERENT || p === kfd.KFD_IOC_CACHE_POLICY.NONCOHERENT;
  if (!valid(a.default_policy) || !valid(a.alternate_policy)) fail('EINVAL', where, `cache policy ${a.default_policy}/${a.alternate_policy} is neither COHERENT (0) nor NONCOHERENT (1)`);
  requireBoundGpu(k, a.gpu_id, where, 'ESRCH');
}

export function setScratchBackingVa(k: KfdState, arg: Uint8Array): void {
  const a = kfd.setScratchBackingVaArgs.decode(arg);
  const g = requireBoundGpu(k, a.gpu_id, 'kfd_ioctl_set_scratch_backing_va', 'ENODEV');
  g.link.call({ op: 'scratch', va: a.va_addr });
}

/**
 * kfd_ioctl_set_xnack_mode: a negative value queries the process's mode (off: the kernel's default with
 * amdgpu.noretry on gfx9, and the only mode on gfx10+); changing it needs a process without queues. The
 * emulator does not model XNACK retry faults, so turning XNACK on is refused as on a GPU without XNACK.
 */
export function setXnackMode(k: KfdState, arg: Uint8Array): void {
  const where = 'kfd_ioctl_set_xnack_mode';
  const a = kfd.setXnackModeArgs.decode(arg);
  if (a.xnack_enabled < 0) {
    kfd.setXnackModeArgs.encode({ xnack_enabled: 0 }, arg);
    return;
  }
  if (k.queues.size > 0) fail('EBUSY', where, `the process has ${k.queues.size} queue(s); change the XNACK mode before creating queues`);
  if (a.xnack_enabled !== 0) fail('EPERM', 'kfd_process_xnack_mode', 'the emulated GPUs do not support XNACK (retry faults are not modelled)');
}

export function setTrapHandler(k: KfdState, arg: Uint8Array): void {
  const a = kfd.setTrapHandlerArgs.decode(arg);
  requireBoundGpu(k, a.gpu_id, 'kfd_ioctl_set_trap_handler', 'ESRCH');
}

/** kfd_ioctl_runtime_enable → runtime_enable / runtime_disable; the arguments are not written back. */
export function runtimeEnable(k: KfdState, arg: Uint8Array): void {
  const a = kfd.runtimeEnableArgs.decode(arg);
  const where = 'runtime_enable';
  if (a.mode_mask & kfd.KFD_RUNTIME_ENABLE_MODE.ENABLE_MASK) {
    if (k.runtimeEnabled) fail('EBUSY', where, 'the runtime is already enabled for this process');
    if (k.queues.size > 0) fail('EEXIST', where, `the process already has ${k.queues.size} queue(s); enable the runtime before creating queues`);
    k.runtimeEnabled = true;
  } else {
    k.runtimeEnabled = false;
  }
}

/** kfd_ioctl_get_clock_counters: an unknown gpu_id is not an error; its GPU counter reads 0. */
export function getClockCounters(k: KfdState, arg: Uint8Array): void {
  const a = kfd.getClockCountersArgs.decode(arg);
  const g = gpuById(k, a.gpu_id);
  const ns = process.hrtime.bigint();
  kfd.getClockCountersArgs.encode({ ...a, gpu_clock_counter: g ? gpuClock() : 0n, cpu_clock_counter: ns, system_clock_counter: ns, system_clock_freq: 1_000_000_000n }, arg);
}
