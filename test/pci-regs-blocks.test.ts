// The SDMA0 and NBIO blocks of the register database on the emulated register BAR: the block chosen by
// the version IP discovery reports, based at that block's discovery bases, and following the engines
// (SDMA status and RLC ring pointers on gfx942; the NBIO BIOS-scratch flags the kernel keeps for a hang).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { open, SdmaQueue } from '../src/index.js';
import type { EmuHost } from '../src/emu/host.js';
import { listAmdFunctions } from '../src/pci/devices.js';
import { readIpDiscovery } from '../src/cli/pci.js';
import { RegisterAperture, RegisterError, describeTables, findRegister, registerTablesFor, resolveRegister } from '../src/pci/registers.js';
import { ATOM_S3_ASIC_GUI_ENGINE_HUNG, ATOM_S7_ASIC_INIT_COMPLETE_MASK } from '../src/hw/regs/atombios.js';
import { main } from '../src/cli/main.js';
import type { CommandIo } from '../src/cli/io.js';
import type { Host } from '../src/os/host.js';

function registers(host: Host) {
  const [fn] = listAmdFunctions(host, { displayOnly: true });
  const d = readIpDiscovery(host)[0]!.discovery;
  const tables = registerTablesFor(d);
  const reg = (name: string, instance = 0) => {
    const { table, def } = findRegister(tables, name);
    return resolveRegister(d, table, def, instance);
  };
  return { fn: fn!, reg, tables, d };
}

const until = async (f: () => boolean): Promise<boolean> => {
  for (let i = 0; i < 400; i++) {
    if (f()) return true;
    await new Promise((r) => setTimeout(r, 5));
  }
  return false;
};

test('regs blocks: each model gets the tables of the versions its discovery table reports, at that block\'s bases', async () => {
  const expect: Record<string, string> = {
    'emu:gfx1100': 'GC 11.0.0, SDMA0 6.0.0, NBIO 4.3.0',
    'emu:gfx942': 'GC 9.4.3, SDMA0 4.4.2, NBIO 7.9.0',
    // NBIO 7.4.0 has no table yet
    'emu:gfx90a': 'GC 9.4.2, SDMA0 4.4.0',
  };
  for (const [device, blocks] of Object.entries(expect)) {
    const s = open({ device });
    try {
      const { reg, tables } = registers(s.host);
      assert.equal(describeTables(tables), blocks, device);
      if (device === 'emu:gfx942') {
        // SDMA0 segment 0 at dword 0x1260 (vega10_ip_offset.h; sdma_4_4_2_offset.h "base address: 0x4980" bytes)
        assert.equal(reg('SDMA0.SDMA_STATUS_REG').byteOffset, (0x1260 + 0x25) * 4);
        // NBIO segment 1 at dword 0x14: BIOS_SCRATCH_7 = (0x14 + 0x3f) * 4
        assert.equal(reg('NBIO.BIF_BX0_BIOS_SCRATCH_7').byteOffset, (0x14 + 0x3f) * 4);
        // gfx942 lists SDMA0 instances 0..15, each with its own bases
        assert.equal(reg('SDMA_STATUS_REG', 15).byteOffset, (0x1260 + 0x25) * 4);
        assert.throws(() => reg('SDMA_STATUS_REG', 16), (e: unknown) => e instanceof RegisterError && /no instance 16/.test(e.message));
      }
      if (device === 'emu:gfx1100') {
        // SDMA 6: GC segment 0 (0x1260) + offset, instance 1 (discovery's SDMA1 block) 0x600 dwords on (sdma_v6_0.c)
        assert.equal(reg('SDMA0.SDMA0_STATUS_REG').byteOffset, (0x1260 + 0x25) * 4);
        assert.equal(reg('SDMA0.SDMA0_STATUS_REG', 1).byteOffset, (0x1260 + 0x600 + 0x25) * 4);
        assert.throws(() => reg('SDMA0.SDMA0_STATUS_REG', 2), RegisterError);
        assert.throws(() => reg('SDMA0.SDMA_STATUS_REG'), (e: unknown) => e instanceof RegisterError && /unknown register/.test(e.message));
      }
    } finally {
      await s.close();
    }
  }
});

test('regs blocks: SDMA status and the RLC0 ring pointers follow a waiting SDMA queue (emu:gfx942 SDMA 4.4.2, emu:gfx90a SDMA 4.4.0)', async () => {
  // the two headers name the same registers with and without the instance digit
  for (const [device, p, posted] of [['emu:gfx942', 'SDMA_', true], ['emu:gfx90a', 'SDMA0_', false]] as const) {
    const s = open({ device });
    try {
      const gpu = s.device(0);
      const { fn, reg } = registers(s.host);
      const ro = new RegisterAperture(s.host, fn, 5, false);
      try {
        const read = (name: string) => ro.read(reg(name));
        // IDLE | RB_EMPTY (sdma_4_4_x_sh_mask.h bits 0 and 2) with no SDMA work; the F32 engine is not halted
        assert.equal(read(`SDMA0.${p}STATUS_REG`), 0x5, device);
        assert.equal(read(`SDMA0.${p}F32_CNTL`) & 1, 0);
        if (posted) {
          assert.equal(read('NBIO.BIF_BX0_BIOS_SCRATCH_7'), ATOM_S7_ASIC_INIT_COMPLETE_MASK);
          assert.equal(read('NBIO.BIF_BX0_BIOS_SCRATCH_3'), 0);
        }
        const flag = gpu.alloc(4096, { domain: 'gtt' });
        const q = SdmaQueue.create(gpu);
        const c = q.submit(q.builder().pollMem32(flag.va, 'EQ', 1).dwords);
        assert.ok(await until(() => read(`SDMA0.${p}STATUS_REG`) === 0), `${device}: IDLE and RB_EMPTY clear while the poll waits`);
        const status = (s.host as unknown as EmuHost).engineStatus()[0]!.queues.find((x) => x.kind === 'sdma')!;
        const wptr = read(`${p}RLC0_RB_WPTR`);
        assert.equal(wptr, Number(status.wptr), `${device}: RLC0 write pointer in bytes, as the engine holds it`);
        assert.equal(read(`${p}RLC0_RB_WPTR_HI`), 0);
        assert.ok(read(`${p}RLC0_RB_RPTR`) < wptr, 'the read pointer stops at the poll');
        assert.equal(read(`${p}RLC1_RB_WPTR`), 0, 'no second SDMA queue');
        new Uint32Array(flag.view.buffer, flag.view.byteOffset, 1)[0] = 1;
        q.wait(c);
        assert.equal(read(`${p}RLC0_RB_RPTR`), read(`${p}RLC0_RB_WPTR`), 'consumed');
        assert.equal(read(`SDMA0.${p}STATUS_REG`), 0x5);
        q.destroy();
        flag.free();
      } finally {
        ro.close();
      }
    } finally {
      await s.close();
    }
  }
});

test('regs blocks: NBIO BIOS_SCRATCH_3 carries GUI_ENGINE_HUNG while an SDMA queue is hung (emu:gfx1100)', async () => {
  const s = open({ device: 'emu:gfx1100' });
  try {
    const gpu = s.device(0);
    const { fn, reg } = registers(s.host);
    const ro = new RegisterAperture(s.host, fn, 5, false);
    try {
      const scratch3 = reg('NBIO.BIF_BX0_BIOS_SCRATCH_3');
      assert.equal(ro.read(scratch3), 0);
      assert.equal(ro.read(reg('BIF_BX0_BIOS_SCRATCH_7')), ATOM_S7_ASIC_INIT_COMPLETE_MASK);
      const q = SdmaQueue.create(gpu);
      q.submit(new Uint32Array([0xff])); // SDMA opcode 0xff does not exist: the engine stops the queue as hung
      const hung = () => (s.host as unknown as EmuHost).engineStatus()[0]!.queues.some((x) => x.state === 'hung');
      assert.ok(await until(hung), 'the queue hangs');
      assert.equal(ro.read(scratch3), ATOM_S3_ASIC_GUI_ENGINE_HUNG);
      assert.equal(ro.read(reg('SDMA0.SDMA0_STATUS_REG')) & 1, 0, 'SDMA not idle');
      q.destroy();
      assert.equal(ro.read(scratch3), 0, 'cleared once the hung queue is gone');
    } finally {
      ro.close();
    }
  } finally {
    await s.close();
  }
});

test('cli: regs read SDMA0.* and NBIO.* by block; a bare name finds its block; --instance picks the engine', async () => {
  const run = async (argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const io: CommandIo = { out: (l) => out.push(l), err: (l) => err.push(l), interactive: false };
    return { code: await main(argv, io), out: out.join('\n'), err: err.join('\n') };
  };
  const r = await run(['regs', 'read', 'SDMA0.SDMA_STATUS_REG', '--device', 'emu:gfx942']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^SDMA0\.SDMA_STATUS_REG \(0x4a14\) = 0x00000005\n {2}IDLE +1 \(0x1\)\n {2}REG_IDLE +0 \(0x0\)\n {2}RB_EMPTY +1 \(0x1\)/);
  const n = await run(['regs', 'read', 'BIF_BX0_BIOS_SCRATCH_7', '--device', 'emu:gfx942', '--json']);
  assert.equal(n.code, 0, n.err);
  assert.deepEqual(JSON.parse(n.out), { register: 'NBIO.BIF_BX0_BIOS_SCRATCH_7', instance: 0, byteOffset: (0x14 + 0x3f) * 4, value: 0x200, fields: {} });
  const i = await run(['regs', 'read', 'SDMA0.SDMA0_STATUS_REG', '--instance', '1', '--device', 'emu:gfx1100']);
  assert.equal(i.code, 0, i.err);
  // (0x1260 + 0x600 + 0x25) * 4; the emulator backs engine instance 0's registers only, so instance 1 reads 0
  assert.match(i.out, /^SDMA0\[1\]\.SDMA0_STATUS_REG \(0x6214\) = 0x00000000\n {2}IDLE +0/);
  const l = await run(['regs', 'list', 'SDMA0.*', '--device', 'emu:gfx942']);
  assert.equal(l.code, 0, l.err);
  assert.match(l.out, /GC 9\.4\.3, SDMA0 4\.4\.2, NBIO 7\.9\.0/);
  assert.match(l.out, /SDMA0\.SDMA_RLC1_RB_WPTR_HI +0x4fb8/);
  assert.equal((await run(['regs', 'read', 'SDMA0.SDMA_STATUS_REG', '--instance', 'x', '--device', 'emu:gfx942'])).code, 2);
  assert.equal((await run(['regs', 'read', 'SDMA0.SDMA0_STATUS_REG', '--instance', '3', '--device', 'emu:gfx1100'])).code, 2);
  assert.equal((await run(['regs', 'read', 'FOO.GRBM_STATUS', '--device', 'emu:gfx942'])).code, 2);
});
