// Per-command help generated from the registries and defaults.ts, options a command does not use
// refused (they used to be accepted and ignored), and checkpoint files named once, in words.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { RUN_DEFAULTS } from '../../src/engine/defaults';
import { formatField } from '../../src/engine/fields';
import { FAMILY_NAMES, familyDef } from '../../src/engine/models';
import { OPTIMIZER_KINDS, OPTIMIZERS } from '../../src/engine/optim';
import { OPTION_NAMES } from '../../src/cli/args';
import { COMMANDS, optionsOf } from '../../src/cli/commands';
import { DATASETS, tabtrain, tempDir } from '../support/cli';

const IRIS = join(DATASETS, 'iris.csv');
let dir: string;
beforeAll(() => {
  dir = tempDir();
});

/** The help text's line for `--flag` (the first one). */
const lineOf = (text: string, flag: string) => text.split('\n').find((l) => new RegExp(`^\\s*--${flag}\\b`).test(l)) ?? '';

describe('per-command help', () => {
  const help: Record<string, string> = {};
  beforeAll(() => {
    for (const c of ['train', 'resume', 'fresh', 'inspect']) {
      const a = tabtrain(['help', c]);
      const b = tabtrain([c, '--help']);
      expect(a.code, a.stderr).toBe(0);
      expect(b.code, b.stderr).toBe(0);
      expect(b.stdout).toBe(a.stdout);
      help[c] = a.stdout;
    }
  }, 120_000); // eight child processes

  it('shows only the options each command uses', () => {
    for (const c of ['train', 'fresh']) {
      for (const f of ['data', 'out', 'overwrite', 'steps', 'epochs', 'optimizer', 'model', 'hidden', 'momentum']) expect(help[c], `${c} --${f}`).toMatch(new RegExp(`--${f}\\b`));
      for (const f of ['json', 'reschedule', 'force', 'more-steps']) expect(help[c], `${c} --${f}`).not.toMatch(new RegExp(`--${f}\\b`));
    }
    for (const f of ['data', 'out', 'steps', 'epochs', 'more-steps', 'more-epochs', 'lr', 'batch-size', 'force', 'reschedule']) expect(help.resume, `resume --${f}`).toMatch(new RegExp(`--${f}\\b`));
    for (const f of ['hidden', 'model', 'optimizer', 'json', 'overwrite']) expect(help.resume, `resume --${f}`).not.toMatch(new RegExp(`--${f}\\b`));
    expect(help.inspect).toMatch(/--json\b/);
    for (const f of ['data', 'out', 'steps']) expect(help.inspect, `inspect --${f}`).not.toMatch(new RegExp(`--${f}\\b`));
  });

  it('explains --force, --reschedule and --overwrite', () => {
    expect(lineOf(help.resume, 'force')).toMatch(/dataset.*changed/i);
    expect(lineOf(help.resume, 'reschedule')).toMatch(/cosine/i);
    expect(lineOf(help.train, 'overwrite')).toMatch(/replace an existing/i);
  });

  it('shows every default, taken from the registries and defaults.ts', () => {
    for (const name of FAMILY_NAMES) {
      const d = familyDef(name);
      for (const f of d.fields) expect(help.train, `${name} --${f.flag}`).toContain(`--${f.flag} ${formatField(d.defaults[f.key]).replace(/ /g, '')}`);
    }
    for (const k of OPTIMIZER_KINDS) {
      const def = OPTIMIZERS[k];
      const cfg = def.defaults({}, { dataset: 'tabular' }) as unknown as Record<string, number>;
      for (const f of def.fields) expect(lineOf(help.train, f.flag), `${k} --${f.flag}`).toContain(`${k} ${cfg[f.key]}`);
    }
    expect(lineOf(help.train, 'seed')).toContain(`default ${RUN_DEFAULTS.seed}`);
    expect(lineOf(help.train, 'val-fraction')).toContain(`default ${RUN_DEFAULTS.valFraction}`);
    expect(lineOf(help.train, 'clip-norm')).toContain(`default ${RUN_DEFAULTS.clipNorm}`);
    expect(lineOf(help.train, 'log-every')).toContain(`default ${RUN_DEFAULTS.logEvery}`);
    expect(lineOf(help.train, 'eval-every')).toContain(`default ${RUN_DEFAULTS.evalEvery}`);
    expect(lineOf(help.train, 'epochs')).toContain(`default ${RUN_DEFAULTS.epochs}`);
    expect(lineOf(help.train, 'batch-size')).toContain(`${RUN_DEFAULTS.batchSize.other}`);
    expect(lineOf(help.train, 'batch-size')).toContain(`${RUN_DEFAULTS.batchSize.text}`);
  });

  it('tabtrain help (and --help) lists the commands; an unknown one is a usage error', () => {
    const g = tabtrain(['help']);
    expect(g.code).toBe(0);
    for (const c of ['train', 'resume', 'fresh', 'inspect']) expect(g.stdout).toContain(`tabtrain ${c}`);
    expect(g.stdout).toContain('tabtrain help COMMAND');
    const u = tabtrain(['help', 'frobnicate']);
    expect(u.code).toBe(2);
    expect(u.stderr).toMatch(/unknown command 'frobnicate'/);
  });
});

describe('options a command does not use are refused', () => {
  it('every flag the parser knows belongs to some command (else it would be refused everywhere)', () => {
    const used = new Set(COMMANDS.flatMap((c) => [...optionsOf(c)]));
    expect(OPTION_NAMES.filter((f) => !used.has(f))).toEqual([]);
  });


  it('one line naming the option and the command, exit 2', () => {
    const ck = join(dir, 'never.ckpt');
    const cases: [string[], RegExp][] = [
      [['train', '--data', IRIS, '--steps', '1', '--json', '--out', ck], /--json is not an option of 'train'/],
      [['train', '--data', IRIS, '--steps', '1', '--reschedule', '--out', ck], /--reschedule is not an option of 'train'/],
      [['train', '--data', IRIS, '--steps', '1', '--more-steps', '3', '--out', ck], /--more-steps is not an option of 'train'/],
      [['inspect', ck, '--data', IRIS], /--data is not an option of 'inspect'/],
      // (a setting of a new run, e.g. --hidden, is refused by the engine's resume table instead,
      // naming every such setting and pointing to fresh: test/unit/resume-cli.test.ts)
      [['resume', ck, '--data', IRIS, '--overwrite', '--out', ck], /--overwrite is not an option of 'resume'/],
    ];
    for (const [args, re] of cases) {
      const r = tabtrain(args);
      expect(r.code, args.join(' ')).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines[0], args.join(' ')).toMatch(re);
      expect(lines.slice(1).join('\n'), args.join(' ')).toMatch(/^run 'tabtrain help \w+' for usage$/);
    }
  });
});

describe('checkpoint files in messages', () => {
  it('a missing checkpoint is named once, in one line', () => {
    const p = join(dir, 'missing.ckpt');
    for (const args of [['inspect', p], ['resume', p, '--data', IRIS, '--out', join(dir, 'o.ckpt')]]) {
      const r = tabtrain(args);
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr.split(p).length - 1, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/no such file/);
    }
  });

  it('a file that is not a checkpoint says so in words', () => {
    const csv = join(dir, 'x.csv');
    writeFileSync(csv, 'a,b\n1,2\n');
    for (const args of [['inspect', csv], ['resume', csv, '--data', IRIS, '--out', join(dir, 'o.ckpt')], ['inspect', dir]]) {
      const r = tabtrain(args);
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(args[1] === dir ? /is a folder, not a tabtrain checkpoint \(\.ckpt\)/ : /x\.csv is not a tabtrain checkpoint \(\.ckpt\)/);
    }
  });
});
