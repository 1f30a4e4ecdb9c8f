// Where a command writes: stdout for results, stderr for progress and notes.
export interface CommandIo {
  out(line: string): void;
  err(line: string): void;
  /** True when stderr is a terminal (live progress lines are only drawn there). */
  readonly interactive: boolean;
}

export const processIo: CommandIo = {
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
  interactive: process.stderr.isTTY === true,
};
