// Memory that both the CPU (through mmap) and the emulated engines see. In-process it is one
// SharedArrayBuffer per buffer object or anonymous mapping; when the emulator serves another process it
// is a shared file (memfd) that the client, the kernel side and the engine threads all map.
import { commitPages } from '../../os/shared-memory.js';
import type { ErrnoName } from '../../os/errno.js';

let nextBackingId = 1;

/** How an engine thread reaches the same memory: the buffer itself, or a file descriptor to map. */
export type BackingShare = { readonly kind: 'sab'; readonly sab: SharedArrayBuffer } | { readonly kind: 'fd'; readonly fd: number; readonly size: number };

/** What an mmap of a file at some offset maps (a window of a backing), or why the kernel refuses it. */
export type MmapTarget = { readonly backing: Backing; readonly backingOffset: number; readonly label: string } | { readonly errno: ErrnoName; readonly why: string };

export class Backing {
  readonly id = nextBackingId++;
  readonly bytes: Uint8Array;
  readonly share: BackingShare;
  private readonly release: (() => void) | undefined;

  /** New zeroed memory, an existing shared buffer (a doorbell page), or a mapped shared file. */
  constructor(readonly size: number, readonly label: string, memory?: SharedArrayBuffer | { bytes: Uint8Array; fd: number; release: () => void }) {
    if (memory === undefined || memory instanceof SharedArrayBuffer) {
      const sab = memory ?? new SharedArrayBuffer(size);
      this.bytes = new Uint8Array(sab);
      this.share = { kind: 'sab', sab };
    } else {
      this.bytes = memory.bytes;
      this.share = { kind: 'fd', fd: memory.fd, size };
      this.release = memory.release;
    }
  }

  /** The shared file behind this memory, when there is one (served clients map it). */
  get fd(): number | undefined {
    return this.share.kind === 'fd' ? this.share.fd : undefined;
  }

  /** Gives a shared file back to the OS; `bytes` must no longer be used. No-op for a SharedArrayBuffer. */
  free(): void {
    this.release?.();
  }
}

/** Where the emulated kernel gets memory from. */
export interface MemoryProvider {
  /** New zeroed memory of `size` bytes; throws RangeError (or OsError) when the host cannot back it. */
  allocate(size: number, label: string): Backing;
  /** The kernel dropped its own reference (the BO was freed); the memory goes once no CPU mapping holds it. */
  retire(b: Backing): void;
}

/**
 * Buffer objects up to this size get their pages at allocation; larger ones (a 1 GiB VRAM buffer that
 * a test only touches at both ends) keep the OS's page-on-first-touch, so host memory is not spent on
 * bytes nothing uses.
 */
export const COMMIT_AT_ALLOCATION_MAX_BYTES = 256 << 20;

/**
 * In-process memory: SharedArrayBuffers, released by the garbage collector. A buffer object's pages
 * are committed (zeroed, in huge pages where possible) when it is allocated, as the kernel hands out
 * cleared pages for a BO: the first copy into fresh memory then runs at the speed of the next one,
 * instead of paying one page fault per 4 KiB inside the engine.
 */
export const SAB_MEMORY: MemoryProvider = {
  allocate: (size, label) => {
    const b = new Backing(size, label);
    if (size <= COMMIT_AT_ALLOCATION_MAX_BYTES) commitPages(b.bytes);
    return b;
  },
  retire: () => undefined,
};
