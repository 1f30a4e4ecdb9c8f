// What the queue engines share: stepping with the strict stop rules (a memory fault is reported as
// KFD does and hangs the queue; a malformed packet or a faulting wave hangs it), and status lines.
import type { EngineContext, HangReport, QueueEngine, StepResult } from '../context.js';
import type { QueueDescriptor } from '../protocol.js';
import { GpuFault } from '../../gpu-vm.js';
import { ShaderFault, type LiveWave } from '../../isa/types.js';
import { QueueStop, RingReader } from './ring.js';
import { hangReport, RecentOffsets } from './hang.js';

export abstract class EngineQueue implements QueueEngine {
  hang: HangReport | undefined;
  /**
   * What the queue is blocked on (a wait packet, a dependency), empty when it is not; a function when
   * the text is made only if a status report asks (a blocked queue re-checks its condition every poll).
   */
  protected waitingFor: string | (() => string) = '';

  constructor(readonly desc: QueueDescriptor, protected readonly ctx: EngineContext) {}

  abstract doorbell(value: bigint): void;
  /** Processes up to `budget` units of work; throws QueueStop, GpuFault or ShaderFault to stop the queue. */
  protected abstract run(budget: number): StepResult;
  /** Read and write pointers in the queue's own units, for reports. */
  protected abstract pointers(): { rptr: string; wptr: string };
  protected abstract get idle(): boolean;
  /** The packets around the read pointer, decoded, for a hang report. */
  protected abstract describe(): string[];

  step(budget: number): StepResult {
    if (this.hang) return 'hung';
    try {
      return this.run(budget);
    } catch (e) {
      if (e instanceof GpuFault) this.ctx.vmFault(e);
      else if (!(e instanceof QueueStop) && !(e instanceof ShaderFault)) throw e;
      const p = this.pointers();
      this.hang = hangReport(this.desc, e, p.rptr, p.wptr, this.describe());
      return 'hung';
    }
  }

  status(): { rptr: string; wptr: string; state: string; waves: LiveWave[]; ringVa: string; ringSize: number } {
    const waiting = typeof this.waitingFor === 'function' ? this.waitingFor() : this.waitingFor;
    const state = this.hang ? 'hung' : waiting ? `waiting: ${waiting}` : this.idle ? 'idle' : 'busy';
    const ring = this.ringArea();
    return { ...this.pointers(), state, waves: this.hang ? [] : this.runningWaves(), ringVa: ring.va.toString(), ringSize: ring.bytes };
  }

  /** Where the queue's ring is now (the descriptor's, unless a queue update moved or resized it). */
  protected abstract ringArea(): { va: bigint; bytes: number };

  /** The live waves of a dispatch this queue is running (none for queues that do not dispatch). */
  protected runningWaves(): LiveWave[] {
    return [];
  }
}

/** PM4 and SDMA queues: a ring read through the VM between a read pointer and the doorbell's write pointer. */
/** Where an engine stands in an indirect buffer: its GPU address, length and current dword. */
export interface IbPosition {
  readonly va: bigint;
  readonly dwords: number;
  readonly pos: number;
}

export abstract class RingEngineQueue extends EngineQueue {
  protected readonly ring: RingReader;
  protected rptr = 0n;
  protected wptr = 0n;
  protected readonly recent = new RecentOffsets();

  constructor(desc: QueueDescriptor, ctx: EngineContext, protected readonly client: string) {
    super(desc, ctx);
    this.ring = new RingReader(ctx.vm, desc.ringVa, desc.ringSize, client);
  }

  doorbell(value: bigint): void {
    this.wptr = value;
  }

  updateRing(ringVa: bigint, ringSize: number): void {
    this.ring.moveTo(ringVa, ringSize);
  }

  protected pointers(): { rptr: string; wptr: string } {
    return { rptr: this.rptr.toString(), wptr: this.wptr.toString() };
  }

  protected override ringArea(): { va: bigint; bytes: number } {
    return { va: this.ring.va, bytes: this.ring.bytes };
  }

  protected get idle(): boolean {
    return this.rptr === this.wptr;
  }

  /**
   * For hang reports: the running indirect buffer's packets, decoded by the engine's own packet format,
   * from its start to a little past the current one (`=>` marks it).
   */
  protected describeIndirectBuffer(ib: IbPosition, decode: (dw: Uint32Array, at: number, end: number) => { readonly text: string; readonly size: number; readonly error?: string | undefined }): string[] {
    const out = [`indirect buffer 0x${ib.va.toString(16)} (${ib.dwords} dwords), at dword ${ib.pos}:`];
    try {
      const n = Math.min(ib.dwords, ib.pos + 64);
      const s = this.ctx.vm.span(ib.va, n * 4, false, this.client);
      const dv = new DataView(s.bytes.buffer, s.bytes.byteOffset + s.offset, n * 4);
      const dw = Uint32Array.from({ length: n }, (_, i) => dv.getUint32(i * 4, true));
      for (let at = 0; at < n && out.length < 16; ) {
        const p = decode(dw, at, n);
        out.push(`${at === ib.pos ? '=>' : '  '} ${p.text}`);
        if (p.error) break;
        at += p.size;
      }
    } catch (e) {
      out.push(`  (IB unreadable: ${e instanceof Error ? e.message : String(e)})`);
    }
    return out;
  }

  /** Reports the read pointer where the driver reads it (each kind has its own width and units). */
  protected abstract publishRptr(): void;

  /**
   * The ring discipline both kinds share, checked before each step: the write pointer may not run more
   * than a ring (`ringUnits` in the queue's own units) ahead of the read pointer, nor move back. With
   * paused engines, everything submitted is consumed unexecuted and the step ends here.
   */
  protected checkRing(ringUnits: bigint, units: string): StepResult | undefined {
    if (this.wptr - this.rptr > ringUnits) throw new QueueStop(`write pointer ${this.wptr} is more than a ring (${ringUnits} ${units}) ahead of the read pointer ${this.rptr}: unconsumed packets were overwritten`);
    if (this.wptr < this.rptr) throw new QueueStop(`write pointer ${this.wptr} moved behind the read pointer ${this.rptr}`);
    if (!this.ctx.paused) return undefined;
    if (this.rptr === this.wptr) return 'idle';
    this.rptr = this.wptr;
    this.publishRptr();
    return 'progress';
  }
}
