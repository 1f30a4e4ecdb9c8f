// `amdgpu-ts decode`: the committed dispatch streams (ours and tinygrad's), binary/text/stdin input,
// SDMA and AQL engines, JSON, invalid packets (exit 1) and bad usage (UsageError -> exit 2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runDecode, parseHexDwords, readDwords, DECODE_HELP } from '../src/cli/decode.js';
import { UsageError } from '../src/cli/args.js';
import { InputError } from '../src/errors.js';
import type { CommandIo } from '../src/cli/io.js';
import { Pm4Builder } from '../src/hw/pm4/builder.js';
import { SdmaBuilder } from '../src/hw/sdma/builder.js';
import { COMPUTE_REGS, DISPATCH_INITIATOR } from '../src/hw/pm4/registers.js';
import { writeDispatchPacket, writePm4IbPacket } from '../src/hw/aql.js';
import { REPO_ROOT } from './fixtures/topology/index.js';

const STREAMS = join(REPO_ROOT, 'test', 'fixtures', 'streams');

interface Run {
  readonly code: number;
  readonly out: string[];
  readonly err: string[];
}

function run(argv: readonly string[]): Run {
  const out: string[] = [];
  const err: string[] = [];
  const io: CommandIo = { out: (l) => out.push(...l.split('\n')), err: (l) => err.push(l), interactive: false };
  return { code: runDecode(argv, io), out, err };
}

const tmp = mkdtempSync(join(tmpdir(), 'amdgpu-ts-decode-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
function file(content: string | Uint8Array): string {
  const p = join(tmp, `in${n++}`);
  writeFileSync(p, content);
  return p;
}
const bin = (dw: ArrayLike<number>): Uint8Array => {
  const b = new Uint8Array(dw.length * 4);
  const v = new DataView(b.buffer);
  Array.from(dw).forEach((d, i) => v.setUint32(i * 4, d, true));
  return b;
};
const names = (r: Run): string[] => r.out.map((l) => /^\[\s*\d+\] (\S+)/.exec(l)![1]!);

/** The dispatch a runtime writes for one launch, as test/fixtures/streams/gfx11-dispatch.hex holds it. */
function builderDispatch(family: 'gfx11' | 'gfx12' = 'gfx11'): Uint32Array {
  const R = COMPUTE_REGS[family];
  const entry = 0x7f00_0040_0100n;
  const scratch = 0x7f00_1000_0000n;
  const kernarg = 0x7f00_0020_0000n;
  const b = new Pm4Builder(family).acquireMem();
  b.setShRegs(R.PGM_LO, Number((entry >> 8n) & 0xffffffffn), Number(entry >> 40n));
  b.setShRegs(R.PGM_RSRC1, 0x60af0000, 0x00001398);
  b.setShRegs(R.PGM_RSRC3, 0);
  b.setShRegs(R.TMPRING_SIZE, 0x00020200);
  b.setShRegs(R.DISPATCH_SCRATCH_BASE_LO, Number((scratch >> 8n) & 0xffffffffn), Number(scratch >> 40n));
  b.setShRegs(R.USER_DATA_0, Number(kernarg & 0xffffffffn), Number(kernarg >> 32n));
  b.setShRegs(R.RESOURCE_LIMITS, 0);
  b.setShRegs(R.START_X, 0, 0, 0, 64, 1, 1);
  b.dispatchDirect(4, 2, 1, DISPATCH_INITIATOR.COMPUTE_SHADER_EN | DISPATCH_INITIATOR.FORCE_START_AT_000 | DISPATCH_INITIATOR.CS_W32_EN);
  b.csPartialFlush();
  b.releaseMem({ va: 0x7f00_0030_0000n, data: 'data64', value: 1n, flush: true });
  b.releaseMem({ va: 0x7f00_0030_1000n, data: 'data64', value: 3n, interrupt: true, ctxid: 3, flush: false });
  return b.dwords.slice();
}

/** Every register of every SET_SH_REG line, by name. */
function shRegisters(r: Run): string[] {
  return r.out.filter((l) => l.includes('SET_SH_REG')).flatMap((l) => [...l.matchAll(/ (\S+)=0x[0-9a-f]+/g)].map((m) => m[1]!));
}

test('gfx11-dispatch.hex is what our builder writes, and decodes packet by packet with every register named', () => {
  const text = readFileSync(join(STREAMS, 'gfx11-dispatch.hex'), 'utf8');
  assert.deepEqual(Array.from(parseHexDwords(text)), Array.from(builderDispatch()));
  const r = run([join(STREAMS, 'gfx11-dispatch.hex')]);
  assert.equal(r.code, 0, r.err.join('\n'));
  assert.deepEqual(r.err, []);
  assert.deepEqual(names(r), ['ACQUIRE_MEM', ...Array(8).fill('SET_SH_REG'), 'DISPATCH_DIRECT', 'EVENT_WRITE', 'RELEASE_MEM', 'RELEASE_MEM']);
  assert.deepEqual(shRegisters(r), [
    'COMPUTE_PGM_LO', 'COMPUTE_PGM_HI', 'COMPUTE_PGM_RSRC1', 'COMPUTE_PGM_RSRC2', 'COMPUTE_PGM_RSRC3', 'COMPUTE_TMPRING_SIZE',
    'COMPUTE_DISPATCH_SCRATCH_BASE_LO', 'COMPUTE_DISPATCH_SCRATCH_BASE_HI', 'COMPUTE_USER_DATA_0', 'COMPUTE_USER_DATA_1', 'COMPUTE_RESOURCE_LIMITS',
    'COMPUTE_START_X', 'COMPUTE_START_Y', 'COMPUTE_START_Z', 'COMPUTE_NUM_THREAD_X', 'COMPUTE_NUM_THREAD_Y', 'COMPUTE_NUM_THREAD_Z',
  ]);
  assert.equal(r.out[0], '[   0] ACQUIRE_MEM coher_cntl=0x0 engine_sel=0 coher_size=0xffffffff coher_size_hi=0xffffff coher_base=0x0 poll_interval=0xa gcr_cntl=0xc3f1');
  assert.equal(r.out[9], '[  41] DISPATCH_DIRECT dim_x=0x4 dim_y=0x2 dim_z=0x1 dispatch_initiator=0x8005');
  assert.equal(r.out[10], '[  46] EVENT_WRITE event_type=CS_PARTIAL_FLUSH event_index=4');
  assert.match(r.out[12]!, /int_sel=int_after_write data_sel=data64 addr=0x7f0000301000 data=0x3 int_ctxid=0x3$/);
});

test('gfx12-dispatch.hex is what our builder writes for gfx1201, and decodes with the gfx12 cache bits and every register named', () => {
  const text = readFileSync(join(STREAMS, 'gfx12-dispatch.hex'), 'utf8');
  assert.deepEqual(Array.from(parseHexDwords(text)), Array.from(builderDispatch('gfx12')));
  const r = run([join(STREAMS, 'gfx12-dispatch.hex'), '--gfx', 'gfx1201']);
  assert.equal(r.code, 0, r.err.join('\n'));
  assert.deepEqual(r.err, []);
  assert.deepEqual(names(r), ['ACQUIRE_MEM', ...Array(8).fill('SET_SH_REG'), 'DISPATCH_DIRECT', 'EVENT_WRITE', 'RELEASE_MEM', 'RELEASE_MEM']);
  assert.deepEqual(shRegisters(r), shRegisters(run([join(STREAMS, 'gfx11-dispatch.hex')])));
  // gfx_v12_0_emit_mem_sync's GCR_CNTL (no GLK_WB) and gfx_v12_0_ring_emit_fence's SEQ | GL2_WB | CACHE_POLICY(3).
  assert.equal(r.out[0], '[   0] ACQUIRE_MEM coher_cntl=0x0 engine_sel=0 coher_size=0xffffffff coher_size_hi=0xffffff coher_base=0x0 poll_interval=0xa gcr_cntl=0xc3b1');
  assert.match(r.out[11]!, /^\[ {2}48\] RELEASE_MEM event_type=CACHE_FLUSH_AND_INV_TS_EVENT event_index=5 gcr_glm_wb=0 gcr_glm_inv=0 gcr_glv_inv=0 gcr_gl1_inv=0 gcr_gl2_us=0 gcr_gl2_range=0 gcr_gl2_discard=0 gcr_gl2_inv=0 gcr_gl2_wb=1 gcr_seq=1 cache_policy=3 /);
  // The same stream decoded as gfx1100 differs only in what the bits mean to the reader, not in packet boundaries.
  assert.deepEqual(names(run([join(STREAMS, 'gfx12-dispatch.hex'), '--gfx', 'gfx1100'])), names(r));
});

test('SDMA 7 (gfx1201) stream: COPY_LINEAR prints cpv=1 and its 8th (DCC) dword, FENCE mtype=3', () => {
  const dw = new SdmaBuilder(7).copyLinear(0x7f00_0000_2000n, 0x7f00_0000_1000n, 256).fence(0x7f00_0000_3000n, 9).dwords;
  const r = run([file(bin(dw)), '--engine', 'sdma', '--gfx', 'gfx1201']);
  assert.equal(r.code, 0, r.err.join('\n'));
  assert.match(r.out[0]!, /^\[ {3}0\] COPY_LINEAR tmz=0 cpv=1 backwards=0 bytes=0x100 /);
  assert.match(r.out[0]!, / dcc_control=0x0$/);
  // 8 dwords (sdma_v7_0.c copy_num_dw = 8), so the FENCE starts at dword 8.
  assert.match(r.out[1]!, /^\[ {3}8\] FENCE mtype=3 addr=0x7f0000003000 data=0x9$/);
  assert.doesNotMatch(run([file(bin(new SdmaBuilder(6).copyLinear(0x2000n, 0x1000n, 256).dwords)), '--engine', 'sdma', '--gfx', 'gfx1100']).out[0]!, /cpv/);
});

test("tinygrad's captured gfx11 dispatch decodes: 17 packets, every SH register named", () => {
  const r = run([join(STREAMS, 'tinygrad-gfx11-dispatch.hex'), '--gfx', 'gfx1100']);
  assert.equal(r.code, 0, r.err.join('\n'));
  assert.deepEqual(names(r), ['WAIT_REG_MEM', 'WAIT_REG_MEM', 'ACQUIRE_MEM', 'ACQUIRE_MEM', ...Array(9).fill('SET_SH_REG'), 'DISPATCH_DIRECT', 'EVENT_WRITE', 'RELEASE_MEM', 'RELEASE_MEM']);
  const regs = shRegisters(r);
  assert.equal(regs.length, 22);
  assert.ok(regs.every((x) => x.startsWith('COMPUTE_')), regs.join(' '));
  assert.ok(regs.includes('COMPUTE_RESTART_Z') && regs.includes('COMPUTE_PERFCOUNT_ENABLE') && regs.includes('COMPUTE_PGM_RSRC3'));
  assert.match(r.out[0]!, /WAIT_REG_MEM function=>= mem_space=mem operation=0 .*reference=0x7/);
  assert.match(r.out[1]!, /WAIT_REG_MEM function=>= mem_space=reg operation=1 /);
  assert.match(r.out[3]!, /gcr_cntl=0x3f0$/);
  assert.match(r.out[15]!, /gcr_glm_wb=1 .* data_sel=data32 addr=0x7f0000300000 data=0x8/);
  assert.match(r.out[16]!, /int_sel=int_after_write data_sel=data32 addr=0x7f0000301000 data=0x5 int_ctxid=0x5$/);
  // Same stream with the compute bit set everywhere decodes the same.
  const ours = parseHexDwords(readFileSync(join(STREAMS, 'tinygrad-gfx11-dispatch.hex'), 'utf8'));
  const hdrs = new Set([0, 7, 14, 22, 30, 34, 38, 41, 44, 48, 53, 57, 60, 70, 75, 77, 85]);
  const withBit = ours.map((d, i) => (hdrs.has(i) ? (d | 2) >>> 0 : d));
  assert.deepEqual(run([file(bin(withBit))]).out, r.out);
});

test('binary input (little-endian dwords) decodes like the same dwords as text; --input forces the format', () => {
  const dw = builderDispatch();
  const asText = run([join(STREAMS, 'gfx11-dispatch.hex')]);
  assert.deepEqual(run([file(bin(dw))]).out, asText.out);
  assert.deepEqual(run([file(bin(dw)), '--input', 'bin']).out, asText.out);
  assert.deepEqual(Array.from(readDwords(new TextEncoder().encode('0xc0004602, 407 # comment\n'), 'auto')), [0xc0004602, 0x407]);
  // "AAAA" is text to the auto detector; --input bin reads it as the dword 0x41414141.
  assert.deepEqual(Array.from(readDwords(new TextEncoder().encode('AAAA'), 'bin')), [0x41414141]);
});

test('--json prints an array of packets with fields, registers and raw dwords', () => {
  const r = run([join(STREAMS, 'gfx11-dispatch.hex'), '--json']);
  assert.equal(r.code, 0);
  const ps = JSON.parse(r.out.join('\n')) as { name: string; offset: number; size: number; fields: Record<string, number>; regs?: { name: string; value: number }[]; raw: string[] }[];
  assert.equal(ps.length, 13);
  assert.deepEqual(ps[0]!.fields, { coher_cntl: 0, engine_sel: 0, coher_size: 0xffffffff, coher_size_hi: 0xffffff, coher_base_lo: 0, coher_base_hi: 0, poll_interval: 10, gcr_cntl: 0xc3f1 });
  assert.deepEqual(ps[1]!.regs!.map((x) => [x.name, x.value]), [['COMPUTE_PGM_LO', 0x4001], ['COMPUTE_PGM_HI', 0x7f]]);
  assert.deepEqual(ps[9]!.raw, ['0xc0031502', '0x4', '0x2', '0x1', '0x8005']);
  assert.deepEqual(ps.map((p) => p.offset), [0, 8, 12, 16, 19, 22, 26, 30, 33, 41, 46, 48, 56]);
});

test('--engine sdma uses the SDMA version of --gfx (6 for gfx1100, 4 for gfx942)', () => {
  const stream = (v: 4 | 6) => new SdmaBuilder(v).pollMem32(0x1000n, 'GE', 1).copyLinear(0x2000n, 0x3000n, 4096).timestamp(0x4000n).fence(0x5000n, 9).trap(3).dwords;
  const r6 = run([file(bin(stream(6))), '--engine', 'sdma']);
  assert.equal(r6.code, 0, r6.err.join('\n'));
  assert.deepEqual(names(r6), ['POLL_REGMEM', 'COPY_LINEAR', 'TIMESTAMP', 'FENCE', 'TRAP']);
  assert.match(r6.out[1]!, /COPY_LINEAR .*bytes=0x1000 .*src_addr=0x3000 dst_addr=0x2000/);
  assert.match(r6.out[3]!, /FENCE mtype=3 addr=0x5000 data=0x9/);
  const r4 = run([file(bin(stream(4))), '--engine=sdma', '--gfx=gfx942']);
  assert.equal(r4.code, 0);
  assert.match(r4.out[3]!, /FENCE addr=0x5000 data=0x9$/);
});

test('--engine aql reads 64-byte packets', () => {
  const buf = new ArrayBuffer(128);
  const view = new DataView(buf);
  writeDispatchPacket(view, new Int32Array(buf), 0, { workgroup: [64, 1, 1], grid: [256, 1, 1], privateSegmentBytes: 0, groupSegmentBytes: 0, kernelObject: 0x1000n, kernarg: 0x2000n, completionSignal: 0x3000n });
  writePm4IbPacket(view, new Int32Array(buf), 64, 0x4000n, 16, 0x3000n);
  const r = run([file(new Uint8Array(buf)), '--engine', 'aql']);
  assert.equal(r.code, 0, r.err.join('\n'));
  assert.deepEqual(r.out, [
    '[   0] KERNEL_DISPATCH barrier acq=2 rel=2 dimensions=1 workgroup_size_x=64 workgroup_size_y=1 workgroup_size_z=1 grid_size_x=256 grid_size_y=1 grid_size_z=1 private_segment_size=0 group_segment_size=0 kernel_object=0x1000 kernarg_address=0x2000 completion_signal=0x3000',
    '[   1] VENDOR_PM4_IB barrier acq=2 rel=2 ib_jump_cmd=3221372674 ib_base=0x4000 ib_size=16 dw_cnt_remain=10 completion_signal=0x3000',
  ]);
  const j = JSON.parse(run([file(new Uint8Array(buf)), '--engine', 'aql', '--json']).out.join('\n')) as { name: string; fields: Record<string, unknown> }[];
  assert.deepEqual(j[0]!.fields.kernel_object, '0x1000');
  // A stream that is not a whole number of packets: the rest is reported as a truncated packet.
  const t = run([file(new Uint8Array(buf).subarray(0, 96)), '--engine', 'aql']);
  assert.equal(t.code, 1);
  assert.match(t.out[1]!, /truncated: an AQL packet needs 16 dwords, 8 left/);
});

test('an invalid packet: what decoded is printed, then the error, exit 1', () => {
  const r = run([file('c0004602 407\nc0002a02 0\nc0004602 407\n')]);
  assert.equal(r.code, 1);
  assert.deepEqual(r.out, ['[   0] EVENT_WRITE event_type=CS_PARTIAL_FLUSH event_index=4', '[   2] OP_0x2a !! unknown PM4 opcode 0x2a (header 0xc0002a02)']);
  assert.deepEqual(r.err, ['amdgpu-ts decode: invalid pm4 packet at dword 2: unknown PM4 opcode 0x2a (header 0xc0002a02); 4 dword(s) from there not decoded']);
  assert.equal(run([file('0xc0053c02 0x15 0x1000')]).code, 1);
  assert.equal(run([file(bin([0x00000001, 0xfff])), '--engine', 'sdma']).code, 1);
});

test('bad usage and unreadable input throw UsageError (exit 2 through main)', () => {
  assert.throws(() => run([file('c0004602'), '--engine', 'dma']), (e) => e instanceof UsageError && /--engine must be one of pm4, sdma, aql/.test(e.message));
  assert.throws(() => run([file('c0004602'), '--gfx', 'gfx9999']), (e) => e instanceof UsageError && /unknown --gfx gfx9999; known targets: gfx900/.test(e.message));
  assert.throws(() => run([file('c0004602 0x407\nnot-hex\n')]), (e) => e instanceof UsageError && /line 2: "not-hex" is not a 32-bit hex dword/.test(e.message));
  assert.throws(() => run([file('0x100000000')]), /is not a 32-bit hex dword/);
  assert.throws(() => run([file(new Uint8Array([0, 0, 0, 0, 0]))]), /binary input of 5 bytes is not a whole number of dwords/);
  assert.throws(() => run([file('# nothing\n')]), /the input holds no dwords/);
  assert.throws(() => run([join(tmp, 'missing')]), (e) => e instanceof InputError && /input .*missing does not exist/.test(e.message));
  assert.throws(() => run(['a', 'b']), /one input at most/);
  assert.throws(() => run(['--bogus']), /unknown option --bogus/);
});

test('--help names every option and the exit codes', () => {
  const r = run(['--help']);
  assert.equal(r.code, 0);
  assert.equal(r.out.join('\n'), DECODE_HELP);
  for (const o of ['--engine', '--gfx', '--input', '--json', 'FILE|-', 'Exit status', 'gfx1201']) assert.ok(DECODE_HELP.includes(o), o);
});

test('"-" reads stdin (child process)', () => {
  const mod = pathToFileURL(join(REPO_ROOT, 'dist', 'src', 'cli', 'decode.js')).href;
  const script = `import(${JSON.stringify(mod)}).then((m) => { process.exitCode = m.runDecode(['-', '--gfx', 'gfx942'], { out: (l) => console.log(l), err: (l) => console.error(l), interactive: false }); });`;
  const r = spawnSync(process.execPath, ['-e', script], { input: '0xc0055802 0x28c40000 0xffffffff 0xffffff 0 0 0xa\n', encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '[   0] ACQUIRE_MEM coher_cntl=0x28c40000 engine_sel=0 coher_size=0xffffffff coher_size_hi=0xffffff coher_base=0x0 poll_interval=0xa\n');
});
