// What the kernel does when the process's last /dev/kfd reference goes away (kfd_process_notifier_release
// → kfd_process_wq_release): queues destroyed, memory unmapped and freed, events destroyed.
import type { KfdState } from './state.js';
import { releaseBacking } from './memory-ioctls.js';

export function teardownProcess(k: KfdState): void {
  for (const q of k.queues.values()) q.gpu.link.call({ op: 'destroy-queue', queueId: q.id });
  k.queues.clear();
  for (const bo of k.bos.values()) {
    for (const g of bo.mappedOn) g.link.call({ op: 'unmap', start: bo.va });
    bo.mappedOn.clear();
    if (bo.kind === 'vram') bo.gpu.vramUsed -= BigInt(bo.size);
    releaseBacking(k, bo);
  }
  k.bos.clear();
  k.boByMmapOffset.clear();
  for (const e of k.eventRecords.values()) k.events.remove(e.index);
  k.eventRecords.clear();
  if (k.eventPage && !k.eventPage.bo) {
    for (const g of k.gpus) g.unshare(k.eventPage.backing);
    k.memory.retire(k.eventPage.backing);
  }
  k.eventPage = undefined;
  k.vmAcquired.clear();
  k.runtimeEnabled = false;
  for (const g of k.gpus) g.link.call({ op: 'process-exit' });
}
