// The Linux 6.12 ABI (KFD 1.17 and amdgpu DRM), pinned by golden files measured from that kernel's
// uapi headers (test/fixtures/abi/README.md): newer than the installed headers, and checked here
// without a compiler.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ProbeResult } from './c-probe.js';
import { compareStructs, compareValues, emptyComparison, inKfdVersion, structId, tsConsts, tsIoctls, tsStructs, valueId } from './ts-abi.js';
import { KFD_IOC, createQueueArgs } from '../../src/uapi/kfd.js';
import { infoDevice, AMDGPU_GEM_DOMAIN, AMDGPU_GEM_DOMAIN_MASK, AMDGPU_HW_IP_NUM, DRM_IOC } from '../../src/uapi/drm.js';
import { struct } from '../../src/uapi/codec.js';

interface Golden extends ProbeResult {
  source: { package: string; headers: { path: string; sha256: string }[] };
}

function golden(name: string): Golden {
  const path = fileURLToPath(new URL(`../../../test/fixtures/abi/${name}`, import.meta.url));
  return JSON.parse(readFileSync(path, 'utf8')) as Golden;
}

// sha256 of include/uapi/linux/kfd_ioctl.h in linux-libc-dev 6.12.95-1~bpo12+1 (see the README).
const KFD_HEADER_SHA256 = '7ba0d8aed030cf2ea061253b148bc5a06c38c1e60739b9a6d918ddac921de70d';

test('KFD 1.17 golden (Linux 6.12): every KFD struct, offset, ioctl number and constant matches', (t) => {
  const g = golden('kfd-1.17-linux-6.12.json');
  assert.equal(g.source.headers[0]?.sha256, KFD_HEADER_SHA256);
  assert.deepEqual(g.meta, { kfdMajor: 1, kfdMinor: 17 });
  const c = emptyComparison();
  const structs = tsStructs().filter((s) => s.module === 'kfd');
  compareStructs(g, structs, c, { expect: (s) => inKfdVersion(s, 17), reverse: true });
  const in117 = (v: { module: string; since: number; until?: number }): boolean => v.module === 'kfd' && inKfdVersion(v, 17);
  compareValues(g.ioctls, tsIoctls(), c, 'ioctls', { select: in117, expect: () => true });
  compareValues(g.consts, tsConsts(), c, 'consts', { select: in117, expect: () => true });
  t.diagnostic(`compared ${c.structs} structs, ${c.fields} fields, ${c.ioctls} ioctls, ${c.consts} constants`);
  assert.deepEqual(c.mismatches, []);
  assert.deepEqual(c.missing, []);
  // Everything KFD in src/uapi that exists in 1.17 met this oracle.
  for (const s of structs.filter((x) => inKfdVersion(x, 17))) assert.ok(c.covered.has(structId(s)), `${s.key} not compared`);
  for (const v of tsIoctls().filter(in117)) assert.ok(c.covered.has(valueId('ioctls', v)), `${v.name} not compared`);
  assert.ok(c.structs >= 40 && c.ioctls >= 38, `${c.structs} structs, ${c.ioctls} ioctls`);
});

test('KFD 1.17 golden: the 96-byte create_queue layout and the ioctls added after 1.11', () => {
  const g = golden('kfd-1.17-linux-6.12.json');
  assert.equal(createQueueArgs.size, 96);
  assert.equal(g.structs.kfd_ioctl_create_queue_args?.size, 96);
  assert.equal(g.structs.kfd_ioctl_create_queue_args?.fields.sdma_engine_id, createQueueArgs.offsetOf('sdma_engine_id'));
  assert.equal(g.ioctls.AMDKFD_IOC_CREATE_QUEUE, KFD_IOC.CREATE_QUEUE.request);
  assert.equal(KFD_IOC.CREATE_QUEUE.request, 0xc0604b02);
  for (const d of [KFD_IOC.EXPORT_DMABUF, KFD_IOC.RUNTIME_ENABLE, KFD_IOC.DBG_TRAP]) {
    assert.ok(d.since >= 12);
    assert.equal(g.ioctls[d.name], d.request, d.name);
  }
  // The header declares nothing past AMDKFD_IOC_DBG_TRAP that src/uapi lacks.
  const declared = new Set(Object.values(KFD_IOC).map((d) => d.name));
  assert.deepEqual(Object.keys(g.ioctls).filter((n) => !declared.has(n)), []);
});

test('amdgpu DRM golden (Linux 6.12): every DRM struct (incl. the full drm_amdgpu_info_device), ioctl and constant matches', (t) => {
  const g = golden('amdgpu-drm-linux-6.12.json');
  const c = emptyComparison();
  const structs = tsStructs().filter((s) => s.module === 'drm');
  compareStructs(g, structs, c, { expect: () => true, reverse: true });
  const isDrm = (v: { module: string }): boolean => v.module === 'drm';
  compareValues(g.ioctls, tsIoctls(), c, 'ioctls', { select: isDrm, expect: () => true });
  compareValues(g.consts, tsConsts(), c, 'consts', { select: isDrm, expect: () => true });
  t.diagnostic(`compared ${c.structs} structs, ${c.fields} fields, ${c.ioctls} ioctls, ${c.consts} constants`);
  assert.deepEqual(c.mismatches, []);
  assert.deepEqual(c.missing, []);
  assert.equal(g.structs.drm_amdgpu_info_device?.size, infoDevice.size);
  assert.equal(infoDevice.size, 440);
  // Linux 6.7 added HW_IP_VPE (the installed libdrm has 9 IP types).
  assert.equal(g.consts.AMDGPU_HW_IP_NUM, AMDGPU_HW_IP_NUM);
  // Linux 6.6 added DOMAIN_DOORBELL and widened the mask, which the installed libdrm predates.
  assert.equal(g.consts.AMDGPU_GEM_DOMAIN_MASK, AMDGPU_GEM_DOMAIN_MASK);
  assert.equal(Object.values(AMDGPU_GEM_DOMAIN).reduce((m, d) => m | d, 0), AMDGPU_GEM_DOMAIN_MASK);
  // The render-node submission ioctls of issue 13, by their request numbers in the 6.12 header.
  for (const name of ['AMDGPU_BO_LIST', 'AMDGPU_WAIT_CS', 'AMDGPU_WAIT_FENCES', 'AMDGPU_FENCE_TO_HANDLE', 'AMDGPU_GEM_OP', 'AMDGPU_GEM_USERPTR', 'AMDGPU_GEM_WAIT_IDLE', 'AMDGPU_GEM_METADATA', 'PRIME_HANDLE_TO_FD', 'PRIME_FD_TO_HANDLE', 'SYNCOBJ_TRANSFER', 'SYNCOBJ_QUERY', 'SYNCOBJ_TIMELINE_SIGNAL', 'SYNCOBJ_RESET', 'SYNCOBJ_SIGNAL', 'SYNCOBJ_HANDLE_TO_FD', 'SYNCOBJ_FD_TO_HANDLE'] as const) {
    const d = DRM_IOC[name];
    assert.equal(g.ioctls[d.name], d.request, d.name);
  }
});

test('the comparison notices a wrong layout, a missing field and a wrong request number', () => {
  const g = golden('kfd-1.17-linux-6.12.json');
  const swapped = struct('kfd_ioctl_get_version_args', [['minor_version', 'u32'], ['major_version', 'u32']]);
  const short = struct('kfd_ioctl_acquire_vm_args', [['drm_fd', 'u32']]);
  const c = emptyComparison();
  compareStructs(g, [swapped, short].map((layout) => ({ module: 'kfd' as const, layout, key: layout.name, since: 0, members: {} })), c, { expect: () => true, reverse: true });
  compareValues(g.ioctls, [{ module: 'kfd', name: 'AMDKFD_IOC_GET_VERSION', value: 0xc0084b01, since: 0, enumerator: false }], c, 'ioctls', { select: () => true, expect: () => true });
  assert.deepEqual(c.mismatches, [
    'kfd_ioctl_get_version_args.minor_version: offset 0 in TS, 4 in C',
    'kfd_ioctl_get_version_args.major_version: offset 4 in TS, 0 in C',
    'kfd_ioctl_acquire_vm_args: size 4 in TS, 8 in C',
    'kfd_ioctl_acquire_vm_args.gpu_id (offset 4) is in the C header but not in TS',
    'AMDKFD_IOC_GET_VERSION: 0xc0084b01 in TS, 0x80084b01 in C',
  ]);
});
