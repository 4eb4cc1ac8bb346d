// Errors keep their kind across the worker boundary. comlink's built-in 'throw' handler sends only
// an Error's name, message and stack, so a CkptError thrown in the worker used to arrive on the page
// as a plain Error and the page could only decide on its message text. This handler, installed on
// both sides (trainer.worker.ts before `expose`, client.ts before `wrap`), sends a TabtrainError's
// toJSON() as well and rebuilds the same class with reviveError. Anything else goes through
// comlink's own handler unchanged; and the serialised form keeps comlink's fields, so a side
// without this handler still gets the plain Error it got before.
import { transferHandlers, type TransferHandler } from 'comlink';
import { TabtrainError, reviveError, type WireError } from '../errors';

/** What comlink hands the 'throw' handler: the thrown value, wrapped. */
interface Thrown {
  value: unknown;
}
interface Serialized {
  isError: boolean;
  value: unknown;
  /** present when the thrown value was a TabtrainError */
  tabtrain?: WireError;
}

const INSTALLED = Symbol.for('tabtrain.errorTransfer');

export function installErrorTransfer(): void {
  const base = transferHandlers.get('throw') as (TransferHandler<Thrown, Serialized> & { [INSTALLED]?: true }) | undefined;
  if (!base || base[INSTALLED]) return; // already installed in this realm
  const handler: TransferHandler<Thrown, Serialized> & { [INSTALLED]: true } = {
    [INSTALLED]: true,
    canHandle: (v): v is Thrown => base.canHandle(v),
    serialize(thrown) {
      const e = thrown.value;
      if (!(e instanceof TabtrainError)) return base.serialize(thrown);
      return [{ isError: true, value: { name: e.name, message: e.message, stack: e.stack }, tabtrain: e.toJSON() }, []];
    },
    deserialize(s) {
      if (s && typeof s === 'object' && s.tabtrain) {
        const e = reviveError(s.tabtrain);
        const stack = (s.value as { stack?: unknown } | null)?.stack;
        if (typeof stack === 'string') e.stack = stack; // where it was thrown, in the worker
        throw e;
      }
      return base.deserialize(s);
    },
  };
  transferHandlers.set('throw', handler as TransferHandler<unknown, unknown>);
}
