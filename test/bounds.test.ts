// The bounds checker (run --check-bounds, AllocOptions.guard, open({ checkBounds })): a buffer ends at a
// page boundary between unmapped guard pages, so an access past its end faults at the first bad byte;
// the fault names the kernel, the argument, how far out, and (emulated GPU) the wave, lane and pc.
// A kernel that stays in bounds gives the same bytes with and without the checker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/cli/main.js';
import type { CommandIo } from '../src/cli/io.js';
import { open, GpuFaultError, AqlQueue, Program } from '../src/index.js';
import { u32Array } from '../src/harness/corpus/data.js';
import { REPO_ROOT } from './fixtures/topology/index.js';

const KERNELS = join(REPO_ROOT, 'test', 'kernels');
const tmp = mkdtempSync(join(tmpdir(), 'amdgpu-ts-bounds-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

interface Outcome {
  readonly code: number;
  readonly out: string[];
  readonly err: string[];
}

async function run(argv: readonly string[]): Promise<Outcome> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CommandIo = { out: (l) => out.push(...l.split('\n')), err: (l) => err.push(...l.split('\n')), interactive: false };
  return { code: await main(['run', ...argv], io), out, err };
}

const show = (r: Outcome): string => `exit ${r.code}\n${[...r.out, ...r.err].join('\n')}`;

// off_by_one(out, n) with n = 1000 and 1024 work-items: work-item 1000 writes out[1000], bytes 4000..4003
// of a 4000-byte buffer.
for (const [target, queue, lane] of [['gfx1100', 'aql', 8], ['gfx942', 'pm4', 40], ['gfx90a', 'aql', 40]] as const) {
  test(`bounds: run --check-bounds catches the off-by-one write on ${target} (${queue}) at the first byte past the end`, async () => {
    const argv = [join(KERNELS, `bounds.${target}.co`), 'off_by_one', '--device', `emu:${target}`, '--queue', queue, '--grid', '1024', '--block', '64', '--arg', 'buf:4000', '--arg', 'u32:1000'];
    const silent = await run(argv);
    assert.equal(silent.code, 0, `without the checker the write lands inside the buffer's last page: ${show(silent)}`);
    const r = await run([...argv, '--check-bounds']);
    assert.equal(r.code, 1, show(r));
    // What the driver knows on any GPU: the guard page after argument 0, so 0 to 4095 bytes past the end.
    assert.match(r.err[0]!, /GPU memory fault at 0x[0-9a-f]+000 \(page not present\).*out of bounds: kernel off_by_one, argument 0 \(out\), a 4000-byte buffer at 0x[0-9a-f]+: an access 0 to 4095 bytes past its end \(offset 4000 to 8095\); KFD reports only the faulting page/, show(r));
    // The queue dump follows.
    assert.ok(r.err.some((l) => /(AQL|PM4) queue \d+: /.test(l)), `queue dump: ${show(r)}`);
    // What the emulated GPU adds: the exact byte, wave/lane, pc and the instruction.
    const wave = r.err.find((l) => l.startsWith('emulated GPU: '));
    assert.match(wave ?? '', new RegExp(`^emulated GPU: write at 0x[0-9a-f]+000 by workgroup 15,0,0 wave \\d lane ${lane}, pc 0x[0-9a-f]+ \\(code object offset 0x[0-9a-f]+\\): global_store_(b32|dword) `), show(r));
    assert.ok(r.err.includes(r.err.find((l) => /^emulated GPU, exact: out of bounds: kernel off_by_one, argument 0 \(out\), a 4000-byte buffer at 0x[0-9a-f]+: an access 0 bytes past its end \(offset 4000\)$/.test(l)) ?? '<missing>'), show(r));
  });
}

test('bounds: the pc in the report is the code object address llvm-objdump shows for the store', async () => {
  const r = await run([join(KERNELS, 'bounds.gfx1100.co'), 'off_by_one', '--device', 'emu:gfx1100', '--grid', '1024', '--block', '64', '--arg', 'buf:4000', '--arg', 'u32:1000', '--check-bounds']);
  const m = /code object offset 0x([0-9a-f]+)\): (.*)$/.exec(r.err.find((l) => l.startsWith('emulated GPU: ')) ?? '');
  assert.ok(m, show(r));
  const disasm = await (async () => {
    const out: string[] = [];
    await main(['disasm', join(KERNELS, 'bounds.gfx1100.co')], { out: (l) => out.push(...l.split('\n')), err: () => {}, interactive: false });
    return out;
  })();
  const line = disasm.find((l) => l.includes(`// ${m![1]!.toUpperCase().padStart(12, '0')}:`));
  assert.ok(line, `disasm has an instruction at 0x${m![1]}`);
  assert.equal(line!.split('//')[0]!.trim(), m![2]);
});

test('bounds: a too-small histogram buffer (buf:16 for 512 words) succeeds silently, and --check-bounds names it', async () => {
  const input = join(tmp, 'hist-in.bin');
  writeFileSync(input, u32Array(512, 10));
  const argv = [join(KERNELS, 'histogram.gfx1100.co'), 'histogram', '--device', 'emu:gfx1100', '--grid', '512', '--block', '128', '--arg', `buf:@${input}`, '--arg', 'buf:64', '--arg', 'buf:16', '--arg', 'buf:8', '--arg', 'buf:16'];
  const silent = await run(argv);
  assert.equal(silent.code, 0, show(silent));
  const r = await run([...argv, '--check-bounds']);
  assert.equal(r.code, 1, show(r));
  assert.match(r.err[0]!, /out of bounds: kernel histogram, argument 4 \(seen\), a 16-byte buffer/, show(r));
  assert.ok(r.err.some((l) => /^emulated GPU, exact: .*argument 4 \(seen\).*: an access 0 bytes past its end \(offset 16\)$/.test(l)), show(r));
});

test('bounds: a read before the start faults when it leaves the first page (4096-byte buffer: at the first bad byte)', async () => {
  const r = await run([join(KERNELS, 'bounds.gfx90a.co'), 'read_before', '--device', 'emu:gfx90a', '--grid', '256', '--block', '64', '--arg', 'buf:4096', '--arg', 'buf:1024', '--arg', 'u32:256', '--check-bounds']);
  assert.equal(r.code, 1, show(r));
  assert.match(r.err[0]!, /kernel read_before, argument 0 \(in\), a 4096-byte buffer at 0x[0-9a-f]+000: an access 1 to 4096 bytes before its start \(offset -4096 to -1\)/, show(r));
  assert.ok(r.err.some((l) => /^emulated GPU: read at .* lane 0, .*global_load_dword .*offset:-4$/.test(l)), show(r));
  assert.ok(r.err.some((l) => /^emulated GPU, exact: .*an access 4 bytes before its start \(offset -4\)$/.test(l)), show(r));
});

test('bounds: a read before a 4000-byte buffer lands in its mapped first page; the emulated GPU\'s byte-exact diagnostic still faults at the first bad byte', async () => {
  const r = await run([join(KERNELS, 'bounds.gfx1100.co'), 'read_before', '--device', 'emu:gfx1100', '--grid', '1024', '--block', '64', '--arg', 'buf:4000', '--arg', 'buf:4096', '--arg', 'u32:1000', '--check-bounds']);
  assert.equal(r.code, 1, show(r));
  // From KFD's page address alone: a fault in the first page of a buffer that starts 96 bytes into it.
  assert.match(r.err[0]!, /kernel read_before, argument 0 \(in\), a 4000-byte buffer at 0x[0-9a-f]+060: an access 1 to 96 bytes before its start \(offset -96 to -1\); KFD reports only the faulting page/, show(r));
  assert.ok(r.err.some((l) => /^emulated GPU, exact: .*argument 0 \(in\).*: an access 4 bytes before its start \(offset -4\)$/.test(l)), show(r));
});

// Correct kernels: identical output bytes (sha256 per buffer) with and without the checker.
const CORRECT: readonly { name: string; co: string; kernel: string; grid: string; block: string; args: (dir: string) => string[] }[] = [
  {
    name: 'vector_add',
    co: 'vector_add.gfx1100.co',
    kernel: 'vector_add',
    grid: '1024',
    block: '64',
    args: (d) => {
      writeFileSync(join(d, 'a.bin'), u32Array(1000, 1));
      writeFileSync(join(d, 'b.bin'), u32Array(1000, 2));
      return ['--arg', `buf:@${join(d, 'a.bin')}`, '--arg', `buf:@${join(d, 'b.bin')}`, '--arg', 'buf:4000', '--arg', 'u32:1000'];
    },
  },
  {
    name: 'histogram',
    co: 'histogram.gfx942.co',
    kernel: 'histogram',
    grid: '512',
    block: '128',
    args: (d) => {
      writeFileSync(join(d, 'h.bin'), u32Array(512, 10));
      writeFileSync(join(d, 'stats.bin'), Uint32Array.of(0, 0xffffffff, 0, 0));
      return ['--arg', `buf:@${join(d, 'h.bin')}`, '--arg', 'buf:64', '--arg', `buf:@${join(d, 'stats.bin')}`, '--arg', 'buf:8', '--arg', 'buf:2048'];
    },
  },
];

for (const k of CORRECT) {
  test(`bounds: ${k.name} gives identical results with and without --check-bounds`, async () => {
    const device = k.co.includes('gfx942') ? 'emu:gfx942' : 'emu:gfx1100';
    const argv = [join(KERNELS, k.co), k.kernel, '--device', device, '--grid', k.grid, '--block', k.block, ...k.args(tmp), '--json'];
    const plain = await run(argv);
    const checked = await run([...argv, '--check-bounds']);
    assert.equal(plain.code, 0, show(plain));
    assert.equal(checked.code, 0, show(checked));
    const hashes = (r: Outcome): unknown => (JSON.parse(r.out.join('\n')) as { buffers: unknown }).buffers;
    assert.deepEqual(hashes(checked), hashes(plain));
  });
}

test('bounds: the library option places buffers at a page end and GpuFaultError.bounds names the argument', async () => {
  const session = open({ device: 'emu:gfx1100', checkBounds: true });
  try {
    const gpu = session.device(0);
    const out = gpu.alloc(4000, { domain: 'vram', hostVisible: true, label: 'out' });
    const plain = gpu.alloc(4000, { domain: 'vram', hostVisible: true, guard: false });
    assert.equal(out.size, 4000);
    assert.equal((out.va + 4000n) % 4096n, 0n, 'a guarded buffer ends at a page boundary');
    assert.equal(out.view.length, 4000);
    assert.ok(out.guard && out.guard.boVa % 4096n === 0n && out.guard.reservedVa + 4096n === out.guard.boVa);
    assert.equal(plain.guard, undefined);
    assert.equal(plain.va % 4096n, 0n);
    const program = Program.load(gpu, readFileSync(join(KERNELS, 'bounds.gfx1100.co')));
    const q = AqlQueue.create(gpu);
    // In bounds (n = 999, the last write is out[999]): no fault, and the bytes land where the CPU view says.
    q.wait(program.kernel('off_by_one').dispatch(q, { grid: 1024, block: 64, args: [out, 999] }));
    const words = new Uint32Array(out.view.buffer, out.view.byteOffset, 1000);
    assert.equal(words[0], 0xb0000000);
    assert.equal(words[999], (0xb0000000 | 999) >>> 0);
    const q2 = AqlQueue.create(gpu);
    const e = (() => {
      try {
        q2.wait(program.kernel('off_by_one').dispatch(q2, { grid: 1024, block: 64, args: [out, 1000] }), 10_000);
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    assert.ok(e instanceof GpuFaultError, `a GpuFaultError, got ${String(e)}`);
    assert.deepEqual({ ...e.bounds, buffer: undefined }, { buffer: undefined, bufferVa: out.va, bufferBytes: 4000, side: 'after', from: 0n, to: 4095n, kernel: 'off_by_one', argIndex: 0, argName: 'out' });
  } finally {
    await session.close();
  }
});
