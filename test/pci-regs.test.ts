// Registers by name through the emulated register BAR: the generated database, IP discovery bases,
// read-only mapping unless asked, writes refused except to scratch registers, and status registers
// that follow the engines (busy while an SDMA queue waits, its ring pointers, idle after).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { open, SdmaQueue, Pm4Queue, AqlQueue } from '../src/index.js';
import type { EmuHost } from '../src/emu/host.js';
import { Pm4Builder } from '../src/hw/pm4/builder.js';
import { listAmdFunctions } from '../src/pci/devices.js';
import { readIpDiscovery } from '../src/cli/pci.js';
import { RegisterAperture, RegisterError, findRegister, registerTablesFor, resolveRegister } from '../src/pci/registers.js';
import { REGISTER_TABLES } from '../src/hw/regs/index.js';
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
  return { fn: fn!, reg, tables };
}

test('regs: the generated tables put GRBM_STATUS at BAR byte 0x8010 on GC 11.0.0, 9.4.3 and 9.4.2 (with the discovery bases)', () => {
  const gcTables = REGISTER_TABLES.filter((t) => t.block === 'GC');
  assert.deepEqual(gcTables.map((t) => t.version), ['11.0.0', '9.4.3', '9.4.2']);
  for (const t of gcTables) {
    const grbm = t.registers.find((r) => r.name === 'GRBM_STATUS')!;
    const base = t.version === '11.0.0' ? 0x1260 : 0x2000;
    assert.equal((base + grbm.offset) * 4, 0x8010, t.version);
  }
  // only the GC scratch registers may be written, in every table
  assert.ok(REGISTER_TABLES.every((t) => t.registers.filter((r) => r.writeSafe).every((r) => t.block === 'GC' && r.name.startsWith('GRBM_SCRATCH_REG'))));
  const table = (block: string, version: string) => REGISTER_TABLES.find((t) => t.block === block && t.version === version)!;
  const f = table('GC', '9.4.3').registers.find((r) => r.name === 'GRBM_STATUS')!.fields;
  assert.deepEqual(f.find((x) => x.name === 'GUI_ACTIVE'), { name: 'GUI_ACTIVE', shift: 31, mask: 0x80000000 });
  // GC 11.0.0 fields from gc_11_0_0_sh_mask.h: gfx11 renamed WD/IA to GE, and SDMA sits in GC
  const gc11 = table('GC', '11.0.0').registers;
  const field = (regs: typeof gc11, reg: string, name: string) => regs.find((r) => r.name === reg)!.fields.find((x) => x.name === name);
  assert.deepEqual(field(gc11, 'GRBM_STATUS', 'GE_BUSY'), { name: 'GE_BUSY', shift: 21, mask: 0x200000 });
  assert.deepEqual(field(gc11, 'GRBM_STATUS2', 'CPC_BUSY'), { name: 'CPC_BUSY', shift: 29, mask: 0x20000000 });
  // gfx11 SDMA registers come from the GC header into their own SDMA0 table, based at GC's segment
  assert.equal(table('SDMA0', '6.0.0').baseBlock, 'GC');
  assert.deepEqual(field(table('SDMA0', '6.0.0').registers, 'SDMA0_STATUS_REG', 'IDLE'), { name: 'IDLE', shift: 0, mask: 1 });
  assert.ok(!gc11.some((r) => r.name.startsWith('SDMA')));
  assert.equal(gc11.find((r) => r.name === 'CP_HQD_PQ_RPTR')!.offset, 0x1fb3);
});

test('regs: status registers follow a live SDMA queue on emu:gfx1100; scratch writes stick; others are refused', async () => {
  const s = open({ device: 'emu:gfx1100' });
  try {
    const gpu = s.device(0);
    const { fn, reg } = registers(s.host);
    const ro = new RegisterAperture(s.host, fn, 5, false);
    const rw = new RegisterAperture(s.host, fn, 5, true);
    try {
      const grbm = reg('GC.GRBM_STATUS');
      const sdmaStatus = reg('SDMA0.SDMA0_STATUS_REG');
      assert.equal(grbm.byteOffset, 0x8010);
      assert.equal(ro.read(grbm), 0);
      assert.equal(ro.read(sdmaStatus) & 1, 1, 'SDMA idle');
      // a queue waiting on memory the CPU writes later
      const flag = gpu.alloc(4096, { domain: 'gtt' });
      const q = SdmaQueue.create(gpu);
      const c = q.submit(q.builder().pollMem32(flag.va, 'EQ', 1).dwords);
      let busy = 0;
      for (let i = 0; i < 200 && !busy; i++) {
        busy = ro.read(grbm);
        if (!busy) await new Promise((r) => setTimeout(r, 5));
      }
      assert.equal(busy >>> 0, 0xa0000000, 'GUI_ACTIVE | CP_BUSY while the queue waits');
      assert.equal(ro.read(sdmaStatus) & 1, 0, 'SDMA not idle');
      const wptr = ro.read(reg('SDMA0_QUEUE0_RB_WPTR'));
      const rptr = ro.read(reg('SDMA0_QUEUE0_RB_RPTR'));
      assert.ok(wptr > 0 && rptr < wptr, `rptr ${rptr} stops before wptr ${wptr}`);
      new Uint32Array(flag.view.buffer, flag.view.byteOffset, 1)[0] = 1;
      q.wait(c);
      assert.equal(ro.read(reg('SDMA0_QUEUE0_RB_RPTR')), ro.read(reg('SDMA0_QUEUE0_RB_WPTR')), 'consumed');
      let idle = 1;
      for (let i = 0; i < 200 && idle; i++) {
        idle = ro.read(grbm);
        if (idle) await new Promise((r) => setTimeout(r, 5));
      }
      assert.equal(idle, 0);
      q.destroy();
      // scratch registers keep what is written; the read-only mapping refuses; unsafe registers refuse
      const scratch = reg('GC.GRBM_SCRATCH_REG3');
      rw.write(scratch, 0xcafe0001);
      assert.equal(ro.read(scratch), 0xcafe0001);
      assert.throws(() => ro.write(scratch, 1), (e: unknown) => e instanceof RegisterError && /read-only/.test(e.message));
      assert.throws(() => rw.write(grbm, 1), (e: unknown) => e instanceof RegisterError && /not marked safe/.test(e.message));
      assert.throws(() => ro.mmio.load64(0x8010), RangeError);
    } finally {
      ro.close();
      rw.close();
    }
  } finally {
    await s.close();
  }
});

test('regs: CP_HQD_* show the compute queue with work outstanding (PM4 on emu:gfx1100, AQL on emu:gfx90a and emu:gfx942)', async () => {
  for (const [device, kind] of [['emu:gfx1100', 'pm4'], ['emu:gfx90a', 'aql'], ['emu:gfx942', 'aql']] as const) {
    const s = open({ device });
    try {
      const gpu = s.device(0);
      const { fn, reg } = registers(s.host);
      const ro = new RegisterAperture(s.host, fn, 5, false);
      try {
        const read = (name: string) => ro.read(reg(`GC.${name}`));
        assert.equal(read('CP_HQD_ACTIVE'), 0, `${device}: no compute queue yet`);
        const flag = gpu.alloc(4096, { domain: 'gtt' });
        // an idle queue created first, then the one that waits on memory the CPU writes later
        const idle = kind === 'pm4' ? Pm4Queue.create(gpu) : AqlQueue.create(gpu);
        const q = kind === 'pm4' ? Pm4Queue.create(gpu) : AqlQueue.create(gpu);
        const wait = new Pm4Builder(gpu.target.family).waitMem32(flag.va, 'EQ', 1).dwords;
        let done: () => void;
        if (q instanceof Pm4Queue) {
          const c = q.submit(wait);
          done = () => q.wait(c);
        } else {
          const c = q.pm4(wait);
          done = () => q.wait(c);
        }
        const status = () => (s.host as unknown as EmuHost).engineStatus()[0]!.queues.find((x) => x.rptr !== x.wptr);
        let st = status();
        for (let i = 0; i < 200 && !st; i++) {
          await new Promise((r) => setTimeout(r, 5));
          st = status();
        }
        assert.ok(st, `${device}: the queue waits`);
        const unit = kind === 'aql' ? 16 : 1;
        assert.equal(read('CP_HQD_ACTIVE'), 1);
        const wptr = read('CP_HQD_PQ_WPTR_LO');
        assert.equal(wptr, Number(st.wptr) * unit, `${device}: WPTR in dwords`);
        assert.equal(read('CP_HQD_PQ_WPTR_HI'), 0);
        assert.equal(read('CP_HQD_PQ_RPTR'), (Number(st.rptr) * unit) % (st.ringSize! / 4), `${device}: RPTR in dwords, within the ring`);
        assert.ok(read('CP_HQD_PQ_RPTR') < wptr, 'the read pointer stops before the write pointer');
        const base = (BigInt(read('CP_HQD_PQ_BASE_HI')) << 40n) | (BigInt(read('CP_HQD_PQ_BASE')) << 8n);
        assert.equal(base, BigInt(st.ringVa!), `${device}: PQ_BASE is the waiting queue's ring, not the idle one's`);
        new Uint32Array(flag.view.buffer, flag.view.byteOffset, 1)[0] = 1;
        done();
        // consumed: no queue has work, so the registers show the most recently created queue, caught up
        assert.equal(read('CP_HQD_PQ_RPTR'), read('CP_HQD_PQ_WPTR_LO') % (st.ringSize! / 4));
        assert.equal((BigInt(read('CP_HQD_PQ_BASE_HI')) << 40n) | (BigInt(read('CP_HQD_PQ_BASE')) << 8n), base);
        q.destroy();
        idle.destroy();
        assert.equal(read('CP_HQD_ACTIVE'), 0);
        flag.free();
      } finally {
        ro.close();
      }
    } finally {
      await s.close();
    }
  }
});

test('cli: regs list/read/write/watch on emulated GPUs; usage errors exit 2', async () => {
  const run = async (argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const io: CommandIo = { out: (l) => out.push(l), err: (l) => err.push(l), interactive: false };
    return { code: await main(argv, io), out: out.join('\n'), err: err.join('\n') };
  };
  const r = await run(['regs', 'read', 'GC.GRBM_STATUS', '--device', 'emu:gfx942']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^GC\.GRBM_STATUS \(0x8010\) = 0x00000000\n {2}ME0PIPE0_CMDFIFO_AVAIL/);
  const l = await run(['regs', 'list', 'GC.GRBM_SCRATCH*', '--device', 'emu:gfx1100', '--json']);
  assert.equal(l.code, 0, l.err);
  assert.equal((JSON.parse(l.out) as { registers: unknown[] }).registers.length, 8);
  const w = await run(['regs', 'watch', 'GC.GRBM_STATUS', '--device', 'emu:gfx942', '--count', '2', '--rate', '100']);
  assert.equal(w.code, 0, w.err);
  assert.equal(w.out.split('\n').length, 2);
  assert.equal((await run(['regs', 'write', 'GC.GRBM_SCRATCH_REG0', '5', '--device', 'emu:gfx1100'])).code, 2);
  assert.equal((await run(['regs', 'write', 'GC.GRBM_STATUS', '5', '--write', '--device', 'emu:gfx1100'])).code, 2);
  assert.equal((await run(['regs', 'read', 'GC.NO_SUCH', '--device', 'emu:gfx1100'])).code, 2);
  assert.equal((await run(['regs', 'frob'])).code, 2);
  // gfx90a (GC 9.4.2): its own table, fields from gc_9_4_2_sh_mask.h
  const gfx90a = await run(['regs', 'read', 'GC.GRBM_STATUS', '--device', 'emu:gfx90a']);
  assert.equal(gfx90a.code, 0, gfx90a.err);
  assert.match(gfx90a.out, /^GC\.GRBM_STATUS \(0x8010\) = 0x00000000\n {2}ME0PIPE0_CMDFIFO_AVAIL/);
  assert.match(gfx90a.out, /WD_BUSY/);
  assert.match(gfx90a.out, /GUI_ACTIVE/);
  const hqd = await run(['regs', 'read', 'GC.CP_HQD_PQ_WPTR_LO', '--device', 'emu:gfx90a', '--json']);
  assert.equal(hqd.code, 0, hqd.err);
});
