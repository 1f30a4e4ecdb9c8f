// An ioctl the emulated kernel rejects: the errno the real kernel returns, and where it decides so.
import { ERRNO, type ErrnoName } from '../../os/errno.js';

export type KfdErrnoName = ErrnoName;

export class KfdError extends Error {
  readonly errno: number;
  constructor(code: KfdErrnoName, readonly where: string, readonly why: string) {
    super(`${code}: ${why} (${where})`);
    this.name = 'KfdError';
    this.errno = ERRNO[code];
  }
}

export function fail(code: KfdErrnoName, where: string, why: string): never {
  throw new KfdError(code, where, why);
}
