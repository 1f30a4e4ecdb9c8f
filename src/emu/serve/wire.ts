// The preload library's wire format (native/preload/PROTOCOL.md): length-prefixed requests and
// responses on a Unix stream socket, little-endian.

export const OP = {
  HELLO: 1,
  OPEN: 2,
  CLOSE: 3,
  IOCTL: 4,
  MMAP: 5,
  MAPPED: 6,
  MUNMAP: 7,
  SHARE: 8,
} as const;

export const PROTOCOL_VERSION = 1;
const HEADER = 8;
/** Larger than any ioctl argument (_IOC_SIZE is 14 bits) plus a path: anything bigger is a broken peer. */
export const MAX_PAYLOAD = 1 << 20;

export interface Request {
  readonly op: number;
  readonly payload: DataView;
}

export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

/** Splits a byte stream into requests. */
export class RequestReader {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Request[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const out: Request[] = [];
    while (this.pending.length >= HEADER) {
      const op = this.pending.readUInt32LE(0);
      const len = this.pending.readUInt32LE(4);
      if (len > MAX_PAYLOAD) throw new ProtocolError(`request of ${len} bytes (op ${op}) exceeds ${MAX_PAYLOAD}`);
      if (this.pending.length < HEADER + len) break;
      const body = Buffer.from(this.pending.subarray(HEADER, HEADER + len));
      out.push({ op, payload: new DataView(body.buffer, body.byteOffset, body.byteLength) });
      this.pending = this.pending.subarray(HEADER + len);
    }
    return out;
  }
}

/** `result` ≥ 0 is the call's return value; < 0 is -errno. */
export function response(result: number, payload: Uint8Array = new Uint8Array(0)): Buffer {
  const b = Buffer.alloc(HEADER + payload.length);
  b.writeInt32LE(result, 0);
  b.writeUInt32LE(payload.length, 4);
  b.set(payload, HEADER);
  return b;
}

/** Checks a payload is long enough for its fixed part. */
export function need(req: Request, bytes: number, what: string): void {
  if (req.payload.byteLength < bytes) throw new ProtocolError(`${what} payload has ${req.payload.byteLength} bytes, needs ${bytes}`);
}
