// A shared buffer carrying one JSON reply from an engine thread to the kernel side, which is blocked
// waiting for it and so cannot receive a message.
const enc = new TextEncoder();
const dec = new TextDecoder();

export function writeReply(sab: SharedArrayBuffer, value: unknown): void {
  const text = enc.encode(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v)));
  const len = new Int32Array(sab, 0, 1);
  const body = new Uint8Array(sab, 4);
  const n = Math.min(text.length, body.length);
  body.set(text.subarray(0, n));
  Atomics.store(len, 0, n);
}

export function readReply<T>(sab: SharedArrayBuffer): T {
  const n = Atomics.load(new Int32Array(sab, 0, 1), 0);
  return JSON.parse(dec.decode(new Uint8Array(sab, 4, n).slice())) as T;
}
