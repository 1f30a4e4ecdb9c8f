// Typed ioctl calls: encode the argument struct, call the Host, decode what the kernel wrote back.
import type { Host } from '../os/host.js';
import type { FieldSpec, StructInput, StructLayout, StructValue } from '../uapi/codec.js';

export interface IoctlDef<F extends readonly FieldSpec[]> {
  readonly name: string;
  readonly request: number;
  readonly args: StructLayout<F>;
}

export function ioctl<F extends readonly FieldSpec[]>(host: Host, fd: number, def: IoctlDef<F>, value: StructInput<F>): StructValue<F> {
  const buf = def.args.encode(value);
  host.ioctl(fd, def.request, buf, def.name);
  return def.args.decode(buf);
}
