// A pool thread of the shader core: runs its share of each dispatch it is sent over the engine's GPU
// memory (the same SharedArrayBuffers, through its own copy of the page tables), in chunks; between
// chunks it takes page-table updates, answers status requests and notices a fault elsewhere or a cancel.
import { receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { GpuVm } from '../../gpu-vm.js';
import { CTRL, serializeError, type FromWorker, type ToWorker } from './protocol.js';
import { SliceRunner } from './slice.js';

/** Instructions between looks at the port and the control block (well under a millisecond). */
const CHUNK = 16_384;

const { ctrl: ctrlBuffer, counts: countsBuffer, lease: leaseBuffer, index, port } = workerData as { ctrl: SharedArrayBuffer; counts: SharedArrayBuffer; lease: SharedArrayBuffer; index: number; port: MessagePort };
const ctrl = new Int32Array(ctrlBuffer);
const counts = new Float64Array(countsBuffer);
/** [0]: Date.now() until which this dispatch may run (renewed by every step on the starting thread). */
const leaseUntil = new Float64Array(leaseBuffer);
/** How often a thread whose lease ran out looks again (for a cancel or a status request). */
const LEASE_POLL_MS = 10;
const vm = new GpuVm();

const send = (m: FromWorker): void => port.postMessage(m);

function apply(m: ToWorker): void {
  if (m.type === 'vm') vm.replaceAll(m.mappings);
  else run(m);
}

function run(m: Extract<ToWorker, { type: 'run' }>): void {
  if (m.mappings) vm.replaceAll(m.mappings);
  counts[index] = 0;
  let statusSeen = Atomics.load(ctrl, CTRL.STATUS);
  try {
    const slice = new SliceRunner(m.setup, vm, ctrl, m.total, index + 1, m.core);
    const between = (): void => {
      for (let msg = receiveMessageOnPort(port); msg; msg = receiveMessageOnPort(port)) apply(msg.message as ToWorker);
      const status = Atomics.load(ctrl, CTRL.STATUS);
      if (status !== statusSeen) {
        statusSeen = status;
        send({ type: 'waves', epoch: m.epoch, waves: slice.liveWaves() });
        Atomics.notify(ctrl, CTRL.STATUS);
      }
    };
    while (slice.step(CHUNK)) {
      counts[index] = slice.instructions;
      between();
      while (Date.now() > leaseUntil[0]! && Atomics.load(ctrl, CTRL.ABORT) === 0) {
        Atomics.wait(ctrl, CTRL.LEASE, Atomics.load(ctrl, CTRL.LEASE), LEASE_POLL_MS);
        between();
      }
    }
    counts[index] = slice.instructions;
    if (slice.fault) send({ type: 'fault', epoch: m.epoch, group: slice.fault.group, error: serializeError(slice.fault.error) });
  } catch (e) {
    // Not a fault of the program (those end the slice above): a defect, reported to the engine side.
    Atomics.store(ctrl, CTRL.ABORT, 1);
    send({ type: 'fault', epoch: m.epoch, group: -1, error: serializeError(e) });
  }
  send({ type: 'done', epoch: m.epoch });
  Atomics.sub(ctrl, CTRL.RUNNING, 1);
  Atomics.notify(ctrl, CTRL.RUNNING);
}

// Idle, the thread sleeps on CTRL.POSTED rather than in its event loop: a futex wake reaches run()
// without the event loop's wake-up and message dispatch in between. A message posted after the load
// below bumps POSTED after it, so the wait returns at once and the next pass takes the message.
for (;;) {
  const posted = Atomics.load(ctrl, CTRL.POSTED);
  for (let msg = receiveMessageOnPort(port); msg; msg = receiveMessageOnPort(port)) apply(msg.message as ToWorker);
  Atomics.wait(ctrl, CTRL.POSTED, posted);
}
