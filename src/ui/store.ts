// A small observable state: one value, replaced (never mutated) on every change; subscribers
// pick a slice and hear only when that slice changes. The page keeps its shared state in one of
// these (page-state.ts) so panels render from it instead of being kept in step by hand.
// No framework: the page is plain DOM (docs/app.md), and this is all it needs of one.

export type Equal<T> = (a: T, b: T) => boolean;

export interface Store<S extends object> {
  get(): S;
  /** Merges `patch` into the state and tells the subscribers whose slice changed. */
  set(patch: Partial<S>): void;
  /** `set` with a patch computed from the current state. */
  update(fn: (s: S) => Partial<S>): void;
  /**
   * Calls `listener(now, before)` after each change of `select(state)` (compared with `equal`,
   * Object.is by default; see `shallowEqual` for slices built fresh from the state each time).
   * Not called at subscription. Returns the unsubscribe function.
   */
  subscribe<T>(select: (s: S) => T, listener: (now: T, before: T) => void, equal?: Equal<T>): () => void;
}

interface Sub<S> {
  select: (s: S) => unknown;
  listener: (now: unknown, before: unknown) => void;
  equal: Equal<unknown>;
  last: unknown;
}

export function createStore<S extends object>(initial: S): Store<S> {
  let state = initial;
  const subs = new Set<Sub<S>>();
  const notify = () => {
    // A listener may set the state again: each subscriber compares with what it last saw, so a
    // nested change reaches everyone once, in order, and no listener sees a stale slice twice.
    for (const sub of [...subs]) {
      if (!subs.has(sub)) continue; // unsubscribed by an earlier listener
      const now = sub.select(state);
      if (sub.equal(now, sub.last)) continue;
      const before = sub.last;
      sub.last = now;
      sub.listener(now, before);
    }
  };
  const set = (patch: Partial<S>) => {
    state = { ...state, ...patch };
    notify();
  };
  return {
    get: () => state,
    set,
    update: (fn) => set(fn(state)),
    subscribe(select, listener, equal = Object.is) {
      const sub: Sub<S> = { select, listener: listener as Sub<S>['listener'], equal: equal as Equal<unknown>, last: select(state) };
      subs.add(sub);
      return () => void subs.delete(sub);
    },
  };
}

/** Equal when both are arrays (or plain objects) with Object.is-equal items: for tuple slices. */
export function shallowEqual<T>(a: T, b: T): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const ka = Object.keys(a) as (keyof T)[];
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && Object.is(a[k], b[k]));
}
