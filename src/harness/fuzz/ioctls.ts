// Fuzz target "ioctls": the emulated /dev/kfd and render-node ioctls fed random argument structures
// (every KFD and DRM request this project knows, their argument words drawn from random values, edge
// values, small handles, the GPU's id and a mapped user pointer), random request numbers with random
// argument lengths, and bad file descriptors. Each call must return or fail with an OsError carrying
// an errno; afterwards the same process must still allocate, map and dispatch (vector_add on an AQL
// queue, results checked), and closing every file must leave the emulated kernel holding nothing.
import { readFileSync } from 'node:fs';
import * as fc from 'fast-check';
import { EmuHost } from '../../emu/host.js';
import { OsError } from '../../os/errors.js';
import { MAP_ANONYMOUS, MAP_PRIVATE, O_RDWR, PROT_READ, PROT_WRITE } from '../../os/host.js';
import { KFD_IOC } from '../../uapi/kfd.js';
import { DRM_IOC } from '../../uapi/drm.js';
import { ioc, iocNr } from '../../uapi/ioc.js';
import { Kfd } from '../../driver/kfd.js';
import { Program } from '../../driver/program.js';
import { AqlQueue } from '../../driver/queues/aql-queue.js';
import { packagePath } from '../../os/package-root.js';
import { bump, describeError, FuzzViolation, type FuzzTarget, type TargetSession } from './target.js';

export const IOCTL_DEVICE = 'emu:gfx1100';
const REQUESTS = [...Object.values(KFD_IOC).map((d) => ({ request: d.request, size: d.args.size, name: d.name, node: 'kfd' as const })), ...Object.values(DRM_IOC).map((d) => ({ request: d.request, size: d.args.size, name: d.name, node: 'render' as const }))];
/** WAIT_EVENTS blocks for its timeout: the fuzz keeps that at most this many ms (offset 16, kfd_ioctl_wait_events_args). */
const WAIT_EVENTS_MAX_MS = 5;
const USER_BYTES = 0x4000;

/** One argument word: where its value comes from. */
const word = fc.oneof(
  { weight: 3, arbitrary: fc.record({ v: fc.integer({ min: 0, max: 0xffff_ffff }) }) },
  { weight: 3, arbitrary: fc.record({ v: fc.constantFrom(0, 1, 2, 3, 4, 7, 8, 0x1000, 0x10000, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff) }) },
  { weight: 2, arbitrary: fc.record({ special: fc.constantFrom('gpuId' as const, 'userLo' as const, 'userHi' as const, 'fd' as const) }) },
);

const call = fc.record({
  fd: fc.constantFrom('kfd' as const, 'render' as const, 'bad' as const),
  req: fc.oneof(
    { weight: 6, arbitrary: fc.record({ known: fc.nat({ max: REQUESTS.length - 1 }), short: fc.option(fc.nat({ max: 64 }), { nil: undefined, freq: 8 }) }) },
    { weight: 1, arbitrary: fc.record({ dir: fc.integer({ min: 0, max: 3 }), type: fc.constantFrom(0x4b, 0x64, 0, 0xff), nr: fc.integer({ min: 0, max: 0xff }), size: fc.nat({ max: 300 }) }) },
    { weight: 1, arbitrary: fc.record({ raw: fc.integer({ min: 0, max: 0xffff_ffff }), len: fc.nat({ max: 128 }) }) },
  ),
  words: fc.array(word, { minLength: 32, maxLength: 32 }),
});

export const ioctlsTarget: FuzzTarget = {
  name: 'ioctls',
  what: `emulated KFD and render-node ioctls (${IOCTL_DEVICE}) ← random argument structures and request numbers`,
  batch: 40,
  async open(): Promise<TargetSession> {
    const host = new EmuHost(IOCTL_DEVICE);
    const code = new Uint8Array(readFileSync(packagePath('test/kernels/vector_add.gfx1100.co')));
    const counts = new Map<string, number>();
    const property = fc.asyncProperty(fc.array(call, { minLength: 1, maxLength: 16 }), async (calls) => {
      // The driver opens the process first (ACQUIRE_VM on its render node), as a runtime would.
      const kfd = Kfd.open(host);
      const gpu = kfd.device(0);
      const kfdFd = host.open('/dev/kfd', O_RDWR);
      const renderFd = host.open(`/dev/dri/renderD${kfd.gpus[0]!.drmRenderMinor}`, O_RDWR);
      const user = host.mmap(0n, USER_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0n);
      try {
        for (const c of calls) {
          const fd = c.fd === 'kfd' ? kfdFd : c.fd === 'render' ? renderFd : 9999;
          let request: number;
          let len: number;
          if ('known' in c.req) {
            const r = REQUESTS[c.req.known]!;
            request = r.request;
            len = c.req.short !== undefined ? Math.min(c.req.short, r.size) : r.size;
          } else if ('raw' in c.req) {
            request = c.req.raw;
            len = c.req.len;
          } else {
            request = ioc((['none', 'w', 'r', 'rw'] as const)[c.req.dir]!, c.req.type, c.req.nr, c.req.size);
            len = c.req.size;
          }
          const arg = new Uint8Array(len);
          const dv = new DataView(arg.buffer);
          for (let i = 0; i * 4 + 4 <= len; i++) {
            const w = c.words[i % c.words.length]!;
            const v = 'v' in w ? w.v : w.special === 'gpuId' ? gpu.gpuId : w.special === 'userLo' ? Number(user.address & 0xffff_ffffn) : w.special === 'userHi' ? Number(user.address >> 32n) : renderFd;
            dv.setUint32(i * 4, v >>> 0, true);
          }
          if (fd === kfdFd && iocNr(request) === KFD_IOC.WAIT_EVENTS.nr && len >= 20) dv.setUint32(16, dv.getUint32(16, true) % (WAIT_EVENTS_MAX_MS + 1), true);
          try {
            host.ioctl(fd, request, arg);
            bump(counts, 'returned');
          } catch (e) {
            if (!(e instanceof OsError)) throw new FuzzViolation(`ioctl 0x${request.toString(16)} (${len} bytes) on ${c.fd}: not an OsError: ${describeError(e)}`, { cause: e });
            if (!(e.errno > 0)) throw new FuzzViolation(`ioctl 0x${request.toString(16)}: OsError without an errno: ${e.message}`);
            bump(counts, `errno ${e.code}`);
          }
        }
        // Queues a fuzzed CREATE_QUEUE made may hold the driver's own buffers (a user pointer can land in
        // one), which the kernel then refuses to unmap (EBUSY): the process destroys them first. The
        // driver has made no queue yet, so every queue id is the fuzz's.
        for (let id = 0; id < 128; id++) {
          try {
            host.ioctl(kfdFd, KFD_IOC.DESTROY_QUEUE.request, KFD_IOC.DESTROY_QUEUE.args.encode({ queue_id: id }));
          } catch (e) {
            if (!(e instanceof OsError)) throw e;
          }
        }
        stillWorks(gpu, code);
      } finally {
        host.munmap(user.address, user.length);
        try {
          kfd.close();
        } catch (e) {
          // A queue the fuzzed CREATE_QUEUE made on the driver's buffers keeps them mapped (EBUSY), as
          // in the kernel: closing the files below is what tears such a process down.
          if (!(e instanceof OsError)) throw e;
          bump(counts, `driver close refused: ${e.code}`);
        }
        // Every file of the process, including any the interrupted driver close left open.
        for (let fd = kfd.fd; fd <= renderFd; fd++) {
          try {
            host.close(fd);
          } catch (e) {
            if (!(e instanceof OsError)) throw e;
          }
        }
      }
      const live = host.liveObjects();
      if (Object.values(live).some((n) => n !== 0)) throw new FuzzViolation(`after closing every file the emulated kernel still holds ${JSON.stringify(live)}`);
      return true;
    });
    return { property, counts, close: () => host.shutdown() };
  },
};

/** A valid allocation, mapping and dispatch after the random ioctls: vector_add on 256 items. */
function stillWorks(gpu: ReturnType<Kfd['device']>, code: Uint8Array): void {
  const n = 256;
  try {
    const [a, b, c] = [0, 1, 2].map(() => gpu.alloc(n * 4, { domain: 'gtt' }));
    const av = new Uint32Array(a!.view.buffer, a!.view.byteOffset, n);
    const bv = new Uint32Array(b!.view.buffer, b!.view.byteOffset, n);
    for (let i = 0; i < n; i++) {
      av[i] = i;
      bv[i] = 1000;
    }
    const q = AqlQueue.create(gpu);
    q.wait(Program.load(gpu, code).kernel('vector_add').dispatch(q, { grid: [n, 1, 1], block: [64, 1, 1], args: [a!, b!, c!, n] }), 5000);
    const cv = new Uint32Array(c!.view.buffer, c!.view.byteOffset, n);
    for (let i = 0; i < n; i++) if (cv[i] !== i + 1000) throw new FuzzViolation(`vector_add after the fuzzed ioctls: c[${i}] = ${cv[i]}, want ${i + 1000}`);
  } catch (e) {
    if (e instanceof FuzzViolation) throw e;
    throw new FuzzViolation(`alloc + map + dispatch after the fuzzed ioctls failed: ${describeError(e)}`, { cause: e });
  }
}
