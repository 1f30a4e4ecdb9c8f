// The emulated render node (/dev/dri/renderD*): the DRM ioctls a compute runtime uses on it.
import { fail } from '../kfd/errors.js';
import type { KfdState } from '../kfd/state.js';
import type { EmuGpu } from '../gpu.js';

export function renderIoctl(_k: KfdState, gpu: EmuGpu, request: number, _arg: Uint8Array): void {
  fail('ENOTTY', 'drm_ioctl', `render node of gpu_id ${gpu.gpuId}: request 0x${request.toString(16)} is not implemented by the emulator`);
}
