// The kernel side's handle on one GPU's engine thread: posts requests and blocks until the thread has
// applied them (the way KFD waits for the hardware scheduler), and rings its doorbell kick.
import { MessageChannel, Worker } from 'node:worker_threads';
import { CTRL, type EngineRequest, type EngineSetup } from './engine/protocol.js';
import { readReply } from './engine/reply.js';

const REPLY_BYTES = 1 << 20;
/** A request the engine thread does not answer within this time means the emulator itself is stuck. */
const REQUEST_TIMEOUT_MS = 30_000;

export class EngineLink {
  readonly ctrl: Int32Array;
  private readonly worker: Worker;
  private readonly port;
  private readonly reports: SharedArrayBuffer;
  private seq = 0;
  private exited = false;
  private failure: Error | undefined = undefined;

  constructor(setup: Omit<EngineSetup, 'ctrl' | 'reports'>) {
    const ctrl = new SharedArrayBuffer(CTRL.WORDS * 4);
    this.reports = new SharedArrayBuffer(REPLY_BYTES);
    this.ctrl = new Int32Array(ctrl);
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    const full: EngineSetup = { ...setup, ctrl, reports: this.reports };
    this.worker = new Worker(new URL('./engine/worker.js', import.meta.url), {
      workerData: { setup: full, port: port2 },
      transferList: [port2],
    });
    this.worker.on('error', (e) => {
      this.failure = e;
    });
    this.worker.on('exit', () => {
      this.exited = true;
    });
    this.worker.unref();
  }

  /** Applies a request on the engine thread and returns its reply. */
  call<T = unknown>(req: EngineRequest): T {
    this.throwIfFailed();
    this.port.postMessage(req);
    this.seq = (this.seq + 1) | 0;
    Atomics.store(this.ctrl, CTRL.REQUEST, this.seq);
    this.kick();
    const deadline = Date.now() + REQUEST_TIMEOUT_MS;
    for (;;) {
      const ack = Atomics.load(this.ctrl, CTRL.ACK);
      if (ack === this.seq) break;
      this.throwIfFailed();
      if (Date.now() > deadline) throw new Error(`emulated GPU engine thread did not answer a ${req.op} request in ${REQUEST_TIMEOUT_MS} ms`);
      Atomics.wait(this.ctrl, CTRL.ACK, ack, 100);
    }
    this.throwIfFailed();
    const reply = readReply<T & { error?: string }>(this.reports);
    if (reply && typeof reply === 'object' && 'error' in reply && typeof reply.error === 'string') throw new Error(`emulated GPU: ${reply.error}`);
    return reply;
  }

  /**
   * Posts a request without waiting for it: the engine thread applies requests in order, so a later
   * call() still sees its effect. For requests that cannot fail and return nothing (a ring's new write
   * pointer), where waiting for the acknowledgement would only add a thread round trip.
   */
  post(req: EngineRequest): void {
    this.throwIfFailed();
    this.port.postMessage(req);
    this.seq = (this.seq + 1) | 0;
    Atomics.store(this.ctrl, CTRL.REQUEST, this.seq);
    this.kick();
  }

  private throwIfFailed(): void {
    if (Atomics.load(this.ctrl, CTRL.CRASHED)) throw new Error(`emulated GPU: ${readReply<{ error: string }>(this.reports).error}`);
    const f = this.failure as Error | undefined;
    if (f) throw new Error(`emulated GPU engine thread failed: ${f.message}`);
  }

  kick(): void {
    Atomics.add(this.ctrl, CTRL.KICK, 1);
    // A polling engine sees the new KICK by itself; only a sleeping one needs the futex wake-up.
    if (Atomics.load(this.ctrl, CTRL.SLEEPING)) Atomics.notify(this.ctrl, CTRL.KICK);
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    Atomics.store(this.ctrl, CTRL.STOP, 1);
    this.kick();
    this.worker.ref();
    await new Promise<void>((resolve) => {
      if (this.exited) return resolve();
      this.worker.once('exit', () => resolve());
    });
    this.port.close();
  }
}
