// The training worker: registers the WebGPU backend (only possible where navigator.gpu exists)
// and exposes the one API object. Everything else lives in api.ts.
import '@tensorflow/tfjs-backend-webgpu';
import { expose } from 'comlink';
import api from './api';
import { installErrorTransfer } from './wire-errors';

installErrorTransfer(); // thrown TabtrainErrors reach the page with their class and code
expose(api);
