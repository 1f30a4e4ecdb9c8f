// Fuzz target "engines": the emulated CP (PM4), SDMA engine and AQL packet processor fed random
// packets on real queues of an in-process emulated gfx1100, created and fed through the driver's
// queue objects exactly as the hardware would see them (ring, write pointer, doorbell). Streams mix
// raw dwords with real packet headers and the addresses of a mapped buffer. Within the time bound the
// engine must consume the packets, report a hang (decoded, in engineStatus), or report what it waits
// for; its thread must not crash, and a fresh queue of the same kind afterwards must still run.
import * as fc from 'fast-check';
import { EmuHost } from '../../emu/host.js';
import { Kfd } from '../../driver/kfd.js';
import { Pm4Queue } from '../../driver/queues/pm4-queue.js';
import { SdmaQueue } from '../../driver/queues/sdma-queue.js';
import { AqlQueue } from '../../driver/queues/aql-queue.js';
import type { Device } from '../../driver/device.js';
import { PM4_OP, pm4Header } from '../../hw/pm4/opcodes.js';
import { SDMA_OP } from '../../hw/sdma/packets.js';
import { bump, describeError, FuzzViolation, since, type FuzzTarget, type TargetSession } from './target.js';

export const ENGINE_DEVICE = 'emu:gfx1100';
/** How long an engine may take to consume, hang on or block on one random submission. */
const BOUND_MS = 1500;
/** The fresh queue's fence after a fuzzed one must land within this. */
const FRESH_QUEUE_MS = 5000;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

const u32 = fc.integer({ min: 0, max: 0xffff_ffff });

/** Building blocks of a random stream: raw dwords, packet headers, a mapped buffer's address halves. */
function stream(headers: fc.Arbitrary<number>): fc.Arbitrary<{ word?: number; header?: number; addr?: number; hi?: boolean }[]> {
  return fc.array(
    fc.oneof(
      { weight: 4, arbitrary: fc.record({ word: fc.oneof(u32, fc.constantFrom(0, 1, 0xffff_ffff, 0x8000_0000)) }) },
      { weight: 2, arbitrary: fc.record({ header: headers }) },
      { weight: 1, arbitrary: fc.record({ addr: fc.nat({ max: 0xfff0 }), hi: fc.boolean() }) },
    ),
    { minLength: 1, maxLength: 48 },
  );
}
const pm4Headers = fc.tuple(fc.constantFrom(...Object.values(PM4_OP), 0x0c), fc.integer({ min: 1, max: 10 })).map(([op, body]) => pm4Header(op, body));
const sdmaHeaders = fc.tuple(fc.constantFrom(...Object.values(SDMA_OP)), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 0xff })).map(([op, sub, top]) => (op | (sub << 8) | (top << 16)) >>> 0);
/** AQL header word: packet type [7:0] (all of hsa_packet_type_t and beyond), barrier, fences; setup in [31:16]. */
const aqlHeaders = fc.tuple(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 0xff }), fc.integer({ min: 0, max: 0xffff })).map(([type, bits, setup]) => (type | (bits << 8) | (setup << 16)) >>> 0);

type Kind = 'pm4' | 'sdma' | 'aql';

export const enginesTarget: FuzzTarget = {
  name: 'engines',
  what: `emulated CP / SDMA / AQL engines (${ENGINE_DEVICE}) ← random packets on real queues`,
  batch: 15,
  async open(): Promise<TargetSession> {
    const host = new EmuHost(ENGINE_DEVICE);
    // A random packet may fault; KFD then evicts every queue of the process on that GPU until it closes
    // /dev/kfd (kfd_dqm_evict_pasid), so the session is reopened before the next input.
    let kfd = Kfd.open(host);
    let gpu = kfd.device(0);
    let data = gpu.alloc(0x10000, { domain: 'gtt', label: 'fuzz data' });
    const reopenIfEvicted = (): void => {
      if (!host.engineStatus().some((g) => g.evicted !== null)) return;
      data.free();
      kfd.close();
      kfd = Kfd.open(host);
      gpu = kfd.device(0);
      data = gpu.alloc(0x10000, { domain: 'gtt', label: 'fuzz data' });
      bump(counts, 'process evicted by a VM fault, /dev/kfd reopened');
    };
    const counts = new Map<string, number>();
    const input = fc.oneof(
      fc.record({ kind: fc.constant('pm4' as const), parts: stream(pm4Headers) }),
      fc.record({ kind: fc.constant('sdma' as const), parts: stream(sdmaHeaders) }),
      fc.record({ kind: fc.constant('aql' as const), packets: fc.array(fc.tuple(aqlHeaders, stream(fc.constant(0))), { minLength: 1, maxLength: 3 }) }),
    );
    const words = (parts: readonly { word?: number; header?: number; addr?: number; hi?: boolean }[]): Uint32Array =>
      Uint32Array.from(parts.map((p) => (p.word ?? p.header ?? (p.hi ? Number((data.va + BigInt(p.addr!)) >> 32n) : Number((data.va + BigInt(p.addr! & ~3)) & 0xffff_ffffn))) >>> 0));
    const property = fc.asyncProperty(input, async (inp) => {
      const outcome = await fuzzOnce(host, gpu, inp.kind, inp.kind === 'aql' ? inp.packets.map(([h, parts]) => Uint32Array.from([h, ...words(parts)].slice(0, 16).concat(Array(16).fill(0)).slice(0, 16))) : [words(inp.parts)]);
      bump(counts, `${inp.kind}: ${outcome}`);
      reopenIfEvicted();
      await freshQueueWorks(host, gpu, inp.kind);
      return true;
    });
    return {
      property,
      counts,
      close: async () => {
        try {
          data.free();
          kfd.close();
        } catch {
          // a crashed engine thread cannot be closed cleanly; the host shutdown below still stops it
        }
        await host.shutdown();
      },
    };
  },
};

function status(host: EmuHost, queueId: number): { state: string; hang: string | undefined } {
  let all;
  try {
    all = host.engineStatus();
  } catch (e) {
    throw new FuzzViolation(`the engine thread failed: ${describeError(e)}`, { cause: e });
  }
  const q = all[0]!.queues.find((s) => s.queueId === queueId);
  if (!q) throw new FuzzViolation(`queue ${queueId} is missing from the engine status`);
  return { state: q.state, hang: q.hang ? `${q.hang.reason}\n${q.hang.packets.join('\n')}` : undefined };
}

/** Submits the words, then waits for one of: consumed, hang reported, blocked on a named wait. */
async function fuzzOnce(host: EmuHost, gpu: Device, kind: Kind, submissions: readonly Uint32Array[]): Promise<string> {
  const q = kind === 'pm4' ? Pm4Queue.create(gpu) : kind === 'sdma' ? SdmaQueue.create(gpu) : AqlQueue.create(gpu);
  try {
    let done: () => boolean;
    if (q instanceof AqlQueue) {
      let last = q.submitPacket(submissions[0]!);
      for (const s of submissions.slice(1)) last = q.submitPacket(s);
      done = () => q.isDone(last);
    } else {
      const c = q.submit(submissions[0]!);
      done = () => q.isDone(c);
    }
    const start = performance.now();
    let last = status(host, q.queueId);
    for (;;) {
      if (done()) return 'consumed';
      last = status(host, q.queueId);
      if (last.hang !== undefined) {
        if (!last.hang.trim()) throw new FuzzViolation('a hang without a reason');
        return 'hang reported';
      }
      if (since(start) > BOUND_MS) break;
      await new Promise((r) => setTimeout(r, 2));
    }
    if (last.state.startsWith('waiting')) return 'blocked on a reported wait';
    if (last.state === 'idle') return 'idle (packets consumed, fence not reached)';
    return `still ${last.state} at the time bound`;
  } finally {
    q.destroy();
  }
}

/** A new queue of the same kind runs a fence: the engine survived. */
async function freshQueueWorks(host: EmuHost, gpu: Device, kind: Kind): Promise<void> {
  const q = kind === 'pm4' ? Pm4Queue.create(gpu) : kind === 'sdma' ? SdmaQueue.create(gpu) : AqlQueue.create(gpu);
  try {
    const c = q instanceof AqlQueue ? q.barrier([]) : q.submit(new Uint32Array(0));
    const start = performance.now();
    while (!(q instanceof AqlQueue ? q.isDone(c as ReturnType<AqlQueue['barrier']>) : q.isDone(c as ReturnType<Pm4Queue['submit']>))) {
      if (since(start) > FRESH_QUEUE_MS) throw new FuzzViolation(`a fresh ${kind} queue after the fuzzed one did not complete a fence in ${FRESH_QUEUE_MS} ms: ${JSON.stringify(status(host, q.queueId))}`);
      Atomics.wait(sleeper, 0, 0, 1);
      await Promise.resolve();
    }
  } finally {
    q.destroy();
  }
}

