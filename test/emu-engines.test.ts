// The emulated GPU's engines driven the way the kernel ABI allows and nothing more: raw KFD ioctls,
// CPU views of buffer objects, the process doorbell page, and packets written here dword by dword
// from the public header layouts — linux drivers/gpu/drm/amd/amdgpu/nvd.h (gfx10+ PM4), soc15d.h (gfx9
// PM4), sdma_v6_0_0_pkt_open.h / vega10_sdma_pkt_open.h (SDMA 6 / SDMA 4.x), hsa/hsa.h and
// amd_hsa_queue.h / amd_hsa_signal.h (AQL). src/hw's builders are deliberately not used: this is their
// independent check.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import * as kfd from '../src/uapi/kfd.js';
import { amdQueue, amdSignal, hsaQueue, AMD_QUEUE_PROPERTIES } from '../src/uapi/hsa.js';
import { gpuClock } from '../src/emu/engine/clock.js';
import { PAGE, withKfd } from './support/raw-kfd.js';
import { writeData, acquireMem, releaseMem, waitMemEq, copyLinear, fence, pollRegmemEq, timestamp, AQL_PACKET_BYTES, AQL_TYPE, barrierAndHeader } from './support/hand-packets.js';
import { Q, EV, WAIT, UNSIGNALED_SLOT, MODELS, view, store64, until, queueState, hangOf, computeBuffers, ringQueue, signalEvent, closeAndCheckEmpty } from './support/engines-by-hand.js';

for (const m of MODELS) {
  describe(`engines by hand on ${m.spec}`, () => {
    test(`PM4 (${m.pm4} forms): ACQUIRE_MEM, WRITE_DATA, RELEASE_MEM fence, RELEASE_MEM interrupt → WAIT_EVENTS completes; rptr (dwords) = wptr`, () =>
      withKfd(m.spec, async (k) => {
        const q = ringQueue(k, Q.COMPUTE, 4 * PAGE);
        const ev = signalEvent(k);
        const buf = k.allocMapped(PAGE);
        const bufCpu = view(k.cpuView(buf));
        assert.equal(ev.slot(), UNSIGNALED_SLOT, 'a new event page slot is unsignaled');
        q.put([
          ...acquireMem(m.pm4),
          ...writeData(buf.va + 16n, [0xcafe_0001, 0xcafe_0002, 0xcafe_0003]),
          ...releaseMem(m.pm4, buf.va + 64n, 2, 0x1122_3344_5566_7788n, 0, 0),
          ...releaseMem(m.pm4, ev.slotVa, 2, BigInt(ev.id), 2, ev.id),
        ]);
        assert.equal(k.waitEvents([ev.id], 0).result, WAIT.TIMEOUT, 'nothing fires before the doorbell');
        assert.equal(bufCpu.getUint32(16, true), 0, 'the ring alone starts nothing');
        q.submit();
        const w = k.waitEvents([ev.id], 5000);
        assert.equal(w.result, WAIT.COMPLETE);
        assert.deepEqual([16, 20, 24].map((o) => bufCpu.getUint32(o, true)), [0xcafe_0001, 0xcafe_0002, 0xcafe_0003]);
        assert.equal(bufCpu.getUint32(28, true), 0, 'WRITE_DATA wrote exactly its data dwords');
        assert.equal(bufCpu.getBigUint64(64, true), 0x1122_3344_5566_7788n);
        const idle = await until('the PM4 queue to go idle', () => (queueState(k, q.id).state === 'idle' ? queueState(k, q.id) : undefined));
        assert.equal(BigInt(q.rptr32), q.wptr, 'the 32-bit read pointer in memory (dwords) reached the write pointer');
        assert.equal(q.wptr, BigInt(m.pm4 === 'gfx9' ? 7 + 7 + 8 + 8 : 8 + 7 + 8 + 8));
        assert.deepEqual([idle.rptr, idle.wptr, idle.hang], [q.wptr.toString(), q.wptr.toString(), null]);
        // kfd_signal_event_interrupt acknowledged the slot (acknowledge_signal writes it back to unsignaled).
        assert.equal(ev.slot(), UNSIGNALED_SLOT);
        closeAndCheckEmpty(k);
      }));

    test(`SDMA: POLL_REGMEM waits for the CPU, then a 64 MiB COPY_LINEAR (${m.sdmaCountBits}-bit count) is byte-exact and FENCE lands; rptr (bytes) = wptr`, () =>
      withKfd(m.spec, async (k) => {
        const SIZE = 64 << 20;
        const q = ringQueue(k, Q.SDMA, PAGE);
        const src = k.allocMapped(SIZE);
        const dst = k.allocMapped(SIZE + PAGE);
        const sync = k.allocMapped(PAGE);
        const srcCpu = k.cpuView(src);
        const dstCpu = k.cpuView(dst);
        const syncCpu = view(k.cpuView(sync));
        const words = new Uint32Array(srcCpu.bytes.buffer, srcCpu.bytes.byteOffset, SIZE / 4);
        let x = 0x9e37_79b9;
        for (let i = 0; i < words.length; i++) words[i] = x = (Math.imul(x, 1_664_525) + 1_013_904_223) >>> 0;
        dstCpu.bytes.subarray(SIZE).fill(0xa5);

        const maxBytes = 2 ** m.sdmaCountBits;
        const copies: number[] = [];
        let packets = 0;
        for (let off = 0; off < SIZE; off += maxBytes, packets++) copies.push(...copyLinear(src.va + BigInt(off), dst.va + BigInt(off), Math.min(maxBytes, SIZE - off)));
        assert.equal(packets, m.sdmaCountBits === 30 ? 1 : 16);
        q.put([...pollRegmemEq(sync.va, 1), ...copies, ...fence(sync.va + 8n, 0xf00d_f00d)]);
        q.submit();

        await sleep(50);
        await until('the SDMA queue to wait in POLL_REGMEM', () => /^waiting: POLL_REGMEM mem 0x/.test(queueState(k, q.id).state));
        assert.equal(syncCpu.getUint32(8, true), 0, 'no fence before the CPU writes the flag');
        assert.equal(dstCpu.bytes[0], 0, 'no copy before the CPU writes the flag');
        assert.equal(q.rptr64, 0n);

        syncCpu.setUint32(0, 1, true);
        await until('the SDMA fence', () => syncCpu.getUint32(8, true) === 0xf00d_f00d);
        assert.ok(Buffer.from(dstCpu.bytes.buffer, dstCpu.bytes.byteOffset, SIZE).equals(Buffer.from(srcCpu.bytes.buffer, srcCpu.bytes.byteOffset, SIZE)), 'the copy is byte-exact');
        assert.ok(dstCpu.bytes.subarray(SIZE).every((b) => b === 0xa5), 'nothing written past the copy');
        await until('the SDMA queue to go idle', () => queueState(k, q.id).state === 'idle');
        assert.equal(q.rptr64, q.wptr, 'the 64-bit read pointer in memory (bytes) reached the write pointer');
        assert.equal(q.wptr, BigInt((6 + 7 * packets + 4) * 4));
        closeAndCheckEmpty(k);
      }));

    test('PM4: WAIT_REG_MEM reads its word afresh on every poll: the status shows the value read last, a store that does not match keeps it waiting, the matching one releases it; unmapping the word it polls is a read fault that hangs the queue', () =>
      withKfd(m.spec, async (k) => {
        const q = ringQueue(k, Q.COMPUTE, 4 * PAGE);
        const sync = k.allocMapped(PAGE);
        const syncCpu = view(k.cpuView(sync));
        const waitText = (va: bigint, value: number, reference: number) => `waiting: WAIT_REG_MEM mem 0x${va.toString(16)} (0x${value.toString(16)} & 0xffffffff) func 3 0x${reference.toString(16)}`;
        q.put([...waitMemEq(sync.va, 5), ...writeData(sync.va + 8n, [0xabc])]);
        q.submit();
        await until('the PM4 queue to wait in WAIT_REG_MEM', () => queueState(k, q.id).state === waitText(sync.va, 0, 5));
        syncCpu.setUint32(0, 4, true);
        await until('the wait to read the new value', () => queueState(k, q.id).state === waitText(sync.va, 4, 5));
        assert.equal(syncCpu.getUint32(8, true), 0, 'nothing after the wait ran');
        assert.equal(q.rptr32, 0);
        syncCpu.setUint32(0, 5, true);
        await until('the WRITE_DATA after the wait', () => syncCpu.getUint32(8, true) === 0xabc);
        await until('the PM4 queue to go idle', () => queueState(k, q.id).state === 'idle');
        assert.equal(BigInt(q.rptr32), q.wptr);

        const mem = k.createEvent(EV.MEMORY);
        const flag = k.allocMapped(PAGE);
        q.put([...waitMemEq(flag.va + 4n, 1), ...writeData(sync.va + 16n, [0xdef])]);
        q.submit();
        await until('the second wait', () => queueState(k, q.id).state === waitText(flag.va + 4n, 0, 1));
        k.call(kfd.KFD_IOC.UNMAP_MEMORY_FROM_GPU, { handle: flag.handle, device_ids_array_ptr: k.u32Array([k.gpuId]), n_devices: 1, n_success: 0 });
        assert.equal(k.waitEvents([mem.id], 5000).result, WAIT.COMPLETE);
        const hang = await hangOf(k, q.id);
        assert.deepEqual({ ...hang.fault, client: undefined }, { va: `0x${(flag.va + 4n).toString(16)}`, write: false, kind: 'not-present', client: undefined });
        assert.match(hang.reason, /GPU VM fault \(not-present\) on read/);
        assert.ok(hang.packets.some((l) => /^=> .*WAIT_REG_MEM/.test(l)), `the report points at the wait:\n${hang.packets.join('\n')}`);
        assert.equal(syncCpu.getUint32(16, true), 0, 'the packet after the faulting wait did not run');
        closeAndCheckEmpty(k);
      }));

    test(`SDMA and compute overlap: released by one flag, a PM4 queue stamps the GPU clock before a 64 MiB copy in ${m.sdmaCountBits === 30 ? 'one packet' : '16 packets'} ends`, () =>
      withKfd(m.spec, async (k) => {
        const SIZE = 64 << 20;
        // The SDMA queue is created first, so the engine would reach it first if it ran a copy to the end.
        const dma = ringQueue(k, Q.SDMA, PAGE);
        const cp = ringQueue(k, Q.COMPUTE, 4 * PAGE);
        const src = k.allocMapped(SIZE);
        const dst = k.allocMapped(SIZE);
        const sync = k.allocMapped(PAGE);
        const syncCpu = view(k.cpuView(sync));
        const maxBytes = 2 ** m.sdmaCountBits;
        const copies: number[] = [];
        for (let off = 0; off < SIZE; off += maxBytes) copies.push(...copyLinear(src.va + BigInt(off), dst.va + BigInt(off), Math.min(maxBytes, SIZE - off)));
        dma.put([...pollRegmemEq(sync.va, 1), ...timestamp(sync.va + 32n), ...copies, ...timestamp(sync.va + 64n), ...fence(sync.va + 8n, 0xf00d)]);
        cp.put([...waitMemEq(sync.va, 1), ...releaseMem(m.pm4, sync.va + 96n, 3, 0n, 0, 0), ...releaseMem(m.pm4, sync.va + 128n, 1, 0xc0debn, 0, 0)]);
        dma.submit();
        cp.submit();
        await sleep(20);
        assert.equal(syncCpu.getBigUint64(96, true), 0n, 'the compute queue waits for the flag');
        syncCpu.setUint32(0, 1, true);
        await until('both queues to finish', () => syncCpu.getUint32(8, true) === 0xf00d && syncCpu.getUint32(128, true) === 0xc0deb);
        const [copyStart, copyEnd, compute] = [32, 64, 96].map((o) => syncCpu.getBigUint64(o, true));
        assert.ok(copyStart! < copyEnd!, `the copy took time on the GPU clock (${copyStart}…${copyEnd})`);
        assert.ok(compute! < copyEnd!, `the compute queue stamped ${compute}, after the copy ended at ${copyEnd}: it waited for the SDMA queue`);
        closeAndCheckEmpty(k);
      }));

    test('AQL: a BARRIER_AND waits for its dependency signal, then its completion signal (mailbox + event id) fires WAIT_EVENTS; header → INVALID, read_dispatch_id advances', () =>
      withKfd(m.spec, async (k) => {
        const RING = 4 * PAGE;
        const ring = k.allocMapped(RING);
        const queueBo = k.allocMapped(PAGE);
        const ringCpu = k.cpuView(ring);
        const queueCpu = k.cpuView(queueBo);
        const W = amdQueue.offsetOf('write_dispatch_id');
        const R = amdQueue.offsetOf('read_dispatch_id');
        // The runtime hands the packet processor a ring whose every header is INVALID.
        for (let s = 0; s < RING / AQL_PACKET_BYTES; s++) view(ringCpu).setUint16(s * AQL_PACKET_BYTES, AQL_TYPE.INVALID, true);
        const qv = view(queueCpu);
        qv.setBigUint64(amdQueue.offsetOf('hsa_queue') + hsaQueue.offsetOf('base_address'), ring.va, true);
        qv.setUint32(amdQueue.offsetOf('hsa_queue') + hsaQueue.offsetOf('size'), RING / AQL_PACKET_BYTES, true); // in packets
        const r = k.createQueue({
          ring_base_address: ring.va,
          ring_size: RING,
          write_pointer_address: queueBo.va + BigInt(W),
          read_pointer_address: queueBo.va + BigInt(R),
          gpu_id: k.gpuId,
          queue_type: Q.COMPUTE_AQL,
          queue_percentage: 100,
          queue_priority: 7,
          ...computeBuffers(k),
        });
        assert.equal(r.errno, 'OK');
        const doorbell = k.doorbell(r.out.doorbell_offset);
        const ev = signalEvent(k);

        // amd_signal_t: kind, value, event_mailbox_ptr, event_id (amd_hsa_signal.h), two 64-byte signals.
        const sigBo = k.allocMapped(PAGE);
        const sigCpu = k.cpuView(sigBo);
        const sv = view(sigCpu);
        const DEP = 0;
        const DONE = 64;
        for (const at of [DEP, DONE]) {
          sv.setBigInt64(at + amdSignal.offsetOf('kind'), 1n, true); // AMD_SIGNAL_KIND_USER
          sv.setBigInt64(at + amdSignal.offsetOf('value'), 1n, true);
        }
        sv.setBigUint64(DONE + amdSignal.offsetOf('event_mailbox_ptr'), ev.slotVa, true);
        sv.setUint32(DONE + amdSignal.offsetOf('event_id'), ev.id, true);

        // hsa_barrier_and_packet_t: header u16, reserved u16 + u32, dep_signal[5] at 8, reserved u64 at 48, completion_signal at 56.
        const pv = view(ringCpu);
        pv.setBigUint64(8, sigBo.va + BigInt(DEP), true);
        pv.setBigUint64(56, sigBo.va + BigInt(DONE), true);
        Atomics.store(new Uint32Array(ringCpu.bytes.buffer, ringCpu.bytes.byteOffset, 1), 0, barrierAndHeader); // header last, with one store
        store64(queueCpu, W, 1n);
        doorbell.mmio.store64(doorbell.byte, 0n); // AQL doorbells carry the index of the last packet written

        await sleep(50);
        await until('the AQL queue to wait in the BARRIER_AND', () => /^waiting: BARRIER_AND on signals 0x/.test(queueState(k, r.out.queue_id).state));
        assert.equal(k.waitEvents([ev.id], 0).result, WAIT.TIMEOUT, 'the barrier holds while its dependency is 1');
        assert.equal(qv.getBigUint64(R, true), 0n);
        assert.equal(pv.getUint16(0, true), barrierAndHeader);

        store64(sigCpu, DEP + amdSignal.offsetOf('value'), 0n);
        assert.equal(k.waitEvents([ev.id], 5000).result, WAIT.COMPLETE);
        assert.equal(sv.getBigInt64(DONE + amdSignal.offsetOf('value'), true), 0n, 'the completion signal was decremented');
        await until('read_dispatch_id to advance', () => qv.getBigUint64(R, true) === 1n);
        assert.equal(pv.getUint16(0, true), AQL_TYPE.INVALID, 'the processed slot is INVALID again');
        assert.equal(ev.slot(), UNSIGNALED_SLOT, 'KFD acknowledged the mailbox write');
        await until('the AQL queue to go idle', () => queueState(k, r.out.queue_id).state === 'idle');
        closeAndCheckEmpty(k);
      }));
    test('AQL: with ENABLE_PROFILING in queue_properties a completion signal gets start_ts <= end_ts from the GPU clock; without it both stay 0', () =>
      withKfd(m.spec, async (k) => {
        const SMALL = 1024;
        const ring = k.allocMapped(PAGE);
        const queueBo = k.allocMapped(PAGE);
        const sigBo = k.allocMapped(PAGE);
        const [ringV, qv, sv] = [ring, queueBo, sigBo].map((b) => view(k.cpuView(b)));
        const W = amdQueue.offsetOf('write_dispatch_id');
        const R = amdQueue.offsetOf('read_dispatch_id');
        const PROPS = amdQueue.offsetOf('queue_properties');
        for (let s = 0; s < SMALL / AQL_PACKET_BYTES; s++) ringV.setUint16(s * AQL_PACKET_BYTES, AQL_TYPE.INVALID, true);
        qv.setBigUint64(amdQueue.offsetOf('hsa_queue') + hsaQueue.offsetOf('base_address'), ring.va, true);
        qv.setUint32(amdQueue.offsetOf('hsa_queue') + hsaQueue.offsetOf('size'), SMALL / AQL_PACKET_BYTES, true);
        const r = k.createQueue({ ring_base_address: ring.va, ring_size: SMALL, write_pointer_address: queueBo.va + BigInt(W), read_pointer_address: queueBo.va + BigInt(R), gpu_id: k.gpuId, queue_type: Q.COMPUTE_AQL, queue_percentage: 100, queue_priority: 7, ...computeBuffers(k) });
        assert.equal(r.errno, 'OK');
        const doorbell = k.doorbell(r.out.doorbell_offset);
        const stamps = (at: number) => [sv.getBigUint64(at + amdSignal.offsetOf('start_ts'), true), sv.getBigUint64(at + amdSignal.offsetOf('end_ts'), true)] as const;
        // Packet 0 on a queue without profiling, packet 1 after the runtime sets ENABLE_PROFILING.
        for (const [index, profiling] of [[0, false], [1, true]] as const) {
          const at = 64 * index;
          sv.setBigInt64(at + amdSignal.offsetOf('kind'), 1n, true); // AMD_SIGNAL_KIND_USER
          sv.setBigInt64(at + amdSignal.offsetOf('value'), 1n, true);
          qv.setUint32(PROPS, AMD_QUEUE_PROPERTIES.IS_PTR64 | (profiling ? AMD_QUEUE_PROPERTIES.ENABLE_PROFILING : 0), true);
          ringV.setBigUint64(index * AQL_PACKET_BYTES + 56, sigBo.va + BigInt(at), true);
          const before = gpuClock();
          ringV.setUint32(index * AQL_PACKET_BYTES, barrierAndHeader, true);
          qv.setBigUint64(W, BigInt(index + 1), true);
          doorbell.mmio.store64(doorbell.byte, BigInt(index));
          await until(`packet ${index} to retire`, () => qv.getBigUint64(R, true) === BigInt(index + 1));
          const after = gpuClock();
          const [start, end] = stamps(at);
          if (!profiling) assert.deepEqual([start, end], [0n, 0n]);
          else assert.ok(before <= start && start <= end && end <= after, `${before} <= ${start} <= ${end} <= ${after}`);
        }
        closeAndCheckEmpty(k);
      }));

    test('AQL: after UPDATE_QUEUE moves the ring and doubles its size, packet 16 is read from slot 16 of the new ring (not slot 0)', () =>
      withKfd(m.spec, async (k) => {
        const SMALL = 1024; // KFD_MIN_QUEUE_RING_SIZE: 16 packets
        const ring = k.allocMapped(PAGE);
        const big = k.allocMapped(PAGE);
        const queueBo = k.allocMapped(PAGE);
        const sigBo = k.allocMapped(PAGE);
        const [ringV, bigV, qv, sv] = [ring, big, queueBo, sigBo].map((b) => view(k.cpuView(b)));
        const W = amdQueue.offsetOf('write_dispatch_id');
        const R = amdQueue.offsetOf('read_dispatch_id');
        // Barrier-AND packets with no dependencies; only the one in the new ring has a completion signal.
        for (let s = 0; s < PAGE / AQL_PACKET_BYTES; s++) bigV.setUint16(s * AQL_PACKET_BYTES, AQL_TYPE.INVALID, true);
        for (let s = 0; s < SMALL / AQL_PACKET_BYTES; s++) ringV.setUint32(s * AQL_PACKET_BYTES, barrierAndHeader, true);
        qv.setBigUint64(amdQueue.offsetOf('hsa_queue') + hsaQueue.offsetOf('base_address'), ring.va, true);
        qv.setUint32(amdQueue.offsetOf('hsa_queue') + hsaQueue.offsetOf('size'), SMALL / AQL_PACKET_BYTES, true);
        const r = k.createQueue({ ring_base_address: ring.va, ring_size: SMALL, write_pointer_address: queueBo.va + BigInt(W), read_pointer_address: queueBo.va + BigInt(R), gpu_id: k.gpuId, queue_type: Q.COMPUTE_AQL, queue_percentage: 100, queue_priority: 7, ...computeBuffers(k) });
        assert.equal(r.errno, 'OK');
        const doorbell = k.doorbell(r.out.doorbell_offset);
        qv.setBigUint64(W, 16n, true);
        doorbell.mmio.store64(doorbell.byte, 15n);
        await until('the first 16 packets to retire', () => qv.getBigUint64(R, true) === 16n);

        k.call(kfd.KFD_IOC.UPDATE_QUEUE, { ring_base_address: big.va, queue_id: r.out.queue_id, ring_size: PAGE, queue_percentage: 100, queue_priority: 7 });
        // Two signals at 1: the new ring's slot 16 completes the first; a decoy in the old ring's slot 0
        // (where index 16 would land in a 16-packet ring) would complete the second.
        for (const at of [0, 64]) {
          sv.setBigInt64(at + amdSignal.offsetOf('kind'), 1n, true); // AMD_SIGNAL_KIND_USER
          sv.setBigInt64(at + amdSignal.offsetOf('value'), 1n, true);
        }
        ringV.setBigUint64(56, sigBo.va + 64n, true);
        ringV.setUint32(0, barrierAndHeader, true);
        const slot16 = 16 * AQL_PACKET_BYTES;
        bigV.setBigUint64(slot16 + 56, sigBo.va, true); // completion_signal
        bigV.setUint32(slot16, barrierAndHeader, true);
        qv.setBigUint64(W, 17n, true);
        doorbell.mmio.store64(doorbell.byte, 16n);
        await until('packet 16 to retire', () => qv.getBigUint64(R, true) === 17n);
        assert.equal(sv.getBigInt64(amdSignal.offsetOf('value'), true), 0n, 'its completion signal was decremented');
        assert.equal(bigV.getUint16(slot16, true), AQL_TYPE.INVALID, 'slot 16 of the new ring is INVALID again');
        assert.equal(sv.getBigInt64(64 + amdSignal.offsetOf('value'), true), 1n, 'the decoy in the old ring did not run');
        assert.equal(ringV.getUint32(0, true), barrierAndHeader);
        closeAndCheckEmpty(k);
      }));
  });
}
