// Which engine runs which kind of queue.
import type { QueueEngineFactory } from '../context.js';
import type { QueueKind } from '../protocol.js';
import { unimplementedEngine } from './unimplemented.js';

export const QUEUE_ENGINES: Record<QueueKind, QueueEngineFactory> = {
  pm4: unimplementedEngine,
  aql: unimplementedEngine,
  sdma: unimplementedEngine,
};
