import { wrap } from 'comlink';
import type { EngineTestApi } from './engine.worker';

const worker = new Worker(new URL('./engine.worker.ts', import.meta.url), { type: 'module' });
(window as unknown as { engine: unknown }).engine = wrap<EngineTestApi>(worker);
(window as unknown as { engineReady: boolean }).engineReady = true;
