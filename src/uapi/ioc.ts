// Linux ioctl request encoding (include/uapi/asm-generic/ioctl.h): nr 8 bits, type 8, size 14, dir 2.
export const IOC_NONE = 0;
export const IOC_WRITE = 1;
export const IOC_READ = 2;

export type IoctlDir = 'none' | 'r' | 'w' | 'rw';

const dirBits: Record<IoctlDir, number> = { none: IOC_NONE, w: IOC_WRITE, r: IOC_READ, rw: IOC_READ | IOC_WRITE };

export function ioc(dir: IoctlDir, type: number, nr: number, size: number): number {
  if (size >= 1 << 14) throw new RangeError(`ioctl argument of ${size} bytes does not fit in 14 bits`);
  return ((dirBits[dir] << 30) | (size << 16) | (type << 8) | nr) >>> 0;
}

export function iocNr(request: number): number {
  return request & 0xff;
}
export function iocType(request: number): number {
  return (request >>> 8) & 0xff;
}
export function iocSize(request: number): number {
  return (request >>> 16) & 0x3fff;
}
export function iocDir(request: number): IoctlDir {
  const d = (request >>> 30) & 3;
  return d === 3 ? 'rw' : d === IOC_READ ? 'r' : d === IOC_WRITE ? 'w' : 'none';
}

export function hex32(v: number): string {
  return '0x' + (v >>> 0).toString(16).padStart(8, '0');
}
