// Building a hang report: why the queue stopped and the packets around the read pointer.
import type { HangReport } from '../context.js';
import type { QueueDescriptor } from '../protocol.js';
import { GpuFault } from '../../gpu-vm.js';

export function hangReport(desc: QueueDescriptor, error: unknown, rptr: string, wptr: string, packets: readonly string[]): HangReport {
  if (error instanceof GpuFault) {
    const site = error.shader;
    const shader = site ? { pc: `0x${site.pc.toString(16)}`, lane: site.lane ?? null, workgroup: [...site.workgroup], wave: site.wave, instruction: site.instruction } : undefined;
    const where = site ? ` (workgroup ${site.workgroup.join(',')} wave ${site.wave}${site.lane === undefined ? '' : ` lane ${site.lane}`}, pc 0x${site.pc.toString(16)}: ${site.instruction})` : '';
    return { queueId: desc.queueId, kind: desc.kind, ...ringOf(desc), reason: error.message + where, rptr, wptr, packets, fault: { va: `0x${error.va.toString(16)}`, write: error.write, kind: error.kind, client: error.client, ...(shader ? { shader } : {}) } };
  }
  const reason = error instanceof Error ? error.message : String(error);
  return { queueId: desc.queueId, kind: desc.kind, ...ringOf(desc), reason, rptr, wptr, packets };
}

function ringOf(desc: QueueDescriptor): { ring?: string } {
  return desc.kernelRing ? { ring: desc.kernelRing } : {};
}

/** Keeps the ring offsets of the last few packets so a report can show what led up to a hang. */
export class RecentOffsets {
  private readonly items: number[];
  private count = 0;
  constructor(private readonly keep = 4) {
    this.items = new Array<number>(keep).fill(0);
  }
  push(v: number): void {
    this.items[this.count++ % this.keep] = v;
  }
  get oldest(): number | undefined {
    if (this.count === 0) return undefined;
    return this.items[this.count > this.keep ? this.count % this.keep : 0];
  }
}
