// Test-only worker: the same store test API as the page (store-page.ts), run inside a dedicated
// worker as the app's training worker runs the store, exposed to the page through comlink.
import { expose } from 'comlink';
import { makeApi } from './store-page';

expose(makeApi());
