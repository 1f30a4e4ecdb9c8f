// The emulated render node (/dev/dri/renderD*): VERSION and INFO here, answered with the kernel's
// copy-out rules (drivers/gpu/drm/drm_ioctl.c, drivers/gpu/drm/amd/amdgpu/amdgpu_kms.c); buffers,
// submission and sync objects in dispatch.ts.
import * as drm from '../../uapi/drm.js';
import { fail } from '../kfd/errors.js';
import { iocNr, iocSize, iocType } from '../../uapi/ioc.js';
import type { UserMemory } from '../kfd/user-memory.js';
import { MODELS } from '../models/models.js';
import { TARGET_INFO } from '../models/target-ip.js';
import type { KfdState } from '../kfd/state.js';
import type { EmuGpu } from '../gpu.js';
import type { StructInput, StructLayout } from '../../uapi/codec.js';
import type { DrmState } from './kernel.js';
import type { DrmFile } from './state.js';
import { drmSubmitIoctl } from './dispatch.js';

type InputOf<L> = L extends StructLayout<infer F> ? StructInput<F> : never;

/** What the emulated amdgpu reports in DRM_IOCTL_VERSION: the Linux 6.12 generation (KMS 3.59). */
export const EMU_DRM_VERSION = { major: 3, minor: 59, patchlevel: 0, name: 'amdgpu', date: '20150101', desc: 'AMD GPU' } as const;

/** drm_amdgpu_info_device.gpu_counter_freq: the 100 MHz GPU timestamp counter, in kHz. */
export const GPU_COUNTER_FREQ_KHZ = 100_000;

// Fixed firmware versions the emulated GPU reports (plausible values; MEC and SDMA come from the
// topology capture, as the kernel prints the same numbers in the KFD node properties).
const FIXED_FW: Readonly<Record<number, { ver: number; feature: number }>> = {
  [drm.AMDGPU_INFO_FW.GFX_ME]: { ver: 1_530, feature: 29 },
  [drm.AMDGPU_INFO_FW.GFX_PFP]: { ver: 1_580, feature: 29 },
  [drm.AMDGPU_INFO_FW.GFX_RLC]: { ver: 102, feature: 1 },
  [drm.AMDGPU_INFO_FW.SMC]: { ver: 0x004e_5a00, feature: 0 },
  [drm.AMDGPU_INFO_FW.SOS]: { ver: 0x0027_0053, feature: 0 },
  [drm.AMDGPU_INFO_FW.ASD]: { ver: 0x2100_0110, feature: 0 },
  [drm.AMDGPU_INFO_FW.TA]: { ver: 0x1b00_0001, feature: 0 },
  [drm.AMDGPU_INFO_FW.VCN]: { ver: 0x0211_d008, feature: 0 },
  [drm.AMDGPU_INFO_FW.GMC]: { ver: 0, feature: 0 },
};

/** Compute rings the kernel creates per GPU (amdgpu_num_kcq default 8) and GFX rings on gfx11. */
const COMPUTE_RINGS = 8;
const GFX_RINGS = 1;

/**
 * The command numbers amdgpu_ioctls_kms[] (amdgpu_drv.c, Linux 6.12) has a handler for, as offsets from
 * DRM_COMMAND_BASE: GEM_CREATE … WAIT_CS (0x00-0x09), GEM_OP … SCHED (0x10-0x15). The table ends at
 * SCHED; 0x0a-0x0f are holes in it.
 */
const AMDGPU_KMS_COMMANDS = new Set([0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15]);
/** drm.h: driver commands are DRM_COMMAND_BASE (0x40) up to DRM_COMMAND_END (0xa0). */
const DRM_COMMAND_END = 0xa0;

export function renderIoctl(k: KfdState, d: DrmState, file: DrmFile, request: number, arg: Uint8Array): void {
  const gpu = file.gpu;
  // drm_ioctl (drm_ioctl.c) looks at the command before it copies anything: another subsystem's request
  // (glibc's isatty sends TCGETS) is ENOTTY; a driver command amdgpu has no handler for is EINVAL.
  if (iocType(request) !== drm.DRM_IOCTL_BASE) fail('ENOTTY', 'drm_ioctl', `request 0x${request.toString(16)} is not a DRM ioctl (type 0x${iocType(request).toString(16)})`);
  const nr = iocNr(request);
  if (nr >= drm.DRM_COMMAND_BASE && nr < DRM_COMMAND_END && !AMDGPU_KMS_COMMANDS.has(nr - drm.DRM_COMMAND_BASE)) {
    fail('EINVAL', 'drm_ioctl', `driver command 0x${(nr - drm.DRM_COMMAND_BASE).toString(16)} has no handler in amdgpu_ioctls_kms`);
  }
  // drm_ioctl copies _IOC_SIZE(cmd) bytes in (copy_from_user): a shorter argument is EFAULT.
  const usize = iocSize(request);
  if (arg.byteLength < usize) fail('EFAULT', 'drm_ioctl', `request 0x${request.toString(16)} says ${usize} bytes but the argument buffer has ${arg.byteLength}`);
  switch (request) {
    case drm.DRM_IOC.VERSION.request:
      return drmVersion(k.user, arg);
    case drm.DRM_IOC.AMDGPU_INFO.request:
      return amdgpuInfo(k, gpu, arg);
  }
  if (drmSubmitIoctl(d, file, request, arg)) return;
  fail('ENOTTY', 'drm_ioctl', `render node of gpu_id ${gpu.gpuId}: request 0x${request.toString(16)} is not implemented by the emulator`);
}

// ---- DRM_IOCTL_VERSION ----

/**
 * drm_version(): each string is copied as drm_copy_field() does — at most the caller's length, no
 * terminating NUL, nothing when the pointer is NULL or the length 0 — and its length is set to the
 * full string length, so a first call with zero lengths learns the sizes.
 */
function drmVersion(user: UserMemory, arg: Uint8Array): void {
  const v = drm.drmVersionArgs.decode(arg);
  const name = copyField(user, v.name, v.name_len, EMU_DRM_VERSION.name);
  const date = copyField(user, v.date, v.date_len, EMU_DRM_VERSION.date);
  const desc = copyField(user, v.desc, v.desc_len, EMU_DRM_VERSION.desc);
  drm.drmVersionArgs.encode(
    {
      ...v,
      version_major: EMU_DRM_VERSION.major,
      version_minor: EMU_DRM_VERSION.minor,
      version_patchlevel: EMU_DRM_VERSION.patchlevel,
      name_len: name,
      date_len: date,
      desc_len: desc,
    },
    arg,
  );
}

function copyField(user: UserMemory, ptr: bigint, bufLen: bigint, value: string): bigint {
  const bytes = new TextEncoder().encode(value);
  const len = bufLen < BigInt(bytes.length) ? Number(bufLen) : bytes.length;
  if (len > 0 && ptr !== 0n) user.write(ptr, bytes.subarray(0, len), 'drm_copy_field');
  return BigInt(bytes.length);
}

// ---- DRM_IOCTL_AMDGPU_INFO ----

/**
 * amdgpu_info_ioctl(): NULL return_pointer or zero return_size → EINVAL; each query copies
 * min(return_size, sizeof(result)) bytes (EFAULT when the destination is not writable memory);
 * an unknown query or sub-query → EINVAL.
 */
function amdgpuInfo(k: KfdState, gpu: EmuGpu, arg: Uint8Array): void {
  const where = 'amdgpu_info_ioctl';
  const info = drm.infoArgs.decode(arg);
  if (info.return_pointer === 0n || info.return_size === 0) fail('EINVAL', where, 'return_pointer is NULL or return_size is 0');
  const words = [info.query_fw.fw_type, info.query_fw.ip_instance, info.query_fw.index];
  const result = infoResult(k, gpu, info.query, words);
  const n = Math.min(info.return_size, result.byteLength);
  k.user.write(info.return_pointer, result.subarray(0, n), where);
}

function infoResult(k: KfdState, gpu: EmuGpu, query: number, words: readonly number[]): Uint8Array {
  const Q = drm.AMDGPU_INFO;
  switch (query) {
    case Q.ACCEL_WORKING:
      return u32(1);
    case Q.DEV_INFO:
      return drm.infoDevice.encode(deviceInfo(gpu));
    case Q.VRAM_GTT: {
      const m = memory(k, gpu);
      return drm.infoVramGtt.encode({ vram_size: m.vramUsable, vram_cpu_accessible_size: m.vramUsable, gtt_size: m.gttUsable });
    }
    case Q.MEMORY:
      return drm.memoryInfo.encode(memoryInfo(k, gpu));
    case Q.VRAM_USAGE:
      return u64(gpu.vramUsed);
    case Q.VIS_VRAM_USAGE:
      return u64(gpu.vramUsed);
    case Q.GTT_USAGE:
      return u64(memory(k, gpu).gttUsed);
    case Q.FW_VERSION:
      return drm.infoFirmware.encode(firmware(gpu, words[0]!, words[1]!, words[2]!));
    case Q.HW_IP_INFO:
      return drm.infoHwIp.encode(hwIpInfo(gpu, words[0]!, words[1]!));
    case Q.SENSOR:
      return u32(sensor(gpu, words[0]!));
    case Q.READ_MMR_REG:
      return readRegisters(gpu, words[0]!, words[1]!);
  }
  return fail('EINVAL', 'amdgpu_info_ioctl', `invalid request ${query} (query id 0x${query.toString(16)})`);
}

/**
 * The one register libdrm reads: gc_9_0_offset.h mmGB_ADDR_CONFIG 0x063e in GC's first register base (0x2000),
 * and on gfx11/gfx12 regGB_ADDR_CONFIG 0x13de in GC segment 0 (0x1260): the same absolute dword.
 */
const GB_ADDR_CONFIG_DWORD = 0x263e;
/** amdgpu_info_ioctl READ_MMR_REG: at most 128 registers; instance 0xffffffff is "broadcast". */
const MAX_MMR_COUNT = 128;

/**
 * AMDGPU_INFO_READ_MMR_REG (the read_mmr_reg member of the query union: dword_offset, count, instance —
 * the instance selects an SE/SH, which GB_ADDR_CONFIG does not depend on):
 * only registers on the kernel's allow-list are readable (soc15_allowed_read_registers); the emulator
 * answers GB_ADDR_CONFIG where the kernel's value is known and refuses the rest as an unlisted register.
 */
function readRegisters(gpu: EmuGpu, dwordOffset: number, count: number): Uint8Array {
  const where = 'amdgpu_info_ioctl READ_MMR_REG';
  // count 0 reads nothing and succeeds (kmalloc_array(0) is not NULL); past 128 is EINVAL.
  if (count > MAX_MMR_COUNT) fail('EINVAL', where, `count ${count} is more than ${MAX_MMR_COUNT}`);
  const value = targetInfo(gpu).gbAddrConfig;
  const out = new Uint8Array(count * 4);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < count; i++) {
    const reg = dwordOffset + i;
    // amdgpu_info_ioctl turns a refused register (the asic's read_register: not on its allow-list) into EFAULT.
    if (reg !== GB_ADDR_CONFIG_DWORD || value === undefined) fail('EFAULT', `${where} (unallowed offset)`, `register dword 0x${reg.toString(16)} is not readable on the emulated ${gpu.target.name}`);
    dv.setUint32(i * 4, value, true);
  }
  return out;
}

function targetInfo(gpu: EmuGpu): (typeof TARGET_INFO)[string] {
  const t = TARGET_INFO[gpu.target.name];
  if (!t) fail('EINVAL', 'amdgpu_info_ioctl', `the emulated render node has no INFO table for ${gpu.target.name}`);
  return t;
}

/** drm_amdgpu_info_device from the node's topology properties and the product model. */
export function deviceInfo(gpu: EmuGpu): InputOf<typeof drm.infoDevice> {
  const t = targetInfo(gpu);
  const p = (key: string): number => gpu.property(key);
  const shPerSe = p('simd_arrays_per_engine');
  const numSe = p('array_count') / shPerSe;
  const cuPerSh = p('cu_per_simd_array');
  const cuMask = 2 ** cuPerSh - 1;
  // cu_bitmap[4][4]: the first four SEs and four SHs (the kernel folds larger parts differently).
  const cuBitmap = Array.from({ length: 16 }, (_, i) => (Math.floor(i / 4) < numSe && i % 4 < shPerSe ? cuMask : 0));
  return {
    device_id: p('device_id'),
    chip_rev: 0,
    external_rev: 0,
    pci_rev: gpu.instance.model.pciRevision,
    family: t.family,
    num_shader_engines: numSe,
    num_shader_arrays_per_engine: shPerSe,
    gpu_counter_freq: GPU_COUNTER_FREQ_KHZ,
    max_engine_clock: BigInt(p('max_engine_clk_fcompute')) * 1000n,
    max_memory_clock: BigInt(gpu.instance.model.vramClkMhz) * 1000n,
    cu_active_number: p('simd_count') / p('simd_per_cu'),
    cu_ao_mask: 0,
    cu_bitmap: cuBitmap,
    num_hw_gfx_contexts: t.hasGfx ? 8 : 0,
    pcie_gen: 4,
    pcie_num_lanes: 16,
    ids_flags: 0n,
    // The low VA range userspace may use (AMDGPU_VA_RESERVED_BOTTOM … hole start, 48-bit VM).
    virtual_address_offset: 0x200000n,
    virtual_address_max: 0x800000000000n,
    virtual_address_alignment: 4096,
    pte_fragment_size: 2 * 1024 * 1024,
    gart_page_size: 4096,
    vram_type: t.vramType,
    vram_bit_width: gpu.instance.model.vramWidth,
    wave_front_size: p('wave_front_size'),
    num_shader_visible_vgprs: 256,
    num_cu_per_sh: cuPerSh,
    cu_ao_bitmap: cuBitmap,
    high_va_offset: 0xffff800000000000n,
    high_va_max: 0xffffffffffe00000n,
    min_engine_clock: 500_000n,
    min_memory_clock: 96_000n,
  };
}

interface MemoryState {
  vramTotal: bigint;
  vramUsable: bigint;
  gttTotal: bigint;
  gttUsable: bigint;
  gttUsed: bigint;
}

/** The system the GPU model belongs to: every system built from one GPU model has the same RAM. */
function systemMemoryBytes(gpu: EmuGpu): bigint {
  const sys = [...MODELS.values()].find((m) => m.gpu === gpu.instance.model);
  if (!sys) throw new Error(`no emulated system uses the GPU model ${gpu.instance.model.target}`);
  return sys.systemMemoryBytes;
}

function memory(k: KfdState, gpu: EmuGpu): MemoryState {
  // GTT defaults to half of system RAM (ttm_tt_pages_limit); nothing is pinned or reserved here.
  const gttTotal = systemMemoryBytes(gpu) / 2n;
  let gttUsed = 0n;
  for (const bo of k.bos.values()) if (bo.kind === 'gtt' && bo.gpu === gpu) gttUsed += BigInt(bo.size);
  return { vramTotal: gpu.vramBytes, vramUsable: gpu.vramBytes, gttTotal, gttUsable: gttTotal, gttUsed };
}

/**
 * AMDGPU_INFO_MEMORY: total, usable (total minus pinned), usage, and max_allocation = usable * 3/4.
 * All VRAM is CPU-visible (a resizable BAR as large as VRAM).
 */
function memoryInfo(k: KfdState, gpu: EmuGpu): InputOf<typeof drm.memoryInfo> {
  const m = memory(k, gpu);
  const heap = (total: bigint, usable: bigint, used: bigint) => ({ total_heap_size: total, usable_heap_size: usable, heap_usage: used, max_allocation: (usable * 3n) / 4n });
  return {
    vram: heap(m.vramTotal, m.vramUsable, gpu.vramUsed),
    cpu_accessible_vram: heap(m.vramTotal, m.vramUsable, gpu.vramUsed),
    gtt: heap(m.gttTotal, m.gttUsable, m.gttUsed),
  };
}

/** amdgpu_firmware_info(): unknown fw_type, or an SDMA index past the engines → EINVAL. */
function firmware(gpu: EmuGpu, fwType: number, _ipInstance: number, index: number): { ver: number; feature: number } {
  const F = drm.AMDGPU_INFO_FW;
  switch (fwType) {
    case F.GFX_MEC:
      return { ver: gpu.property('fw_version'), feature: 29 };
    case F.SDMA:
      if (index >= gpu.property('num_sdma_engines')) fail('EINVAL', 'amdgpu_firmware_info', `SDMA index ${index} of ${gpu.property('num_sdma_engines')} engines`);
      return { ver: gpu.property('sdma_fw_version'), feature: 0 };
    case F.GFX_CE:
      return { ver: 0, feature: 0 }; // gfx11 dropped the constant engine; compute-only parts never had one
  }
  const fixed = FIXED_FW[fwType];
  if (!fixed) fail('EINVAL', 'amdgpu_firmware_info', `unknown fw_type ${fwType}`);
  return fixed;
}

/** amdgpu_hw_ip_info(): type ≥ AMDGPU_HW_IP_NUM or an instance that does not exist → EINVAL. */
function hwIpInfo(gpu: EmuGpu, type: number, instance: number): InputOf<typeof drm.infoHwIp> {
  const where = 'amdgpu_hw_ip_info';
  const H = drm.AMDGPU_HW_IP;
  if (type > H.VPE) fail('EINVAL', where, `hw ip type ${type} out of range`);
  if (instance !== 0) fail('EINVAL', where, `hw ip instance ${instance} does not exist`);
  const t = targetInfo(gpu);
  const version = (v: readonly number[]) => ({ hw_ip_version_major: v[0]!, hw_ip_version_minor: v[1]!, ip_discovery_version: (v[0]! << 16) | (v[1]! << 8) | (v[2] ?? 0) });
  const rings = (n: number): number => (n >= 32 ? 0xffffffff : (1 << n) - 1) >>> 0;
  switch (type) {
    case H.GFX:
      return { ...version(t.gc), ib_start_alignment: 32, ib_size_alignment: 32, available_rings: t.hasGfx ? rings(GFX_RINGS) : 0 };
    case H.COMPUTE:
      return { ...version(t.gc), ib_start_alignment: 32, ib_size_alignment: 32, available_rings: rings(COMPUTE_RINGS) };
    case H.DMA:
      return { ...version(t.sdma), ib_start_alignment: 256, ib_size_alignment: 4, available_rings: rings(gpu.property('num_sdma_engines')) };
  }
  // Multimedia engines are not emulated: the IP is reported with no rings, as for a harvested block.
  return { hw_ip_version_major: 0, hw_ip_version_minor: 0, ib_start_alignment: 0, ib_size_alignment: 0, available_rings: 0 };
}

/** AMDGPU_INFO_SENSOR readings of an idle GPU, in the units amdgpu_info_ioctl converts to. */
function sensor(gpu: EmuGpu, type: number): number {
  const S = drm.AMDGPU_INFO_SENSOR;
  switch (type) {
    case S.GFX_SCLK: return 500; // MHz
    case S.GFX_MCLK: return gpu.instance.model.vramClkMhz; // MHz
    case S.GPU_TEMP: return 40_000; // millidegrees C
    case S.GPU_LOAD: return 0; // percent
    case S.GPU_AVG_POWER: return 30; // W
    case S.VDDGFX: return 800; // mV
    case S.STABLE_PSTATE_GFX_SCLK: return Math.floor(gpu.property('max_engine_clk_fcompute') * 0.6);
    case S.STABLE_PSTATE_GFX_MCLK: return gpu.instance.model.vramClkMhz;
  }
  // VDDNB exists on APUs only; the dGPU's sensor read fails and the ioctl returns EINVAL.
  return fail('EINVAL', 'amdgpu_info_ioctl', `sensor ${type} is not available on this GPU`);
}

function u32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return b;
}

function u64(v: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, v, true);
  return b;
}
