// The AQL packet processor: 64-byte packets indexed by 64-bit dispatch ids. The doorbell carries the
// index of the last packet written; read_dispatch_id in amd_queue_t (the queue's read pointer) is
// advanced as packets retire, and each retired slot's header is set back to INVALID.
import { decodeAqlPacket, formatAqlPacket, aqlTypeName, AQL_BARRIER_DEPS, AQL_PACKET_BYTES, AMD_AQL_FORMAT_PM4_IB, AQL_FIELD_OFFSETS } from '../../../hw/aql.js';
import { HSA_PACKET_TYPE, amdQueue, amdSignal, kernelDescriptor, AMD_QUEUE_PROPERTIES } from '../../../uapi/hsa.js';
import { decodePm4Packet } from '../../../hw/pm4/decode.js';
import { parsePm4Header } from '../../../hw/pm4/opcodes.js';
import { LDS_ENCODE_GRANULARITY } from '../../../hw/pm4/registers.js';
import { targetByName, type GfxFamily } from '../../../hw/targets.js';
import type { EngineContext, QueueEngine, StepResult } from '../context.js';
import type { QueueDescriptor } from '../protocol.js';
import type { DispatchSetup, LiveWave } from '../../isa/types.js';
import { CommandProcessor } from './cp.js';
import { QueueStop } from './ring.js';
import { EngineQueue } from './engine-queue.js';
import { VmWindow } from '../vm-window.js';

const Q_READ_ID = amdQueue.offsetOf('read_dispatch_id');
const Q_PROPS = amdQueue.offsetOf('queue_properties');
const Q_SCRATCH_BASE = amdQueue.offsetOf('scratch_backing_memory_location');
const Q_SCRATCH_LANE = amdQueue.offsetOf('scratch_wave64_lane_byte_size');
const Q_SCRATCH_SRD = amdQueue.offsetOf('scratch_resource_descriptor');
const S_VALUE = amdSignal.offsetOf('value');
const S_MAILBOX = amdSignal.offsetOf('event_mailbox_ptr');
const S_EVENT_ID = amdSignal.offsetOf('event_id');
const S_START = amdSignal.offsetOf('start_ts');
const S_END = amdSignal.offsetOf('end_ts');
const P = AQL_FIELD_OFFSETS;
const S_VALUE_VA = BigInt(S_VALUE);
/** The part of amd_signal_t the packet processor touches on every completion: value, mailbox, event id. */
const SIGNAL_SPAN = S_EVENT_ID + 4 - S_VALUE;
const KD = {
  group: kernelDescriptor.offsetOf('group_segment_fixed_size'),
  entry: kernelDescriptor.offsetOf('kernel_code_entry_byte_offset'),
  rsrc3: kernelDescriptor.offsetOf('compute_pgm_rsrc3'),
  rsrc1: kernelDescriptor.offsetOf('compute_pgm_rsrc1'),
  rsrc2: kernelDescriptor.offsetOf('compute_pgm_rsrc2'),
  props: kernelDescriptor.offsetOf('kernel_code_properties'),
};
/** kernel_code_properties bits (llvm/Support/AMDHSAKernelDescriptor.h). */
const KCP = { PRIVATE_SEGMENT_BUFFER: 1 << 0, DISPATCH_PTR: 1 << 1, QUEUE_PTR: 1 << 2, KERNARG_SEGMENT_PTR: 1 << 3, DISPATCH_ID: 1 << 4, FLAT_SCRATCH_INIT: 1 << 5, PRIVATE_SEGMENT_SIZE: 1 << 6, WAVEFRONT_SIZE32: 1 << 10 } as const;

/** The user SGPR pair of a 64-bit address: low dword first. */
function pushAddress(user: number[], v: bigint): void {
  user.push(Number(v & 0xffffffffn), Number(v >> 32n));
}

export function aqlEngine(desc: QueueDescriptor, ctx: EngineContext): QueueEngine {
  return new AqlQueue(desc, ctx);
}

class AqlQueue extends EngineQueue {
  private readonly family: GfxFamily;
  private readonly cp: CommandProcessor;
  private readonly client: string;
  private slots: number;
  private slotCount: bigint;
  /** Where loadSlot found the packet it loaded. */
  private slotView: DataView = new DataView(new ArrayBuffer(AQL_PACKET_BYTES));
  private slotAt = 0;
  private readIndex = 0n;
  private doorbellIndex = -1n;
  private current: { readonly index: bigint; readonly signal: bigint; readonly started: bigint; ib?: { va: bigint; dwords: number; pos: number } } | undefined;
  private readonly pm4 = new Uint32Array(0x4001);
  /**
   * Translations of what every packet touches: the ring (read, and written to retire a slot), the
   * queue's read pointer and properties, the last kernel descriptor, completion signal (its value, mailbox
   * and event id; its timestamps) and event mailbox.
   * Each falls back to a plain VM access (and its exact fault) when it does not translate in one piece.
   */
  private ringRead: VmWindow;
  private ringWrite: VmWindow;
  private readonly rptrCell: VmWindow;
  private readonly propsCell: VmWindow;
  private readonly descriptor: VmWindow;
  private readonly signalCells: VmWindow;
  private readonly signalTimes: VmWindow;
  private readonly mailboxCell: VmWindow;

  constructor(desc: QueueDescriptor, ctx: EngineContext) {
    super(desc, ctx);
    this.family = targetByName(ctx.target)?.family ?? 'gfx11';
    this.client = `CP (AQL queue ${desc.queueId})`;
    this.cp = new CommandProcessor(ctx, this.family, this.client);
    this.slots = desc.ringSize / AQL_PACKET_BYTES;
    this.slotCount = BigInt(this.slots);
    const vm = ctx.vm;
    this.ringRead = new VmWindow(vm, desc.ringVa, desc.ringSize, false, this.client);
    this.ringWrite = new VmWindow(vm, desc.ringVa, desc.ringSize, true, this.client);
    this.rptrCell = new VmWindow(vm, desc.rptrVa, 8, true, this.client);
    this.propsCell = new VmWindow(vm, this.amdQueueVa + BigInt(Q_PROPS), 4, false, this.client);
    this.descriptor = new VmWindow(vm, 0n, 64, false, this.client);
    this.signalCells = new VmWindow(vm, 0n, SIGNAL_SPAN, true, this.client);
    this.signalTimes = new VmWindow(vm, 0n, S_END + 8 - S_START, true, this.client);
    this.mailboxCell = new VmWindow(vm, 0n, 8, true, this.client);
  }

  doorbell(value: bigint): void {
    this.doorbellIndex = BigInt.asIntN(64, value);
  }

  protected override ringArea(): { va: bigint; bytes: number } {
    return { va: this.ringRead.va, bytes: this.ringRead.length };
  }

  /** A queue update moved or resized the ring: packets are found by dispatch id modulo the new size. */
  updateRing(ringVa: bigint, ringSize: number): void {
    this.slots = ringSize / AQL_PACKET_BYTES;
    this.slotCount = BigInt(this.slots);
    this.ringRead = new VmWindow(this.ctx.vm, ringVa, ringSize, false, this.client);
    this.ringWrite = new VmWindow(this.ctx.vm, ringVa, ringSize, true, this.client);
  }

  protected pointers(): { rptr: string; wptr: string } {
    return { rptr: this.readIndex.toString(), wptr: (this.doorbellIndex + 1n).toString() };
  }

  protected get idle(): boolean {
    return this.current === undefined;
  }

  private get amdQueueVa(): bigint {
    return this.desc.rptrVa - BigInt(Q_READ_ID);
  }

  private slotVa(index: bigint): bigint {
    return this.ringRead.va + (index % this.slotCount) * BigInt(AQL_PACKET_BYTES);
  }

  protected run(budget: number): StepResult {
    if (this.doorbellIndex + 1n - this.readIndex > this.slotCount) throw new QueueStop(`doorbell index ${this.doorbellIndex} is more than a ring (${this.slots} packets) ahead of read_dispatch_id ${this.readIndex}`);
    let did = false;
    for (let n = 0; n < budget; n++) {
      const r = this.current ? this.continuePacket() : this.startPacket();
      if (r !== 'progress') return did ? 'progress' : r;
      did = true;
    }
    return 'progress';
  }

  private descriptorView(kobj: bigint): DataView {
    const kd = this.ctx.vm.span(kobj, 64, false, this.client);
    return new DataView(kd.bytes.buffer, kd.bytes.byteOffset + kd.offset, 64);
  }

  private packetView(index: bigint): DataView {
    const s = this.ctx.vm.span(this.slotVa(index), AQL_PACKET_BYTES, false, this.client);
    return new DataView(s.bytes.buffer, s.bytes.byteOffset + s.offset, AQL_PACKET_BYTES);
  }

  /**
   * Points slotView/slotAt at packet `index` (the ring's own view when it translates whole, else the
   * slot's bytes through the VM) and returns its header.
   */
  private loadSlot(index: bigint): number {
    const at = Number(index % this.slotCount) * AQL_PACKET_BYTES;
    const ring = this.ringRead;
    // The header is stored last, atomically (it publishes the packet): load it the same way.
    if (ring.ready() && ring.u32) {
      this.slotView = ring.view;
      this.slotAt = at;
      return Atomics.load(ring.u32, at >>> 2) & 0xffff;
    }
    const view = this.packetView(index);
    this.slotView = view;
    this.slotAt = 0;
    return view.getUint16(0, true);
  }

  private startPacket(): StepResult {
    if (this.readIndex > this.doorbellIndex) return 'idle';
    const header = this.loadSlot(this.readIndex);
    const view = this.slotView, at = this.slotAt;
    const type = header & 0xff;
    if (type === HSA_PACKET_TYPE.INVALID) {
      this.waitingFor = `packet ${this.readIndex} header still INVALID`;
      return 'waiting';
    }
    if (type === HSA_PACKET_TYPE.KERNEL_DISPATCH) {
      if (this.ctx.paused) return this.retire(this.readIndex, 0n);
      this.current = { index: this.readIndex, signal: view.getBigUint64(at + P.signal, true), started: this.startStamp() };
      if (this.cp.start(this.dispatchSetup(view, at)).kind === 'done') return this.finish();
      return 'progress';
    }
    if (type === HSA_PACKET_TYPE.BARRIER_AND || type === HSA_PACKET_TYPE.BARRIER_OR) {
      if (this.ctx.paused) return this.retire(this.readIndex, 0n);
      return this.barrier(view, at, type);
    }
    const p = decodeAqlPacket(view, at);
    if (p.error) throw new QueueStop(p.error);
    if (this.ctx.paused) return this.retire(this.readIndex, 0n);
    const signal = p.fields.completion_signal as bigint;
    switch (p.type) {
      case HSA_PACKET_TYPE.VENDOR_SPECIFIC:
        if (view.getUint8(at + 2) !== AMD_AQL_FORMAT_PM4_IB) throw new QueueStop(`vendor packet format ${view.getUint8(at + 2)} is not supported`);
        this.current = { index: this.readIndex, signal, started: this.startStamp(), ib: { va: p.fields.ib_base as bigint, dwords: p.fields.ib_size as number, pos: 0 } };
        return 'progress';
      default:
        throw new QueueStop(`AQL ${p.name} packets are not supported by the emulated packet processor`);
    }
  }

  /**
   * A BARRIER_AND / BARRIER_OR packet, read in place (the generic decoder's packet object cost a
   * barrier about 4 µs): it completes once all (AND) or any (OR) of its non-null dependency signals
   * reached 0. Every non-null one is read, in order, as the packet processor reads them.
   */
  private barrier(view: DataView, at: number, type: number): StepResult {
    let deps = 0;
    let done = 0;
    for (let i = 0; i < AQL_BARRIER_DEPS; i++) {
      const d = view.getBigUint64(at + P.dep + 8 * i, true);
      if (d === 0n) continue;
      deps++;
      if (this.ctx.vm.read64(d + S_VALUE_VA, this.client) === 0n) done++;
    }
    const ok = type === HSA_PACKET_TYPE.BARRIER_AND ? done === deps : deps === 0 || done > 0;
    if (!ok || (deps > 0 && this.ctx.inject.has('stall-queue'))) {
      const signals: string[] = [];
      for (let i = 0; i < AQL_BARRIER_DEPS; i++) {
        const d = view.getBigUint64(at + P.dep + 8 * i, true);
        if (d !== 0n) signals.push(`0x${d.toString(16)}`);
      }
      this.waitingFor = `${aqlTypeName(type)} on signals ${signals.join(', ')}`;
      return 'waiting';
    }
    this.waitingFor = '';
    this.current = { index: this.readIndex, signal: view.getBigUint64(at + P.signal, true), started: this.startStamp() };
    return this.finish();
  }

  private continuePacket(): StepResult {
    const cur = this.current!;
    if (this.cp.busy) return this.cp.stepDispatch() ? this.finish() : 'progress';
    if (!cur.ib) return this.finish();
    const ib = cur.ib;
    if (ib.pos >= ib.dwords) return this.finish();
    const va = ib.va + BigInt(ib.pos * 4);
    const h = parsePm4Header(this.ctx.vm.read32(va, this.client));
    const size = Math.min(h.type === 3 ? 1 + h.body : 1, ib.dwords - ib.pos);
    const s = this.ctx.vm.span(va, size * 4, false, this.client);
    const dv = new DataView(s.bytes.buffer, s.bytes.byteOffset + s.offset, size * 4);
    for (let i = 0; i < size; i++) this.pm4[i] = dv.getUint32(i * 4, true);
    const pkt = decodePm4Packet(this.pm4, 0, size, this.family);
    if (pkt.error) throw new QueueStop(`in the PM4 IB of AQL packet ${cur.index} at dword ${ib.pos}: ${pkt.error}`);
    const r = this.cp.execute(pkt, this.pm4.subarray(0, size));
    if (r.kind === 'wait') {
      this.waitingFor = r.what;
      return 'waiting';
    }
    if (r.kind === 'ib') throw new QueueStop('an AQL PM4 IB calls another indirect buffer: nested IBs are not supported');
    this.waitingFor = '';
    ib.pos += size;
    return 'progress';
  }

  /** What the shader core needs to run the kernel dispatch packet at `at` in `v` (the current one). */
  private dispatchSetup(v: DataView, at: number): DispatchSetup {
    const vm = this.ctx.vm;
    const kobj = v.getBigUint64(at + P.kobj, true);
    if (kobj === 0n || (kobj & 63n) !== 0n) throw new QueueStop(`kernel_object 0x${kobj.toString(16)} is not a 64-byte aligned kernel descriptor address`);
    this.descriptor.va = kobj;
    const d = this.descriptor.ready() ? this.descriptor.view : this.descriptorView(kobj);
    const props = d.getUint16(KD.props, true);
    const wg: [number, number, number] = [v.getUint16(at + P.wg, true), v.getUint16(at + P.wg + 2, true), v.getUint16(at + P.wg + 4, true)];
    const grid: [number, number, number] = [v.getUint32(at + P.grid, true), v.getUint32(at + P.grid + 4, true), v.getUint32(at + P.grid + 8, true)];
    if (wg[0] === 0 || wg[1] === 0 || wg[2] === 0 || grid[0] === 0 || grid[1] === 0 || grid[2] === 0) throw new QueueStop(`dispatch with a zero size: workgroup ${wg.join('x')}, grid ${grid.join('x')}`);
    const privateBytes = v.getUint32(at + P.priv, true);
    const user: number[] = [];
    const q = this.amdQueueVa;
    let scratch: DispatchSetup['scratch'];
    if (privateBytes > 0) {
      const base = vm.read64(q + BigInt(Q_SCRATCH_BASE), this.client);
      if (base === 0n) throw new QueueStop(`kernel needs ${privateBytes} bytes of scratch per work-item but the queue's amd_queue_t has no scratch backing memory`);
      const lane = vm.read32(q + BigInt(Q_SCRATCH_LANE), this.client);
      scratch = { bytesPerLane: Math.max(lane, privateBytes), base };
    }
    // The private segment buffer is the queue's scratch V#, which the runtime keeps in amd_queue_t (hsa amd_hsa_queue.h).
    if (props & KCP.PRIVATE_SEGMENT_BUFFER) for (let i = 0; i < 4; i++) user.push(vm.read32(q + BigInt(Q_SCRATCH_SRD + 4 * i), this.client));
    if (props & KCP.DISPATCH_PTR) pushAddress(user, this.slotVa(this.readIndex));
    if (props & KCP.QUEUE_PTR) pushAddress(user, q);
    if (props & KCP.KERNARG_SEGMENT_PTR) pushAddress(user, v.getBigUint64(at + P.kernarg, true));
    if (props & KCP.DISPATCH_ID) pushAddress(user, this.readIndex);
    if (props & KCP.FLAT_SCRATCH_INIT) pushAddress(user, scratch?.base ?? 0n);
    if (props & KCP.PRIVATE_SEGMENT_SIZE) user.push(privateBytes);
    const rsrc2 = d.getUint32(KD.rsrc2, true);
    // The descriptor's USER_SGPR count places the system SGPRs; SGPRs past the enabled ones stay 0.
    const userCount = (rsrc2 >>> 1) & 0x1f;
    if (user.length > userCount) throw new QueueStop(`kernel descriptor enables ${user.length} user SGPRs but RSRC2.USER_SGPR_COUNT is ${userCount}`);
    while (user.length < userCount) user.push(0);
    const group = v.getUint32(at + P.group, true);
    const ldsBytes = Math.ceil(group / LDS_ENCODE_GRANULARITY) * LDS_ENCODE_GRANULARITY;
    return {
      target: this.ctx.target,
      entry: kobj + d.getBigInt64(KD.entry, true),
      rsrc1: d.getUint32(KD.rsrc1, true),
      rsrc2: ((rsrc2 & ~(0x1ff << 15)) | ((ldsBytes / LDS_ENCODE_GRANULARITY) << 15)) >>> 0,
      rsrc3: d.getUint32(KD.rsrc3, true),
      userSgprs: user,
      workgroupSize: wg,
      workgroups: [Math.ceil(grid[0] / wg[0]), Math.ceil(grid[1] / wg[1]), Math.ceil(grid[2] / wg[2])],
      gridSize: grid,
      waveSize: this.family !== 'gfx9' && props & KCP.WAVEFRONT_SIZE32 ? 32 : 64,
      ldsBytes,
      scratch,
    };
  }

  /** Completes the current packet: completion signal, then retire. */
  private finish(): StepResult {
    const cur = this.current!;
    this.current = undefined;
    return this.retire(cur.index, cur.signal, cur.started);
  }

  /** amd_queue_t's queue_properties, which the runtime may change while the queue runs. */
  private properties(): number {
    return this.propsCell.ready() ? this.propsCell.view.getUint32(0, true) : this.ctx.vm.read32(this.amdQueueVa + BigInt(Q_PROPS), this.client);
  }

  /** The packet's start time when the queue profiles (ENABLE_PROFILING), else 0: the clock is read only when it is needed. */
  private startStamp(): bigint {
    return this.properties() & AMD_QUEUE_PROPERTIES.ENABLE_PROFILING ? this.ctx.clock() : 0n;
  }

  private retire(index: bigint, signal: bigint, started = 0n): StepResult {
    const vm = this.ctx.vm;
    if (signal !== 0n) {
      if ((signal & 7n) !== 0n) throw new QueueStop(`completion signal 0x${signal.toString(16)} is not 8-byte aligned`);
      if (this.properties() & AMD_QUEUE_PROPERTIES.ENABLE_PROFILING) this.stamp(signal, started);
      this.completeSignal(signal);
    }
    const ring = this.ringWrite;
    if (ring.ready()) ring.view.setUint16(Number(index % this.slotCount) * AQL_PACKET_BYTES, HSA_PACKET_TYPE.INVALID, true);
    else {
      const s = vm.span(this.slotVa(index), 2, true, this.client);
      new DataView(s.bytes.buffer, s.bytes.byteOffset + s.offset, 2).setUint16(0, HSA_PACKET_TYPE.INVALID, true);
    }
    this.readIndex = index + 1n;
    const rptr = this.rptrCell;
    if (rptr.ready() && rptr.u64) Atomics.store(rptr.u64, 0, this.readIndex);
    else vm.write64(this.desc.rptrVa, this.readIndex, this.client);
    this.waitingFor = '';
    return 'progress';
  }

  /**
   * A profiling queue's start and end timestamps in the completion signal. Profiling switched on while
   * the packet ran (no start time taken) stamps the end time as both.
   */
  private stamp(signal: bigint, started: bigint): void {
    const ended = this.ctx.clock();
    const start = started === 0n ? ended : started;
    const times = this.signalTimes;
    times.va = signal + BigInt(S_START);
    if (times.ready() && times.u64) {
      Atomics.store(times.u64, 0, start);
      Atomics.store(times.u64, (S_END - S_START) >>> 3, ended);
    } else {
      this.ctx.vm.write64(signal + BigInt(S_START), start, this.client);
      this.ctx.vm.write64(signal + BigInt(S_END), ended, this.client);
    }
  }

  /** Decrements the completion signal (atomically, as the packet processor does) and fires its event through the mailbox. */
  private completeSignal(signal: bigint): void {
    const vm = this.ctx.vm;
    const cells = this.signalCells;
    cells.va = signal + BigInt(S_VALUE);
    let mailbox: bigint;
    let id = 0;
    if (cells.ready() && cells.u64 && cells.u32) {
      Atomics.sub(cells.u64, 0, 1n);
      mailbox = Atomics.load(cells.u64, (S_MAILBOX - S_VALUE) >>> 3);
      if (mailbox !== 0n) id = Atomics.load(cells.u32, (S_EVENT_ID - S_VALUE) >>> 2);
    } else {
      const v = vm.read64(signal + BigInt(S_VALUE), this.client);
      vm.write64(signal + BigInt(S_VALUE), BigInt.asUintN(64, v - 1n), this.client);
      mailbox = vm.read64(signal + BigInt(S_MAILBOX), this.client);
      if (mailbox !== 0n) id = vm.read32(signal + BigInt(S_EVENT_ID), this.client);
    }
    if (mailbox === 0n) return;
    const box = this.mailboxCell;
    box.va = mailbox;
    if (box.ready() && box.u64) Atomics.store(box.u64, 0, BigInt(id));
    else vm.write64(mailbox, BigInt(id), this.client);
    this.ctx.interrupt(id, this.client);
  }

  destroy(): void {
    this.cp.cancel();
  }

  protected override runningWaves(): LiveWave[] {
    return this.cp.waves();
  }

  protected describe(): string[] {
    const out: string[] = [];
    const first = this.readIndex > 2n ? this.readIndex - 2n : 0n;
    for (let i = first; i <= this.doorbellIndex && out.length < 8; i++) {
      try {
        out.push(`${i === this.readIndex ? '=>' : '  '} ${formatAqlPacket(decodeAqlPacket(this.packetView(i), 0), Number(i))}`);
      } catch (e) {
        out.push(`   [${i}] (unreadable: ${e instanceof Error ? e.message : String(e)})`);
      }
    }
    return out;
  }
}
