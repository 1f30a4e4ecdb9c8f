// The emulated /dev/kfd ioctl table: request number → handler.
import { KFD_IOC } from '../../uapi/kfd.js';
import { fail } from './errors.js';
import type { KfdState } from './state.js';
import * as misc from './misc-ioctls.js';
import * as mem from './memory-ioctls.js';
import * as queues from './queue-ioctls.js';
import * as events from './event-ioctls.js';

export interface IoctlCall {
  readonly request: number;
  readonly systemBytes: bigint;
}
type Handler = (k: KfdState, arg: Uint8Array, call: IoctlCall) => unknown;

const HANDLERS = new Map<number, { name: string; run: Handler }>();
function on(ioctl: { request: number; name: string }, run: Handler): void {
  HANDLERS.set(ioctl.request, { name: ioctl.name, run });
}
/** Command numbers added after KFD 1.11 (kfd_ioctl.h version history). */
const NR_SINCE: ReadonlyMap<number, number> = new Map([
  [KFD_IOC.EXPORT_DMABUF.nr, 12],
  [KFD_IOC.RUNTIME_ENABLE.nr, 13],
  [KFD_IOC.DBG_TRAP.nr, 13],
]);

on(KFD_IOC.GET_VERSION, misc.getVersion);
on(KFD_IOC.ACQUIRE_VM, misc.acquireVm);
on(KFD_IOC.GET_PROCESS_APERTURES_NEW, misc.getProcessAperturesNew);
on(KFD_IOC.SET_MEMORY_POLICY, misc.setMemoryPolicy);
on(KFD_IOC.SET_SCRATCH_BACKING_VA, misc.setScratchBackingVa);
on(KFD_IOC.SET_TRAP_HANDLER, misc.setTrapHandler);
on(KFD_IOC.RUNTIME_ENABLE, misc.runtimeEnable);
on(KFD_IOC.GET_CLOCK_COUNTERS, misc.getClockCounters);
on(KFD_IOC.ALLOC_MEMORY_OF_GPU, (k, a, c) => mem.allocMemoryOfGpu(k, a, c.systemBytes));
on(KFD_IOC.FREE_MEMORY_OF_GPU, mem.freeMemoryOfGpu);
on(KFD_IOC.MAP_MEMORY_TO_GPU, mem.mapMemoryToGpu);
on(KFD_IOC.UNMAP_MEMORY_FROM_GPU, mem.unmapMemoryFromGpu);
on(KFD_IOC.AVAILABLE_MEMORY, mem.availableMemory);
on(KFD_IOC.CREATE_QUEUE, (k, a, c) => queues.createQueue(k, a, c.request));
on(KFD_IOC.CREATE_QUEUE_PRE_1_17, (k, a, c) => queues.createQueue(k, a, c.request));
on(KFD_IOC.DESTROY_QUEUE, queues.destroyQueue);
on(KFD_IOC.UPDATE_QUEUE, queues.updateQueue);
on(KFD_IOC.CREATE_EVENT, events.createEvent);
on(KFD_IOC.DESTROY_EVENT, events.destroyEvent);
on(KFD_IOC.SET_EVENT, events.setEvent);
on(KFD_IOC.RESET_EVENT, events.resetEvent);
on(KFD_IOC.WAIT_EVENTS, events.waitEvents);

export function kfdIoctl(k: KfdState, request: number, arg: Uint8Array, systemBytes: bigint): unknown {
  const nr = request & 0xff;
  const since = NR_SINCE.get(nr) ?? 0;
  // kfd_ioctl: a command number this kernel does not have → ENOTTY.
  if (since > k.kfdMinor) fail('ENOTTY', 'kfd_ioctl', `ioctl nr 0x${nr.toString(16)} needs KFD 1.${since}; the emulated kernel is 1.${k.kfdMinor}`);
  const h = HANDLERS.get(request);
  if (!h) fail('ENOTTY', 'kfd_ioctl', `request 0x${request.toString(16)} is not an ioctl the emulated KFD implements`);
  if (arg.byteLength < ((request >>> 16) & 0x3fff)) fail('EFAULT', 'kfd_ioctl', `${h.name}: argument buffer of ${arg.byteLength} bytes is smaller than the struct`);
  return h.run(k, arg, { request, systemBytes });
}

export function kfdIoctlNameOf(request: number): string | undefined {
  return HANDLERS.get(request)?.name;
}
