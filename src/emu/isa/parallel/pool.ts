// The shader worker threads of one engine thread (or of whichever thread runs the shader core): created
// on the first dispatch that can use them, reused by every later one, terminated by close(). They are
// unref'd, so a thread that never calls close() still exits. One dispatch at a time uses the pool; the
// thread that starts it runs its own share too (see ParallelDispatch).
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { GpuVm } from '../../gpu-vm.js';
import type { ShaderCoreOptions } from '../core.js';
import type { DispatchSetup } from '../types.js';
import { CTRL, LEASE_MS, NO_FAULT, type FromWorker, type ToWorker } from './protocol.js';

/** How long a new dispatch waits for a cancelled one to leave the pool before it runs in-thread instead. */
const RELEASE_WAIT_MS = 200;

interface PoolThread {
  readonly worker: Worker;
  readonly port: MessagePort;
}

export class ShaderWorkerPool {
  readonly ctrl = new Int32Array(new SharedArrayBuffer(CTRL.WORDS * 4));
  /** Instructions each pool thread ran of the current dispatch (written at its chunk boundaries). */
  readonly counts: Float64Array;
  /** [0]: Date.now() until which the pool threads may run the current dispatch (see LEASE_MS). */
  private readonly leaseUntil = new Float64Array(new SharedArrayBuffer(8));
  private threads: PoolThread[] | undefined;
  private epoch = 0;
  /** Whether a dispatch holds the pool: running, or cancelled and still stopping. */
  private holder: 'running' | 'cancelled' | undefined;
  /** Which page tables, at which version, the pool threads hold. */
  private sent: { vm: GpuVm; version: number } | undefined;

  constructor(readonly size: number) {
    this.counts = new Float64Array(new SharedArrayBuffer(Math.max(size, 1) * 8));
  }

  /** True when no dispatch holds the pool (a cancelled one is given a moment to stop). */
  available(): boolean {
    if (this.holder === 'running') return false;
    if (Atomics.load(this.ctrl, CTRL.RUNNING) === 0) return true;
    const until = performance.now() + RELEASE_WAIT_MS;
    for (let n = Atomics.load(this.ctrl, CTRL.RUNNING); n !== 0 && performance.now() < until; n = Atomics.load(this.ctrl, CTRL.RUNNING)) {
      Atomics.wait(this.ctrl, CTRL.RUNNING, n, until - performance.now());
    }
    this.receive();
    return Atomics.load(this.ctrl, CTRL.RUNNING) === 0;
  }

  /** Starts every pool thread on `setup`. */
  begin(setup: DispatchSetup, vm: GpuVm, total: number, core: ShaderCoreOptions): void {
    const threads = (this.threads ??= this.spawn());
    this.receive(); // what a cancelled dispatch's threads said last: of no interest now
    this.epoch++;
    Atomics.store(this.ctrl, CTRL.NEXT, 0);
    Atomics.store(this.ctrl, CTRL.STOP_AT, NO_FAULT);
    Atomics.store(this.ctrl, CTRL.ABORT, 0);
    Atomics.store(this.ctrl, CTRL.RUNNING, threads.length);
    this.holder = 'running';
    this.counts.fill(0);
    this.renewLease();
    const mappings = this.sent?.vm === vm && this.sent.version === vm.version ? undefined : vm.all();
    this.sent = { vm, version: vm.version };
    for (const t of threads) this.post(t, { type: 'run', epoch: this.epoch, setup, total, mappings, core });
  }

  /** Sends the page tables again when they changed (an unmap during the dispatch must fault there too). */
  syncVm(vm: GpuVm): void {
    if (this.sent?.vm === vm && this.sent.version === vm.version) return;
    this.sent = { vm, version: vm.version };
    const mappings = vm.all();
    for (const t of this.threads ?? []) this.post(t, { type: 'vm', mappings });
  }

  /** Messages of the current epoch from every pool thread (older ones, of a cancelled dispatch, are dropped). */
  receive(): FromWorker[] {
    const out: FromWorker[] = [];
    for (const t of this.threads ?? []) {
      for (let m = receiveMessageOnPort(t.port); m; m = receiveMessageOnPort(t.port)) {
        const msg = m.message as FromWorker;
        if (msg.epoch === this.epoch) out.push(msg);
      }
    }
    return out;
  }

  /** Lets the pool threads run on for another LEASE_MS. */
  renewLease(): void {
    this.leaseUntil[0] = Date.now() + LEASE_MS;
    Atomics.add(this.ctrl, CTRL.LEASE, 1);
    Atomics.notify(this.ctrl, CTRL.LEASE);
  }

  /** The dispatch finished: every pool thread is done with it. */
  release(): void {
    this.holder = undefined;
  }

  /** Stops the current dispatch; the pool threads notice within a chunk, and the pool is free after. */
  cancel(): void {
    Atomics.store(this.ctrl, CTRL.ABORT, 1);
    Atomics.notify(this.ctrl, CTRL.LEASE);
    this.holder = 'cancelled';
  }

  get running(): number {
    return Atomics.load(this.ctrl, CTRL.RUNNING);
  }

  close(): void {
    for (const t of this.threads ?? []) {
      t.port.close();
      void t.worker.terminate();
    }
    this.threads = undefined;
    this.sent = undefined;
  }

  private post(t: PoolThread, m: ToWorker): void {
    t.port.postMessage(m);
    Atomics.add(this.ctrl, CTRL.POSTED, 1);
    Atomics.notify(this.ctrl, CTRL.POSTED);
  }

  private spawn(): PoolThread[] {
    const out: PoolThread[] = [];
    for (let index = 0; index < this.size; index++) {
      const { port1, port2 } = new MessageChannel();
      const worker = new Worker(new URL('./shader-worker.js', import.meta.url), {
        workerData: { ctrl: this.ctrl.buffer, counts: this.counts.buffer, lease: this.leaseUntil.buffer, index, port: port2 },
        transferList: [port2],
      });
      worker.unref();
      port1.unref();
      out.push({ worker, port: port1 });
    }
    return out;
  }
}
