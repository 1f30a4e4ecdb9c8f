// A small argument parser: `--flag`, `--opt value`, `--opt=value`, repeated options, positionals.
import { InputError } from '../errors.js';
export interface OptionSpec {
  readonly name: string;
  readonly value?: string;
  readonly repeat?: boolean;
  readonly help: string;
}

export interface Parsed {
  readonly positionals: string[];
  readonly flags: Set<string>;
  readonly values: Map<string, string[]>;
}

/** A bad command line or an unusable input file (exit 2). */
export class UsageError extends InputError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UsageError';
  }
}

export function parseArgs(argv: readonly string[], specs: readonly OptionSpec[]): Parsed {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const positionals: string[] = [];
  const flags = new Set<string>();
  const values = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const spec = byName.get(name);
    if (!spec) throw new UsageError(`unknown option --${name}`);
    if (!spec.value) {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      flags.add(name);
      continue;
    }
    const v = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (v === undefined) throw new UsageError(`--${name} needs a value (${spec.value})`);
    const list = values.get(name) ?? [];
    if (list.length && !spec.repeat) throw new UsageError(`--${name} given twice`);
    list.push(v);
    values.set(name, list);
  }
  return { positionals, flags, values };
}

export function optionHelp(specs: readonly OptionSpec[]): string {
  const rows = specs.map((s) => [`  --${s.name}${s.value ? ` ${s.value}` : ''}`, s.help]);
  const w = Math.max(...rows.map((r) => r[0]!.length)) + 2;
  return rows.map(([a, b]) => a!.padEnd(w) + b).join('\n');
}
