// The CLI's one mapping from errors to exit statuses and stderr lines (src/cli/exit.ts): by kind
// and code, so rewording a message can never change an exit status.
import { describe, expect, it } from 'vitest';
import { EXIT, errorLines, exitStatus } from '../../src/cli/exit';
import { CkptError, DatasetError, ResumeRefused, StoreError, TabtrainError, UsageError } from '../../src/errors';

describe('exitStatus', () => {
  it('usage errors exit 2, every other refusal 1', () => {
    expect(exitStatus(new UsageError('--lr: expected a number'))).toBe(EXIT.usage);
    expect(EXIT.usage).toBe(2);
    for (const e of [new CkptError('integrity', 'x'), new DatasetError('empty', 'x'), new ResumeRefused('x'), new StoreError('failed', 'x'), new TabtrainError('file_not_found', 'x')]) {
      expect(exitStatus(e), e.name).toBe(EXIT.failed);
    }
    expect(EXIT.failed).toBe(1);
  });

  it('decides on the kind, not the name or message', () => {
    const impostor = new Error('usage');
    impostor.name = 'UsageError';
    expect(exitStatus(impostor)).toBe(EXIT.failed);
    expect(exitStatus('UsageError')).toBe(EXIT.failed);
    expect(exitStatus(undefined)).toBe(EXIT.failed);
    // a code named like an Object.prototype key is not a table entry
    expect(exitStatus(new TabtrainError('toString', 'x'))).toBe(EXIT.failed);
  });
});

describe('errorLines', () => {
  it('one line per error, a --help pointer for usage errors, no stack trace', () => {
    expect(errorLines(new UsageError('missing --data FILE'))).toEqual(['tabtrain: missing --data FILE', "run 'tabtrain --help' for usage"]);
    expect(errorLines(new CkptError('integrity', 'a.ckpt: checksum mismatch\n  at x'))).toEqual(['tabtrain: error: a.ckpt: checksum mismatch']);
    expect(errorLines('boom')).toEqual(['tabtrain: error: boom']);
  });
});
