// A full garbage collection on request, without starting node with --expose-gc: the flag is set at run
// time and `gc` taken from a fresh context (where V8 installs it once the flag is on).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | undefined;

export function collectGarbage(): void {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  // Twice: finalizers and weak references freed by the first pass release more in the second.
  gc();
  gc();
}
