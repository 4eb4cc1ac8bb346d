import { expect } from 'vitest';
import { DatasetError } from '../../src/engine/data/errors';

/** Awaits p, expects it to reject with a DatasetError, and returns that error. */
export async function fails(p: Promise<unknown>): Promise<DatasetError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(DatasetError);
    return e as DatasetError;
  }
  throw new Error('expected a DatasetError');
}
