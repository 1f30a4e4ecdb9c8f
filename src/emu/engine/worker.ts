// Entry point of a GPU's engine thread. A crash is published through the control block, because the
// kernel side may be blocked waiting for an answer and cannot receive an error event.
import { workerData, type MessagePort } from 'node:worker_threads';
import { EngineThread } from './engine-thread.js';
import { CTRL, type EngineSetup } from './protocol.js';
import { QUEUE_ENGINES } from './queues/registry.js';
import { writeReply } from './reply.js';
import { loadShaderCore } from './queues/shader.js';

const { setup, port } = workerData as { setup: EngineSetup; port: MessagePort };
try {
  await loadShaderCore();
  new EngineThread(setup, port, QUEUE_ENGINES).run();
} catch (e) {
  const ctrl = new Int32Array(setup.ctrl);
  writeReply(setup.reports, { error: `engine thread crashed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}` });
  Atomics.store(ctrl, CTRL.CRASHED, 1);
  Atomics.store(ctrl, CTRL.ACK, Atomics.load(ctrl, CTRL.REQUEST));
  Atomics.notify(ctrl, CTRL.ACK);
}
port.close();
