// The `amdgpu-ts` command line.
import { processIo, type CommandIo } from './io.js';
import { runInfo } from './info.js';
import { runSelftestCommand } from './selftest.js';
import { runDecode } from './decode.js';
import { reportError, takeDebugFlag, EXIT_STATUS_HELP } from './report-error.js';
import { runDisasm } from './disasm.js';
import { runRun } from './run.js';
import { runBench } from './bench.js';
import { runEmulate } from './emulate.js';
import { runPci, runIp } from './pci.js';
import { runRegs } from './regs.js';

interface Command {
  readonly summary: string;
  run(argv: readonly string[], io: CommandIo): number | Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  selftest: { summary: 'run the self-test suite on a device (the main job; `npm start`)', run: runSelftestCommand },
  run: { summary: 'launch one kernel of a code object with arguments from the command line', run: runRun },
  bench: { summary: 'measure copy bandwidth, dispatch rate/latency, signal round trips and the submission path', run: runBench },
  info: { summary: 'list the GPUs (real, emulated, or from a captured sysfs tree)', run: runInfo },
  decode: { summary: 'decode a PM4, SDMA or AQL command stream (file or stdin)', run: runDecode },
  disasm: { summary: 'disassemble the kernels of a code object (RDNA3, CDNA3, CDNA2)', run: runDisasm },
  pci: { summary: 'the AMD PCI functions: ids, link, BARs, IOMMU group, config-space capabilities (sysfs)', run: runPci },
  ip: { summary: 'the IP discovery table: IP blocks, instances, versions, register base addresses', run: runIp },
  regs: { summary: 'registers by name through the register BAR: list, read (fields decoded), watch, write (scratch only)', run: runRegs },
  emulate: { summary: 'run an unmodified program (rocminfo, HSA, HIP) with the emulated GPU behind it', run: runEmulate },
};

export function mainHelp(): string {
  const w = Math.max(...Object.keys(COMMANDS).map((c) => c.length)) + 2;
  return `usage: amdgpu-ts <command> [options]

A user-space compute driver for AMD GPUs (KFD + amdgpu), with an emulated GPU behind the same kernel
interface when no AMD GPU is present. Devices: --device auto | native | emu:gfx1100 | emu:gfx942 |
emu:gfx90a | emu:gfx1201 | emu:gfx1100x2 | emu:gfx942x4 | emu:gfx90ax2 | emu:gfx1201x2 (or AMDGPU_TS_DEVICE).

commands:
${Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(w)}${c.summary}`).join('\n')}

Run \`amdgpu-ts <command> --help\` for a command's options.

${EXIT_STATUS_HELP}`;
}

/** Exit codes (EXIT): 0 success, 1 the GPU (or emulated GPU) failed, 2 usage or input error, 3 internal error. */
export async function main(rawArgv: readonly string[], io: CommandIo = processIo): Promise<number> {
  const { argv, debug } = takeDebugFlag(rawArgv);
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(mainHelp());
    return name ? 0 : 2;
  }
  if (name === '--version') {
    io.out('amdgpu-ts 0.1.0');
    return 0;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    io.err(`amdgpu-ts: unknown command "${name}" (commands: ${Object.keys(COMMANDS).join(', ')}; see amdgpu-ts --help)`);
    return 2;
  }
  try {
    return await cmd.run(rest, io);
  } catch (e) {
    return reportError(name, e, io, debug);
  }
}
