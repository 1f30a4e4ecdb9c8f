// The emulator's side of the preload library's socket: one ServedProcess per client pid (all of its
// threads' connections), requests of one connection answered in order, a process torn down when its
// last connection closes.
import { createServer, type Server, type Socket } from 'node:net';
import { rmSync } from 'node:fs';
import type { DeviceSpec } from '../models/models.js';
import { ServedProcess, type SessionStats } from './session.js';
import { need, OP, PROTOCOL_VERSION, ProtocolError, RequestReader, response } from './wire.js';
import { ERRNO } from '../../os/errno.js';
import { LiveSysfs } from './live-sysfs.js';
import { pciDeviceDir, servedGpus } from './tree.js';

export interface ServerStats {
  readonly device: string;
  readonly sessions: readonly SessionStats[];
  /** Bugs of the emulator itself met while serving (each answered EIO): a test expects none. */
  readonly internalErrors: readonly string[];
  readonly protocolErrors: readonly string[];
}

/** AMDGPU_TS_SERVE_TRACE=1: one stderr line per request (op, result), for debugging a client. */
const TRACE = process.env.AMDGPU_TS_SERVE_TRACE === '1';

interface Live {
  readonly proc: ServedProcess;
  connections: number;
}

export class EmuServer {
  private readonly live = new Map<number, Live>();
  private readonly finished: SessionStats[] = [];
  private readonly closing: Promise<void>[] = [];
  private readonly internalErrors: string[] = [];
  private readonly protocolErrors: string[] = [];
  /** The served tree's live amdgpu files (memory use, busy percent…), when a tree is given. */
  private readonly liveSysfs: LiveSysfs | undefined;

  private constructor(private readonly server: Server, readonly socketPath: string, readonly spec: DeviceSpec, treeRoot: string | undefined) {
    if (treeRoot !== undefined) {
      const gpus = servedGpus(spec);
      this.liveSysfs = new LiveSysfs(treeRoot, gpus, gpus.map(pciDeviceDir), () => this.gpuUse(gpus.length));
    }
  }

  /**
   * Listens on a new Unix socket at `socketPath`. `treeRoot`: the served file tree (written by
   * writeServedTree), whose live files this server keeps up to date while it runs.
   */
  static listen(socketPath: string, spec: DeviceSpec, treeRoot?: string): Promise<EmuServer> {
    return new Promise((resolve, reject) => {
      let self: EmuServer | undefined;
      const server = createServer((sock) => self!.accept(sock));
      self = new EmuServer(server, socketPath, spec, treeRoot);
      server.once('error', reject);
      server.listen(socketPath, () => {
        server.off('error', reject);
        self!.liveSysfs?.start();
        resolve(self!);
      });
    });
  }

  /**
   * Per GPU, over every process being served: VRAM and GTT held, and whether any engine has work in
   * flight. (Each served process has its own emulated KFD process and engine thread per GPU; the
   * device's use is their sum, as amdgpu's memory managers count every process's BOs.)
   */
  private gpuUse(count: number): { vramUsed: bigint; gttUsed: bigint; busy: boolean }[] {
    const out = Array.from({ length: count }, () => ({ vramUsed: 0n, gttUsed: 0n, busy: false }));
    for (const s of this.live.values()) {
      s.proc.host.gpuUse().forEach((u, i) => {
        const o = out[i];
        if (!o) return;
        o.vramUsed += u.vramUsed;
        o.gttUsed += u.gttUsed;
        o.busy ||= u.busy;
      });
    }
    return out;
  }

  /** Client processes being served now. */
  get activeSessions(): number {
    return this.live.size;
  }

  private accept(sock: Socket): void {
    const reader = new RequestReader();
    let session: Live | undefined;
    let chain = Promise.resolve();
    const fail = (why: string): void => {
      this.protocolErrors.push(why);
      sock.destroy();
    };
    sock.on('data', (chunk) => {
      let requests;
      try {
        requests = reader.push(chunk);
      } catch (e) {
        return fail(e instanceof Error ? e.message : String(e));
      }
      for (const req of requests) {
        chain = chain.then(async () => {
          if (sock.destroyed) return;
          try {
            if (!session) {
              if (req.op !== OP.HELLO) throw new ProtocolError(`first request is op ${req.op}, not HELLO`);
              need(req, 8, 'HELLO');
              const version = req.payload.getUint32(0, true);
              if (version !== PROTOCOL_VERSION) throw new ProtocolError(`preload protocol version ${version}, this emulator speaks ${PROTOCOL_VERSION}`);
              session = this.attach(req.payload.getUint32(4, true));
              const out = Buffer.alloc(8);
              out.writeUInt32LE(process.pid, 0);
              sock.write(response(0, out));
              return;
            }
            const rsp = await session.proc.handle(req);
            if (req.op === OP.IOCTL) this.liveSysfs?.refresh();
            if (TRACE) process.stderr.write(`[amdgpu-ts serve] pid ${session.proc.pid} op ${req.op} → ${rsp.readInt32LE(0)}\n`);
            sock.write(rsp);
          } catch (e) {
            if (e instanceof ProtocolError) return fail(e.message);
            this.internalErrors.push(e instanceof Error ? (e.stack ?? e.message) : String(e));
            sock.write(response(-ERRNO.EIO));
          }
        });
      }
    });
    sock.on('error', () => undefined);
    sock.on('close', () => {
      chain = chain.then(() => {
        if (session) this.detach(session);
      });
    });
  }

  private attach(pid: number): Live {
    let s = this.live.get(pid);
    if (!s) {
      s = { proc: new ServedProcess(pid, this.spec, process.pid), connections: 0 };
      this.live.set(pid, s);
    }
    s.connections++;
    return s;
  }

  private detach(s: Live): void {
    if (--s.connections > 0 || this.live.get(s.proc.pid) !== s) return;
    this.live.delete(s.proc.pid);
    this.closing.push(s.proc.close().then(() => void this.finished.push(s.proc.stats())));
    this.liveSysfs?.refresh();
  }

  stats(): ServerStats {
    return {
      device: this.spec.spec,
      sessions: [...this.finished, ...[...this.live.values()].map((s) => s.proc.stats())],
      internalErrors: [...this.internalErrors],
      protocolErrors: [...this.protocolErrors],
    };
  }

  /** Stops listening, ends every session and removes the socket. */
  async close(): Promise<void> {
    this.liveSysfs?.stop();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of [...this.live.values()]) {
      s.connections = 1;
      this.detach(s);
    }
    await Promise.all(this.closing);
    rmSync(this.socketPath, { force: true });
  }
}
