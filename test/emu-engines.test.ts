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
import { amdQueue, amdSignal, hsaQueue } from '../src/uapi/hsa.js';
import type { Mapping, Mmio } from '../src/os/host.js';
import type { EngineStatus } from '../src/emu/host.js';
import { PAGE, withKfd, type RawBo, type RawKfd } from './support/raw-kfd.js';
import { packet3, PM4, PM4_UNDEFINED_OP, writeData, acquireMem, releaseMem, waitMemEq, SDMA_UNDEFINED_OP, copyLinear, fence, pollRegmemEq, timestamp, AQL_PACKET_BYTES, AQL_TYPE, barrierAndHeader, type Pm4Gen } from './support/hand-packets.js';

const Q = kfd.KFD_IOC_QUEUE_TYPE;
const EV = kfd.KFD_IOC_EVENT;
const WAIT = kfd.KFD_IOC_WAIT_RESULT;
/** kfd_events.c: an event page slot that has not been signaled holds all ones. */
const UNSIGNALED_SLOT = 0xffff_ffff_ffff_ffffn;
/** A GPU address no test maps: inside the user range, far from RawKfd.freshVa's allocations. */
const UNMAPPED = 0x6000_0000_1234n;

interface Model {
  readonly spec: string;
  /** PM4 generation: soc15d.h (gfx9) or nvd.h (gfx10+) packet forms. */
  readonly pm4: Pm4Gen;
  /** Width of the COPY_LINEAR count field: 30 bits in sdma_v6_0_0_pkt_open.h, 22 in vega10_sdma_pkt_open.h (SDMA 4.4.2 on gfx942). */
  readonly sdmaCountBits: number;
}
const MODELS: readonly Model[] = [
  { spec: 'emu:gfx1100', pm4: 'gfx11', sdmaCountBits: 30 },
  { spec: 'emu:gfx942', pm4: 'gfx9', sdmaCountBits: 22 },
  // Aldebaran's SDMA 4.4.0 runs sdma_v4_0.c with the same vega10 packets.
  { spec: 'emu:gfx90a', pm4: 'gfx9', sdmaCountBits: 22 },
];


// ---- CPU-side helpers ----

function view(m: Mapping): DataView {
  return new DataView(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength);
}

/** A 64-bit store the GPU sees whole (Atomics on the shared backing). */
function store64(m: Mapping, offset: number, value: bigint): void {
  Atomics.store(new BigUint64Array(m.bytes.buffer, m.bytes.byteOffset + offset, 1), 0, value);
}

async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (performance.now() > end) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(2);
  }
}

type QueueState = EngineStatus['queues'][number];

function queueState(k: RawKfd, queueId: number): QueueState {
  const q = k.host.engineStatus()[0]!.queues.find((s) => s.queueId === queueId);
  assert.ok(q, `queue ${queueId} is not in the engine status`);
  return q;
}

const hangOf = (k: RawKfd, queueId: number) => until(`queue ${queueId} to hang`, () => queueState(k, queueId).hang ?? undefined);

/** A queue whose ring is written by the CPU; `unit` is what the write pointer counts (PM4 dwords, SDMA bytes). */
class RingQueue {
  private pos = 0;
  constructor(
    readonly id: number,
    readonly ringBytes: number,
    private readonly ring: Mapping,
    /** Write pointer at byte 0, read pointer at byte 8 (as the queue was created). */
    readonly pointers: Mapping,
    private readonly doorbell: { readonly mmio: Mmio; readonly byte: number },
    private readonly unit: 'dwords' | 'bytes',
  ) {}

  /** Copies packets into the ring at the CPU's write position (wrapping at the ring's end). */
  put(dwords: readonly number[]): void {
    const dv = view(this.ring);
    for (const d of dwords) {
      dv.setUint32(this.pos % this.ringBytes, d >>> 0, true);
      this.pos += 4;
    }
  }

  /** The write pointer covering everything put so far, in the queue's unit. */
  get wptr(): bigint {
    return BigInt(this.unit === 'dwords' ? this.pos / 4 : this.pos);
  }

  /** Publishes the write pointer to its memory, then stores it to the doorbell (the order the hardware needs). */
  submit(wptr = this.wptr): void {
    store64(this.pointers, 0, wptr);
    this.doorbell.mmio.store64(this.doorbell.byte, wptr);
  }

  get rptr32(): number {
    return view(this.pointers).getUint32(8, true);
  }

  get rptr64(): bigint {
    return view(this.pointers).getBigUint64(8, true);
  }
}

/** The EOP and CWSR buffers a compute queue needs, sized from sysfs (kfd_queue.c), mapped. */
function computeBuffers(k: RawKfd) {
  const sizes = k.queueSizes();
  const eop = k.allocMapped(sizes.eopBufferSize);
  const cwsr = k.allocMapped(sizes.cwsrAllocationSize);
  return {
    eop_buffer_address: eop.va,
    eop_buffer_size: BigInt(sizes.eopBufferSize),
    ctx_save_restore_address: cwsr.va,
    ctx_save_restore_size: sizes.ctxSaveRestoreSize,
    ctl_stack_size: sizes.ctlStackSize,
  };
}

function ringQueue(k: RawKfd, type: number, ringBytes: number): RingQueue {
  const ring = k.allocMapped(ringBytes);
  const pointers = k.allocMapped(PAGE);
  const r = k.createQueue({
    ring_base_address: ring.va,
    ring_size: ringBytes,
    write_pointer_address: pointers.va,
    read_pointer_address: pointers.va + 8n,
    gpu_id: k.gpuId,
    queue_type: type,
    queue_percentage: 100,
    queue_priority: 7,
    ...(type === Q.COMPUTE ? computeBuffers(k) : {}),
  });
  assert.equal(r.errno, 'OK');
  assert.equal(r.out.ring_size, ringBytes);
  return new RingQueue(r.out.queue_id, ringBytes, k.cpuView(ring), k.cpuView(pointers), k.doorbell(r.out.doorbell_offset), type === Q.COMPUTE ? 'dwords' : 'bytes');
}

/** A signal event whose slot lives in an event page this process hands to KFD and maps on the GPU. */
function signalEvent(k: RawKfd): { readonly id: number; readonly slotVa: bigint; readonly slot: () => bigint } {
  const page: RawBo = k.allocMapped(kfd.KFD_EVENT_PAGE_BYTES);
  const ev = k.createEvent(EV.SIGNAL, { page });
  assert.ok(ev.id > 0 && ev.id < kfd.KFD_SIGNAL_EVENT_LIMIT, `signal event id ${ev.id}`);
  assert.equal(ev.slot, ev.id);
  const cpu = k.cpuView(page);
  return { id: ev.id, slotVa: page.va + BigInt(ev.slot * kfd.KFD_EVENT_SLOT_BYTES), slot: () => view(cpu).getBigUint64(ev.slot * kfd.KFD_EVENT_SLOT_BYTES, true) };
}

/** Closes everything the test opened and checks that the emulated kernel holds nothing for the process. */
function closeAndCheckEmpty(k: RawKfd): void {
  k.closeAll();
  assert.deepEqual(k.host.liveObjects(), { bos: 0, queues: 0, events: 0, gpuMappings: 0, cpuMappings: 0, openFiles: 0 });
}

/** The decoded kfd_hsa_memory_exception_data a MEMORY event carried out of WAIT_EVENTS. */
function memoryException(data: Uint8Array) {
  return kfd.hsaMemoryExceptionData.decode(data, kfd.EVENT_DATA_UNION_OFFSET);
}

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

  describe(`engines by hand on ${m.spec}: rings, interrupts`, () => {
    test('PM4 and SDMA: a packet that wraps around the end of the ring runs whole', () =>
      withKfd(m.spec, async (k) => {
        const buf = k.allocMapped(PAGE);
        const cpu = view(k.cpuView(buf));
        const pm4 = ringQueue(k, Q.COMPUTE, PAGE);
        const sdma = ringQueue(k, Q.SDMA, PAGE);
        // Fillers leave 4 dwords (PM4) and 2 dwords (SDMA) before the end, so the next 5-dword WRITE_DATA
        // and 4-dword FENCE each continue at the start of the ring.
        pm4.put([packet3(PM4.NOP, 1019), ...new Array<number>(1019).fill(0)]);
        pm4.submit();
        sdma.put(new Array<number>(1022).fill(0)); // SDMA_OP_NOP, one dword each
        sdma.submit();
        // The read pointers must reach the fillers' ends: "idle" alone can be read before the engine has
        // seen the doorbell, and the next doorbell would then ask for more than a ring at once.
        await until('both queues to consume the filler', () => pm4.rptr32 === 1020 && sdma.rptr64 === 4088n);
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
        const buf = k.allocMapped(PAGE);
        const cpu = view(k.cpuView(buf));
        const pm4 = ringQueue(k, Q.COMPUTE, PAGE);
        const sdma = ringQueue(k, Q.SDMA, PAGE);
        pm4.put([packet3(PM4.NOP, 1019), ...new Array<number>(1019).fill(0)]);
        pm4.submit();
        sdma.put(new Array<number>(1022).fill(0));
        sdma.submit();
        await until('both queues to consume the filler', () => pm4.rptr32 === 1020 && sdma.rptr64 === 4088n);
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
