// Test-only worker for crash.test.ts: the writer and the verifier of crash-page.ts, exposed to the
// page through comlink, in a dedicated worker as the app's training worker runs the store.
import { expose } from 'comlink';
import { makeCrashApi } from './crash-page';

expose(makeCrashApi());
