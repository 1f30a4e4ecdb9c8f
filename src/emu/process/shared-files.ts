// Memory for a served client: each allocation is a memfd the client maps through /proc/<pid>/fd, so
// the client, the emulated kernel and the engine threads share its pages. The provider keeps count of
// what it holds, frees a retired allocation once no CPU mapping of the process uses it any more, and
// frees everything when the process goes away.
import { closeFd, createSharedFile, mapSharedFd, openForeignFd } from '../../os/shared-memory.js';
import { Backing, type MemoryProvider } from './backing.js';

export interface SharedFileStats {
  readonly live: number;
  readonly liveBytes: number;
  readonly allocated: number;
  readonly freed: number;
}

export class SharedFileMemory implements MemoryProvider {
  private readonly live = new Map<number, Backing>();
  private readonly retired = new Set<Backing>();
  private allocated = 0;
  private freed = 0;

  allocate(size: number, label: string): Backing {
    const f = createSharedFile(size, label);
    const b = new Backing(size, label, {
      bytes: f.bytes,
      fd: f.fd,
      release: () => {
        f.unmap();
        closeFd(f.fd);
      },
    });
    this.live.set(b.id, b);
    this.allocated++;
    return b;
  }

  /**
   * Memory the client owns and shared with us (its userptr pages, moved into a memfd it holds as
   * `clientFd`): held while the client maps it or a BO uses it.
   */
  adopt(pid: number, clientFd: number, size: number, label: string): Backing {
    const fd = openForeignFd(pid, clientFd);
    let view: { bytes: Uint8Array; unmap: () => void };
    try {
      view = mapSharedFd(fd, size, label);
    } catch (e) {
      closeFd(fd);
      throw e;
    }
    const b = new Backing(size, label, {
      bytes: view.bytes,
      fd,
      release: () => {
        view.unmap();
        closeFd(fd);
      },
    });
    this.live.set(b.id, b);
    this.retired.add(b);
    this.allocated++;
    return b;
  }

  retire(b: Backing): void {
    if (this.live.has(b.id)) this.retired.add(b);
  }

  get hasRetired(): boolean {
    return this.retired.size > 0;
  }

  /** Frees retired memory that nothing holds any more. */
  sweep(inUse: (b: Backing) => boolean): void {
    for (const b of this.retired) {
      if (!inUse(b)) this.release(b);
    }
  }

  releaseAll(): void {
    for (const b of [...this.live.values()]) this.release(b);
  }

  private release(b: Backing): void {
    this.retired.delete(b);
    if (!this.live.delete(b.id)) return;
    b.free();
    this.freed++;
  }

  get stats(): SharedFileStats {
    let liveBytes = 0;
    for (const b of this.live.values()) liveBytes += b.size;
    return { live: this.live.size, liveBytes, allocated: this.allocated, freed: this.freed };
  }
}
