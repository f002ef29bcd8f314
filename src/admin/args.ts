// Minimal option parsing for admin commands: --key value, --flag, and positional arguments.
export interface ParsedArgs {
  positional: string[];
  options: Record<string, string | true>;
}

export function parseArgs(argv: string[]): ParsedArgs {
  const parsed: ParsedArgs = { positional: [], options: {} };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--")) {
      parsed.positional.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    if (eq !== -1) {
      parsed.options[arg.slice(2, eq)] = arg.slice(eq + 1);
    } else if (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith("--")) {
      parsed.options[arg.slice(2)] = argv[++i]!;
    } else {
      parsed.options[arg.slice(2)] = true;
    }
  }
  return parsed;
}

export class UsageError extends Error {
  override name = "UsageError";
}

/** A required string option, or a UsageError naming it. */
export function requireOption(args: ParsedArgs, name: string): string {
  const value = args.options[name];
  if (typeof value !== "string" || !value.trim()) throw new UsageError(`missing --${name}`);
  return value.trim();
}
