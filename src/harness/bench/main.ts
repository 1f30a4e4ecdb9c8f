// `npm run bench`: the same as `amdgpu-ts bench`, with the arguments passed through and errors
// reported as the CLI reports them (one line; exit 2 input, 1 runtime, 3 internal).
import { runBench } from '../../cli/bench.js';
import { processIo } from '../../cli/io.js';
import { reportError, takeDebugFlag } from '../../cli/report-error.js';

const { argv, debug } = takeDebugFlag(process.argv.slice(2));
try {
  process.exitCode = await runBench(argv, processIo);
} catch (e) {
  process.exitCode = reportError('bench', e, processIo, debug);
}
