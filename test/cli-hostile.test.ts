// Every command, walked with the broken inputs a new user produces: missing file, a directory, an
// empty file, truncated / bit-flipped / non-ELF / wrong-target code objects, unknown device models,
// bad --arg specs, unknown flags, missing values. Each must end with the documented exit status and
// exactly one stderr line `amdgpu-ts <command>: …` — never a stack trace, never an internal error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/cli/main.js';
import type { CommandIo } from '../src/cli/io.js';
import { REPO_ROOT } from './fixtures/topology/index.js';

const STACK_LINE = /^\s+at /;
const KERNELS = join(REPO_ROOT, 'test', 'kernels');
const CO = join(KERNELS, 'fill.gfx1100.co');
const CO_942 = join(KERNELS, 'fill.gfx942.co');
const GOOD_ARGS = ['--arg', 'buf:256', '--arg', 'u32:7', '--arg', 'u32:64'];

const tmp = mkdtempSync(join(tmpdir(), 'amdgpu-ts-hostile-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
const put = (name: string, bytes: Uint8Array | string): string => {
  const p = join(tmp, name);
  writeFileSync(p, bytes);
  return p;
};
const original = new Uint8Array(readFileSync(CO));
const MISSING = join(tmp, 'missing.co');
const DIR = join(tmp, 'a-directory');
mkdirSync(DIR);
const EMPTY = put('empty.co', '');
const TEXT = put('notes.txt', 'this is not a code object\n');
const TRUNCATED = put('truncated.co', original.subarray(0, 300));
const TRUNCATED_LATE = put('truncated-late.co', original.subarray(0, original.length - 100));
/** e_machine / e_flags damaged: an ELF that is not an AMDGPU code object, or names no known processor. */
const NOT_AMDGPU = put('x86.co', Object.assign(original.slice(), { 18: 0x3e, 19: 0 }));
const UNKNOWN_MACH = put('mach.co', Object.assign(original.slice(), { 48: 0xff }));

/** Deterministic bit flips, spread over the header, the tables and the body. */
function flipped(seed: number): Uint8Array {
  const m = original.slice();
  let s = seed * 2654435761;
  const next = (n: number): number => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) % n);
  for (let i = 0; i < 1 + (seed % 6); i++) {
    const at = seed % 3 === 0 ? next(64) : next(m.length);
    m[at]! ^= 1 << next(8);
  }
  return m;
}
const FLIPPED = Array.from({ length: 24 }, (_, i) => put(`flipped${i}.co`, flipped(i + 1)));

interface Outcome {
  readonly code: number;
  readonly err: string[];
}

async function cli(argv: readonly string[]): Promise<Outcome> {
  const err: string[] = [];
  const io: CommandIo = { out: () => {}, err: (l) => err.push(...l.split('\n')), interactive: false };
  return { code: await main(argv, io), err };
}

function checkOneLine(argv: readonly string[], r: Outcome, code: number, pattern?: RegExp): void {
  const show = `amdgpu-ts ${argv.join(' ')} → exit ${r.code}\n${r.err.join('\n')}`;
  assert.ok(!r.err.some((l) => STACK_LINE.test(l)), `a stack trace:\n${show}`);
  assert.equal(r.code, code, show);
  assert.equal(r.err.length, 1, `one stderr line:\n${show}`);
  assert.match(r.err[0]!, new RegExp(`^amdgpu-ts ${argv[0]}: `), show);
  if (pattern) assert.match(r.err[0]!, pattern, show);
}

type Case = readonly [argv: readonly string[], code: number, pattern?: RegExp];

const EMU = ['--device', 'emu:gfx1100'];
const RUN = (file: string, ...more: string[]): string[] => ['run', file, 'fill', '--grid', '64', '--block', '64', ...EMU, ...more];
const runArgs = (...args: string[]): string[] => ['run', CO, 'fill', '--grid', '64', '--block', '64', ...EMU, ...args.flatMap((a) => ['--arg', a])];

const CASES: readonly Case[] = [
  // Unknown flags and missing values, on every command.
  ...['selftest', 'run', 'bench', 'info', 'decode', 'disasm', 'emulate', 'pci', 'ip', 'regs'].map((c): Case => [[c, '--frobnicate'], 2, /unknown option --frobnicate \(see amdgpu-ts \w+ --help\)$/]),
  ...['selftest', 'run', 'bench', 'info'].map((c): Case => [[c, '--device'], 2, /--device needs a value/]),
  [['decode', '--engine'], 2, /--engine needs a value/],
  [['disasm', CO, '--kernel'], 2, /--kernel needs a value/],
  [['disasm', CO, '--json=yes'], 2, /--json takes no value/],
  // Unknown device models and names.
  ...['selftest', 'bench', 'info', 'pci', 'ip'].map((c): Case => [[c, '--device', 'emu:gfx9999'], 2, /unknown emulated model "gfx9999"; known: emu:gfx1100/]),
  [['info', '--device', 'gfx1100'], 2, /unknown device "gfx1100"; expected one of auto, native, emu:gfx1100/],
  [RUN(CO).map((a) => (a === 'emu:gfx1100' ? 'emu:gfx9999' : a)), 2, /unknown emulated model "gfx9999"/],
  [['selftest', '--device', 'emu:gfx1100?inject=nonsense'], 2],
  // Files that are not there, not files, empty, or not code objects.
  [['disasm', MISSING], 2, /code object .*missing\.co does not exist$/],
  [['disasm', DIR], 2, /code object .*a-directory is a directory, not a file$/],
  [['disasm', EMPTY], 2, /code object .*empty\.co is empty$/],
  [['disasm', TEXT], 2, /notes\.txt: not an ELF file/],
  [['disasm', TRUNCATED], 2, /truncated\.co: .*outside the 300-byte file/],
  [['disasm', TRUNCATED_LATE], 2, /truncated-late\.co: /],
  [['disasm', NOT_AMDGPU], 2, /x86\.co: not an AMDGPU code object \(e_machine 62, want 224\)$/],
  [['disasm', UNKNOWN_MACH], 2, /mach\.co: unknown AMDGPU processor/],
  [['disasm', CO, '--kernel', 'nope'], 2, /no function nope in \.text/],
  [['disasm'], 2, /needs exactly one code object/],
  [RUN(MISSING, ...GOOD_ARGS), 2, /code object .*missing\.co does not exist$/],
  [RUN(DIR, ...GOOD_ARGS), 2, /is a directory, not a file$/],
  [RUN(EMPTY, ...GOOD_ARGS), 2, /is empty$/],
  [RUN(TEXT, ...GOOD_ARGS), 2, /notes\.txt: not an ELF file/],
  [RUN(TRUNCATED, ...GOOD_ARGS), 2, /truncated\.co: /],
  [RUN(NOT_AMDGPU, ...GOOD_ARGS), 2, /x86\.co: /],
  [RUN(CO_942, ...GOOD_ARGS), 2, /fill\.gfx942\.co: code object is for gfx942.*, but the device is gfx1100$/],
  [RUN(join(KERNELS, 'fill.gfx1201.co'), ...GOOD_ARGS), 2, /fill\.gfx1201\.co: code object is for gfx1201.*, but the device is gfx1100$/],
  [['run', CO, 'fill', '--grid', '64', '--block', '64', '--device', 'emu:gfx1201', ...GOOD_ARGS], 2, /fill\.gfx1100\.co: code object is for gfx1100.*, but the device is gfx1201$/],
  [['run', CO, 'nope', '--grid', '64', '--block', '64', ...EMU], 2, /has no kernel "nope" \(it has: fill\)/],
  [['decode', MISSING], 2, /input .*missing\.co does not exist$/],
  [['decode', DIR], 2, /is a directory, not a file$/],
  [['decode', EMPTY], 2, /the input holds no dwords/],
  [['decode', put('odd.bin', new Uint8Array([0, 1, 2, 3, 4]))], 2, /not a whole number of dwords/],
  [['decode', '--gfx', 'gfx9999', TEXT], 2, /unknown --gfx gfx9999/],
  [['info', '--sysfs-root', MISSING], 2, /no KFD topology there/],
  [['info', '--sysfs-root', EMPTY], 2, /no KFD topology there/],
  // Bad kernel arguments and launch options.
  [runArgs('buf:999999999999', 'u32:7', 'u32:64'), 2, /--arg buf:999999999999 \(argument 0\): 999999999999 bytes do not fit the \d+ bytes of VRAM/],
  [runArgs('buf:0', 'u32:7', 'u32:64'), 2, /want a byte count ≥ 1 or @FILE/],
  [runArgs('buf:lots', 'u32:7', 'u32:64'), 2, /want a byte count ≥ 1 or @FILE/],
  [runArgs('buf:1e400', 'u32:7', 'u32:64'), 2, /want a byte count ≥ 1 or @FILE/],
  [runArgs(`buf:@${MISSING}`, 'u32:7', 'u32:64'), 2, /file .*missing\.co does not exist$/],
  [runArgs(`buf:@${DIR}`, 'u32:7', 'u32:64'), 2, /is a directory, not a file$/],
  [runArgs('buf:256', 'u32:-1', 'u32:64'), 2, /-1 does not fit u32/],
  [runArgs('buf:256', 'u32:4294967296', 'u32:64'), 2, /does not fit u32/],
  [runArgs('buf:256', 'u32:seven', 'u32:64'), 2, /"seven" is not an integer/],
  [runArgs('buf:256', 'f32:x', 'u32:64'), 2, /is not a number|takes 4 bytes|is a value/],
  [runArgs('buf:256', 'u32'), 2, /want TYPE:VALUE/],
  [runArgs('buf:256', 'q99:1', 'u32:64'), 2, /unknown type "q99"/],
  [runArgs('buf:256', 'u32:7'), 2, /fill takes 3 argument\(s\)/],
  [runArgs('u32:1', 'u32:7', 'u32:64'), 2, /is a pointer: pass buf:BYTES/],
  [runArgs('buf:256', 'buf:16', 'u32:64'), 2, /is a value, not a buffer/],
  [runArgs('buf:256', 'u64:7', 'u32:64'), 2, /takes 4 bytes; u64 is 8/],
  [['run', CO, 'fill', '--block', '64', ...EMU, ...GOOD_ARGS], 2, /--grid is required/],
  [['run', CO, 'fill', '--grid', '0', '--block', '64', ...EMU, ...GOOD_ARGS], 2, /--grid 0: want 1 to 3 positive integers/],
  [['run', CO, 'fill', '--grid', '1,2,3,4', '--block', '64', ...EMU, ...GOOD_ARGS], 2, /want 1 to 3 positive integers/],
  [[...RUN(CO, ...GOOD_ARGS), '--queue', 'dma'], 2, /--queue dma: want aql, pm4 or drm/],
  [[...RUN(CO, ...GOOD_ARGS), '--timeout', '-5'], 2, /--timeout wants a positive number/],
  [[...RUN(CO, ...GOOD_ARGS), '--gpu', '7'], 2, /--gpu 7: this device has 1 GPU/],
  [[...RUN(CO, ...GOOD_ARGS), '--save', 'zero'], 2, /--save zero: want K=FILE/],
  [[...RUN(CO, ...GOOD_ARGS), '--save', '1=out.bin'], 2, /argument 1 is not a buffer argument/],
  [['run', CO], 2, /need <code-object> and <kernel>/],
  [['selftest', '--only', 'no-such-check-anywhere'], 2, /matches no check/],
  [['selftest', '--timeout', 'soon'], 2, /want a positive number/],
  [['bench', '--timeout', '0'], 2, /want a positive number/],
  [['bench', 'extra'], 2, /unexpected argument "extra"/],
  [['bench', '--only', 'served,nope'], 2, /--only nope: no such section; expected copy, dispatch, signal, shader, submission, drm, served/],
  [['decode', 'a', 'b'], 2, /one input at most/],
  [['emulate'], 2, /no command to run/],
  [['emulate', '--device', 'emu:gfx9999', '--', 'true'], 2, /unknown emulated model "gfx9999"/],
  [['emulate', '--timeout', 'soon', '--', 'true'], 2, /--timeout soon: expected a positive number of seconds/],
  [['emulate', '--', join(tmp, 'no-such-program')], 2, /cannot run .*no-such-program: ENOENT$/],
];

test(`hostile CLI: ${CASES.length} bad inputs across every command exit 2 with one stderr line and no stack`, async () => {
  for (const [argv, code, pattern] of CASES) checkOneLine(argv, await cli(argv), code, pattern);
});

test('hostile CLI: --help of every command exits 0 and states the exit codes', async () => {
  for (const c of ['selftest', 'run', 'bench', 'info', 'decode', 'disasm', 'pci', 'ip', 'regs']) {
    const out: string[] = [];
    const code = await main([c, '--help'], { out: (l) => out.push(l), err: () => assert.fail(`${c} --help wrote to stderr`), interactive: false });
    assert.equal(code, 0);
    assert.match(out.join('\n'), /exit status: 0 success; 1 the GPU .* 2 bad usage or unusable input .*\s3 internal error/s, c);
  }
  const out: string[] = [];
  assert.equal(await main(['--help'], { out: (l) => out.push(l), err: () => {}, interactive: false }), 0);
  assert.match(out.join('\n'), /exit status:/);
  const r = await cli(['frobnicate']);
  assert.equal(r.code, 2);
  assert.deepEqual(r.err, ['amdgpu-ts: unknown command "frobnicate" (commands: selftest, run, bench, info, decode, disasm, pci, ip, regs, emulate; see amdgpu-ts --help)']);
  const help: string[] = [];
  assert.equal(await main(['emulate', '--help'], { out: (l) => help.push(l), err: () => assert.fail('emulate --help wrote to stderr'), interactive: false }), 0);
  assert.match(help.join('\n'), /exit status: COMMAND's own; 128\+N .* 2 bad usage.* 1 the preload library .* 3 internal error/s);
});

test(`hostile CLI: ${FLIPPED.length} bit-flipped code objects through disasm, and a third of them through run: never an internal error or a stack`, async () => {
  const seen = new Map<number, number>();
  for (const [i, f] of FLIPPED.entries()) {
    const argvs = [['disasm', f], ...(i % 3 === 0 ? [RUN(f, ...GOOD_ARGS, '--timeout', '3000')] : [])];
    for (const argv of argvs) {
      const r = await cli(argv);
      seen.set(r.code, (seen.get(r.code) ?? 0) + 1);
      const show = `amdgpu-ts ${argv.join(' ')} → exit ${r.code}\n${r.err.join('\n')}`;
      assert.ok([0, 1, 2].includes(r.code), show);
      assert.ok(!r.err.some((l) => STACK_LINE.test(l)), show);
      // A GPU fault or hang (exit 1) may add its queue report below the first line.
      if (r.code === 2) assert.equal(r.err.length, 1, show);
      if (r.code !== 0) assert.match(r.err[0]!, new RegExp(`^amdgpu-ts ${argv[0]}: `), show);
    }
  }
  assert.ok((seen.get(2) ?? 0) > 0, 'some mutations are refused as bad input');
});

test('hostile CLI: the installed binary prints one line and no stack; --debug and AMDGPU_TS_DEBUG=1 print the stack', () => {
  const bin = join(REPO_ROOT, 'bin', 'amdgpu-ts.js');
  const spawn = (args: string[], env: NodeJS.ProcessEnv = {}) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, AMDGPU_TS_DEBUG: '', ...env }, timeout: 30_000 });
  const plain = spawn(['disasm', TRUNCATED]);
  assert.equal(plain.status, 2);
  assert.equal(plain.stderr.trimEnd().split('\n').length, 1, plain.stderr);
  assert.doesNotMatch(plain.stderr, /^\s+at /m);
  const device = spawn(['info', '--device', 'emu:gfx9999']);
  assert.equal(device.status, 2);
  assert.equal(device.stderr.trimEnd().split('\n').length, 1, device.stderr);
  for (const r of [spawn(['disasm', TRUNCATED, '--debug']), spawn(['disasm', TRUNCATED], { AMDGPU_TS_DEBUG: '1' })]) {
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^amdgpu-ts disasm: .*truncated\.co: /);
    assert.match(r.stderr, /^\s+at parseElf /m, 'the stack trace with --debug');
  }
});
