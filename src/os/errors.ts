import { AmdgpuError } from '../errors.js';
import { errnoName } from './errno.js';

/** Where an OS call failed: the call, the path or ioctl it was about, and the errno. */
export interface OsErrorInfo {
  readonly call: string;
  readonly errno: number;
  readonly target?: string;
  readonly hint?: string;
}

/** A failed system call, typed by errno; the message names the call, the target, the errno and a hint. */
export class OsError extends AmdgpuError {
  readonly call: string;
  readonly errno: number;
  readonly code: string;
  readonly target: string | undefined;
  readonly hint: string | undefined;

  constructor(info: OsErrorInfo) {
    const code = errnoName(info.errno);
    const hint = info.hint ?? defaultHint(info.call, code, info.target);
    super('runtime', `${info.call}${info.target ? ` ${info.target}` : ''} failed: ${code}${hint ? ` — ${hint}` : ''}`);
    this.name = 'OsError';
    this.call = info.call;
    this.errno = info.errno;
    this.code = code;
    this.target = info.target;
    this.hint = hint;
  }
}

function defaultHint(call: string, code: string, target: string | undefined): string | undefined {
  const isKfd = target === '/dev/kfd';
  const isRender = target?.startsWith('/dev/dri/') ?? false;
  if (call === 'open') {
    if (code === 'ENOENT' && isKfd) return 'no amdgpu kernel driver loaded (or KFD disabled); use --device emu:gfx1100 for the emulated GPU';
    if (code === 'ENOENT' && isRender) return 'render node missing: is amdgpu loaded for this GPU?';
    if ((code === 'EACCES' || code === 'EPERM') && (isKfd || isRender)) return 'add the user to the render and video groups (then log in again), or run inside a container with --device /dev/kfd --device /dev/dri';
  }
  if (call === 'ioctl') {
    if (code === 'ENOTTY') return 'the file does not implement this ioctl: not a KFD/amdgpu device, or the kernel is too old for it';
    if (code === 'EINVAL') return 'the kernel rejected an argument; see the ioctl arguments and dmesg';
    if (code === 'ENOMEM') return 'out of GPU or pinned memory';
    if (code === 'EBADF') return 'the file descriptor is closed';
  }
  if (call === 'mmap' && code === 'EINVAL') return 'offset, length or address not page-aligned, or the offset is not one the kernel handed out';
  return undefined;
}
