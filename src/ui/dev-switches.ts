// Switches for the end-to-end tests, read from the address only in development builds (App
// calls this under `import.meta.env.DEV`, so `vite build` drops it and the worker refuses it).
// `?stepDelay=MS`: the worker sleeps MS milliseconds after every training step, so a test that
// reloads or pauses a run mid-way does so before the run ends, however fast the machine is.
import type { Api } from './api';

export async function applyDevSwitches(api: Api, search: string): Promise<void> {
  const delay = Number(new URLSearchParams(search).get('stepDelay') ?? '');
  if (delay > 0) await api.setStepDelay(delay);
}
