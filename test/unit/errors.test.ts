// The error family (src/errors.ts): every kind crosses a structured-clone boundary as toJSON()'s
// plain form and comes back as the same class with its code, details and message; anything else
// comes back as a generic TabtrainError, never a crash, and never touches a prototype.
import { describe, expect, it } from 'vitest';
import {
  CkptError,
  ConfigError,
  DatasetError,
  DivergedError,
  ERROR_KINDS,
  ResumeRefused,
  RunBusyError,
  StoreError,
  StoreFullError,
  TabtrainError,
  UsageError,
  hasCode,
  reviveError,
  withPrefix,
} from '../../src/errors';
import { CkptError as CkptErrorFromCkpt } from '../../src/ckpt/errors';
import { DatasetError as DatasetErrorFromData } from '../../src/engine/data';
import { StoreError as StoreErrorFromStore, StoreFullError as StoreFullFromStore } from '../../src/store/tx';
import { UsageError as UsageFromArgs } from '../../src/cli/args';
import { RunBusyError as RunBusyFromLocks } from '../../src/worker/locks';

const samples: TabtrainError[] = [
  new TabtrainError('something', 'a generic refusal', { n: 3 }),
  new CkptError('integrity', 'the checksum does not match'),
  new DatasetError('ragged-row', 'line 4: 3 fields, expected 5 in iris.csv', 'line 4'),
  new DatasetError('empty', 'iris.csv is empty'),
  new StoreError('not_found', 'checkpoint c1 is not stored', { details: { what: 'checkpoint', id: 'c1' } }),
  new StoreFullError('Browser storage is full', 3 * 1024 * 1024),
  new ConfigError('invalid_config', 'batchSize must be a positive integer', { field: 'batchSize' }),
  new ResumeRefused('the dataset changed'),
  new ResumeRefused('the model does not match', 'architecture_mismatch', { problems: ['layers.0.kernel'] }),
  new DivergedError('training diverged at step 7', { step: 7 }),
  new RunBusyError('run is training in another tab'),
  new RunBusyError('this run is already training', 'run_active'),
  new UsageError('--lr: expected a number'),
];

describe('the error family', () => {
  it('covers every kind in the table, and every kind is a TabtrainError and an Error', () => {
    expect(new Set(samples.map((e) => e.name))).toEqual(new Set(ERROR_KINDS));
    for (const e of samples) {
      expect(e).toBeInstanceOf(TabtrainError);
      expect(e).toBeInstanceOf(Error);
      expect(e.constructor.name).toBe(e.name);
      expect(typeof e.stack).toBe('string');
    }
  });

  it('keeps the classes where they were exported before (imports elsewhere keep working)', () => {
    expect(CkptErrorFromCkpt).toBe(CkptError);
    expect(DatasetErrorFromData).toBe(DatasetError);
    expect(StoreErrorFromStore).toBe(StoreError);
    expect(StoreFullFromStore).toBe(StoreFullError);
    expect(UsageFromArgs).toBe(UsageError);
    expect(RunBusyFromLocks).toBe(RunBusyError);
  });

  it('keeps the fields callers read: code, where, needed', () => {
    const d = new DatasetError('ragged-row', 'x', 'line 4');
    expect([d.code, d.where, d.details]).toEqual(['ragged-row', 'line 4', { where: 'line 4' }]);
    const f = new StoreFullError('full', 42);
    expect([f.code, f.needed, f.details]).toEqual(['full', 42, { needed: 42 }]);
    expect(f).toBeInstanceOf(StoreError);
    expect(new UsageError('u').code).toBe('usage');
    expect(new DivergedError('d').code).toBe('diverged');
    expect(new ResumeRefused('r').code).toBe('dataset_changed');
  });

  it.each(samples.map((e) => [`${e.name}/${e.code}`, e] as const))('%s round-trips through toJSON / structuredClone / reviveError', (_, e) => {
    const wire = structuredClone(e.toJSON());
    expect(Object.getPrototypeOf(wire)).toBe(Object.prototype); // plain data, clonable
    const back = reviveError(wire);
    expect(back).not.toBe(e);
    expect(back.constructor).toBe(e.constructor);
    expect(back.name).toBe(e.name);
    expect(back.code).toBe(e.code);
    expect(back.message).toBe(e.message);
    expect(back.details).toEqual(e.details);
    if (e instanceof StoreFullError) expect((back as StoreFullError).needed).toBe(e.needed);
    if (e instanceof DatasetError) expect((back as DatasetError).where).toBe(e.where);
    // the JSON text form works too (the CLI's --json, logs)
    expect(reviveError(JSON.parse(JSON.stringify(e)))).toMatchObject({ name: e.name, code: e.code, message: e.message });
  });

  it('the older static revive helpers still answer for their own kind only', () => {
    const c = new CkptError('truncated', 't');
    expect(CkptError.revive(structuredClone(c.toJSON()))).toBeInstanceOf(CkptError);
    expect(CkptError.revive(new StoreError('failed', 'f').toJSON())).toBeNull();
    expect(StoreError.revive(new StoreFullError('s', 1).toJSON())).toBeInstanceOf(StoreFullError);
    expect(StoreError.revive({ name: 'Error', message: 'x' })).toBeNull();
  });

  it('unknown input revives as a generic TabtrainError, never a crash', () => {
    const cases: [unknown, string][] = [
      [undefined, 'undefined'],
      [null, 'null'],
      ['boom', 'boom'],
      [42, '42'],
      [new Error('plain'), 'plain'],
      [{ name: 'Error', message: 'from a worker' }, 'from a worker'],
      [{ name: 'NoSuchKind', code: 'x', message: 'm' }, 'm'],
      [{ name: 'CkptError', message: 'no code' }, 'no code'],
      [{ name: 'CkptError', code: 7, message: 'numeric code' }, 'numeric code'],
      [Object.create(null), 'unknown error'], // String() of it throws
      [[1, 2], '1,2'],
    ];
    for (const [v, message] of cases) {
      const e = reviveError(v);
      expect(e.constructor, String(message)).toBe(TabtrainError);
      expect(e.message).toBe(message);
      expect(typeof e.code).toBe('string');
      expect(e.details).toEqual({});
    }
    expect(reviveError({ name: 'NoSuchKind', code: 'x', message: 'm' }).code).toBe('x');
    expect(reviveError('boom').code).toBe('unknown');
    // a known kind with malformed details keeps its kind, without the details
    expect(reviveError({ name: 'DatasetError', code: 'empty', message: 'm', details: 'not an object' })).toMatchObject({ name: 'DatasetError', code: 'empty', details: {} });
    // a getter that throws, and an object whose String() throws
    const hostile = { get name(): string { throw new Error('getter'); } };
    expect(reviveError(hostile)).toBeInstanceOf(TabtrainError);
    expect(reviveError({ toString() { throw new Error('no'); } }).message).toBe('unknown error');
  });

  it('a TabtrainError passes through reviveError as itself', () => {
    const e = new ConfigError('bad_spec', 's');
    expect(reviveError(e)).toBe(e);
  });

  it('hostile names and details do not reach or pollute prototypes', () => {
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'prototype']) {
      const e = reviveError({ name, code: 'c', message: 'm' });
      expect(e.constructor).toBe(TabtrainError);
      expect(e.name).toBe('TabtrainError');
    }
    const wire = JSON.parse('{"name":"ConfigError","code":"invalid_config","message":"m","details":{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":2}},"ok":1,"nested":{"__proto__":{"polluted":3}}}}');
    const e = reviveError(wire);
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.details.ok).toBe(1);
    expect(Object.getPrototypeOf(e.details)).toBe(Object.prototype);
    expect(Object.keys(e.details).sort()).toEqual(['nested', 'ok']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
    expect((e.details as Record<string, unknown>).polluted).toBeUndefined();
    // details with functions or cycles keep only plain data
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const d = reviveError({ name: 'TabtrainError', code: 'c', message: 'm', details: { f: () => 1, cyclic, n: null, s: 's' } }).details;
    expect(d).toEqual({ n: null, s: 's' });
  });

  it('hasCode decides on the code, not the text', () => {
    const e = new StoreError('not_found', 'the words do not matter');
    expect(hasCode(e, 'not_found')).toBe(true);
    expect(hasCode(new Error('not_found is not stored'), 'not_found')).toBe(false);
  });

  it('withPrefix names the source in the message and keeps kind, code and details', () => {
    const e = withPrefix(new CkptError('integrity', 'checksum mismatch'), 'a.ckpt: ');
    expect(e).toBeInstanceOf(CkptError);
    expect(e).toMatchObject({ code: 'integrity', message: 'a.ckpt: checksum mismatch' });
    const p = withPrefix(new TypeError('t'), 'x: ');
    expect([p.name, p.message]).toEqual(['TypeError', 'x: t']);
  });
});

describe('engine refusals are kinds of the family, with codes', async () => {
  const { makeConfig } = await import('../../src/engine/config');
  const { parseDataset } = await import('../../src/engine/data');
  const { validateState } = await import('../../src/engine/state');
  const { applyFreeze } = await import('../../src/engine/freeze');
  const { splitIndices } = await import('../../src/engine/cursor');
  const { Rng } = await import('../../src/engine/rng');
  const csv = 'a,b,y\n' + Array.from({ length: 20 }, (_, i) => `${i},${i % 3},${i % 2 ? 'x' : 'z'}`).join('\n');
  const tabular = await parseDataset([{ path: 't.csv', bytes: new TextEncoder().encode(csv) }], { label: 'y' });
  const text = await parseDataset([{ path: 't.txt', bytes: new TextEncoder().encode('hello world, hello tabtrain') }]);

  const refusal = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return e;
    }
    throw new Error('expected a refusal');
  };

  it.each([
    ['a bad setting', () => makeConfig(tabular, { batchSize: -1 }), 'invalid_config'],
    ['a model for another kind of data', () => makeConfig(text, { family: 'mlp' }), 'wrong_dataset_kind'],
    ['a malformed checkpoint state', () => validateState({ nope: 1 }), 'invalid_state'],
    ['an all-zero RNG state', () => new Rng([0, 0, 0, 0]), 'invalid_state'],
    ['a freeze pattern that matches nothing', () => applyFreeze(['a.kernel'], ['b.*']), 'bad_freeze'],
    ['freezing everything', () => applyFreeze(['a.kernel'], ['*']), 'bad_freeze'],
    ['a dataset too small to split', () => splitIndices(1, 0.5, 1), 'too_little_data'],
  ] as const)('%s is a ConfigError', (_, f, code) => {
    const e = refusal(f);
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).code).toBe(code);
    // and it survives the worker boundary as such
    expect(reviveError(structuredClone((e as ConfigError).toJSON()))).toMatchObject({ name: 'ConfigError', code, message: (e as Error).message });
  });
});
