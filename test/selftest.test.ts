// The self-test (the main job): the whole suite passes on the emulated GPUs, the JSON report of the
// CLI, and fault injection — each injected fault makes exactly the checks that test its behaviour
// fail, with a message that says what went wrong.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runSelftest, type SelftestReport } from '../src/harness/selftest.js';
import { SELFTEST } from '../src/harness/suite.js';
import { main } from '../src/cli/main.js';
import type { CommandIo } from '../src/cli/io.js';

function capture(): CommandIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => void stdout.push(l), err: (l) => void stderr.push(l), interactive: false };
}

const failedOf = (r: SelftestReport): string[] => r.checks.filter((c) => c.status === 'failed').map((c) => c.name).sort();
const detailOf = (r: SelftestReport, name: string): string => r.checks.find((c) => c.name === name)?.detail ?? `(no check ${name})`;

describe('selftest on emu:gfx1100', () => {
  it('runs every check in suite order; each passes or is skipped with a reason', async () => {
    const lines: string[] = [];
    const r = await runSelftest(SELFTEST, { device: 'emu:gfx1100', progress: (l, done) => done && lines.push(l) });
    assert.equal(r.device, 'emu:gfx1100');
    assert.equal(r.emulated, true);
    assert.deepEqual(r.checks.map((c) => c.name), SELFTEST.map((c) => c.name));
    const bad = r.checks.filter((c) => c.status === 'failed');
    assert.deepEqual(bad, [], 'no check failed');
    for (const c of r.checks) {
      assert.ok(c.ms >= 0 && Number.isFinite(c.ms), `${c.name}: ms`);
      assert.ok(c.detail.length > 0, `${c.name}: a detail line`);
    }
    // With one GPU only the peer checks skip, and they say why.
    const skipped = r.checks.filter((c) => c.status === 'skipped');
    assert.deepEqual(skipped.map((c) => c.name), ['peer.copy', 'peer.access']);
    for (const c of skipped) assert.match(c.detail, /needs two GPUs; this system has one/);
    assert.ok(r.checks.filter((c) => c.name.startsWith('dispatch.')).length >= 20, 'the corpus is dispatched on both queue kinds');
    assert.equal(lines.length, SELFTEST.length, 'one progress line per finished check');
    assert.match(lines[0]!, /^\[ 1\/\d+\] device\.open passed \(\d+ ms\)$/);
  });
});

describe('selftest --json on emu:gfx942x4 through the CLI', () => {
  it('prints {device, emulated, checks:[{name,status,ms,detail}]}; everything passes, the peer checks included', async () => {
    const io = capture();
    const code = await main(['selftest', '--device', 'emu:gfx942x4', '--json'], io);
    assert.equal(code, 0, io.stderr.join('\n'));
    const doc = JSON.parse(io.stdout.join('\n')) as { device: string; emulated: boolean; checks: { name: string; status: string; ms: number; detail: string }[] };
    assert.deepEqual(Object.keys(doc).sort(), ['checks', 'device', 'emulated']);
    assert.equal(doc.device, 'emu:gfx942x4');
    assert.equal(doc.emulated, true);
    assert.deepEqual(doc.checks.map((c) => c.name), SELFTEST.map((c) => c.name));
    for (const c of doc.checks) {
      assert.deepEqual(Object.keys(c).sort(), ['detail', 'ms', 'name', 'status']);
      assert.equal(typeof c.ms, 'number');
      assert.ok(c.ms >= 0);
      assert.equal(typeof c.detail, 'string');
      assert.ok(c.status === 'passed' || c.status === 'skipped', `${c.name}: ${c.status}: ${c.detail}`);
      if (c.status === 'skipped') assert.ok(c.detail.length > 0, `${c.name} says why it skipped`);
    }
    const peer = doc.checks.filter((c) => c.name.startsWith('peer.'));
    assert.deepEqual(peer.map((c) => [c.name, c.status]), [['peer.copy', 'passed'], ['peer.access', 'passed']]);
    assert.match(peer[0]!.detail, /8 MiB gfx942#0 → #1 on SDMA-XGMI queue/);
    assert.equal(peer[1]!.detail, 'peer writes #1→#0, #2→#0, #3→#0');
    assert.match(doc.checks.find((c) => c.name === 'device.open')!.detail, /4 GPU\(s\): gfx942, gfx942, gfx942, gfx942/);
    assert.equal(io.stderr.filter((l) => / (passed|skipped|failed) \(\d+ ms\)/.test(l)).length, SELFTEST.length, 'progress went to stderr');
  });
});

describe('selftest --json on emu:gfx90ax2 (the MI210 pair ROCm 5.2.3 can be served)', () => {
  it('every check passes, the corpus on AQL and PM4 and the XGMI peer checks included', async () => {
    const io = capture();
    const code = await main(['selftest', '--device', 'emu:gfx90ax2', '--json'], io);
    assert.equal(code, 0, io.stderr.join('\n'));
    const doc = JSON.parse(io.stdout.join('\n')) as { checks: { name: string; status: string; detail: string }[] };
    assert.deepEqual(doc.checks.filter((c) => c.status !== 'passed').map((c) => `${c.name}: ${c.status}: ${c.detail}`), []);
    assert.ok(doc.checks.some((c) => c.name === 'dispatch.pm4.scratch_spill'), 'scratch through the private segment buffer');
    assert.match(doc.checks.find((c) => c.name === 'device.open')!.detail, /2 GPU\(s\): gfx90a, gfx90a/);
    assert.match(doc.checks.find((c) => c.name === 'peer.copy')!.detail, /gfx90a#0 → #1 on SDMA-XGMI queue/);
  });
});

describe('selftest --json on emu:gfx1201x2 (two RX 9070 XT-class RDNA4 GPUs, PCIe peers)', () => {
  it('every check passes, the gfx1201 corpus on AQL and PM4 and the peer checks included', async () => {
    const io = capture();
    const code = await main(['selftest', '--device', 'emu:gfx1201x2', '--json'], io);
    assert.equal(code, 0, io.stderr.join('\n'));
    const doc = JSON.parse(io.stdout.join('\n')) as { checks: { name: string; status: string; detail: string }[] };
    assert.deepEqual(doc.checks.filter((c) => c.status !== 'passed').map((c) => `${c.name}: ${c.status}: ${c.detail}`), []);
    assert.ok(doc.checks.some((c) => c.name === 'dispatch.pm4.histogram') && doc.checks.some((c) => c.name === 'dispatch.aql.scratch_spill'));
    assert.match(doc.checks.find((c) => c.name === 'device.open')!.detail, /2 GPU\(s\): gfx1201, gfx1201/);
    assert.match(doc.checks.find((c) => c.name === 'peer.copy')!.detail, /gfx1201#0 → #1/);
    assert.equal(doc.checks.find((c) => c.name === 'peer.access')!.status, 'passed');
  });
});

// Each injection must make exactly these checks fail. sync.overlap gates both of its queues on one
// WAIT_REG_MEM / POLL_REGMEM (so that neither starts early): a queue that never leaves a wait fails it too.
const INJECTIONS = [
  {
    inject: 'drop-interrupt',
    fails: ['pm4.interrupt-wait'],
    says: { 'pm4.interrupt-wait': [/the fence landed but no interrupt woke the waiter/, /ran into their timeout/] },
  },
  {
    inject: 'flip-copy-byte',
    // The kernel's DMA ring runs on the same SDMA engine: the render-node copies are hit too.
    fails: ['drm.copy', 'drm.syncobj', 'sdma.copy'],
    says: {
      'sdma.copy': [/copy of \d+ bytes \(src\+\d+, dst\+\d+\): byte \d+ is 0x[0-9a-f]{1,2}, want 0x[0-9a-f]{1,2}/],
      'drm.copy': [/GTT → VRAM copy of \d+ bytes: byte \d+ is 0x[0-9a-f]{1,2}, want 0x[0-9a-f]{1,2}/],
      'drm.syncobj': [/COMPUTE read 0x[0-9a-f]+ \/ 0x[0-9a-f]+, the copy wrote 0x5eed/],
    },
  },
  {
    inject: 'stall-queue',
    fails: ['drm.syncobj', 'drm.timeout', 'sync.compute-waits-sdma', 'sync.overlap', 'sync.sdma-waits-compute'],
    says: {
      'drm.syncobj': [/timed out after 1500 ms waiting for fence \d+ of .* kernel COMPUTE ring 0/, /\n=> \[\s*\d+\] COPY_DATA/],
      'drm.timeout': [/timed out after 1500 ms waiting for fence 1 of .* kernel COMPUTE ring 0/, /\n=> \[\s*\d+\] WAIT_REG_MEM/],
      'sync.compute-waits-sdma': [/timed out after 1500 ms waiting for the compute queue to resume after the SDMA fence/, /\n=> \[\s*\d+\] WAIT_REG_MEM function=== mem_space=mem/],
      'sync.sdma-waits-compute': [/timed out after 1500 ms waiting for the SDMA queue to resume after the compute fence/, /\n=> \[\s*\d+\] POLL_REGMEM .*function=>= mem_poll=1/],
      'sync.overlap': [/timed out after 1500 ms waiting for fence \d+ of .*queue/, /\n=> \[\s*\d+\] (POLL_REGMEM|WAIT_REG_MEM)/],
    },
  },
] as const;

describe('fault injection on emu:gfx1100 (whole suite, 1500 ms waits)', () => {
  for (const { inject, fails, says } of INJECTIONS) {
    it(`${inject}: exactly ${fails.join(', ')} fail(s), saying what went wrong`, async () => {
      const r = await runSelftest(SELFTEST, { device: `emu:gfx1100?inject=${inject}`, timeoutMs: 1500 });
      assert.deepEqual(failedOf(r), [...fails].sort(), r.checks.filter((c) => c.status === 'failed').map((c) => `${c.name}: ${c.detail.split('\n')[0]}`).join('\n'));
      for (const [name, patterns] of Object.entries(says)) {
        const d = detailOf(r, name);
        for (const p of patterns) assert.match(d, p, `${name}`);
        assert.match(d, /\[this check proves: .+\]$/, `${name} says what it proves`);
      }
      assert.deepEqual(r.checks.filter((c) => c.status === 'skipped').map((c) => c.name), ['peer.copy', 'peer.access']);
    });
  }
});

describe('an injected run through the CLI', () => {
  it('exits 1 and prints the failed checks (emu:gfx942x4, flip-copy-byte: the SDMA copy checks, peer included)', async () => {
    const io = capture();
    const code = await main(['selftest', '--device', 'emu:gfx942x4?inject=flip-copy-byte', '--only', '^sdma\\.', '--only', '^peer\\.', '--timeout', '1500'], io);
    assert.equal(code, 1);
    const text = io.stdout.join('\n');
    assert.match(text, /2 passed, 2 failed, 0 skipped/);
    assert.match(text, /\nFAILED sdma\.copy:\n.*byte \d+ is 0x[0-9a-f]+, want 0x[0-9a-f]+/);
    assert.match(text, /\nFAILED peer\.copy:\npeer copy GPU 0 .* → GPU 1 .*: byte \d+ is 0x[0-9a-f]+, want 0x[0-9a-f]+/);
    assert.match(text, /sdma\.fill\s+passed/);
    assert.match(text, /peer\.access\s+passed/);
  });

  it('exits 0 on the same checks without injection', async () => {
    const io = capture();
    assert.equal(await main(['selftest', '--device', 'emu:gfx942x4', '--only', '^sdma\\.', '--only', '^peer\\.'], io), 0);
    assert.match(io.stdout.join('\n'), /4 passed, 0 failed, 0 skipped/);
  });
});
