// `selftest --trace FILE`: GPU timestamps of every submission as Chrome / Perfetto trace JSON — one
// track per queue, operations on a track in order without overlap, and the SDMA copy and the kernel
// of sync.overlap overlapping in time.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/cli/main.js';
import type { CommandIo } from '../src/cli/io.js';

interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  ts?: number;
  dur?: number;
  cat?: string;
  args?: { name?: string };
}

/** ts and dur are tick counts divided by 100 in floating point; sums may differ by this much. */
const FLOAT_SLACK_US = 1e-6;

const dir = mkdtempSync(join(tmpdir(), 'amdgpu-ts-trace-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function tracedSelftest(device: string, only: readonly string[], file: string): Promise<{ code: number; stderr: string[]; events: TraceEvent[]; doc: Record<string, unknown> }> {
  const stderr: string[] = [];
  const io: CommandIo = { out: () => undefined, err: (l) => void stderr.push(l), interactive: false };
  const code = await main(['selftest', '--device', device, ...only.flatMap((o) => ['--only', o]), '--trace', file], io);
  const doc = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  assert.ok(Array.isArray(doc.traceEvents), 'traceEvents is an array');
  return { code, stderr, events: doc.traceEvents as TraceEvent[], doc };
}

/** Checks the Trace Event Format rules every trace must follow; returns the tracks by "pid/tid". */
function checkFormat(events: readonly TraceEvent[]): Map<string, { name: string; ops: TraceEvent[] }> {
  const tracks = new Map<string, { name: string; ops: TraceEvent[] }>();
  for (const e of events.filter((x) => x.ph === 'M' && x.name === 'thread_name')) {
    const key = `${e.pid}/${e.tid}`;
    assert.ok(!tracks.has(key), `one thread_name for ${key}`);
    assert.equal(typeof e.args?.name, 'string');
    tracks.set(key, { name: e.args!.name!, ops: [] });
  }
  const names = [...tracks].map(([key, t]) => `${key.split('/')[0]}: ${t.name}`);
  for (const e of events) {
    assert.ok(e.ph === 'X' || e.ph === 'M', `phase ${e.ph}`);
    assert.ok(Number.isInteger(e.pid) && e.pid > 0 && Number.isInteger(e.tid) && e.tid >= 0, `pid/tid of ${JSON.stringify(e)}`);
    if (e.ph !== 'X') continue;
    assert.equal(typeof e.name, 'string');
    assert.ok(typeof e.ts === 'number' && Number.isFinite(e.ts) && e.ts >= 0, `ts of ${JSON.stringify(e)}`);
    assert.ok(typeof e.dur === 'number' && Number.isFinite(e.dur) && e.dur >= 0, `dur of ${JSON.stringify(e)}`);
    const t = tracks.get(`${e.pid}/${e.tid}`);
    assert.ok(t, `X event on a track with a thread_name: ${JSON.stringify(e)}`);
    t.ops.push(e);
  }
  assert.equal(new Set(names).size, names.length, `track names are distinct within a GPU: ${names.join(', ')}`);
  for (const [key, t] of tracks) {
    assert.match(t.name, /^(PM4|AQL|SDMA|SDMA-XGMI) queue \d+( #\d+)?$/, `track ${key} is named after its queue (#n when KFD reused the queue id)`);
    assert.ok(t.ops.length > 0, `track ${t.name} has operations`);
    for (let i = 1; i < t.ops.length; i++) {
      const a = t.ops[i - 1]!;
      const b = t.ops[i]!;
      assert.ok(a.ts! <= b.ts!, `${t.name}: sorted by ts`);
      assert.ok(a.ts! + a.dur! <= b.ts! + FLOAT_SLACK_US, `${t.name}: "${a.name}" (${a.ts}+${a.dur}) ends after "${b.name}" starts (${b.ts})`);
    }
  }
  return tracks;
}

describe('selftest --trace on emu:gfx1100', () => {
  it('writes a Chrome trace: one named track per queue, no overlap within a track, SDMA and compute overlapping in sync.overlap', async () => {
    const file = join(dir, 'gfx1100.json');
    const r = await tracedSelftest('emu:gfx1100', ['^sdma\\.copy$', '^dispatch\\.aql\\.vector_add$', '^dispatch\\.pm4\\.vector_add$', '^sync\\.overlap$'], file);
    assert.equal(r.code, 0, r.stderr.join('\n'));
    assert.match(r.stderr.at(-1)!, new RegExp(`wrote \\d+ GPU operations to ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.ok(r.doc.displayTimeUnit === 'ns' || r.doc.displayTimeUnit === 'ms');
    const processes = r.events.filter((e) => e.ph === 'M' && e.name === 'process_name');
    assert.deepEqual(processes.map((e) => [e.pid, e.args?.name]), [[1, 'GPU 0']]);
    const tracks = checkFormat(r.events);
    const all = [...tracks.values()];
    const kinds = all.map((t) => t.name.split(' ')[0]).sort();
    assert.ok(kinds.includes('AQL') && kinds.includes('PM4') && kinds.includes('SDMA'), `queue kinds: ${kinds.join(', ')}`);
    const ops = all.flatMap((t) => t.ops.map((o) => ({ track: t.name, ...o })));
    // sdma.copy: 88 copies of 1 B … 16 MiB on one SDMA track.
    const copies = ops.filter((o) => /^copy \d+ B$/.test(o.name) && o.track.startsWith('SDMA'));
    assert.ok(copies.length >= 88, `${copies.length} SDMA copies traced`);
    assert.ok(copies.some((o) => o.name === 'copy 1 B') && copies.some((o) => o.name === `copy ${16 << 20} B`));
    // Both vector_add dispatches, on an AQL and a PM4 track.
    assert.deepEqual(ops.filter((o) => o.name === 'vector_add').map((o) => o.track.split(' ')[0]).sort(), ['AQL', 'PM4']);
    // sync.overlap: its 64 MiB copy and its hash_loop kernel share GPU time.
    const copy = ops.find((o) => o.name === `copy ${64 << 20} B`);
    const kernel = ops.find((o) => o.name === 'hash_loop');
    assert.ok(copy && kernel, 'the overlap check traced its copy and its kernel');
    assert.notEqual(copy.track, kernel.track);
    assert.ok(copy.track.startsWith('SDMA') && kernel.track.startsWith('PM4'));
    const shared = Math.min(copy.ts! + copy.dur!, kernel.ts! + kernel.dur!) - Math.max(copy.ts!, kernel.ts!);
    assert.ok(shared > 0, `copy ${copy.ts}+${copy.dur} and kernel ${kernel.ts}+${kernel.dur} overlap`);
  });
});

describe('selftest --trace on emu:gfx942x4', () => {
  it('puts each GPU in its own process with its queues as tracks', async () => {
    const file = join(dir, 'gfx942x4.json');
    const r = await tracedSelftest('emu:gfx942x4', ['^peer\\.access$'], file);
    assert.equal(r.code, 0, r.stderr.join('\n'));
    const processes = r.events.filter((e) => e.ph === 'M' && e.name === 'process_name');
    // peer.access runs a PM4 queue on GPUs 1, 2 and 3, each writing into GPU 0's memory.
    assert.deepEqual(processes.map((e) => e.args?.name).sort(), ['GPU 1', 'GPU 2', 'GPU 3']);
    assert.equal(new Set(processes.map((e) => e.pid)).size, 3);
    for (const p of processes) {
      const threads = r.events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.pid === p.pid);
      assert.equal(threads.length, 1, `${p.args?.name}: one queue`);
      assert.match(threads[0]!.args!.name!, /^PM4 queue \d+$/);
      const ops = r.events.filter((e) => e.ph === 'X' && e.pid === p.pid);
      assert.deepEqual(ops.map((e) => e.name), ['peer WRITE_DATA']);
    }
    checkFormat(r.events.filter((e) => e.ph === 'X' || e.name === 'thread_name'));
  });
});
