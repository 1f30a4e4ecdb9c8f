// A captured sysfs tree on disk, read as if it were /sys: `root` stands for /sys.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { OsError } from './errors.js';
import { ERRNO } from './errno.js';
import type { SysfsReader } from './host.js';
import { fsError } from './native.js';

export class DirectorySysfs implements SysfsReader {
  constructor(readonly root: string) {}

  private resolve(path: string): string {
    if (!path.startsWith('/sys/')) throw new OsError({ call: 'open', errno: ERRNO.ENOENT, target: path, hint: 'only /sys paths exist in a captured tree' });
    return join(this.root, path.slice('/sys/'.length));
  }

  readText(path: string): string {
    try {
      return readFileSync(this.resolve(path), 'utf8');
    } catch (e) {
      throw e instanceof OsError ? e : fsError('read', path, e);
    }
  }

  listDir(path: string): string[] {
    try {
      return readdirSync(this.resolve(path));
    } catch (e) {
      throw e instanceof OsError ? e : fsError('readdir', path, e);
    }
  }

  exists(path: string): boolean {
    return path.startsWith('/sys/') && existsSync(this.resolve(path));
  }
}
