/** Kept equal to package.json's version (a unit test checks). */
export const APP_VERSION = '0.1.0';

/**
 * The version of the JSON `state` a checkpoint carries (the byte layout's version is
 * CKPT_VERSION in src/ckpt/layout.ts and did not change). 2 added state.dataset.schema
 * (engine/schema.ts); a state without `stateVersion` is version 1 and has no schema.
 */
export const STATE_VERSION = 2;

/** What an older checkpoint lacks, said plainly (inspect, fresh, predict), or null. */
export function missingSchemaNote(stateVersion: number | undefined, hasSchema: boolean): string | null {
  if (hasSchema) return null;
  const v = stateVersion ?? 1;
  return `this checkpoint (state version ${v}) does not record its data schema: its columns and their encoders, class names, label statistics or vocabulary are unknown, so a fresh run maps weights by shape (and by the class names or vocabulary where it recorded them) and predict cannot use it; a run resumed or trained with this version records them`;
}
