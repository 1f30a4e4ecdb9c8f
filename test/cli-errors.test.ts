// The CLI's one error discipline: typed expected errors become one stderr line and exit 2 (input) or
// 1 (runtime); anything else is an internal error (exit 3); --debug / AMDGPU_TS_DEBUG add the stack.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { reportError, takeDebugFlag, EXIT } from '../src/cli/report-error.js';
import { UsageError } from '../src/cli/args.js';
import type { CommandIo } from '../src/cli/io.js';
import { AmdgpuError, InputError } from '../src/errors.js';
import { ElfError } from '../src/codeobj/elf.js';
import { TargetMismatchError } from '../src/codeobj/target.js';
import { DeviceSpecError } from '../src/emu/models/models.js';
import { OsError } from '../src/os/errors.js';
import { GpuFaultError, UseAfterFreeError, WaitTimeoutError } from '../src/driver/errors.js';
import { TopologyError } from '../src/uapi/kfd-sysfs.js';

function capture(e: unknown, debug = false): { code: number; err: string[] } {
  const err: string[] = [];
  const io: CommandIo = { out: () => {}, err: (l) => err.push(...l.split('\n')), interactive: false };
  return { code: reportError('disasm', e, io, debug), err };
}

const STACK_LINE = /^\s+at /;

test('errors: every expected error class is an AmdgpuError of the right kind', () => {
  const input = [new UsageError('x'), new InputError('x'), new ElfError('x'), new TargetMismatchError('x'), new DeviceSpecError('x'), new UseAfterFreeError('GPU 0', 'buffer b', 'free')];
  const runtime = [new OsError({ call: 'ioctl', errno: 22 }), new GpuFaultError('GPU 0', 0x1000n, 'page not present', 1, ''), new WaitTimeoutError('GPU 0', 'x', 10, ''), new TopologyError('x')];
  for (const e of input) assert.ok(e instanceof AmdgpuError && e.kind === 'input', `${e.name} is an input error`);
  for (const e of runtime) assert.ok(e instanceof AmdgpuError && e.kind === 'runtime', `${e.name} is a runtime error`);
});

test('errors: an input error is one line, exit 2, no stack', () => {
  const r = capture(new ElfError('not an ELF file (bad magic)'));
  assert.equal(r.code, EXIT.input);
  assert.deepEqual(r.err, ['amdgpu-ts disasm: not an ELF file (bad magic)']);
});

test('errors: a usage error points at --help', () => {
  const r = capture(new UsageError('unknown option --frob'));
  assert.equal(r.code, 2);
  assert.deepEqual(r.err, ['amdgpu-ts disasm: unknown option --frob (see amdgpu-ts disasm --help)']);
});

test('errors: a runtime error exits 1 and keeps the GPU report below its first line', () => {
  const r = capture(new WaitTimeoutError('GPU 0', 'kernel k', 100, 'queue: read 0, write 1\n=> DISPATCH'));
  assert.equal(r.code, EXIT.runtime);
  assert.match(r.err[0]!, /^amdgpu-ts disasm: GPU 0: timed out after 100 ms waiting for kernel k$/);
  assert.ok(!r.err.some((l) => STACK_LINE.test(l)));
});

test('errors: a Node fs error about a named path is input (exit 2), one line', () => {
  let e: unknown;
  try {
    readFileSync('/nonexistent/amdgpu-ts/x.co');
  } catch (x) {
    e = x;
  }
  const r = capture(e);
  assert.equal(r.code, 2);
  assert.deepEqual(r.err, ['amdgpu-ts disasm: cannot open /nonexistent/amdgpu-ts/x.co: ENOENT (no such file or directory)']);
});

test('errors: anything else is an internal error: one line naming where, exit 3; --debug prints the stack', () => {
  const bug = new TypeError('Cannot read properties of undefined');
  const r = capture(bug);
  assert.equal(r.code, EXIT.internal);
  assert.equal(r.err.length, 1);
  assert.match(r.err[0]!, /^amdgpu-ts disasm: internal error: TypeError: Cannot read properties of undefined \(at .+\) — this is a bug in amdgpu-ts, please report it \(run with --debug for the stack trace\)$/);
  const d = capture(bug, true);
  assert.equal(d.code, 3);
  assert.ok(d.err.some((l) => STACK_LINE.test(l)), 'the stack with --debug');
  const expected = capture(new ElfError('bad'), true);
  assert.equal(expected.code, 2);
  assert.ok(expected.err.some((l) => STACK_LINE.test(l)), '--debug shows the stack of expected errors too');
});

test('errors: --debug is taken from anywhere before --, and from AMDGPU_TS_DEBUG', () => {
  assert.deepEqual(takeDebugFlag(['run', '--debug', 'a.co'], {}), { argv: ['run', 'a.co'], debug: true });
  assert.deepEqual(takeDebugFlag(['--debug', 'disasm', 'x'], {}), { argv: ['disasm', 'x'], debug: true });
  assert.deepEqual(takeDebugFlag(['decode', '--', '--debug'], {}), { argv: ['decode', '--', '--debug'], debug: false });
  assert.equal(takeDebugFlag(['info'], { AMDGPU_TS_DEBUG: '1' }).debug, true);
  assert.equal(takeDebugFlag(['info'], { AMDGPU_TS_DEBUG: '0' }).debug, false);
  assert.equal(takeDebugFlag(['info'], {}).debug, false);
});
