// The device option exec=interp|block selects how the emulated shader core runs waves, end to end
// through the driver: the same corpus results either way, a shader memory fault reported identically
// (address, pc, lane, instruction), and a never-ending kernel still detected as a hang with the spinning
// wave's instruction. Unknown values are refused as bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { EmuHost } from '../src/emu/host.js';
import { parseEmuSpec, DeviceSpecError } from '../src/emu/models/models.js';
import { Kfd } from '../src/driver/kfd.js';
import { AqlQueue } from '../src/driver/queues/aql-queue.js';
import { GpuFaultError } from '../src/driver/errors.js';
import { runCorpusKernel } from '../src/harness/corpus-run.js';
import { corpusKernel } from '../src/harness/corpus/index.js';
import { main } from '../src/cli/main.js';
import { REPO_ROOT } from './fixtures/topology/index.js';

const MODES = ['interp', 'block'] as const;

test('exec= is parsed, defaults to block, and refuses other values', () => {
  assert.equal(parseEmuSpec('emu:gfx1100').options.exec, 'block');
  assert.equal(parseEmuSpec('emu:gfx1100?exec=interp').options.exec, 'interp');
  assert.equal(parseEmuSpec('emu:gfx942?kfd=11&exec=block').options.exec, 'block');
  assert.throws(() => parseEmuSpec('emu:gfx1100?exec=jit'), (e: unknown) => e instanceof DeviceSpecError && /exec=jit: expected block or interp/.test(e.message));
});

for (const model of ['gfx1100', 'gfx942']) {
  test(`emu:${model}: corpus kernels give identical buffers and the fault kernel an identical report in both modes`, async () => {
    const seen = new Map<string, { outputs: Map<string, Buffer>; fault: string }>();
    for (const exec of MODES) {
      const host = new EmuHost(`emu:${model}?exec=${exec}`);
      const kfd = Kfd.open(host);
      try {
        const dev = kfd.device(0);
        const outputs = new Map<string, Buffer>();
        for (const id of ['hash_loop', 'sgemm_tiled', 'divergent', 'reduce_sum']) {
          const q = AqlQueue.create(dev);
          const r = runCorpusKernel(dev, q, corpusKernel(id), 20_000);
          assert.equal(r.mismatch, undefined, `${id} (${exec}): ${r.mismatch}`);
          for (const [name, bytes] of r.outputs) outputs.set(`${id}.${name}`, Buffer.from(bytes));
          q.destroy();
        }
        const q = AqlQueue.create(dev);
        let fault = '';
        assert.throws(() => runCorpusKernel(dev, q, corpusKernel('fault'), 20_000), (e: unknown) => {
          if (!(e instanceof GpuFaultError)) return false;
          fault = e.message;
          return e.va === corpusKernel('fault').faultAddress;
        });
        seen.set(exec, { outputs, fault });
      } finally {
        kfd.close();
        await host.shutdown();
      }
    }
    const [a, b] = MODES.map((m) => seen.get(m)!);
    assert.deepEqual([...b!.outputs.keys()], [...a!.outputs.keys()]);
    for (const [name, bytes] of a!.outputs) assert.ok(bytes.equals(b!.outputs.get(name)!), `${name} differs between interp and block`);
    assert.equal(b!.fault.split('\n')[0], a!.fault.split('\n')[0]);
  });
}

/** The CLI's stderr lines for `run` with these arguments, and its exit code. */
async function run(args: string[]): Promise<{ code: number; err: string[] }> {
  const err: string[] = [];
  const code = await main(['run', ...args], { out: () => {}, err: (l) => err.push(...l.split('\n')), interactive: false });
  return { code, err };
}

test('the shader fault report (address, workgroup, wave, lane, pc, instruction) is the same in both modes', async () => {
  const reports: string[] = [];
  for (const exec of MODES) {
    const r = await run([join(REPO_ROOT, 'test/kernels/fault.gfx1100.co'), 'fault', '--device', `emu:gfx1100?exec=${exec}`, '--grid', '64', '--block', '64', '--arg', 'u64:0x7a5a00000000']);
    assert.equal(r.code, 1, r.err.join('\n'));
    const line = r.err.find((l) => l.startsWith('emulated GPU: write at 0x7a5a00000000'));
    assert.ok(line, r.err.join('\n'));
    assert.match(line, /by workgroup 0,0,0 wave 0 lane 0, pc 0x[0-9a-f]+ \(code object offset 0x[0-9a-f]+\): global_store_b32 /);
    reports.push(line);
  }
  assert.equal(reports[1], reports[0]);
});

for (const exec of MODES) {
  test(`exec=${exec}: a never-ending kernel times out with the spinning wave at its s_branch`, async () => {
    const { code, err } = await run([join(REPO_ROOT, 'test/kernels/asm_hang.gfx1100.co'), 'asm_hang', '--device', `emu:gfx1100?exec=${exec}`, '--grid', '64', '--block', '64', '--arg', 'buf:256', '--timeout', '500']);
    assert.equal(code, 1, err.join('\n'));
    assert.match(err[0]!, /timed out after 500 ms waiting for kernel asm_hang/);
    assert.ok(err.some((l) => /wave [01] at pc 0x[0-9a-f]+ \(code object offset 0x[0-9a-f]+\): s_branch /.test(l)), err.join('\n'));
  });
}
