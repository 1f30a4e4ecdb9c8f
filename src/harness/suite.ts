// The self-test suite, in the order a bring-up would take it: each check stands on the ones before.
import type { Check } from './check.js';
import { deviceOpen, topologySanity, allocChecks, cpuGpuChecks, pm4WriteFence, queuesAllKinds } from './checks/basics.js';
import { sdmaCopy, sdmaFill } from './checks/sdma.js';
import { interruptWait, computeWaitsSdma, sdmaWaitsCompute, timestampsMonotonic, overlap } from './checks/sync.js';
import { dispatchChecks } from './checks/dispatch.js';
import { peerCopy, peerAccess } from './checks/peer.js';
import { vmFault, hangDetect } from './checks/faults.js';
import { renderNodeChecks } from './checks/render-node.js';

export const SELFTEST: readonly Check[] = [
  deviceOpen,
  topologySanity,
  ...allocChecks,
  ...cpuGpuChecks,
  queuesAllKinds,
  pm4WriteFence,
  interruptWait,
  sdmaCopy,
  sdmaFill,
  computeWaitsSdma,
  sdmaWaitsCompute,
  timestampsMonotonic,
  ...dispatchChecks,
  overlap,
  peerCopy,
  peerAccess,
  // The render-node path (kernel rings through CS): its hung or faulting jobs do not evict KFD queues.
  ...renderNodeChecks,
  // The hang check before the fault check: after a VM fault KFD evicts every queue of the process on
  // that GPU (kfd_dqm_evict_pasid), so nothing runs there afterwards; the fault check comes last.
  hangDetect,
  vmFault,
];
