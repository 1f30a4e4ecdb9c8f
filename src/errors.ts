// One error vocabulary for the library and the CLI. Every failure amdgpu-ts expects (bad argument,
// unreadable or malformed file, unknown model, wrong target, GPU fault, hang, timeout, kernel errno)
// is an AmdgpuError whose `kind` says whose fault it is; anything else that escapes is a bug in
// amdgpu-ts. The module imports nothing, so every layer (even the pure src/hw and src/uapi) may
// extend it without an import running back up.

/**
 * `input`: the caller gave something unusable (argument, file, device name, a freed object) — the
 * CLI exits 2. `runtime`: the OS, the kernel or the (emulated) GPU failed while doing what was
 * asked — the CLI exits 1.
 */
export type ErrorKind = 'input' | 'runtime';

export class AmdgpuError extends Error {
  readonly kind: ErrorKind;

  constructor(kind: ErrorKind, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AmdgpuError';
    this.kind = kind;
  }
}

/** A bad argument or unusable input, not tied to a more specific class. */
export class InputError extends AmdgpuError {
  constructor(message: string, options?: ErrorOptions) {
    super('input', message, options);
    this.name = 'InputError';
  }
}

/** True for the failures amdgpu-ts expects and reports without a stack trace. */
export function isExpectedError(e: unknown): e is AmdgpuError {
  return e instanceof AmdgpuError;
}
