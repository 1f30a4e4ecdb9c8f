// DRM_IOCTL_VERSION and DRM_IOCTL_AMDGPU_INFO through the driver's drm-info functions, answered by the
// emulated render node: values come from the device model, and the kernel's copy-out rules hold.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { EmuHost } from '../../src/emu/host.js';
import { O_CLOEXEC, O_RDWR, MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE } from '../../src/os/host.js';
import { OsError } from '../../src/os/errors.js';
import { ERRNO } from '../../src/os/errno.js';
import * as drm from '../../src/uapi/drm.js';
import { ioc } from '../../src/uapi/ioc.js';
import { amdgpuDeviceInfo, amdgpuFirmwareVersion, amdgpuMemoryInfo, drmVersion } from '../../src/driver/drm-info.js';
import { Kfd } from '../../src/driver/kfd.js';
import { IoctlScratch } from '../../src/driver/scratch.js';

const GiB = 1n << 30n;
const hosts: EmuHost[] = [];
function emu(spec: string): { host: EmuHost; fd: number } {
  const host = new EmuHost(spec);
  hosts.push(host);
  return { host, fd: host.open(`/dev/dri/renderD${host.gpus[0]!.instance.renderMinor}`, O_RDWR | O_CLOEXEC) };
}
after(async () => {
  await Promise.all(hosts.map((h) => h.shutdown()));
});

function osError(errno: number, what: RegExp): (e: unknown) => boolean {
  return (e) => e instanceof OsError && e.errno === errno && what.test(e.message);
}

test('drmVersion: amdgpu 3.59.0 with name, date and description', () => {
  const { host, fd } = emu('emu:gfx1100');
  assert.deepEqual(drmVersion(host, fd), { major: 3, minor: 59, patch: 0, name: 'amdgpu', date: '20150101', desc: 'AMD GPU' });
});

test('DRM_IOCTL_VERSION copies at most the given lengths, without NUL, and reports the full lengths', () => {
  const { host, fd } = emu('emu:gfx1100');
  const page = host.mmap(0n, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0n);
  page.bytes.fill(0xee);
  const arg = drm.drmVersionArgs.encode({ name_len: 3n, name: page.address, date_len: 0n, date: page.address + 100n, desc_len: 64n, desc: page.address + 200n });
  host.ioctl(fd, drm.DRM_IOC.VERSION.request, arg);
  const v = drm.drmVersionArgs.decode(arg);
  assert.deepEqual([v.name_len, v.date_len, v.desc_len], [6n, 8n, 7n]);
  assert.deepEqual([...page.bytes.subarray(0, 4)], [0x61, 0x6d, 0x64, 0xee]); // "amd", then untouched
  assert.equal(page.bytes[100], 0xee); // date_len 0: nothing written
  assert.equal(new TextDecoder().decode(page.bytes.subarray(200, 207)), 'AMD GPU');
  assert.equal(page.bytes[207], 0xee); // no terminating NUL
  // A buffer pointer that is not mapped memory → EFAULT (copy_to_user).
  const bad = drm.drmVersionArgs.encode({ name_len: 6n, name: 0x1000n });
  assert.throws(() => host.ioctl(fd, drm.DRM_IOC.VERSION.request, bad), osError(ERRNO.EFAULT, /DRM_IOCTL_VERSION|0x/));
});

test('amdgpuDeviceInfo: gfx1100 facts from the model', () => {
  const { host, fd } = emu('emu:gfx1100');
  const d = amdgpuDeviceInfo(host, fd);
  assert.equal(d.device_id, 0x744c);
  assert.equal(d.family, drm.AMDGPU_FAMILY.GC_11_0_0);
  assert.equal(d.num_shader_engines, 6);
  assert.equal(d.num_shader_arrays_per_engine, 2);
  assert.equal(d.num_cu_per_sh, 8);
  assert.equal(d.cu_active_number, 96);
  assert.equal(d.gpu_counter_freq, 100_000);
  assert.equal(d.max_engine_clock, 2_482_000n);
  assert.equal(d.max_memory_clock, 1_250_000n);
  assert.equal(d.vram_type, drm.AMDGPU_VRAM_TYPE.GDDR6);
  assert.equal(d.vram_bit_width, 384);
  assert.equal(d.wave_front_size, 32);
  assert.equal(d.cu_bitmap[0], 0xff);
  assert.equal(d.cu_bitmap.filter((m) => m === 0xff).length, 8); // 4 SEs × 2 SHs visible in the 4×4 map
});

test('amdgpuDeviceInfo: gfx942 facts from the model', () => {
  const { host, fd } = emu('emu:gfx942');
  const d = amdgpuDeviceInfo(host, fd);
  assert.equal(d.device_id, 0x74a1);
  assert.equal(d.family, drm.AMDGPU_FAMILY.AI);
  assert.equal(d.cu_active_number, 304);
  assert.equal(d.vram_type, drm.AMDGPU_VRAM_TYPE.HBM);
  assert.equal(d.vram_bit_width, 8192);
  assert.equal(d.wave_front_size, 64);
  assert.equal(d.max_engine_clock, 2_100_000n);
});

test('amdgpuMemoryInfo: heap sizes from the model, VRAM usage follows KFD allocations', () => {
  const { host, fd } = emu('emu:gfx1100');
  const before = amdgpuMemoryInfo(host, fd);
  assert.equal(before.vram.total, 24n * GiB);
  assert.equal(before.vram.usable, 24n * GiB);
  assert.equal(before.vram.used, 0n);
  assert.equal(before.vram.maxAllocation, 18n * GiB);
  assert.equal(before.cpuVisibleVram.total, 24n * GiB);
  assert.equal(before.gtt.total, 32n * GiB); // half of the model's 64 GiB
  assert.equal(before.gtt.used, 0n);
  const kfd = Kfd.open(host);
  try {
    const dev = kfd.device(0);
    dev.alloc(64 << 20, { domain: 'vram' });
    dev.alloc(4 << 20, { domain: 'gtt' });
    const during = amdgpuMemoryInfo(host, kfd.backendOf(dev).renderFd);
    assert.equal(during.vram.used, 64n << 20n);
    assert.equal(during.cpuVisibleVram.used, 64n << 20n);
    assert.equal(during.gtt.used, 4n << 20n);
  } finally {
    kfd.close();
  }
  assert.equal(amdgpuMemoryInfo(host, fd).vram.used, 0n);
  const vg = new Uint8Array(drm.infoVramGtt.size);
  const scratch = new IoctlScratch(host, 4096);
  try {
    const r = scratch.region(vg.length);
    host.ioctl(fd, drm.DRM_IOC.AMDGPU_INFO.request, drm.amdgpuInfoRequest({ query: drm.AMDGPU_INFO.VRAM_GTT, returnPointer: r.address, returnSize: vg.length }));
    assert.deepEqual(drm.infoVramGtt.decode(r.bytes), { vram_size: 24n * GiB, vram_cpu_accessible_size: 24n * GiB, gtt_size: 32n * GiB });
  } finally {
    scratch.release();
  }
});

test('AMDGPU_INFO copies min(return_size, struct) bytes and rejects what amdgpu_info_ioctl rejects', () => {
  const { host, fd } = emu('emu:gfx1100');
  const page = host.mmap(0n, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0n);
  page.bytes.fill(0xaa);
  const info = (query: number, returnSize: number, words?: number[], returnPointer = page.address): void => {
    host.ioctl(fd, drm.DRM_IOC.AMDGPU_INFO.request, drm.amdgpuInfoRequest({ query, returnPointer, returnSize, ...(words ? { words } : {}) }));
  };
  info(drm.AMDGPU_INFO.DEV_INFO, 6);
  assert.deepEqual([...page.bytes.subarray(0, 8)], [0x4c, 0x74, 0, 0, 0, 0, 0xaa, 0xaa]);
  // A larger buffer than the struct: only sizeof(drm_amdgpu_info_device) bytes are written.
  page.bytes.fill(0xaa);
  info(drm.AMDGPU_INFO.DEV_INFO, 1024);
  assert.equal(page.bytes[drm.infoDevice.size - 1], 0);
  assert.equal(page.bytes[drm.infoDevice.size], 0xaa);
  assert.throws(() => info(drm.AMDGPU_INFO.DEV_INFO, 0), osError(ERRNO.EINVAL, /return_size is 0/));
  assert.throws(() => info(drm.AMDGPU_INFO.DEV_INFO, 16, undefined, 0n), osError(ERRNO.EINVAL, /NULL/));
  assert.throws(() => info(drm.AMDGPU_INFO.DEV_INFO, 16, undefined, 0x2000n), osError(ERRNO.EFAULT, /not mapped/));
  assert.throws(() => info(0x7e, 16), osError(ERRNO.EINVAL, /invalid request 126/));
  assert.throws(() => info(drm.AMDGPU_INFO.FW_VERSION, 8, [0x7f]), osError(ERRNO.EINVAL, /unknown fw_type 127/));
  assert.throws(() => info(drm.AMDGPU_INFO.SENSOR, 4, [drm.AMDGPU_INFO_SENSOR.VDDNB]), osError(ERRNO.EINVAL, /sensor 6/));
  info(drm.AMDGPU_INFO.SENSOR, 4, [drm.AMDGPU_INFO_SENSOR.GPU_TEMP]);
  assert.equal(new DataView(page.bytes.buffer, page.bytes.byteOffset).getUint32(0, true), 40_000);
  info(drm.AMDGPU_INFO.HW_IP_INFO, drm.infoHwIp.size, [drm.AMDGPU_HW_IP.COMPUTE, 0]);
  const ip = drm.infoHwIp.decode(page.bytes);
  assert.deepEqual([ip.hw_ip_version_major, ip.hw_ip_version_minor, ip.available_rings, ip.ip_discovery_version], [11, 0, 0xff, 0x0b0000]);
  assert.throws(() => info(drm.AMDGPU_INFO.HW_IP_INFO, 32, [drm.AMDGPU_HW_IP.COMPUTE, 1]), osError(ERRNO.EINVAL, /instance 1/));
  // An ioctl the emulated render node does not implement: DRM_AMDGPU_VM (0x13, union drm_amdgpu_vm of 8 bytes).
  assert.throws(() => host.ioctl(fd, ioc('rw', drm.DRM_IOCTL_BASE, drm.DRM_COMMAND_BASE + 0x13, 8), new Uint8Array(8)), osError(ERRNO.ENOTTY, /not implemented/));
});

test('amdgpuFirmwareVersion: MEC and SDMA versions are the topology capture\'s', () => {
  const { host, fd } = emu('emu:gfx1100');
  assert.equal(amdgpuFirmwareVersion(host, fd, drm.AMDGPU_INFO_FW.GFX_MEC).ver, 2140);
  assert.equal(amdgpuFirmwareVersion(host, fd, drm.AMDGPU_INFO_FW.SDMA, 1).ver, 20);
  assert.throws(() => amdgpuFirmwareVersion(host, fd, drm.AMDGPU_INFO_FW.SDMA, 2), osError(ERRNO.EINVAL, /SDMA index 2/));
});
