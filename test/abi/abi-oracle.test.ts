// The kernel-ABI oracle: a C program generated from the TypeScript layouts is compiled against the
// installed headers (linux/kfd_ioctl.h, libdrm's drm.h + amdgpu_drm.h, hsa/*.h) and reports sizes,
// offsets, ioctl numbers and constants; every one must equal what src/uapi declares. Items newer than
// the installed KFD header are pinned by the golden file instead (abi-golden.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { requireOracle } from '../support/tools.js';
import { runProbe, type ProbeResult } from './c-probe.js';
import { compareStructs, compareValues, emptyComparison, inKfdVersion, installedProbeSpec, tsConsts, tsIoctls, tsStructs, type Comparison } from './ts-abi.js';
import { kernelDescriptor } from '../../src/uapi/hsa.js';
import { infoDevice, infoHwIp } from '../../src/uapi/drm.js';

const HEADERS = ['/usr/include/linux/kfd_ioctl.h', '/usr/include/libdrm/amdgpu_drm.h', '/usr/include/hsa/hsa.h', '/usr/include/hsa/amd_hsa_queue.h', '/usr/include/hsa/amd_hsa_signal.h'];
const KD_HEADER = '/usr/include/llvm-19/llvm/Support/AMDHSAKernelDescriptor.h';

let probed: ProbeResult | undefined;
function probe(): ProbeResult {
  // kfd_ioctl.h includes <drm/drm.h>; Debian ships it in /usr/include/libdrm, so a shim dir maps drm/.
  probed ??= runProbe(installedProbeSpec(), { includeDirs: ['/usr/include/libdrm'], shim: { drm: '/usr/include/libdrm' } });
  return probed;
}

function report(c: Comparison): string {
  return `${c.structs} structs, ${c.fields} fields, ${c.ioctls} ioctls, ${c.consts} constants`;
}

test('installed headers: every struct, field offset, ioctl number and constant of src/uapi matches C', (t) => {
  if (!requireOracle(t, { commands: ['cc'], files: HEADERS })) return;
  const p = probe();
  const minor = p.meta.kfdMinor!;
  assert.equal(p.meta.kfdMajor, 1);
  assert.ok(minor >= 11, `installed kfd_ioctl.h is KFD 1.${minor}; the oracle expects at least 1.11`);
  const c = emptyComparison();
  const structs = tsStructs();
  compareStructs(p, structs, c, {
    expect: (s) => s.module !== 'kfd' || inKfdVersion(s, minor),
    skipFields: (s) => new Set(s.newerThanInstalled ?? []),
    checkSize: (s) => !s.newerThanInstalled,
  });
  const selectKfd = (v: { module: string; since: number; until?: number }): boolean => v.module !== 'kfd' || inKfdVersion(v, minor);
  // DRM constants newer than the installed libdrm are absent here; the golden file covers them.
  compareValues(p.ioctls, tsIoctls(), c, 'ioctls', { select: selectKfd, expect: () => true });
  compareValues(p.consts, tsConsts(), c, 'consts', { select: selectKfd, expect: (v) => v.module !== 'drm' });
  t.diagnostic(`KFD 1.${minor} headers: compared ${report(c)}`);
  assert.deepEqual(c.mismatches, []);
  assert.deepEqual(c.missing, []);
  assert.ok(c.structs + c.ioctls >= 40, `only ${c.structs + c.ioctls} structs+ioctls compared`);
  assert.ok(c.fields >= 300, `only ${c.fields} field offsets compared`);
  // Structs whose newest fields the installed libdrm lacks: its form is the TS prefix (or a renamed pad).
  assert.equal(p.structs.drm_amdgpu_info_device?.size, infoDevice.offsetOf('min_engine_clock'));
  assert.equal(p.structs.drm_amdgpu_info_hw_ip?.size, infoHwIp.size);
  // Both create_queue layouts exist in TS; the installed header pins the one of its version.
  assert.equal(p.structs.kfd_ioctl_create_queue_args?.size, minor >= 17 ? 96 : 88);
});

test('installed headers: the probe sees the versions it was built for', (t) => {
  if (!requireOracle(t, { commands: ['cc'], files: HEADERS })) return;
  const p = probe();
  // Every KFD struct and ioctl the installed version has was measured (nothing silently guarded out).
  const minor = p.meta.kfdMinor!;
  const kfdStructs = tsStructs().filter((s) => s.module === 'kfd' && inKfdVersion(s, minor));
  for (const s of kfdStructs) assert.ok(p.structs[s.key], `${s.key} not measured`);
  const kfdIoctls = tsIoctls().filter((v) => v.module === 'kfd' && inKfdVersion(v, minor));
  for (const v of kfdIoctls) assert.ok(p.ioctls[v.name] !== undefined, `${v.name} not measured`);
});

test('kernel descriptor: offsets equal the *_OFFSET enumerators of AMDHSAKernelDescriptor.h', (t) => {
  if (!requireOracle(t, { files: [KD_HEADER] })) return;
  // The header is C++ (namespace llvm::amdhsa, <cstddef>), so its offsets are read from the enum
  // it declares for them, which the header itself static_asserts against offsetof.
  const text = readFileSync(KD_HEADER, 'utf8');
  const offsets = new Map<string, number>();
  for (const m of text.matchAll(/^\s*([A-Z0-9_]+)_OFFSET\s*=\s*(\d+)\s*,?\s*$/gm)) offsets.set(m[1]!, Number(m[2]));
  let compared = 0;
  for (const f of kernelDescriptor.fields) {
    const want = offsets.get(f.name.toUpperCase());
    assert.ok(want !== undefined, `no ${f.name.toUpperCase()}_OFFSET in ${KD_HEADER}`);
    assert.equal(f.offset, want, `kernel_descriptor_t.${f.name}`);
    compared++;
  }
  assert.equal(compared, 12);
  // The last member (reserved3, u8[4]) ends the 64-byte descriptor.
  assert.equal(kernelDescriptor.size, offsets.get('RESERVED3')! + 4);
});
