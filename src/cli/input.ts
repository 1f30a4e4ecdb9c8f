// Reading the files a user names on the command line. A missing file, a directory or an empty file is
// the user's input error and is said so in words, with the path, instead of a Node fs error.
import { readFileSync } from 'node:fs';
import { AmdgpuError, InputError } from '../errors.js';

const REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'does not exist',
  ENOTDIR: 'does not exist (a parent is not a directory)',
  EISDIR: 'is a directory, not a file',
  EACCES: 'cannot be read (permission denied)',
  EPERM: 'cannot be read (permission denied)',
  ELOOP: 'cannot be read (too many symbolic links)',
  ENAMETOOLONG: 'cannot be read (name too long)',
};

/**
 * The bytes of `path` (`-` is stdin when `stdin` allows it). `what` names the input in messages
 * ("code object", "input"); `nonEmpty` refuses an empty file.
 */
export function readInputFile(path: string, what: string, opts: { nonEmpty?: boolean; stdin?: boolean } = {}): Uint8Array {
  const fromStdin = path === '-' && opts.stdin === true;
  const shown = fromStdin ? 'stdin' : `${what} ${path}`;
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(fromStdin ? 0 : path));
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    const reason = typeof code === 'string' ? (REASONS[code] ?? `cannot be read (${code})`) : `cannot be read (${e instanceof Error ? e.message : String(e)})`;
    throw new InputError(`${shown} ${reason}`, { cause: e });
  }
  if (opts.nonEmpty && bytes.length === 0) throw new InputError(`${shown} is empty`);
  return bytes;
}

/** Runs `parse` on the input named `name`; an input error it raises is re-raised naming the input. */
export function parsingInput<T>(name: string, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof AmdgpuError && e.kind === 'input') throw new InputError(`${name}: ${e.message}`, { cause: e });
    throw e;
  }
}
