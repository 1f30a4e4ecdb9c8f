// Chooses the Host behind a device name: the running kernel, or an emulated GPU. This is the one place
// that knows both exist; the driver only ever sees a Host.
import { AmdgpuError, type ErrorKind } from './errors.js';
import { NativeHost } from './os/native.js';
import { OsError } from './os/errors.js';
import { O_CLOEXEC, O_RDWR, type Host } from './os/host.js';
import { EmuHost } from './emu/host.js';
import { MODELS } from './emu/models/models.js';

export const DEFAULT_EMULATED = 'emu:gfx1100';

/** `input`: a device name that is not one; `runtime`: the named device cannot be used on this machine. */
export class DeviceSelectionError extends AmdgpuError {
  constructor(kind: ErrorKind, message: string) {
    super(kind, message);
    this.name = 'DeviceSelectionError';
  }
}

/** Why /dev/kfd cannot be used here, or undefined when it can. */
export function kfdUnusableReason(): string | undefined {
  const native = new NativeHost();
  try {
    native.close(native.open('/dev/kfd', O_RDWR | O_CLOEXEC));
    return undefined;
  } catch (e) {
    return e instanceof OsError ? `${e.code}${e.hint ? ` (${e.hint})` : ''}` : String(e);
  }
}

export function knownDevices(): string[] {
  return ['auto', 'native', ...[...MODELS.keys()].map((m) => `emu:${m}`)];
}

/**
 * `auto` (default, or AMDGPU_TS_DEVICE): the real GPU when /dev/kfd can be opened, else the emulated
 * gfx1100, announced through `note`. `native`: the real GPU or an error. `emu:<model>[?options]`.
 */
export function selectHost(device: string | undefined, note: (line: string) => void = () => {}): Host {
  const name = device ?? process.env.AMDGPU_TS_DEVICE ?? 'auto';
  if (name.startsWith('emu:')) return new EmuHost(name);
  if (name === 'native' || name === 'kfd') {
    const why = kfdUnusableReason();
    if (why) throw new DeviceSelectionError('runtime', `device "native": /dev/kfd cannot be opened: ${why}`);
    return new NativeHost();
  }
  if (name === 'auto') {
    const why = kfdUnusableReason();
    if (!why) return new NativeHost();
    note(`amdgpu-ts: /dev/kfd is not usable (${why.split(' (')[0]}); using the emulated GPU ${DEFAULT_EMULATED}`);
    return new EmuHost(DEFAULT_EMULATED);
  }
  throw new DeviceSelectionError('input', `unknown device "${name}"; expected one of ${knownDevices().join(', ')}`);
}
