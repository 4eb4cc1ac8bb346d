// The CLI's exit statuses, in one place (docs/cli.md): decided by the error's kind and code, never
// by its message, and the one-line report a person sees on stderr.
import { TabtrainError, UsageError } from '../errors';
import { printable } from './terminal';

export const EXIT = {
  ok: 0,
  /** bad input: a refused file, dataset, checkpoint or setting; or anything unexpected */
  failed: 1,
  /** the command line itself is wrong */
  usage: 2,
  /** Ctrl-C, after saving a checkpoint */
  interrupted: 130,
} as const;

/** Codes with a status of their own; every other error exits with EXIT.failed. */
const BY_CODE: Readonly<Record<string, number>> = Object.freeze(Object.assign(Object.create(null) as Record<string, number>, { usage: EXIT.usage }));

export function exitStatus(e: unknown): number {
  return e instanceof TabtrainError && e.code in BY_CODE ? BY_CODE[e.code]! : EXIT.failed;
}

/**
 * What stderr shows for `e`: its first line (no stack trace), and for usage errors a pointer to
 * help: the command's own when the command is known (`tabtrain help train`), else the global one.
 */
export function errorLines(e: unknown, command?: string): string[] {
  // The first line (no stack), with every control character escaped: a message may quote a file
  // (a column name, a file name) and nothing from a file reaches the terminal raw.
  const raw = e instanceof Error ? e.message : String(e);
  const message = printable(raw.split('\n')[0]!);
  if (e instanceof UsageError) return [`tabtrain: ${message.split('\n')[0]}`, `run 'tabtrain ${command ? `help ${command}` : '--help'}' for usage`];
  return [`tabtrain: error: ${message.split('\n')[0]}`];
}
