// The render-node submission cost next to the user-mode queues', in one run on one GPU: the same small
// SDMA copy and the same PM4 packet submitted (a) to a user-mode KFD queue (ring write + doorbell,
// fence in memory) and (b) through DRM_IOCTL_AMDGPU_CS as an IB on the kernel's DMA / COMPUTE ring
// (fence = CS sequence number, waited for with WAIT_CS). Samples of the two paths alternate, so
// drift in the machine's load hits both alike. Figures are wall clock; the ratio is CS / user-mode.
import type { Device } from '../../driver/device.js';
import { CsComputeQueue, CsDmaQueue } from '../../driver/queues/cs-queue.js';
import { Pm4Queue } from '../../driver/queues/pm4-queue.js';
import { SdmaQueue } from '../../driver/queues/sdma-queue.js';
import { figure, type BenchContext, type BenchFigure, type BenchSection } from './types.js';
import { median, nowNs, percentile } from './stats.js';

const COPY_BYTES = 4096;

interface Path {
  /** Submits one operation and returns a wait for it. */
  readonly submit: () => () => void;
}

interface Pair {
  readonly name: string;
  readonly what: string;
  readonly user: Path;
  readonly cs: Path;
}

/** Submit → wait returns, alternating the two paths; µs per sample. */
function roundTrips(p: Pair, samples: number): { user: number[]; cs: number[] } {
  const user: number[] = [];
  const cs: number[] = [];
  for (let i = 0; i < samples; i++) {
    for (const [path, out] of [[p.user, user], [p.cs, cs]] as const) {
      const t0 = nowNs();
      path.submit()();
      out.push((nowNs() - t0) / 1000);
    }
  }
  return { user, cs };
}

/** Back-to-back submissions with one wait at the end: µs per submission, best of `runs` batches. */
function backToBack(path: Path, batch: number, runs: number): number {
  let best = Infinity;
  for (let r = 0; r < runs; r++) {
    const t0 = nowNs();
    let wait: () => void = () => undefined;
    for (let i = 0; i < batch; i++) wait = path.submit();
    wait();
    best = Math.min(best, (nowNs() - t0) / 1000 / batch);
  }
  return best;
}

function pairs(kfdDevice: Device, drmDevice: Device, timeoutMs: number): { pairs: Pair[]; release: () => void } {
  const sdma = SdmaQueue.create(kfdDevice);
  const pm4 = Pm4Queue.create(kfdDevice);
  const dma = CsDmaQueue.create(drmDevice);
  const comp = CsComputeQueue.create(drmDevice);
  const kSrc = kfdDevice.alloc(COPY_BYTES, { domain: 'vram', label: 'bench copy source' });
  const kDst = kfdDevice.alloc(COPY_BYTES, { domain: 'vram', label: 'bench copy destination' });
  const dSrc = drmDevice.alloc(COPY_BYTES, { domain: 'vram', label: 'bench copy source' });
  const dDst = drmDevice.alloc(COPY_BYTES, { domain: 'vram', label: 'bench copy destination' });
  const nop = pm4.builder().nop(8).dwords.slice();
  return {
    pairs: [
      {
        name: 'SDMA copy 4 KiB',
        what: `one ${COPY_BYTES}-byte COPY_LINEAR`,
        user: { submit: () => { const c = sdma.copy(kDst.va, kSrc.va, COPY_BYTES); return () => sdma.wait(c, timeoutMs); } },
        cs: { submit: () => { const c = dma.copy(dDst.va, dSrc.va, COPY_BYTES); return () => dma.wait(c, timeoutMs); } },
      },
      {
        name: 'PM4 NOP',
        what: 'one 8-dword PM4 NOP',
        user: { submit: () => { const c = pm4.submit(nop); return () => pm4.wait(c, timeoutMs); } },
        cs: { submit: () => { const c = comp.submit(nop); return () => comp.wait(c, timeoutMs); } },
      },
    ],
    release: () => {
      for (const q of [sdma, pm4, dma, comp]) q.destroy();
      for (const b of [kSrc, kDst, dSrc, dDst]) b.free();
    },
  };
}

export const renderNodeBench: BenchSection = {
  key: 'drm',
  name: 'render-node submission (CS) vs user-mode queues',
  steps: () => 4,
  run(ctx: BenchContext) {
    const figures: BenchFigure[] = [];
    let drmDevice: Device;
    try {
      drmDevice = ctx.kfd.renderDevice(ctx.device.index);
    } catch (e) {
      return { figures, notes: [`drm: the render node of ${ctx.device.name} cannot be opened: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`] };
    }
    const samples = ctx.quick ? 30 : 1000;
    const batch = ctx.quick ? 64 : 1024;
    const runs = ctx.quick ? 1 : 3;
    const set = pairs(ctx.device, drmDevice, ctx.timeoutMs);
    try {
      for (const p of set.pairs) {
        // Warm-up: first submissions allocate IB and kernel-argument rings and start the kernel's rings.
        roundTrips(p, 5);
        const s = roundTrips(p, samples);
        const userMedian = median(s.user);
        const detail = `${samples} alternating samples of ${p.what}, submit → wait returns; user-mode: KFD ${p.name.startsWith('SDMA') ? 'SDMA' : 'PM4'} queue, fence in memory; CS: IB on the kernel ${p.name.startsWith('SDMA') ? 'DMA' : 'COMPUTE'} ring, WAIT_CS`;
        figures.push(figure({ section: 'drm', name: `CS ${p.name} round trip median`, value: median(s.cs), unit: 'µs', baseline: userMedian, baselineLabel: 'the user-mode queue, same run', ratio: median(s.cs) / userMedian, timing: 'wall clock', detail }));
        figures.push(figure({ section: 'drm', name: `CS ${p.name} round trip p99`, value: percentile(s.cs, 99), unit: 'µs', baseline: percentile(s.user, 99), baselineLabel: 'the user-mode queue, same run', ratio: percentile(s.cs, 99) / percentile(s.user, 99), timing: 'wall clock', detail }));
        ctx.step(`${p.name} round trip`);
        const user = backToBack(p.user, batch, runs);
        const cs = backToBack(p.cs, batch, runs);
        figures.push(figure({ section: 'drm', name: `CS ${p.name} back-to-back`, value: cs, unit: 'µs/submission', baseline: user, baselineLabel: 'the user-mode queue, same run', ratio: cs / user, timing: `wall clock, best of ${runs} batch(es) of ${batch}, one wait at the end`, detail: `${p.what} per submission` }));
        ctx.step(`${p.name} back-to-back`);
      }
    } finally {
      set.release();
    }
    return { figures, notes: [] };
  },
};
