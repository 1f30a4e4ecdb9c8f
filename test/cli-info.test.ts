// `amdgpu-ts info --sysfs-root <captured tree>`: in-process through main() and as a child process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/cli/main.js';
import type { CommandIo } from '../src/cli/io.js';
import type { InfoReport } from '../src/cli/info.js';
import { REPO_ROOT, TOPOLOGY_FIXTURES, fixtureRoot } from './fixtures/topology/index.js';

interface Run {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

async function runInProcess(argv: readonly string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CommandIo = { out: (l) => out.push(l), err: (l) => err.push(l), interactive: false };
  const code = await main(argv, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

function runChild(argv: readonly string[]): Run {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'amdgpu-ts.js'), ...argv], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

/** Data rows of the table: the lines after the dashed separator. */
function tableRows(text: string): string[][] {
  const lines = text.split('\n');
  const sep = lines.findIndex((l) => /^-+(\s+-+)+\s*$/.test(l));
  assert.ok(sep > 0, `table separator in:\n${text}`);
  return lines.slice(sep + 1).filter((l) => l.trim()).map((l) => l.trim().split(/\s{2,}/));
}

for (const f of TOPOLOGY_FIXTURES) {
  const dir = fixtureRoot(f.name);
  const expected = f.gpus.map((g) => ({ node: g.node, target: g.target, gpuId: g.gpuId }));

  test(`info --json (in-process) on ${f.name}: every GPU with its target`, async () => {
    const r = await runInProcess(['info', '--sysfs-root', dir, '--json']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, '');
    const report = JSON.parse(r.out) as InfoReport;
    assert.equal(report.source, `sysfs:${dir}`);
    assert.equal(report.emulated, false);
    assert.equal(report.kfdVersion, null);
    assert.deepEqual(report.gpus.map((g) => ({ node: g.node, target: g.target, gpuId: g.gpuId })), expected);
  });

  test(`info table (in-process) on ${f.name}: one row per GPU`, async () => {
    const r = await runInProcess(['info', '--sysfs-root', dir]);
    assert.equal(r.code, 0, r.err);
    assert.ok(r.out.startsWith(`sysfs:${dir}  KFD -  driver -  ${f.gpus.length} GPU(s)`), r.out.split('\n')[0]);
    const rows = tableRows(r.out);
    assert.deepEqual(rows.map((cells) => [Number(cells[0]), Number(cells[1]), cells[2]!.replace(' (unsupported)', '')]), expected.map((g) => [g.node, g.gpuId, g.target]));
  });

  test(`info --json (child process) on ${f.name}`, () => {
    const r = runChild(['info', '--sysfs-root', dir, '--json']);
    assert.equal(r.code, 0, r.err);
    const report = JSON.parse(r.out) as InfoReport;
    assert.deepEqual(report.gpus.map((g) => ({ node: g.node, target: g.target, gpuId: g.gpuId })), expected);
  });
}

test('info --json reports the captured facts of a GPU (MI210 node 2, MI300X node 4)', async () => {
  const mi210 = JSON.parse((await runInProcess(['info', '--sysfs-root', fixtureRoot('mi210x8-xgmi'), '--json'])).out) as InfoReport;
  const g = mi210.gpus[0]!;
  assert.deepEqual([g.node, g.gfxTargetVersion, g.computeUnits, g.simds, g.waveSize, g.pci, g.renderNode, g.vramBytes], [2, 90010, 104, 416, 64, '0000:63:00.0', '/dev/dri/renderD128', '0']);
  // io_links then p2p_links, as captured.
  assert.deepEqual(g.ioLinks.map((l) => `${l.type}:${l.to}:${l.weight}`), ['2:0:20', '11:3:15', '11:4:15', '11:5:15', '2:1:52', '2:6:72', '2:7:72', '2:8:72', '2:9:72']);
  const mi300x = JSON.parse((await runInProcess(['info', '--sysfs-root', fixtureRoot('mi300x'), '--json'])).out) as InfoReport;
  const m = mi300x.gpus[0]!;
  assert.deepEqual([m.marketingName, m.computeUnits, m.xccs, m.vramBytes, m.xgmiSdmaEngines], ['AMD Instinct MI300X', 304, 8, '206141652992', 14]);
});

test('info --sysfs-root on a folder without a KFD tree fails without output on stdout', async (t) => {
  const missing = join(tmpdir(), 'amdgpu-ts-no-such-sysfs-root');
  const r = await runInProcess(['info', '--sysfs-root', missing, '--json']);
  assert.ok(r.code === 1 || r.code === 2, `exit ${r.code}`);
  assert.equal(r.out, '');
  assert.match(r.err, /no KFD topology/);
  const empty = mkdtempSync(join(tmpdir(), 'amdgpu-ts-empty-'));
  t.after(() => rmSync(empty, { recursive: true, force: true }));
  const c = runChild(['info', '--sysfs-root', empty]);
  assert.ok(c.code === 1 || c.code === 2, `exit ${c.code}`);
  assert.equal(c.out, '');
  assert.match(c.err, /no KFD topology/);
});

// What a user should see; info.ts / main.ts do not do this yet (see the topology fixtures report).
test(
  'info --sysfs-root with a bad folder: exit 2, names the folder given, no stack trace',
  async (t) => {
    const missing = join(tmpdir(), 'amdgpu-ts-no-such-sysfs-root');
    const r = await runInProcess(['info', '--sysfs-root', missing]);
    assert.equal(r.code, 2);
    assert.ok(r.err.includes(missing), r.err);
    assert.doesNotMatch(r.err, /^\s+at /m);
    const bad = mkdtempSync(join(tmpdir(), 'amdgpu-ts-bad-'));
    t.after(() => rmSync(bad, { recursive: true, force: true }));
    const node = join(bad, 'devices/virtual/kfd/kfd/topology/nodes/1');
    mkdirSync(node, { recursive: true });
    writeFileSync(join(node, 'properties'), 'simd_count eight\n');
    const m = await runInProcess(['info', '--sysfs-root', bad]);
    assert.equal(m.code, 2);
    assert.ok(m.err.includes(join(node, 'properties')), m.err);
    assert.doesNotMatch(m.err, /^\s+at /m);
  },
);
