// `npm run bench`: the same as `amdgpu-ts bench`, with the arguments passed through.
import { runBench } from '../../cli/bench.js';
import { processIo } from '../../cli/io.js';
import { UsageError } from '../../cli/args.js';

try {
  process.exitCode = await runBench(process.argv.slice(2), processIo);
} catch (e) {
  processIo.err(`amdgpu-ts bench: ${e instanceof UsageError ? `${e.message} (see --help)` : e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exitCode = e instanceof UsageError ? 2 : 1;
}
