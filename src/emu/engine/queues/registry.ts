// Which engine runs which kind of queue.
import type { QueueEngineFactory } from '../context.js';
import type { QueueKind } from '../protocol.js';
import { pm4Engine } from './pm4.js';
import { aqlEngine } from './aql.js';
import { sdmaEngine } from './sdma.js';

export const QUEUE_ENGINES: Record<QueueKind, QueueEngineFactory> = {
  pm4: pm4Engine,
  aql: aqlEngine,
  sdma: sdmaEngine,
};
