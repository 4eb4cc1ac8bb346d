// Page entry: start the training worker and mount the app.
import './ui/style.css';
import { App } from './ui/app';
import { createTrainerClient } from './worker/client';

const root = document.getElementById('app');
if (!root) throw new Error('index.html has no #app element');
const { api } = createTrainerClient();
// Development builds expose the worker API to end-to-end tests (fault injection); `vite build` drops this.
if (import.meta.env.DEV) (window as unknown as { tabtrain: unknown }).tabtrain = { api };
void new App(api).mount(root);
