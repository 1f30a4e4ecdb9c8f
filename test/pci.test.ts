// PCI discovery, config space and IP discovery on the emulated PCI functions. Oracles: pciutils'
// `lspci -vvv -F` reading our config space as an `lspci -xxxx` dump; discovery.h's layout; the IP
// versions the models claim to DRM (render-ioctls TARGET_INFO).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EmuHost } from '../src/emu/host.js';
import { listAmdFunctions, parseResourceFile } from '../src/pci/devices.js';
import { lspciHexDump, parseConfigSpace, parseLspciHexDump, formatSize } from '../src/pci/config-space.js';
import { debugfsDirOf, parseIpDiscovery, IpDiscoveryError } from '../src/pci/ip-discovery.js';
import { TARGET_INFO } from '../src/emu/models/target-ip.js';
import { main } from '../src/cli/main.js';
import { writeServedTree } from '../src/emu/serve/tree.js';
import { parseEmuSpec } from '../src/emu/models/models.js';
import type { CommandIo } from '../src/cli/io.js';

const LSPCI = '/usr/bin/lspci';
const MODELS = ['gfx1100', 'gfx942', 'gfx90a'] as const;

/** lspci's names for the capability ids we parse (ls-caps.c, ls-ecaps.c). */
const LSPCI_NAMES: Readonly<Record<string, string>> = {
  'std:9': 'Vendor Specific Information', 'std:1': 'Power Management', 'std:16': 'Express', 'std:5': 'MSI',
  'ext:11': 'Vendor Specific Information', 'ext:1': 'Advanced Error Reporting', 'ext:21': 'Physical Resizable BAR', 'ext:4': 'Power Budgeting',
  'ext:25': 'Secondary PCI Express', 'ext:13': 'Access Control Services', 'ext:15': 'Address Translation Service (ATS)', 'ext:19': 'Page Request Interface (PRI)',
  'ext:27': 'Process Address Space ID (PASID)', 'ext:24': 'Latency Tolerance Reporting', 'ext:37': 'Data Link Feature', 'ext:38': 'Physical Layer 16.0 GT/s', 'ext:39': 'Lane Margining at the Receiver',
};

async function withHost<T>(model: string, f: (h: EmuHost) => T): Promise<T> {
  const h = new EmuHost(`emu:${model}?engines=paused`);
  try {
    return f(h);
  } finally {
    await h.shutdown();
  }
}

/**
 * Our parse of a config space agrees with pciutils' decoding of the same bytes (`lspci -vvv -F`):
 * every capability in order (offset, version, name), the link, atomics, power management, resizable
 * BARs, PASID, ATS/PRI, MSI and the memory BARs.
 */
function assertLspciAgrees(bytes: Uint8Array, text: string): void {
  const c = parseConfigSpace(bytes);
  // every capability, in order, at the same offset with the same (extended) version and name
  const theirs = [...text.matchAll(/Capabilities: \[([0-9a-f]+)(?: v(\d+))?\] ([^\n]*)/g)].map((m) => ({ offset: parseInt(m[1]!, 16), version: m[2] ? Number(m[2]) : undefined, text: m[3]! }));
  assert.deepEqual(theirs.map((t) => t.offset), c.capabilities.map((x) => x.offset));
  c.capabilities.forEach((cap, i) => {
    const t = theirs[i]!;
    assert.equal(t.version, cap.version, `version of [${cap.offset.toString(16)}]`);
    const name = LSPCI_NAMES[`${cap.extended ? 'ext' : 'std'}:${cap.id}`];
    assert.ok(name && t.text.startsWith(name), `[${cap.offset.toString(16)}] lspci says "${t.text}", we say ${cap.name} (id ${cap.id})`);
  });
  // link, atomics, power management, resizable BAR, PASID as lspci decodes them
  const p = c.pcie!;
  assert.match(text, new RegExp(`LnkCap:\\s+Port #0, Speed ${p.link.maxSpeed}, Width x${p.link.maxWidth},`));
  assert.match(text, new RegExp(`LnkSta:\\s+Speed ${p.link.speed}(?: \\(ok\\))?, Width x${p.link.width}`));
  assert.match(text, new RegExp(`Express \\(v${p.version}\\) ${p.deviceType},`));
  const a = p.atomicOps;
  assert.match(text, new RegExp(`AtomicOpsCap: 32bit${a.completer32 ? '\\+' : '-'} 64bit${a.completer64 ? '\\+' : '-'} 128bitCAS${a.completer128Cas ? '\\+' : '-'}`));
  assert.match(text, new RegExp(`AtomicOpsCtl: ReqEn${a.requesterEnabled ? '\\+' : '-'}`));
  assert.match(text, new RegExp(`Power Management version ${c.powerManagement!.version}`));
  assert.match(text, new RegExp(`Status: ${c.powerManagement!.state} `));
  assert.equal(/Resizable BAR/.test(text), c.resizableBars !== undefined);
  for (const rb of c.resizableBars ?? []) assert.match(text, new RegExp(`BAR ${rb.bar}: current size: ${formatSize(rb.currentBytes)}, supported: ${rb.supportedBytes.map(formatSize).join(' ')}\\n`));
  if (c.pasid) assert.match(text, new RegExp(`Max PASID Width: ${c.pasid.maxWidth.toString(16).padStart(2, '0')}`));
  else assert.doesNotMatch(text, /PASID/);
  assert.equal(/\(ATS\)/.test(text), c.ats !== undefined);
  assert.equal(/\(PRI\)/.test(text), c.pri !== undefined);
  assert.match(text, new RegExp(`MSI: Enable${c.msi!.enabled ? '\\+' : '-'} Count=1/${c.msi!.vectors} Maskable- 64bit${c.msi!.is64 ? '\\+' : '-'}`));
  for (const b of c.bars) if (b.kind === 'memory') assert.match(text, new RegExp(`Region ${b.index}: Memory at ${b.address.toString(16)} \\(${b.is64 ? '64' : '32'}-bit, ${b.prefetchable ? 'prefetchable' : 'non-prefetchable'}\\)`));
}

for (const model of MODELS) {
  test(`pci ${model}: the emulated function's config space reads the same through lspci -vvv -F and our parser`, { skip: existsSync(LSPCI) ? false : `skipped: ${LSPCI} missing (pciutils)` }, async () => {
    const { fn, bytes } = await withHost(model, (h) => {
      const fns = listAmdFunctions(h);
      assert.equal(fns.length, 1);
      return { fn: fns[0]!, bytes: h.readBytes(`${fns[0]!.path}/config`) };
    });
    assert.equal(bytes.length, 4096);
    const dir = mkdtempSync(join(tmpdir(), 'amdgpu-ts-lspci-'));
    try {
      const dump = join(dir, 'dump.txt');
      writeFileSync(dump, lspciHexDump(fn.slot.slice(5), 'emulated', bytes));
      const r = spawnSync(LSPCI, ['-vvv', '-F', dump], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const text = r.stdout;
      assertLspciAgrees(bytes, text);
      assert.match(text, new RegExp(`Advanced Micro Devices, Inc\\. \\[AMD/ATI\\] [^\\n]*${fn.revision ? `\\(rev ${fn.revision.toString(16).padStart(2, '0')}\\)` : 'Device 74a1\\n'}`)); // lspci omits (rev 00)
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

/**
 * Real AMD GPUs' config space, as their owners posted `lspci -xxx`/`-xxxx` to the kernel mailing lists
 * (origins in test/fixtures/pci/README.md): our parser and pciutils must read them the same way.
 */
const REAL_DUMPS = [
  { file: 'navi10-rx5600xt.lspci-xxxx.txt', bytes: 4096, device: 0x731f, extended: 13 },
  { file: 'lexa-wx3100.lspci-xxx.txt', bytes: 256, device: 0x6985, extended: 0 },
] as const;

for (const dump of REAL_DUMPS) {
  test(`pci: a real device's dump (${dump.file}) reads the same through lspci -vvv -F and our parser`, { skip: existsSync(LSPCI) ? false : `skipped: ${LSPCI} missing (pciutils)` }, () => {
    const path = fileURLToPath(new URL(`../../test/fixtures/pci/${dump.file}`, import.meta.url));
    const { bytes } = parseLspciHexDump(readFileSync(path, 'utf8'));
    assert.equal(bytes.length, dump.bytes);
    const c = parseConfigSpace(bytes);
    assert.equal(c.vendorId, 0x1002);
    assert.equal(c.deviceId, dump.device);
    assert.equal(c.capabilities.filter((x) => x.extended).length, dump.extended);
    const r = spawnSync(LSPCI, ['-vvv', '-F', path], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assertLspciAgrees(bytes, r.stdout);
  });
}

test('pci: a damaged dump is refused with the line that is wrong', () => {
  assert.throws(() => parseLspciHexDump('01:00.0 VGA\n00: 02 10 85 69\n'), /line 2 is not "offset: 16 hex bytes"/);
  assert.throws(() => parseLspciHexDump('01:00.0 VGA\n00: ' + '00 '.repeat(15) + '00\n20: ' + '00 '.repeat(15) + '00\n'), /line 3 is at offset 0x20, expected 0x10/);
  assert.throws(() => parseLspciHexDump('01:00.0 VGA\n00: ' + '00 '.repeat(15) + '00\n'), /16 bytes; the header alone is 64/);
  assert.throws(() => parseLspciHexDump(''), /empty/);
});

test('pci: sysfs attributes agree with config space; BARs, IOMMU group, driver, link', async () => {
  await withHost('gfx942x4', (h) => {
    const fns = listAmdFunctions(h);
    assert.equal(fns.length, 4);
    assert.equal(new Set(fns.map((f) => f.iommuGroup)).size, 4);
    for (const f of fns) {
      const c = f.config!;
      assert.equal(f.vendorId, 0x1002);
      assert.equal(f.deviceId, c.deviceId);
      assert.equal(f.classCode, c.classCode);
      assert.equal(f.revision, c.revision);
      assert.equal(f.driver, 'amdgpu');
      assert.equal(f.link.currentSpeed, '32.0 GT/s PCIe');
      assert.equal(f.link.currentWidth, c.pcie!.link.width);
      assert.deepEqual(f.bars.map((b) => [b.index, b.start]), c.bars.map((b) => [b.index, b.address]));
      assert.equal(f.bars.find((b) => b.index === 0)!.size, c.resizableBars!.find((r) => r.bar === 0)!.currentBytes);
      assert.ok(h.listDir(f.path).includes('resource5'));
    }
  });
});

test('pci: config space read without root (64 bytes) names what is missing', () => {
  const full = new Uint8Array(4096);
  full.set([0x02, 0x10, 0x4c, 0x74, 0, 0, 0x10, 0, 0xc8, 0, 0, 3], 0);
  full[0x34] = 0x48;
  const c = parseConfigSpace(full.subarray(0, 64));
  assert.equal(c.deviceId, 0x744c);
  assert.match(c.notes.join('\n'), /beyond the 64 bytes readable/);
  assert.deepEqual(parseResourceFile('0x0000000000001000 0x0000000000001fff 0x0000000000040200\n0x0 0x0 0x0\n').map((b) => [b.index, b.size]), [[0, 4096n]]);
});

for (const model of MODELS) {
  test(`ip ${model}: the discovery table parses and reports the IP versions the model claims`, async () => {
    const bytes = await withHost(model, (h) => {
      const [f] = listAmdFunctions(h);
      const dir = debugfsDirOf(h, f!.slot);
      assert.ok(dir);
      return h.readBytes(`${dir}/amdgpu_discovery`);
    });
    const d = parseIpDiscovery(bytes);
    const t = TARGET_INFO[model]!;
    const gc = d.ips.filter((ip) => ip.name === 'GC');
    assert.deepEqual([gc[0]!.major, gc[0]!.minor, gc[0]!.revision], [...t.gc]);
    const sdma = d.ips.find((ip) => ip.name === 'SDMA0')!;
    assert.deepEqual([sdma.major, sdma.minor], [...t.sdma]);
    const expectedSdma = { gfx1100: [6, 0, 0], gfx942: [4, 4, 2], gfx90a: [4, 4, 0] }[model];
    assert.deepEqual([sdma.major, sdma.minor, sdma.revision], expectedSdma);
    assert.equal(gc.length, model === 'gfx942' ? 8 : 1);
    // GRBM_STATUS is GC segment 0 + 0x4 (gfx9) / + 0xda4 (gfx11): the well-known byte offset 0x8010 either way
    assert.equal((gc[0]!.bases[0]! + (model === 'gfx1100' ? 0xda4n : 0x4n)) * 4n, 0x8010n);
    // a corrupted byte fails the checksum
    const bad = bytes.slice();
    bad[bad.length - 1]! ^= 1;
    assert.throws(() => parseIpDiscovery(bad), IpDiscoveryError);
  });
}

async function cli(argv: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CommandIo = { out: (l) => out.push(l), err: (l) => err.push(l), interactive: false };
  const code = await main(argv, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

test('cli: pci and ip on emulated GPUs; --json; bad usage exits 2', async () => {
  const p = await cli(['pci', '--device', 'emu:gfx942']);
  assert.equal(p.code, 0, p.err);
  assert.match(p.out, /0000:0c:00\.0 {2}\[1002:74a1\]/);
  assert.match(p.out, /cap \[2b0 v1\] Address Translation Service/);
  const j = await cli(['pci', '--device', 'emu:gfx1100', '--json']);
  assert.equal(j.code, 0, j.err);
  const doc = JSON.parse(j.out) as { functions: { slot: string; config: { capabilities: unknown[] } }[] };
  assert.equal(doc.functions[0]!.slot, '0000:03:00.0');
  assert.equal(doc.functions[0]!.config.capabilities.length, 14);
  const ip = await cli(['ip', '--device', 'emu:gfx1100']);
  assert.equal(ip.code, 0, ip.err);
  assert.match(ip.out, /GC\s+11\s+0\s+11\.0\.0\s+0x00001260 .* GC \(gc_11_0_0\)\n/);
  // the register table each block is read with: SDMA 6 from the GC header, NBIO (discovery's NBIF) from nbio_4_3_0
  assert.match(ip.out, /SDMA0\s+42\s+0\s+6\.0\.0\s+.* SDMA0 \(gc_11_0_0\)\n/);
  assert.match(ip.out, /NBIF\s+108\s+0\s+4\.3\.0\s+.* NBIO \(nbio_4_3_0\)\n/);
  assert.match(ip.out, /SDMA1\s+43\s+0\s+6\.0\.0\s+.* SDMA0\[1\] \(gc_11_0_0\)\n/);
  assert.match(ip.out, /OSSSYS\s+40\s+0\s+6\.0\.0\s+.* -\n/);
  assert.equal((await cli(['pci', 'extra'])).code, 2);
  assert.equal((await cli(['ip', '--device', 'bogus'])).code, 2);
});

test('served tree (amdgpu-ts emulate): lspci -v reads the emulated function from it, config space and BARs', { skip: existsSync(LSPCI) ? false : `skipped: ${LSPCI} missing (pciutils)` }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'amdgpu-ts-served-pci-'));
  try {
    writeServedTree(join(dir, 'root'), parseEmuSpec('emu:gfx90a'));
    // the same config bytes as the in-process emulator's sysfs
    const root = join(dir, 'root');
    const [slot] = readdirSync(join(root, 'sys/bus/pci/devices'));
    await withHost('gfx90a', (h) => {
      const [fn] = listAmdFunctions(h, { displayOnly: true });
      assert.deepEqual(readFileSync(join(root, 'sys/bus/pci/devices', slot!, 'config')), Buffer.from(h.readBytes(`${fn!.path}/config`)));
      assert.equal(readFileSync(join(root, 'sys/bus/pci/devices', slot!, 'resource'), 'utf8'), new TextDecoder().decode(h.readBytes(`${fn!.path}/resource`)));
    });
    const r = spawnSync(LSPCI, ['-A', 'linux-sysfs', '-O', `sysfs.path=${join(dir, 'root', 'sys', 'bus', 'pci')}`, '-v'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^[0-9a-f]{2}:00\.0 Display controller: Advanced Micro Devices, Inc\. \[AMD\/ATI\]/);
    assert.match(r.stdout, /Memory at [0-9a-f]+ \(64-bit, prefetchable\) \[size=64G\]/);
    for (const cap of ['Power Management', 'MSI:', 'Advanced Error Reporting', 'Physical Resizable BAR', 'Process Address Space ID']) assert.ok(r.stdout.includes(cap), cap);
    assert.match(r.stdout, /Kernel driver in use: amdgpu/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
