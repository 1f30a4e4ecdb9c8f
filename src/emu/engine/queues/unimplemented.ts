// Placeholder for an engine kind that is not written yet: any submitted work hangs the queue with a
// report saying so, rather than being silently dropped.
import type { EngineContext, HangReport, QueueEngine, StepResult } from '../context.js';
import type { QueueDescriptor } from '../protocol.js';

export function unimplementedEngine(desc: QueueDescriptor, _ctx: EngineContext): QueueEngine {
  let hang: HangReport | undefined;
  let doorbell = 0n;
  return {
    desc,
    get hang() {
      return hang;
    },
    doorbell(v: bigint) {
      doorbell = v;
    },
    step(): StepResult {
      if (doorbell === 0n) return 'idle';
      hang = { queueId: desc.queueId, kind: desc.kind, reason: `unsupported: the emulator has no ${desc.kind} engine yet`, rptr: '0', wptr: doorbell.toString(), packets: [] };
      return 'hung';
    },
    status() {
      return { rptr: '0', wptr: doorbell.toString(), state: hang ? 'hung' : 'idle' };
    },
  };
}
