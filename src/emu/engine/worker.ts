// Entry point of a GPU's engine thread.
import { workerData, type MessagePort } from 'node:worker_threads';
import { EngineThread } from './engine-thread.js';
import type { EngineSetup } from './protocol.js';
import { QUEUE_ENGINES } from './queues/registry.js';

const { setup, port } = workerData as { setup: EngineSetup; port: MessagePort };
new EngineThread(setup, port, QUEUE_ENGINES).run();
port.close();
