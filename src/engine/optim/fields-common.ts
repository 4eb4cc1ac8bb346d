// Settings several optimizers share. One description each, so `--lr` or `--beta1` means the same
// thing (and is checked the same way) whichever optimizer reads it.
import type { FieldDesc } from '../fields';

export const LR: FieldDesc = { key: 'lr', flag: 'lr', label: 'Learning rate', help: 'base learning rate (the schedule scales it)', kind: 'float', min: 0, minExclusive: true, max: Infinity, maxExclusive: true };
export const WEIGHT_DECAY: FieldDesc = { key: 'weightDecay', flag: 'weight-decay', label: 'Weight decay', help: 'decoupled weight decay on matrices (not biases)', kind: 'float', min: 0, max: Infinity, maxExclusive: true };
export const BETA1: FieldDesc = { key: 'beta1', flag: 'beta1', label: 'Beta 1', help: "AdamW: the first moment's decay; Lion: the momentum's weight in the update's sign", kind: 'float', min: 0, max: 1, maxExclusive: true };
export const BETA2: FieldDesc = { key: 'beta2', flag: 'beta2', label: 'Beta 2', help: "AdamW: the second moment's decay; Lion: the momentum's decay", kind: 'float', min: 0, max: 1, maxExclusive: true };
