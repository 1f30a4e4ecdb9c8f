// Running a corpus kernel through the driver: buffers in, dispatch on a queue, buffers back, CPU
// reference check. Used by the self-test, the shader-core tests and `run`.
import { readFileSync } from 'node:fs';
import { packagePath } from '../os/package-root.js';
import { Program } from '../driver/program.js';
import type { Device } from '../driver/device.js';
import type { GpuBuffer } from '../driver/memory.js';
import type { KernelArg } from '../driver/kernargs.js';
import type { Pm4Queue } from '../driver/queues/pm4-queue.js';
import type { AqlQueue } from '../driver/queues/aql-queue.js';
import { corpusContext, type CorpusKernel, type CorpusTarget, CORPUS_TARGETS } from './corpus/index.js';

export interface CorpusOutcome {
  readonly outputs: ReadonlyMap<string, Uint8Array>;
  /** The reference check's complaint, or undefined when the results match. */
  readonly mismatch: string | undefined;
  readonly ms: number;
}

const programs = new WeakMap<Device, Map<string, Program>>();

export function corpusTargetOf(device: Device): CorpusTarget | undefined {
  return CORPUS_TARGETS.find((t) => t === device.target.name);
}

/** Loads (once per device) the corpus code object for this kernel. */
export function corpusProgram(device: Device, k: CorpusKernel, target: CorpusTarget): Program {
  let m = programs.get(device);
  if (!m) programs.set(device, (m = new Map()));
  const file = k.file(target);
  let p = m.get(file);
  if (!p) m.set(file, (p = Program.load(device, new Uint8Array(readFileSync(packagePath(file))))));
  return p;
}

export function runCorpusKernel(device: Device, queue: Pm4Queue | AqlQueue, k: CorpusKernel, timeoutMs: number): CorpusOutcome {
  const target = corpusTargetOf(device);
  if (!target || !k.targets.includes(target)) throw new Error(`corpus kernel ${k.id} has no code object for ${device.target.name}`);
  const ctx = corpusContext(target);
  const program = corpusProgram(device, k, target);
  const kernel = program.kernel(k.kernel);
  const specs = k.args(ctx);
  const buffers = new Map<string, { buf: GpuBuffer; bytes: number }>();
  const args: KernelArg[] = [];
  try {
    for (const s of specs) {
      switch (s.kind) {
        case 'buffer': {
          const b = device.alloc(Math.max(s.data.length, 4), { domain: 'vram', hostVisible: true, label: `corpus ${k.id}.${s.name}` });
          b.view.set(s.data);
          buffers.set(s.name, { buf: b, bytes: s.data.length });
          args.push(b);
          break;
        }
        case 'address': args.push({ va: s.value }); break;
        case 'dynamicLds': args.push(s.bytes); break;
        default: args.push(s.value);
      }
    }
    const t0 = performance.now();
    const c = kernel.dispatch(queue, { grid: k.grid, block: k.block, args });
    queue.wait(c.value, timeoutMs, `corpus kernel ${k.id}`);
    const ms = performance.now() - t0;
    const outputs = new Map([...buffers].map(([name, b]) => [name, b.buf.view.slice(0, b.bytes)]));
    return { outputs, mismatch: k.check(outputs, ctx), ms };
  } finally {
    for (const b of buffers.values()) b.buf.free();
  }
}
