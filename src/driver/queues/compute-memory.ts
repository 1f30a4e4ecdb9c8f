// The memory a compute queue owns besides its ring: the part of making a queue every backend shares.
import type { Device } from '../device.js';
import type { GpuBuffer } from '../memory.js';

/** EOP and context-save buffers a compute queue must own, sized as kfd_queue.c expects. */
export function computeQueueExtras(device: Device): { eop: GpuBuffer; cwsr: GpuBuffer } {
  const s = device.queueSizes;
  const eop = device.alloc(s.eopBufferSize, { domain: 'vram', guard: false, label: 'queue EOP buffer' });
  try {
    const cwsr = device.alloc(s.cwsrAllocationSize, { domain: 'gtt', guard: false, label: 'queue context-save area' });
    return { eop, cwsr };
  } catch (e) {
    eop.free();
    throw e;
  }
}
