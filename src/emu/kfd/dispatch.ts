// The emulated /dev/kfd ioctl table: command number → handler, with kfd_ioctl's argument handling.
import { KFD_IOC, type KfdIoctl } from '../../uapi/kfd.js';
import { IOC_READ, IOC_WRITE, iocNr, iocSize } from '../../uapi/ioc.js';
import { fail } from './errors.js';
import type { KfdState } from './state.js';
import * as misc from './misc-ioctls.js';
import * as mem from './memory-ioctls.js';
import * as queues from './queue-ioctls.js';
import * as events from './event-ioctls.js';

type Handler = (k: KfdState, arg: Uint8Array, systemBytes: bigint) => unknown;

interface Entry {
  readonly ioctl: KfdIoctl;
  readonly run: Handler;
}

/** amdkfd_ioctls[]: indexed by command number; the kernel's own definition of each command. */
const TABLE = new Map<number, Entry>();
function on(ioctl: KfdIoctl, run: Handler): void {
  TABLE.set(ioctl.nr, { ioctl, run });
}
/** kfd_ioctl_dbg_*: the pre-1.13 debugger ioctls are stubs that always return -EPERM. */
const deprecated = (name: string): Handler => () => fail('EPERM', name, 'the deprecated debugger ioctls always fail with EPERM');

on(KFD_IOC.GET_VERSION, misc.getVersion);
on(KFD_IOC.CREATE_QUEUE, queues.createQueue);
on(KFD_IOC.DESTROY_QUEUE, queues.destroyQueue);
on(KFD_IOC.SET_MEMORY_POLICY, misc.setMemoryPolicy);
on(KFD_IOC.GET_CLOCK_COUNTERS, misc.getClockCounters);
on(KFD_IOC.UPDATE_QUEUE, queues.updateQueue);
on(KFD_IOC.CREATE_EVENT, events.createEvent);
on(KFD_IOC.DESTROY_EVENT, events.destroyEvent);
on(KFD_IOC.SET_EVENT, events.setEvent);
on(KFD_IOC.RESET_EVENT, events.resetEvent);
on(KFD_IOC.WAIT_EVENTS, events.waitEvents);
on(KFD_IOC.DBG_REGISTER_DEPRECATED, deprecated('kfd_ioctl_dbg_register'));
on(KFD_IOC.DBG_UNREGISTER_DEPRECATED, deprecated('kfd_ioctl_dbg_unregister'));
on(KFD_IOC.DBG_ADDRESS_WATCH_DEPRECATED, deprecated('kfd_ioctl_dbg_address_watch'));
on(KFD_IOC.DBG_WAVE_CONTROL_DEPRECATED, deprecated('kfd_ioctl_dbg_wave_control'));
on(KFD_IOC.SET_SCRATCH_BACKING_VA, misc.setScratchBackingVa);
on(KFD_IOC.SET_TRAP_HANDLER, misc.setTrapHandler);
on(KFD_IOC.GET_TILE_CONFIG, misc.getTileConfig);
on(KFD_IOC.GET_PROCESS_APERTURES_NEW, misc.getProcessAperturesNew);
on(KFD_IOC.ACQUIRE_VM, misc.acquireVm);
on(KFD_IOC.ALLOC_MEMORY_OF_GPU, mem.allocMemoryOfGpu);
on(KFD_IOC.FREE_MEMORY_OF_GPU, mem.freeMemoryOfGpu);
on(KFD_IOC.MAP_MEMORY_TO_GPU, mem.mapMemoryToGpu);
on(KFD_IOC.UNMAP_MEMORY_FROM_GPU, mem.unmapMemoryFromGpu);
on(KFD_IOC.AVAILABLE_MEMORY, mem.availableMemory);
on(KFD_IOC.IMPORT_DMABUF, mem.importDmabuf);
on(KFD_IOC.EXPORT_DMABUF, mem.exportDmabuf);
on(KFD_IOC.RUNTIME_ENABLE, misc.runtimeEnable);
on(KFD_IOC.SET_XNACK_MODE, misc.setXnackMode);

/** Every command number of kfd_ioctl.h with the first KFD minor version that has it. */
const NR_SINCE = new Map<number, number>();
for (const d of Object.values(KFD_IOC)) NR_SINCE.set(d.nr, Math.min(NR_SINCE.get(d.nr) ?? d.since, d.since));
/** AMDKFD_COMMAND_START: command 0 does not exist. */
const COMMAND_START = 0x01;

/** The kernel's definition of command `nr`, as this kernel version declares it (create_queue grew in 1.17). */
function kernelIoctl(nr: number, kfdMinor: number): KfdIoctl | undefined {
  if (nr === KFD_IOC.CREATE_QUEUE.nr) return kfdMinor >= 17 ? KFD_IOC.CREATE_QUEUE : KFD_IOC.CREATE_QUEUE_PRE_1_17;
  return TABLE.get(nr)?.ioctl ?? Object.values(KFD_IOC).find((d) => d.nr === nr);
}

/**
 * kfd_ioctl: only the command number of `request` selects the handler. The direction, type and size
 * bits the caller encoded are not checked: the kernel copies in `_IOC_SIZE(request)` bytes, zero-extends
 * them to its own struct size, runs the handler, and copies the same number of bytes back whenever its
 * own definition has IOC_OUT — even when the handler failed.
 */
export function kfdIoctl(k: KfdState, request: number, arg: Uint8Array, systemBytes: bigint): unknown {
  const nr = iocNr(request);
  const since = NR_SINCE.get(nr);
  if (nr < COMMAND_START || since === undefined || since > k.kfdMinor) fail('ENOTTY', 'kfd_ioctl', `command number 0x${nr.toString(16)} is past AMDKFD_COMMAND_END of KFD 1.${k.kfdMinor}`);
  const def = kernelIoctl(nr, k.kfdMinor)!;
  const entry = TABLE.get(nr);
  if (!entry) fail('ENOTTY', 'kfd_ioctl', `${def.name} exists in KFD 1.${k.kfdMinor} but the emulator does not implement it`);
  const usize = iocSize(request);
  if (arg.byteLength < usize) fail('EFAULT', 'kfd_ioctl', `${def.name}: the request says ${usize} bytes but the argument buffer has ${arg.byteLength}`);
  const dir = def.request >>> 30;
  const kdata = new Uint8Array(Math.max(usize, def.args.size));
  if (dir & IOC_WRITE) kdata.set(arg.subarray(0, usize));
  try {
    return entry.run(k, kdata, systemBytes);
  } finally {
    if (dir & IOC_READ) arg.set(kdata.subarray(0, usize));
  }
}

export function kfdIoctlNameOf(request: number): string | undefined {
  const nr = iocNr(request);
  return TABLE.get(nr)?.ioctl.name ?? Object.values(KFD_IOC).find((d) => d.nr === nr)?.name;
}
