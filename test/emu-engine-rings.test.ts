// The emulated GPU's engines driven by hand through raw KFD, as in emu-engines.test.ts: rings (wrap-around,
// queue updates), interrupts and event slots, and strictness (undefined packets, faults, overwritten
// rings, packets past the write pointer). Packets from the public header layouts (support/hand-packets.ts).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import * as kfd from '../src/uapi/kfd.js';
import { PAGE, withKfd, type RawKfd } from './support/raw-kfd.js';
import { packet3, PM4, PM4_UNDEFINED_OP, writeData, acquireMem, releaseMem, SDMA_UNDEFINED_OP, fence } from './support/hand-packets.js';
import { Q, EV, WAIT, UNSIGNALED_SLOT, UNMAPPED, MODELS, view, until, queueState, hangOf, ringQueue, signalEvent, closeAndCheckEmpty, memoryException } from './support/engines-by-hand.js';

/**
 * A PM4 and an SDMA queue on one-page rings, each with a consumed filler that leaves 4 dwords (PM4) and
 * 2 dwords (SDMA) before the ring's end, and a mapped page for the packets to write.
 */
async function queuesNearRingEnd(k: RawKfd) {
  const buf = k.allocMapped(PAGE);
  const cpu = view(k.cpuView(buf));
  const pm4 = ringQueue(k, Q.COMPUTE, PAGE);
  const sdma = ringQueue(k, Q.SDMA, PAGE);
  pm4.put([packet3(PM4.NOP, 1019), ...new Array<number>(1019).fill(0)]);
  pm4.submit();
  sdma.put(new Array<number>(1022).fill(0)); // SDMA_OP_NOP, one dword each
  sdma.submit();
  // The read pointers must reach the fillers' ends: "idle" alone can be read before the engine has
  // seen the doorbell, and the next doorbell would then ask for more than a ring at once.
  await until('both queues to consume the filler', () => pm4.rptr32 === 1020 && sdma.rptr64 === 4088n);
  return { buf, cpu, pm4, sdma };
}

for (const m of MODELS) {
  describe(`engines by hand on ${m.spec}: rings, interrupts`, () => {
    test('PM4 and SDMA: a packet that wraps around the end of the ring runs whole', () =>
      withKfd(m.spec, async (k) => {
        // The next 5-dword WRITE_DATA and 4-dword FENCE each continue at the start of the ring.
        const { buf, cpu, pm4, sdma } = await queuesNearRingEnd(k);
        pm4.put(writeData(buf.va, [0x7777_0001]));
        pm4.submit();
        sdma.put(fence(buf.va + 8n, 0x7777_0002));
        sdma.submit();
        await until('the wrapped packets to land', () => cpu.getUint32(0, true) === 0x7777_0001 && cpu.getUint32(8, true) === 0x7777_0002);
        await until('both queues to go idle', () => queueState(k, pm4.id).state === 'idle' && queueState(k, sdma.id).state === 'idle');
        assert.equal(pm4.rptr32, 1, 'PM4 read pointer wrapped to dword 1');
        assert.equal(pm4.wptr, 1025n);
        assert.equal(sdma.rptr64, BigInt(PAGE + 8), 'SDMA read pointer counts bytes without wrapping');
        closeAndCheckEmpty(k);
      }));

    test('PM4 and SDMA: after UPDATE_QUEUE moves the ring and doubles its size, packets are fetched at the read pointer modulo the new size', () =>
      withKfd(m.spec, async (k) => {
        const { buf, cpu, pm4, sdma } = await queuesNearRingEnd(k);
        // New rings of two pages (kfd_ioctl_update_queue: ring_base_address and ring_size). The next packets
        // start at byte 4080 (PM4) and 4088 (SDMA) of the new ring and run on past its first page; in the
        // old ring's size they would wrap to byte 0, which holds a different value.
        const rings = [pm4, sdma].map((q) => {
          const ring = k.allocMapped(2 * PAGE);
          k.call(kfd.KFD_IOC.UPDATE_QUEUE, { ring_base_address: ring.va, queue_id: q.id, ring_size: 2 * PAGE, queue_percentage: 100, queue_priority: 7 });
          return view(k.cpuView(ring));
        });
        const putAt = (dv: DataView, byte: number, dwords: readonly number[]) => dwords.forEach((d, i) => dv.setUint32(byte + 4 * i, d >>> 0, true));
        putAt(rings[0]!, 0, writeData(buf.va, [0xbad0_0001]));
        putAt(rings[0]!, 4080, writeData(buf.va, [0x7777_0001]));
        putAt(rings[1]!, 0, fence(buf.va + 8n, 0xbad0_0002));
        putAt(rings[1]!, 4088, fence(buf.va + 8n, 0x7777_0002));
        pm4.submit(1025n);
        sdma.submit(4104n);
        await until('both queues to go idle', () => queueState(k, pm4.id).state === 'idle' && queueState(k, sdma.id).state === 'idle' && pm4.rptr32 === 1025);
        assert.equal(cpu.getUint32(0, true).toString(16), '77770001');
        assert.equal(cpu.getUint32(8, true).toString(16), '77770002');
        assert.equal(pm4.rptr32, 1025, 'PM4 read pointer: dword 1025 of the 2048-dword ring');
        assert.equal(sdma.rptr64, 4104n);
        closeAndCheckEmpty(k);
      }));

    test('interrupts: int_ctxid naming an event whose slot the GPU did not write fires nothing (WAIT_EVENTS times out)', () =>
      withKfd(m.spec, async (k) => {
        const q = ringQueue(k, Q.COMPUTE, PAGE);
        const ev = signalEvent(k);
        const buf = k.allocMapped(PAGE);
        q.put(releaseMem(m.pm4, buf.va, 2, BigInt(ev.id), 2, ev.id));
        q.submit();
        await until('the RELEASE_MEM to run', () => queueState(k, q.id).state === 'idle' && BigInt(queueState(k, q.id).rptr) === q.wptr);
        assert.equal(k.waitEvents([ev.id], 100).result, WAIT.TIMEOUT);
        assert.equal(ev.slot(), UNSIGNALED_SLOT);
        closeAndCheckEmpty(k);
      }));

    test('interrupts: a written slot fires on the next interrupt even with an unknown context id (kfd_signal_event_interrupt\'s exhaustive search)', () =>
      withKfd(m.spec, async (k) => {
        const q = ringQueue(k, Q.COMPUTE, PAGE);
        const ev = signalEvent(k);
        const other = k.createEvent(EV.SIGNAL);
        q.put(releaseMem(m.pm4, ev.slotVa, 2, BigInt(ev.id), 0, 0)); // slot written, no interrupt
        q.submit();
        await until('the slot write', () => ev.slot() === BigInt(ev.id));
        assert.equal(k.waitEvents([ev.id], 100).result, WAIT.TIMEOUT, 'a slot write alone wakes nobody');
        // An interrupt whose context id names another event, whose slot is still unsignaled.
        q.put(releaseMem(m.pm4, 0n, 0, 0n, 2, other.id));
        q.submit();
        assert.equal(k.waitEvents([ev.id], 5000).result, WAIT.COMPLETE);
        assert.equal(ev.slot(), UNSIGNALED_SLOT, 'acknowledged');
        assert.equal(k.waitEvents([other.id], 0).result, WAIT.TIMEOUT, 'the named event did not fire');
        closeAndCheckEmpty(k);
      }));
  });

  describe(`engine strictness on ${m.spec}`, () => {
    test('PM4: an undefined opcode stops the queue; the hang report names the packet and the reason; later packets do not run', () =>
      withKfd(m.spec, async (k) => {
        const q = ringQueue(k, Q.COMPUTE, 4 * PAGE);
        const buf = k.allocMapped(PAGE);
        const cpu = view(k.cpuView(buf));
        q.put([...writeData(buf.va, [0x1111]), packet3(PM4_UNDEFINED_OP, 2), 0, 0, ...writeData(buf.va + 4n, [0x2222])]);
        q.submit();
        const hang = await hangOf(k, q.id);
        assert.match(hang.reason, /unknown PM4 opcode 0xc\b/);
        assert.equal(hang.rptr, '5', 'the read pointer stopped at the bad packet (after the 5-dword WRITE_DATA)');
        assert.equal(hang.wptr, q.wptr.toString());
        const at = hang.packets.find((l) => l.startsWith('=>'));
        assert.ok(at, `no packet marked at the read pointer in:\n${hang.packets.join('\n')}`);
        assert.match(at, /OP_0xc/);
        assert.match(at, /unknown PM4 opcode/);
        assert.ok(hang.packets.some((l) => /WRITE_DATA/.test(l) && !l.startsWith('=>')), 'the packet before it is shown too');
        assert.equal(queueState(k, q.id).state, 'hung');
        assert.equal(cpu.getUint32(0, true), 0x1111, 'the packet before ran');
        await sleep(20);
        assert.equal(cpu.getUint32(4, true), 0, 'the packet after did not');
        assert.equal(q.rptr32, 5);
        closeAndCheckEmpty(k);
      }));

    test(`PM4: the other generation's ACQUIRE_MEM length (${m.pm4 === 'gfx9' ? 'nvd.h 8 dwords on gfx9' : 'soc15d.h 7 dwords on gfx10+'}) is refused`, () =>
      withKfd(m.spec, async (k) => {
        const q = ringQueue(k, Q.COMPUTE, PAGE);
        q.put(acquireMem(m.pm4 === 'gfx9' ? 'gfx11' : 'gfx9'));
        q.submit();
        const hang = await hangOf(k, q.id);
        assert.match(hang.reason, m.pm4 === 'gfx9' ? /ACQUIRE_MEM must have 6 body dwords, header says 7/ : /ACQUIRE_MEM must have 7 body dwords, header says 6/);
        assert.match(hang.packets[0]!, /^=> .*ACQUIRE_MEM/);
        closeAndCheckEmpty(k);
      }));

    test('SDMA: an undefined op stops the queue with a hang report naming it', () =>
      withKfd(m.spec, async (k) => {
        const q = ringQueue(k, Q.SDMA, PAGE);
        const buf = k.allocMapped(PAGE);
        const cpu = view(k.cpuView(buf));
        q.put([...fence(buf.va, 1), SDMA_UNDEFINED_OP, ...fence(buf.va + 4n, 2)]);
        q.submit();
        const hang = await hangOf(k, q.id);
        assert.match(hang.reason, /unknown or unsupported SDMA packet op 62 sub_op 0/);
        assert.equal(hang.rptr, '16');
        const at = hang.packets.find((l) => l.startsWith('=>'));
        assert.ok(at, `no packet marked at the read pointer in:\n${hang.packets.join('\n')}`);
        assert.match(at, /OP_62\.0/);
        assert.equal(cpu.getUint32(0, true), 1);
        await sleep(20);
        assert.equal(cpu.getUint32(4, true), 0);
        assert.equal(q.rptr64, 16n);
        closeAndCheckEmpty(k);
      }));

    for (const engine of ['PM4 WRITE_DATA', 'SDMA FENCE'] as const) {
      test(`${engine} to an unmapped GPU address → MEMORY event with the faulting page and gpu_id; the queue hangs with the fault`, () =>
        withKfd(m.spec, async (k) => {
          const mem = k.createEvent(EV.MEMORY);
          assert.ok(mem.id >= kfd.KFD_SIGNAL_EVENT_LIMIT, 'memory events take ids past the signal range');
          const pm4 = engine.startsWith('PM4');
          const q = pm4 ? ringQueue(k, Q.COMPUTE, 4 * PAGE) : ringQueue(k, Q.SDMA, PAGE);
          q.put(pm4 ? writeData(UNMAPPED, [0xdead]) : fence(UNMAPPED, 0xdead));
          q.submit();
          const w = k.waitEvents([mem.id], 5000);
          assert.equal(w.result, WAIT.COMPLETE);
          const ex = memoryException(w.data[0]!);
          assert.equal(ex.va, UNMAPPED & ~0xfffn, 'va is the faulting page');
          assert.equal(ex.gpu_id, k.gpuId);
          assert.deepEqual([ex.failure.NotPresent, ex.failure.ReadOnly, ex.failure.NoExecute], [1, 0, 0]);
          const hang = await hangOf(k, q.id);
          assert.deepEqual({ ...hang.fault, client: undefined }, { va: `0x${UNMAPPED.toString(16)}`, write: true, kind: 'not-present', client: undefined });
          assert.match(hang.fault!.client, pm4 ? /^CP \(PM4 queue/ : /^SDMA\d/);
          assert.match(hang.reason, /GPU VM fault \(not-present\) on write/);
          closeAndCheckEmpty(k);
        }));
    }

    test('PM4: a ring filled exactly is accepted; a write pointer more than a ring ahead of the read pointer → hang "overwritten"', () =>
      withKfd(m.spec, async (k) => {
        const full = ringQueue(k, Q.COMPUTE, PAGE);
        const ringDwords = PAGE / 4;
        full.put([packet3(PM4.NOP, ringDwords - 1), ...new Array<number>(ringDwords - 1).fill(0)]);
        full.submit();
        await until('the full ring to be consumed', () => queueState(k, full.id).state === 'idle' && BigInt(queueState(k, full.id).rptr) === BigInt(ringDwords));
        assert.equal(full.rptr32, 0, 'the reported read pointer wraps at the ring size');

        const over = ringQueue(k, Q.COMPUTE, PAGE);
        over.submit(BigInt(ringDwords + 1));
        const hang = await hangOf(k, over.id);
        assert.match(hang.reason, /more than a ring \(1024 dwords\) ahead .* overwritten/);
        closeAndCheckEmpty(k);
      }));

    test('SDMA: a write pointer more than a ring (bytes) ahead → hang "overwritten"', () =>
      withKfd(m.spec, async (k) => {
        const q = ringQueue(k, Q.SDMA, PAGE);
        q.submit(BigInt(PAGE + 4));
        const hang = await hangOf(k, q.id);
        assert.match(hang.reason, /more than a ring \(4096 bytes\) ahead .* overwritten/);
        closeAndCheckEmpty(k);
      }));

    test('PM4 and SDMA: a packet that straddles the write pointer → hang, nothing of it runs', () =>
      withKfd(m.spec, async (k) => {
        const buf = k.allocMapped(PAGE);
        const cpu = view(k.cpuView(buf));
        const pm4 = ringQueue(k, Q.COMPUTE, PAGE);
        pm4.put(writeData(buf.va, [0x5555]));
        pm4.submit(3n);
        const sdma = ringQueue(k, Q.SDMA, PAGE);
        sdma.put(fence(buf.va + 4n, 0x6666));
        sdma.submit(8n);
        const [hp, hs] = [await hangOf(k, pm4.id), await hangOf(k, sdma.id)];
        assert.match(hp.reason, /needs 5 dwords but only 3 were submitted before the write pointer/);
        assert.match(hs.reason, /needs 4 dwords but only 2 were submitted before the write pointer/);
        assert.deepEqual([cpu.getUint32(0, true), cpu.getUint32(4, true)], [0, 0]);
        closeAndCheckEmpty(k);
      }));
  });
}
