// The shader core keeps compiled instructions and blocks from one dispatch to the next (thread-cache.ts),
// and pooled LDS buffers: a kernel re-uploaded at the same address must run its new code, in both
// execution modes, whether the bytes change in place, under another VM at the same address, or by a
// new mapping; a word that faulted must run once it is fixed (and fault once it is broken); and two
// dispatches whose steps interleave on one thread must not share a workgroup's LDS. A dispatch of one
// workgroup runs in-thread, without the worker pool.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GpuVm } from '../src/emu/gpu-vm.js';
import { createShaderCore, EXEC_MODES, type ExecMode } from '../src/emu/isa/core.js';
import { ShaderFault, type DispatchSetup, type RunningDispatch } from '../src/emu/isa/types.js';
import { createParallelShaderCore } from '../src/emu/isa/parallel/index.js';
import { ParallelDispatch } from '../src/emu/isa/parallel/dispatch.js';

const CODE_VA = 0x7_0000_0000n;
const DATA_VA = 0x8_0000_0000n;

// gfx1100 encodings, from llvm-mc-19 -triple=amdgcn-amd-amdhsa -mcpu=gfx1100 -show-encoding.
const vMovV1 = (k: 7 | 9): number => 0x7e02_0280 + k; // v_mov_b32 v1, 7 / 9 (inline constants 135 / 137)
const V_MOV_V1_S2 = 0x7e02_0202; // v_mov_b32 v1, s2
const V_MOV_V0_0 = 0x7e00_0280; // v_mov_b32 v0, 0
const GLOBAL_STORE_V1 = [0xdc6a_0000, 0x0000_0100]; // global_store_b32 v0, v1, s[0:1]
const DS_STORE_V1 = [0xd834_0000, 0x0000_0100]; // ds_store_b32 v0, v1
const DS_LOAD_V2 = [0xd8d8_0000, 0x0200_0000]; // ds_load_b32 v2, v0
const S_WAITCNT_LGKM0 = 0xbf89_fc07; // s_waitcnt lgkmcnt(0)
const GLOBAL_STORE_V2 = [0xdc6a_0000, 0x0000_0200]; // global_store_b32 v0, v2, s[0:1]
const S_ENDPGM = 0xbfb0_0000;
/** SOPP opcode 127: no instruction (the word isa-block.test.ts uses). */
const UNDEFINED_SOPP = 0xbfff_0000;

/** Stores `k` to the data buffer's first dword. */
const storeConstant = (k: 7 | 9): number[] => [vMovV1(k), V_MOV_V0_0, ...GLOBAL_STORE_V1, S_ENDPGM];

interface Machine {
  readonly vm: GpuVm;
  readonly code: Uint8Array;
  readonly data: DataView;
}

function machine(program: readonly number[], shared = false): Machine {
  const vm = new GpuVm();
  const bytes = (n: number): Uint8Array => new Uint8Array(shared ? new SharedArrayBuffer(n) : new ArrayBuffer(n));
  const code = bytes(0x1000);
  const data = bytes(0x1000);
  vm.map({ start: CODE_VA, end: CODE_VA + 0x1000n, bytes: code, offset: 0, writable: false, executable: true, label: 'code' });
  vm.map({ start: DATA_VA, end: DATA_VA + 0x1000n, bytes: data, offset: 0, writable: true, executable: false, label: 'data' });
  load(code, program);
  return { vm, code, data: new DataView(data.buffer) };
}

/** Writes `program` over the code bytes, as a CPU store of a new upload would. */
function load(code: Uint8Array, program: readonly number[]): void {
  const dv = new DataView(code.buffer, code.byteOffset, code.byteLength);
  program.forEach((w, i) => dv.setUint32(i * 4, w, true));
}

/** One wave32 lane; s[0:1] = the data buffer, s2 = `value`. */
const setup = (value = 0, ldsBytes = 0): DispatchSetup => ({
  target: 'gfx1100', entry: CODE_VA, rsrc1: 0, rsrc2: 3 << 1, rsrc3: 0,
  userSgprs: [Number(DATA_VA & 0xffff_ffffn), Number(DATA_VA >> 32n), value],
  workgroupSize: [1, 1, 1], workgroups: [1, 1, 1], waveSize: 32, ldsBytes,
});

function finish(d: RunningDispatch): void {
  for (let i = 0; i < 100; i++) if (d.step(64) === 'done') return;
  assert.fail('dispatch did not finish');
}

function dispatch(exec: ExecMode, m: Machine, s = setup()): number {
  finish(createShaderCore({ exec, hotAfter: 1 }).start(s, m.vm));
  return m.data.getUint32(0, true);
}

for (const exec of EXEC_MODES) {
  test(`exec=${exec}: a kernel rewritten in place at the same address runs its new code on the next dispatch`, () => {
    const m = machine(storeConstant(7));
    assert.equal(dispatch(exec, m), 7);
    assert.equal(dispatch(exec, m), 7);
    const version = m.vm.version;
    load(m.code, storeConstant(9));
    assert.equal(m.vm.version, version, 'the page tables did not change, only the bytes');
    assert.equal(dispatch(exec, m), 9);
    load(m.code, storeConstant(7));
    assert.equal(dispatch(exec, m), 7);
  });

  test(`exec=${exec}: two VMs with different code at the same address each run their own, alternately`, () => {
    const a = machine(storeConstant(7));
    const b = machine(storeConstant(9));
    for (let i = 0; i < 3; i++) {
      assert.equal(dispatch(exec, a), 7);
      assert.equal(dispatch(exec, b), 9);
    }
  });

  test(`exec=${exec}: a new mapping at the same address runs the code in its own bytes`, () => {
    const m = machine(storeConstant(7));
    assert.equal(dispatch(exec, m), 7);
    m.vm.unmap(CODE_VA);
    const fresh = new Uint8Array(0x1000);
    load(fresh, storeConstant(9));
    m.vm.map({ start: CODE_VA, end: CODE_VA + 0x1000n, bytes: fresh, offset: 0, writable: false, executable: true, label: 'code 2' });
    assert.equal(dispatch(exec, m), 9);
  });

  test(`exec=${exec}: an undefined word faults, runs once replaced by code, and faults again once put back`, () => {
    const broken = [UNDEFINED_SOPP, ...storeConstant(7)];
    const m = machine(broken);
    const illegal = (e: unknown): boolean => e instanceof ShaderFault && e.kind === 'illegal' && e.pc === Number(CODE_VA);
    assert.throws(() => dispatch(exec, m), illegal);
    load(m.code, storeConstant(9));
    assert.equal(dispatch(exec, m), 9);
    load(m.code, broken);
    m.data.setUint32(0, 0, true);
    assert.throws(() => dispatch(exec, m), illegal);
    assert.equal(m.data.getUint32(0, true), 0);
  });

  test(`exec=${exec}: dispatches whose steps interleave keep their own LDS`, () => {
    // v1 = s2; LDS[0] = v1; v2 = LDS[0]; data[0] = v2: a dispatch that reads another's LDS stores its value.
    const m = machine([V_MOV_V1_S2, V_MOV_V0_0, ...DS_STORE_V1, ...DS_LOAD_V2, S_WAITCNT_LGKM0, ...GLOBAL_STORE_V2, S_ENDPGM]);
    const core = createShaderCore({ exec, hotAfter: 1 });
    for (let round = 0; round < 3; round++) {
      const first = core.start(setup(1, 256), m.vm);
      assert.equal(first.step(3), 'running', 'the first dispatch stops after its LDS store');
      finish(core.start(setup(2, 256), m.vm));
      assert.equal(m.data.getUint32(0, true), 2);
      finish(first);
      assert.equal(m.data.getUint32(0, true), 1);
    }
  });
}

test('a dispatch of one workgroup runs in-thread on a core with worker threads; one of two workgroups is shared out', () => {
  const m = machine(storeConstant(7), true);
  const core = createParallelShaderCore({ workers: 2, exec: 'block' });
  try {
    const one = core.start(setup(), m.vm);
    assert.ok(!(one instanceof ParallelDispatch));
    finish(one);
    assert.equal(m.data.getUint32(0, true), 7);
    const two = core.start({ ...setup(), workgroups: [2, 1, 1] }, m.vm);
    assert.ok(two instanceof ParallelDispatch);
    let state = two.step(64);
    for (let i = 0; i < 10_000 && state !== 'done'; i++) state = two.step(64);
    assert.equal(state, 'done');
  } finally {
    core.close?.();
  }
});
