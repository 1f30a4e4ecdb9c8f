// readTopology against real captured KFD trees (test/fixtures/topology), synthetic edge cases, and the
// emulated systems' trees compared with the captures they were built from.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTopology, type GpuNode, type IoLink, type Topology } from '../src/driver/topology.js';
import { DirectorySysfs } from '../src/os/sysfs-dir.js';
import type { SysfsReader } from '../src/os/host.js';
import { HSA_IOLINK_TYPE, KFD_TOPOLOGY_PATH, TopologyError, parseProperties, parsePropertiesWithLists } from '../src/uapi/kfd-sysfs.js';
import { gfxNameFromVersion } from '../src/hw/targets.js';
import { MODELS, type SystemModel } from '../src/emu/models/models.js';
import { layoutSystem } from '../src/emu/models/system.js';
import { buildSysfs, directoryIndex } from '../src/emu/sysfs-tree.js';
import { EmuHost } from '../src/emu/host.js';
import { TOPOLOGY_FIXTURES, fixtureRoot } from './fixtures/topology/index.js';

const GiB = 1024n ** 3n;

function load(name: string): Topology {
  return readTopology(new DirectorySysfs(fixtureRoot(name)));
}

function gpu(topo: Topology, node: number): GpuNode {
  const g = topo.gpus.find((x) => x.id === node);
  assert.ok(g, `GPU node ${node} present`);
  return g;
}

/** type:node_to:weight of each link, for compact comparisons. */
function linkSummary(links: readonly IoLink[]): string[] {
  return links.map((l) => `${l.type}:${l.nodeTo}:${l.weight}`);
}

/** A sysfs made of a path → text map, as the emulator builds it. */
class MapSysfs implements SysfsReader {
  private readonly dirs: Map<string, Set<string>>;
  constructor(private readonly files: ReadonlyMap<string, string>) {
    this.dirs = directoryIndex(files.keys());
  }
  readText(path: string): string {
    const t = this.files.get(path);
    if (t === undefined) throw new Error(`no file ${path}`);
    return t;
  }
  listDir(path: string): string[] {
    const d = this.dirs.get(path);
    if (!d) throw new Error(`no directory ${path}`);
    return [...d];
  }
  exists(path: string): boolean {
    return this.files.has(path) || this.dirs.has(path);
  }
}

// ---- every fixture: nodes, CPU/GPU split, gpu_id, targets ----

for (const f of TOPOLOGY_FIXTURES) {
  test(`fixture ${f.name}: nodes, CPU/GPU split, gpu_id and gfx target per node`, () => {
    const topo = load(f.name);
    assert.equal(topo.nodes.length, f.nodeCount);
    assert.deepEqual(topo.cpus.map((n) => n.id), f.cpuNodes);
    assert.deepEqual(
      topo.gpus.map((g) => ({ node: g.id, target: g.gfxTarget, gpuId: g.gpuId })),
      f.gpus.map((g) => ({ node: g.node, target: g.target, gpuId: g.gpuId })),
    );
    // Numeric node order: ids strictly increase (nodes/10 after nodes/9, not after nodes/1).
    const ids = topo.nodes.map((n) => n.id);
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
    for (const c of topo.cpus) assert.equal(Number(c.properties.get('simd_count')), 0);
    for (const g of topo.gpus) {
      assert.ok(g.simdCount > 0);
      assert.equal(g.cuCount * g.simdPerCu, g.simdCount);
      assert.equal(g.vendorId, 0x1002);
    }
  });
}

// ---- MI308X CPX: 34 nodes, XGMI hive, caches, gpu_id files ----

test('mi308x-cpx: system properties, generation id, node order past 9', () => {
  const topo = load('mi308x-cpx');
  assert.equal(topo.generationId, 33);
  assert.equal(topo.systemProperties.get('platform_oem'), 35498446626881n);
  assert.equal(topo.systemProperties.get('platform_id'), 71791775140929n);
  assert.equal(topo.systemProperties.get('platform_rev'), 2n);
  assert.deepEqual(topo.nodes.map((n) => n.id), Array.from({ length: 34 }, (_, i) => i));
  assert.deepEqual(topo.gpus.slice(0, 10).map((g) => g.id), [2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  assert.equal(new Set(topo.gpus.map((g) => g.gpuId)).size, 32);
});

test('mi308x-cpx: a CPX partition node (node 2)', () => {
  const g = gpu(load('mi308x-cpx'), 2);
  assert.equal(g.name, 'ip discovery');
  assert.equal(g.gpuId, 24248);
  assert.equal(g.gfxTargetVersion, 90402);
  assert.equal(g.gfxTarget, 'gfx942');
  assert.equal(g.deviceId, 0x74a2);
  assert.equal(g.simdCount, 80);
  assert.equal(g.cuCount, 20);
  assert.equal(g.numXcc, 1);
  assert.equal(g.waveFrontSize, 64);
  assert.equal(g.maxEngineClkMhz, 1420);
  assert.equal(g.hiveId, 2095653680343411291n);
  assert.equal(g.drmRenderMinor, 128);
  assert.equal(g.pciAddress, '0000:0a:00.0');
  assert.equal(g.cwsrSize, undefined, 'this kernel prints no cwsr_size');
  assert.equal(g.vramBytes, 48n * GiB);
  assert.deepEqual(g.memBanks.map((b) => [b.heapType, b.sizeInBytes, b.width, b.memClkMax]), [[1, 51539607552n, 8192, 1300]]);
});

test('mi308x-cpx: partitions of one device share a PCI device; sockets split by PCI domain', () => {
  const topo = load('mi308x-cpx');
  assert.deepEqual([2, 3, 4, 5].map((n) => gpu(topo, n).pciAddress), ['0000:0a:00.0', '0000:0a:00.1', '0000:0a:00.2', '0000:0a:00.3']);
  assert.deepEqual([2, 3, 4, 5].map((n) => gpu(topo, n).drmRenderMinor), [128, 129, 130, 131]);
  const last = gpu(topo, 33);
  assert.equal(last.gpuId, 15601);
  assert.equal(last.drmRenderMinor, 187);
  assert.equal(last.pciAddress, '0001:c9:00.3');
  assert.ok(topo.gpus.every((x) => x.hiveId === 2095653680343411291n));
  // The second socket's GPUs sit in PCI domain 1, and CPU node 1 links to exactly those.
  const inDomain1 = topo.gpus.filter((x) => x.domain === 1).map((x) => x.id);
  assert.deepEqual(inDomain1, Array.from({ length: 16 }, (_, i) => i + 18));
  assert.deepEqual(topo.nodes[1]!.ioLinks.filter((l) => l.type === HSA_IOLINK_TYPE.PCIEXPRESS).map((l) => l.nodeTo), inDomain1);
});

test('mi308x-cpx: caches of a partition, with sibling maps', () => {
  const g = gpu(load('mi308x-cpx'), 2);
  assert.equal(g.caches.length, 46);
  assert.equal(Number(g.properties.get('caches_count')), 46);
  const c0 = g.caches[0]!;
  assert.deepEqual([c0.level, c0.size, c0.type, c0.processorIdLow], [1, 32, 9, 2147487744]);
  assert.equal(c0.siblingMap.length, 32);
  assert.deepEqual(c0.siblingMap.slice(0, 2), [1, 0]);
  const count = (level: number, size: number, type: number): number => g.caches.filter((c) => c.level === level && c.size === size && c.type === type).length;
  assert.equal(count(1, 16, 9), 12);
  assert.equal(count(1, 32, 9), 20, 'one 32 KiB L1 per CU');
  assert.equal(count(1, 64, 10), 12);
  assert.equal(count(2, 4096, 9), 1);
  assert.equal(count(3, 65536, 9), 1);
  const l3 = g.caches[45]!;
  assert.equal(l3.level, 3);
  assert.equal(l3.siblingMap.length, 128);
});

test('mi308x-cpx: io_links and p2p_links of a GPU and of a CPU node', () => {
  const topo = load('mi308x-cpx');
  const g = gpu(topo, 2);
  assert.equal(g.ioLinks.length, 32);
  const pcie = g.ioLinks[0]!;
  assert.deepEqual([pcie.type, pcie.nodeFrom, pcie.nodeTo, pcie.weight, pcie.minBandwidth, pcie.maxBandwidth, pcie.flags], [HSA_IOLINK_TYPE.PCIEXPRESS, 2, 0, 20, 312, 64000, 1]);
  // Partitions of the same device: XGMI weight 13 at 819200 MB/s; other devices: weight 41.
  assert.deepEqual(linkSummary(g.ioLinks.slice(1, 5)), ['11:3:13', '11:4:13', '11:5:13', '11:6:41']);
  assert.equal(g.ioLinks[1]!.maxBandwidth, 819200);
  assert.ok(g.ioLinks.slice(1).every((l) => l.type === HSA_IOLINK_TYPE.XGMI && l.nodeFrom === 2));
  assert.deepEqual(g.ioLinks.slice(1).map((l) => l.nodeTo), Array.from({ length: 31 }, (_, i) => i + 3));
  assert.deepEqual(linkSummary(g.p2pLinks), ['2:1:41']);

  const cpu0 = topo.nodes[0]!;
  assert.equal(cpu0.gpuId, 0);
  assert.deepEqual(cpu0.memBanks.map((b) => [b.heapType, b.sizeInBytes]), [[0, 1081864880128n]]);
  assert.equal(cpu0.ioLinks.length, 17);
  assert.deepEqual(linkSummary(cpu0.ioLinks.slice(0, 2)), [`${HSA_IOLINK_TYPE.QPI_1_1}:1:21`, '2:2:20']);
  assert.equal(cpu0.p2pLinks.length, 16);
  const p = cpu0.p2pLinks[0]!;
  assert.deepEqual([p.type, p.nodeFrom, p.nodeTo, p.weight, p.flags], [2, 0, 18, 41, 3]);
});

test('mi308x-cpx: every XGMI link has its reverse', () => {
  const topo = load('mi308x-cpx');
  const xgmi = topo.gpus.flatMap((g) => g.ioLinks.filter((l) => l.type === HSA_IOLINK_TYPE.XGMI));
  assert.equal(xgmi.length, 32 * 31);
  const has = new Set(xgmi.map((l) => `${l.nodeFrom}>${l.nodeTo}:${l.weight}`));
  for (const l of xgmi) assert.ok(has.has(`${l.nodeTo}>${l.nodeFrom}:${l.weight}`), `reverse of ${l.nodeFrom}>${l.nodeTo}`);
});

// ---- MI210 x8: two XGMI hives, PCIe peers, no gpu_id / mem_banks / caches in the capture ----

test('mi210x8-xgmi: MI210 nodes as captured (no gpu_id, mem_banks or caches files)', () => {
  const topo = load('mi210x8-xgmi');
  assert.equal(topo.generationId, undefined);
  assert.equal(topo.systemProperties.size, 0);
  const g = gpu(topo, 2);
  assert.equal(g.gfxTargetVersion, 90010);
  assert.equal(g.gfxTarget, 'gfx90a');
  assert.equal(g.deviceId, 0x740f);
  assert.equal(g.cuCount, 104);
  assert.equal(g.pciAddress, '0000:63:00.0');
  assert.equal(g.vramBytes, 0n);
  assert.deepEqual([g.memBanks.length, g.caches.length], [0, 0]);
  assert.equal(Number(g.properties.get('caches_count')), 217, 'the properties still count the caches');
});

test('mi210x8-xgmi: io_links (PCIe to CPU, XGMI in the hive) and p2p_links (PCIe across)', () => {
  const topo = load('mi210x8-xgmi');
  const g = gpu(topo, 2);
  assert.deepEqual(linkSummary(g.ioLinks), ['2:0:20', '11:3:15', '11:4:15', '11:5:15']);
  const pcie = g.ioLinks[0]!;
  assert.deepEqual([pcie.minBandwidth, pcie.maxBandwidth, pcie.recommendedSdmaEngineIdMask, pcie.flags], [312, 32000, 3, 1]);
  const x = g.ioLinks[1]!;
  assert.deepEqual([x.minBandwidth, x.maxBandwidth, x.recommendedSdmaEngineIdMask], [50000, 50000, 28]);
  assert.deepEqual(linkSummary(g.p2pLinks), ['2:1:52', '2:6:72', '2:7:72', '2:8:72', '2:9:72']);
  const hives = new Map<bigint, number[]>();
  for (const n of topo.gpus) hives.set(n.hiveId, [...(hives.get(n.hiveId) ?? []), n.id]);
  assert.deepEqual([...hives.values()], [[2, 3, 4, 5], [6, 7, 8, 9]]);
  const cpu0 = topo.nodes[0]!;
  assert.deepEqual(linkSummary(cpu0.ioLinks).slice(1), ['2:2:20', '2:3:20', '2:4:20', '2:5:20']);
  assert.equal(cpu0.ioLinks[1]!.flags, 3);
});

// ---- single-node captures ----

test('mi300x: an SPX MI300X node with its memory bank and XGMI links', () => {
  const g = gpu(load('mi300x'), 4);
  assert.equal(g.gfxTarget, 'gfx942');
  assert.equal(g.marketingName, 'AMD Instinct MI300X');
  assert.equal(g.deviceId, 0x74a1);
  assert.deepEqual([g.simdCount, g.cuCount, g.numXcc, g.arrayCount, g.simdArraysPerEngine], [1216, 304, 8, 32, 1]);
  assert.deepEqual([g.cwsrSize, g.ctlStackSize], [23203840, 12288]);
  assert.equal(g.hiveId, 7773567030725891371n);
  assert.equal(g.numSdmaXgmiEngines, 14);
  assert.equal(g.vramBytes, 206141652992n);
  assert.deepEqual(g.memBanks.map((b) => [b.width, b.memClkMax]), [[8192, 1300]]);
  // The capture keeps links 1..7 of the original node 3 (io_links/0, its PCIe link, is not in it).
  assert.equal(Number(g.properties.get('io_links_count')), 8);
  assert.deepEqual(linkSummary(g.ioLinks), ['11:2:15', '11:4:15', '11:5:15', '11:6:15', '11:7:15', '11:8:15', '11:9:15']);
  assert.ok(g.ioLinks.every((l) => l.nodeFrom === 3 && l.maxBandwidth === 64000 && l.minBandwidth === 64000));
  assert.deepEqual(g.ioLinks.map((l) => l.recommendedSdmaEngineIdMask), [16384, 4096, 4, 256, 16, 1024, 64]);
  assert.equal(g.p2pLinks.length, 0);
});

test('rx9070: an RDNA4 node with its memory bank', () => {
  const g = gpu(load('rx9070'), 6);
  assert.deepEqual([g.gfxTargetVersion, g.gfxTarget], [120001, 'gfx1201']);
  assert.equal(g.marketingName, 'AMD Radeon RX 9070 XT');
  assert.deepEqual([g.cuCount, g.waveFrontSize, g.simdPerCu], [64, 32, 2]);
  assert.deepEqual([g.cwsrSize, g.ctlStackSize], [30699520, 28672]);
  assert.equal(g.vramBytes, 17095983104n);
  assert.deepEqual(g.memBanks.map((b) => [b.width, b.memClkMax]), [[256, 1258]]);
});

test('rx7900xtx: an RDNA3 node (properties only)', () => {
  const topo = load('rx7900xtx');
  const g = gpu(topo, 1);
  assert.deepEqual([g.gfxTargetVersion, g.gfxTarget], [110000, 'gfx1100']);
  assert.equal(g.marketingName, 'AMD Radeon RX 7900 XTX');
  assert.deepEqual([g.simdCount, g.cuCount, g.waveFrontSize, g.arrayCount, g.simdArraysPerEngine], [192, 96, 32, 12, 2]);
  assert.equal(g.pciAddress, '0000:86:00.0');
  assert.equal(g.maxEngineClkMhz, 2482);
  assert.equal(g.properties.get('unique_id'), 11673270660693242239n, 'above 2^53, kept exact');
  assert.equal(g.cwsrSize, undefined);
  assert.deepEqual([g.gpuId, g.name, g.vramBytes, g.memBanks.length, g.ioLinks.length], [0, '', 0n, 0, 0]);
});

// ---- synthetic: ≥10 nodes sorted numerically, targets, errors ----

const SYNTHETIC_TARGETS: readonly (readonly [number, string])[] = [
  [110000, 'gfx1100'], [90402, 'gfx942'], [120001, 'gfx1201'], [90010, 'gfx90a'], [90500, 'gfx950'], [90006, 'gfx906'],
  [110501, 'gfx1151'], [100300, 'gfx1030'], [110001, 'gfx1101'], [90008, 'gfx908'], [120000, 'gfx1200'],
];

function writeTree(root: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    const path = join(root, 'devices/virtual/kfd/kfd/topology', rel);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, text);
  }
}

test('synthetic 12-node tree on disk: nodes sort 0,1,2,…,10,11 and each target decodes', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'amdgpu-ts-topo-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const files: Record<string, string> = { 'nodes/0/properties': 'cpu_cores_count 8\nsimd_count 0\n', 'nodes/0/gpu_id': '0\n' };
  SYNTHETIC_TARGETS.forEach(([version], i) => {
    files[`nodes/${i + 1}/properties`] = `simd_count ${8 * (i + 1)}\nsimd_per_cu 2\ngfx_target_version ${version}\n`;
    files[`nodes/${i + 1}/gpu_id`] = `${1000 + i}\n`;
  });
  writeTree(root, files);
  const topo = readTopology(new DirectorySysfs(root));
  assert.deepEqual(topo.nodes.map((n) => n.id), Array.from({ length: 12 }, (_, i) => i));
  assert.deepEqual(topo.gpus.map((g) => g.gfxTarget), SYNTHETIC_TARGETS.map(([, name]) => name));
  assert.deepEqual(topo.gpus.map((g) => g.gpuId), SYNTHETIC_TARGETS.map((_, i) => 1000 + i));
  assert.deepEqual(topo.gpus.map((g) => g.cuCount), SYNTHETIC_TARGETS.map((_, i) => 4 * (i + 1)));
});

test('gfx_target_version decodes major, hex minor and hex stepping', () => {
  for (const [version, name] of SYNTHETIC_TARGETS) assert.equal(gfxNameFromVersion(version), name);
});

test('properties: sibling_map lists are parsed, other non-integers are refused', () => {
  const parsed = parsePropertiesWithLists('level 2\nsize 4096\nsibling_map 1,1,0,0\n', 'x');
  assert.deepEqual([...parsed.values], [['level', 2n], ['size', 4096n]]);
  assert.deepEqual(parsed.lists.get('sibling_map'), [1, 1, 0, 0]);
  assert.throws(() => parseProperties('sibling_map 1,0\n', 'caches/0/properties'), (e: unknown) => e instanceof TopologyError && /caches\/0\/properties: "sibling_map" is a list/.test(e.message));
  assert.throws(() => parsePropertiesWithLists('name gfx1100\n', 'nodes/1/properties'), /nodes\/1\/properties: unparseable line "name gfx1100"/);
});

test('readTopology names what is missing or wrong', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'amdgpu-ts-topo-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  assert.throws(() => readTopology(new DirectorySysfs(root)), (e: unknown) => e instanceof TopologyError && e.message.includes(`no KFD topology at ${KFD_TOPOLOGY_PATH}`));
  writeTree(root, { 'nodes/1/properties': 'simd_count 8\n' });
  assert.throws(() => readTopology(new DirectorySysfs(root)), /node 1: GPU node without gfx_target_version/);
});

// ---- the emulated systems: their trees parse like captures and keep the captured values ----

// Keys the emulator sets per instance (src/emu/models/system.ts); every other key is the capture's.
const PER_INSTANCE_KEYS = new Set(['mem_banks_count', 'caches_count', 'io_links_count', 'p2p_links_count', 'drm_render_minor', 'location_id', 'domain', 'hive_id', 'unique_id', 'local_mem_size', 'cwsr_size', 'ctl_stack_size']);

// The capture each model was built from: fixture, node.
const MODEL_CAPTURE: Record<string, readonly [string, number]> = { gfx1100: ['rx7900xtx', 1], gfx942: ['mi300x', 4], gfx90a: ['mi210x8-xgmi', 2], gfx1201: ['rx9070', 6] };

function emulatedTopology(model: SystemModel, kfdMinor = 17): Topology {
  return readTopology(new MapSysfs(buildSysfs(model, layoutSystem(model, kfdMinor))));
}

for (const model of MODELS.values()) {
  test(`emulated ${model.name}: tree parses, GPUs keep the captured properties`, () => {
    const topo = emulatedTopology(model);
    const [fixtureName, node] = MODEL_CAPTURE[model.gpu.target]!;
    const captured = gpu(load(fixtureName), node);
    assert.deepEqual(topo.cpus.map((n) => n.id), [0]);
    assert.equal(topo.gpus.length, model.gpuCount);
    assert.deepEqual(topo.gpus.map((g) => g.id), Array.from({ length: model.gpuCount }, (_, i) => i + 1));
    assert.equal(new Set(topo.gpus.map((g) => g.gpuId)).size, model.gpuCount);
    for (const g of topo.gpus) {
      assert.equal(g.gfxTarget, model.gpu.target);
      assert.equal(g.marketingName, captured.marketingName);
      for (const [key, value] of captured.properties) {
        if (!PER_INSTANCE_KEYS.has(key)) assert.equal(g.properties.get(key), value, `${key} as captured`);
      }
      assert.equal(g.vramBytes, model.gpu.vramBytes);
      // The counts the emulator prints agree with the files it serves.
      assert.equal(Number(g.properties.get('io_links_count')), g.ioLinks.length);
      assert.equal(Number(g.properties.get('p2p_links_count')), g.p2pLinks.length);
      assert.equal(Number(g.properties.get('mem_banks_count')), g.memBanks.length);
      assert.equal(Number(g.properties.get('caches_count')), g.caches.length);
      assert.deepEqual(linkSummary(g.ioLinks.slice(0, 1)), ['2:0:20']);
    }
  });
}

test('emulated gfx942: memory bank, queue sizes and XGMI links match the MI300X capture', () => {
  const captured = gpu(load('mi300x'), 4);
  const topo = emulatedTopology(MODELS.get('gfx942x4')!);
  const capturedLink = captured.ioLinks[0]!;
  for (const g of topo.gpus) {
    assert.deepEqual(g.memBanks.map((b) => [b.heapType, b.sizeInBytes, b.width, b.memClkMax]), captured.memBanks.map((b) => [b.heapType, b.sizeInBytes, b.width, b.memClkMax]));
    assert.deepEqual([g.cwsrSize, g.ctlStackSize], [captured.cwsrSize, captured.ctlStackSize]);
    const xgmi = g.ioLinks.filter((l) => l.type === HSA_IOLINK_TYPE.XGMI);
    assert.deepEqual(xgmi.map((l) => l.nodeTo), topo.gpus.filter((p) => p !== g).map((p) => p.id));
    for (const l of xgmi) assert.deepEqual([l.weight, l.minBandwidth, l.maxBandwidth, l.flags], [capturedLink.weight, capturedLink.minBandwidth, capturedLink.maxBandwidth, capturedLink.flags]);
  }
  assert.equal(new Set(topo.gpus.map((g) => g.hiveId)).size, 1);
  assert.notEqual(topo.gpus[0]!.hiveId, 0n);
});

test('emulated gfx1201x2: the RX 9070 capture\'s memory bank and queue sizes (64 CU, 2,048 waves), PCIe peers', () => {
  const captured = gpu(load('rx9070'), 6);
  const topo = emulatedTopology(MODELS.get('gfx1201x2')!);
  for (const g of topo.gpus) {
    assert.equal(g.gfxTarget, 'gfx1201');
    assert.deepEqual(g.memBanks.map((b) => [b.heapType, b.sizeInBytes, b.width, b.memClkMax]), captured.memBanks.map((b) => [b.heapType, b.sizeInBytes, b.width, b.memClkMax]));
    // The kernel printed these in the capture; kfd_queue.c gives the same for 64 CUs * 32 waves = 2,048 waves.
    assert.deepEqual([g.cwsrSize, g.ctlStackSize], [captured.cwsrSize, captured.ctlStackSize]);
    assert.deepEqual([g.cwsrSize, g.ctlStackSize], [30699520, 28672]);
  }
  assert.deepEqual(topo.gpus.map((g) => linkSummary(g.p2pLinks)), [['2:2:40'], ['2:1:40']]);
});

test('emulated gfx1100x2: PCIe peers through p2p_links; KFD 1.11 prints no CWSR sizes', () => {
  const topo = emulatedTopology(MODELS.get('gfx1100x2')!);
  assert.deepEqual(topo.gpus.map((g) => linkSummary(g.p2pLinks)), [['2:2:40'], ['2:1:40']]);
  assert.deepEqual(topo.gpus.map((g) => [g.cwsrSize, g.ctlStackSize]), [[46047232, 40960], [46047232, 40960]]);
  const old = emulatedTopology(MODELS.get('gfx1100')!, 11);
  assert.deepEqual([old.gpus[0]!.cwsrSize, old.gpus[0]!.ctlStackSize], [undefined, undefined]);
});

test('EmuHost serves the same topology as its sysfs tree', async (t) => {
  const host = new EmuHost('emu:gfx942x4');
  t.after(() => host.shutdown());
  const fromHost = readTopology(host);
  const fromTree = emulatedTopology(MODELS.get('gfx942x4')!);
  assert.deepEqual(fromHost.gpus.map((g) => [g.id, g.gpuId, g.gfxTarget, g.pciAddress]), fromTree.gpus.map((g) => [g.id, g.gpuId, g.gfxTarget, g.pciAddress]));
  assert.deepEqual(fromHost.gpus.map((g) => linkSummary(g.ioLinks)), fromTree.gpus.map((g) => linkSummary(g.ioLinks)));
});
