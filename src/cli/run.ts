// `amdgpu-ts run`: load a code object, launch one kernel with arguments from the command line, wait,
// report the GPU time and the output buffers.
import { createHash } from 'node:crypto';
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { selectHost } from '../host-select.js';
import { Kfd } from '../driver/kfd.js';
import { Program } from '../driver/program.js';
import { Pm4Queue } from '../driver/queues/pm4-queue.js';
import { AqlQueue } from '../driver/queues/aql-queue.js';
import { CsComputeQueue } from '../driver/queues/cs-queue.js';
import { Tracer } from '../driver/tracer.js';
import { GpuFaultError, GpuHangError, WaitTimeoutError, describeBoundsFault } from '../driver/errors.js';
import type { Device } from '../driver/device.js';
import type { Host } from '../os/host.js';
import { EmuHost } from '../emu/host.js';
import type { KernelArg } from '../driver/kernargs.js';
import type { GpuBuffer } from '../driver/memory.js';
import type { KernelArgMetadata } from '../codeobj/index.js';
import { chromeTrace } from '../harness/trace-file.js';
import { parseArgs, optionHelp, UsageError, type OptionSpec } from './args.js';
import type { CommandIo } from './io.js';
import { parsingInput, readInputFile } from './input.js';
import { EXIT_STATUS_HELP } from './report-error.js';

const OPTIONS: readonly OptionSpec[] = [
  { name: 'grid', value: 'X[,Y,Z]', help: 'work-items per dimension (HIP global size); required' },
  { name: 'block', value: 'X[,Y,Z]', help: 'work-items per workgroup; required' },
  { name: 'arg', value: 'SPEC', repeat: true, help: 'next kernel argument: u32:N i32:N u64:N f32:X f64:X buf:BYTES buf:@FILE lds:BYTES (u64 also passes a raw address to a pointer)' },
  { name: 'save', value: 'K=FILE', repeat: true, help: 'after the run, write buffer argument K (0-based argument position) to FILE' },
  { name: 'device', value: 'D', help: 'auto (default), native, or emu:<model>' },
  { name: 'gpu', value: 'N', help: 'which GPU of the device (default 0)' },
  { name: 'queue', value: 'aql|pm4|drm', help: 'queue to dispatch on: a user-mode AQL or PM4 queue through KFD, or drm: the kernel-scheduled compute ring through the render node (CS) (default aql)' },
  { name: 'timeout', value: 'MS', help: 'how long to wait for the kernel (default 30000)' },
  { name: 'check-bounds', help: 'place each buffer argument so an access past its end (or before its start) faults; the report names the kernel, the argument and how far out' },
  { name: 'json', help: 'print {device, kernel, grid, block, queue, elapsedUs, buffers: [{index, bytes, sha256}]}' },
  { name: 'trace', value: 'FILE', help: 'write the GPU timestamps of the run as Chrome/Perfetto trace JSON' },
  { name: 'help', help: 'show this help' },
];

export const RUN_HELP = `usage: amdgpu-ts run <code-object> <kernel> --grid X[,Y,Z] --block X[,Y,Z] [--arg SPEC]... [--save K=FILE]...

Runs one kernel once. Arguments are given in the kernel's order and checked against its metadata:
  u32:7  i32:-1  u64:0x1000  f32:1.5  f64:2.5   scalars of the argument's size
  buf:4096                                       a zero-filled device buffer of 4096 bytes (its address is passed)
  buf:@in.bin                                    a device buffer holding the bytes of in.bin
  lds:256                                        256 bytes of LDS for a __local pointer argument

${optionHelp(OPTIONS)}

--check-bounds places every buf: argument at the end of its last page with an unmapped guard page
after it (and one before its first page). An access past the end faults at the first bad byte on any
GPU; one before the start faults once it leaves the buffer's first page (exactly at the first bad byte
when the size is a multiple of 4096). The report names the kernel, the argument (index and name from
the code object's metadata) and how far out the access went: KFD reports only the faulting page, so
on a real GPU that is a range (0–4095 bytes past the end); the emulated GPU also gives the exact byte,
the workgroup/wave/lane and the pc with its disassembled instruction. A kernel that stays in bounds
gives the same results with and without it.

--queue drm opens the GPU through its render node alone: buffers are GEM objects in the render node's
own VM and the PM4 dispatch stream is submitted as an IB on the kernel's compute ring (DRM_IOCTL_AMDGPU_CS,
waited for with WAIT_CS). The kernel schedules that ring, so there is no GPU timestamp of the kernel;
a timeout names the ring and decodes the IB.

${EXIT_STATUS_HELP}`;

/** A buffer argument: `size` bytes, starting with `init` (a file's bytes) or zeros. */
type ParsedArg = { kind: 'scalar'; type: 'u32' | 'i32' | 'u64' | 'f32' | 'f64'; value: number | bigint; bytes: number } | { kind: 'buf'; size: number; init?: Uint8Array } | { kind: 'lds'; bytes: number };

function dims(s: string | undefined, what: string): [number, number, number] {
  if (s === undefined) throw new UsageError(`--${what} is required`);
  const parts = s.split(',').map((p) => Number(p));
  if (parts.length > 3 || parts.some((p) => !Number.isInteger(p) || p < 1)) throw new UsageError(`--${what} ${s}: want 1 to 3 positive integers separated by commas`);
  return [parts[0]!, parts[1] ?? 1, parts[2] ?? 1];
}

function parseArgSpec(spec: string, i: number): ParsedArg {
  const m = /^([a-z0-9]+):(.*)$/.exec(spec);
  if (!m) throw new UsageError(`--arg ${spec} (argument ${i}): want TYPE:VALUE, e.g. u32:7 or buf:4096`);
  const [, type, v] = m as unknown as [string, string, string];
  const int = (bits: number, signed: boolean): bigint => {
    let b: bigint;
    try {
      b = BigInt(v);
    } catch {
      throw new UsageError(`--arg ${spec} (argument ${i}): "${v}" is not an integer`);
    }
    const lo = signed ? -(1n << BigInt(bits - 1)) : 0n;
    const hi = signed ? (1n << BigInt(bits - 1)) - 1n : (1n << BigInt(bits)) - 1n;
    if (b < lo || b > hi) throw new UsageError(`--arg ${spec} (argument ${i}): ${v} does not fit ${type}`);
    return b;
  };
  switch (type) {
    case 'u32': return { kind: 'scalar', type, value: Number(int(32, false)), bytes: 4 };
    case 'i32': return { kind: 'scalar', type, value: Number(int(32, true)), bytes: 4 };
    case 'u64': return { kind: 'scalar', type, value: int(64, false), bytes: 8 };
    case 'f32':
    case 'f64': {
      const f = Number(v);
      if (v.trim() === '' || Number.isNaN(f) && v.toLowerCase() !== 'nan') throw new UsageError(`--arg ${spec} (argument ${i}): "${v}" is not a number`);
      return { kind: 'scalar', type, value: f, bytes: type === 'f32' ? 4 : 8 };
    }
    case 'buf': {
      if (v.startsWith('@')) {
        const init = readInputFile(v.slice(1), `--arg ${spec} (argument ${i}): file`, { nonEmpty: true });
        return { kind: 'buf', size: init.length, init };
      }
      const n = Number(v);
      if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--arg ${spec} (argument ${i}): want a byte count ≥ 1 or @FILE`);
      // Nothing is allocated yet: the size is checked against the GPU's memory once the device is open.
      return { kind: 'buf', size: n };
    }
    case 'lds': {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new UsageError(`--arg ${spec} (argument ${i}): want a byte count`);
      return { kind: 'lds', bytes: n };
    }
    default:
      throw new UsageError(`--arg ${spec} (argument ${i}): unknown type "${type}" (u32, i32, u64, f32, f64, buf, lds)`);
  }
}

/** The argument must fit what the metadata says the kernel takes. */
function checkAgainstMetadata(a: ParsedArg, md: KernelArgMetadata, i: number, kernel: string): void {
  const name = `${kernel} argument ${i} (${md.name ?? '?'}: ${md.typeName ?? md.valueKind}, ${md.size} bytes)`;
  if (md.valueKind === 'dynamic_shared_pointer') {
    if (a.kind !== 'lds') throw new UsageError(`${name} is a __local pointer: pass lds:BYTES`);
  } else if (md.valueKind === 'global_buffer') {
    if (a.kind !== 'buf' && !(a.kind === 'scalar' && a.type === 'u64')) throw new UsageError(`${name} is a pointer: pass buf:BYTES, buf:@FILE or a raw address as u64:ADDR`);
  } else if (a.kind !== 'scalar') {
    throw new UsageError(`${name} is a value, not a buffer: pass e.g. u32:7`);
  } else if (a.bytes !== md.size) {
    throw new UsageError(`${name} takes ${md.size} bytes; ${a.type} is ${a.bytes}`);
  }
}

// Buffers may be larger than one hash update or one write accepts (2 GiB): both go in chunks.
const CHUNK = 1 << 30;

function sha256(bytes: Uint8Array): string {
  const h = createHash('sha256');
  for (let o = 0; o < bytes.length; o += CHUNK) h.update(bytes.subarray(o, o + CHUNK));
  return h.digest('hex');
}

function writeChunked(file: string, bytes: Uint8Array): void {
  const fd = openSync(file, 'w');
  try {
    for (let o = 0; o < bytes.length; ) o += writeSync(fd, bytes, o, Math.min(CHUNK, bytes.length - o));
  } finally {
    closeSync(fd);
  }
}

/**
 * What the emulated GPU knows about a fault beyond KFD's report (the exact byte, and the wave, lane
 * and instruction that made it), from its engines' hang reports. A real GPU tells this only to a
 * debugger (wave state read from the halted wave), which `run` is not.
 */
function emulatedFaultSite(host: Host, dev: Device, imageVa: bigint): string[] {
  if (!(host instanceof EmuHost)) return [];
  // A user-mode queue's hang, or (--queue drm) the kernel ring's the job ran on.
  const f = [...host.engineStatus().flatMap((g) => g.queues).map((q) => q.hang?.fault), ...host.ringHangs().map((h) => h.report?.fault)].find((x) => x?.shader);
  if (!f?.shader) return [];
  const s = f.shader;
  const va = BigInt(f.va);
  const pc = BigInt(s.pc);
  const bounds = dev.boundsFault(va, true);
  const lines = [`emulated GPU: ${f.write ? 'write' : 'read'} at 0x${va.toString(16)} by workgroup ${s.workgroup.join(',')} wave ${s.wave}${s.lane === null ? '' : ` lane ${s.lane}`}, pc 0x${pc.toString(16)} (code object offset 0x${(pc - imageVa).toString(16)}): ${s.instruction}`];
  if (bounds) lines.push(`emulated GPU, exact: ${describeBoundsFault(bounds)}`);
  return lines;
}

/** The emulated kernel's own account of a hung ring (what amdgpu prints to the kernel log): the ring by its kernel name and why. */
function emulatedRingHangs(host: Host): string[] {
  if (!(host instanceof EmuHost)) return [];
  return host.ringHangs().map((h) => `emulated kernel: ${h.reason.split('\n')[0]}`);
}

/** Where the waves of a dispatch that did not finish stand, as the emulated GPU sees them. */
function emulatedWaves(host: Host, imageVa: bigint): string[] {
  if (!(host instanceof EmuHost)) return [];
  return host.engineStatus().flatMap((g) =>
    g.queues.flatMap((q) =>
      (q.waves ?? []).map((w) => {
        const pc = BigInt(w.pc);
        return `emulated GPU: ${q.kind.toUpperCase()} queue ${q.queueId} (${q.state}): workgroup ${w.workgroup.join(',')} wave ${w.wave} at pc 0x${pc.toString(16)} (code object offset 0x${(pc - imageVa).toString(16)}): ${w.instruction}, ${w.instructions} instructions run${w.atBarrier ? ', waiting at a barrier' : ''}`;
      }),
    ),
  );
}

export async function runRun(argv: readonly string[], io: CommandIo): Promise<number> {
  const a = parseArgs(argv, OPTIONS);
  if (a.flags.has('help')) {
    io.out(RUN_HELP);
    return 0;
  }
  const [file, kernelName, extra] = a.positionals;
  if (!file || !kernelName) throw new UsageError('need <code-object> and <kernel>');
  if (extra) throw new UsageError(`unexpected argument "${extra}"`);
  const codeBytes = readInputFile(file, 'code object', { nonEmpty: true });
  const grid = dims(a.values.get('grid')?.[0], 'grid');
  const block = dims(a.values.get('block')?.[0], 'block');
  const queueKind = a.values.get('queue')?.[0] ?? 'aql';
  if (queueKind !== 'aql' && queueKind !== 'pm4' && queueKind !== 'drm') throw new UsageError(`--queue ${queueKind}: want aql, pm4 or drm`);
  const timeoutMs = Number(a.values.get('timeout')?.[0] ?? 30000);
  if (!(timeoutMs > 0)) throw new UsageError('--timeout wants a positive number of milliseconds');
  const specs = (a.values.get('arg') ?? []).map(parseArgSpec);
  const saves = (a.values.get('save') ?? []).map((s) => {
    const m = /^(\d+)=(.+)$/.exec(s);
    if (!m) throw new UsageError(`--save ${s}: want K=FILE`);
    const k = Number(m[1]);
    if (specs[k]?.kind !== 'buf') throw new UsageError(`--save ${s}: argument ${k} is not a buffer argument`);
    return { index: k, file: m[2]! };
  });
  const gpuIndex = Number(a.values.get('gpu')?.[0] ?? 0);
  const traceFile = a.values.get('trace')?.[0];
  const checkBounds = a.flags.has('check-bounds');

  const host = selectHost(a.values.get('device')?.[0], (l) => io.err(l));
  let kfd: Kfd | undefined;
  try {
    kfd = Kfd.open(host, { checkBounds });
    if (!Number.isInteger(gpuIndex) || gpuIndex < 0 || gpuIndex >= kfd.gpus.length) throw new UsageError(`--gpu ${gpuIndex}: this device has ${kfd.gpus.length} GPU(s)`);
    const dev = queueKind === 'drm' ? kfd.renderDevice(gpuIndex) : kfd.device(gpuIndex);
    dev.checkBounds = checkBounds;
    const program = parsingInput(file, () => Program.load(dev, codeBytes));
    if (!program.code.kernels.has(kernelName)) throw new UsageError(`${file} has no kernel "${kernelName}" (it has: ${program.kernelNames.join(', ')})`);
    const kernel = program.kernel(kernelName);
    const explicit = kernel.info.explicitArgs;
    if (specs.length !== explicit.length) throw new UsageError(`${kernelName} takes ${explicit.length} argument(s) (${explicit.map((m) => `${m.name ?? '?'}: ${m.typeName ?? m.valueKind}`).join(', ')}), ${specs.length} given`);
    specs.forEach((s, i) => checkAgainstMetadata(s, explicit[i]!, i, kernelName));
    const buffers = new Map<number, GpuBuffer>();
    const args: KernelArg[] = specs.map((s, i) => {
      if (s.kind === 'scalar') return s.value;
      if (s.kind === 'lds') return s.bytes;
      if (BigInt(s.size) > dev.node.vramBytes) throw new UsageError(`--arg buf:${s.init ? '@…' : s.size} (argument ${i}): ${s.size} bytes do not fit the ${dev.node.vramBytes} bytes of VRAM of ${dev.name}`);
      const b = dev.alloc(s.size, { domain: 'vram', hostVisible: true, label: `argument ${i}` });
      if (s.init) b.view.set(s.init);
      else b.view.fill(0, 0, s.size);
      buffers.set(i, b);
      // The emulated GPU can also fault on the bytes before the start inside the first page (a
      // diagnostic hardware does not have: it maps whole pages).
      if (checkBounds && host instanceof EmuHost && queueKind !== 'drm') host.checkBytes(b.va, b.size);
      return b;
    });
    const tracer = new Tracer();
    dev.tracer = tracer;
    try {
      if (queueKind === 'drm') {
        const queue = CsComputeQueue.create(dev);
        queue.wait(kernel.dispatch(queue, { grid, block, args }), timeoutMs, `kernel ${kernelName}`);
      } else {
        const queue = queueKind === 'aql' ? AqlQueue.create(dev) : Pm4Queue.create(dev);
        queue.wait(kernel.dispatch(queue, { grid, block, args }).value, timeoutMs, `kernel ${kernelName}`);
      }
    } catch (e) {
      if (e instanceof GpuFaultError || e instanceof WaitTimeoutError || e instanceof GpuHangError) {
        io.err(`amdgpu-ts run: ${e.message}`);
        if (e instanceof GpuHangError) for (const l of emulatedRingHangs(host)) io.err(l);
        for (const l of e instanceof WaitTimeoutError ? emulatedWaves(host, program.image.va) : emulatedFaultSite(host, dev, program.image.va)) io.err(l);
        return 1;
      }
      throw e;
    }
    tracer.collect();
    const op = tracer.events.find((e) => e.name === kernelName);
    const elapsedUs = op ? Number(op.end - op.start) / 100 : null;
    const outs = [...buffers].map(([index, b]) => {
      const spec = specs[index]!;
      const bytes = b.view.subarray(0, spec.kind === 'buf' ? spec.size : 0);
      return { index, bytes, sha256: sha256(bytes) };
    });
    for (const s of saves) writeChunked(s.file, outs.find((o) => o.index === s.index)!.bytes);
    if (traceFile) writeFileSync(traceFile, JSON.stringify(chromeTrace(tracer.events)));
    const report = { device: host.description.device, kernel: kernelName, grid, block, queue: queueKind, elapsedUs, buffers: outs.map((o) => ({ index: o.index, bytes: o.bytes.length, sha256: o.sha256 })) };
    if (a.flags.has('json')) io.out(JSON.stringify(report, null, 2));
    else {
      const queueName = queueKind === 'drm' ? 'kernel compute ring (render node CS)' : `${queueKind.toUpperCase()} queue`;
      io.out(`${kernelName} on ${dev.name} (${host.description.emulated ? 'emulated' : 'native'}), ${queueName}: grid ${grid.join('x')}, block ${block.join('x')}, ${elapsedUs === null ? 'no GPU timestamp' : `${elapsedUs.toFixed(1)} µs GPU time`}`);
      for (const o of report.buffers) io.out(`  argument ${o.index}: ${o.bytes} bytes, sha256 ${o.sha256}${saves.some((s) => s.index === o.index) ? ` → ${saves.find((s) => s.index === o.index)!.file}` : ''}`);
    }
    return 0;
  } finally {
    kfd?.close();
    await host.shutdown();
  }
}
