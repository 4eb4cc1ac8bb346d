// The backend select (WebGPU / WebGL / CPU), the status line saying what actually runs, and the
// plain banner when WebGPU is not available.
import type { BackendInfo, BackendName } from '../worker/protocol';
import { wasmLabel } from '../worker/wasm-threads';
import { InfoBanner } from './banners';
import { field, h, select } from './dom';

const LABELS: Record<BackendName, string> = { webgpu: 'WebGPU', wasm: 'WebAssembly (CPU)', webgl: 'WebGL', cpu: 'CPU (plain JavaScript)' };
const STORE_KEY = 'tabtrain.backend';

export function isBackend(v: unknown): v is BackendName {
  return v === 'webgpu' || v === 'wasm' || v === 'webgl' || v === 'cpu';
}

/** `?backend=cpu` in the address wins, then the last choice made on this page, then WebGPU. */
export function initialBackend(): BackendName {
  const q = new URLSearchParams(location.search).get('backend');
  if (isBackend(q)) return q;
  try {
    const s = localStorage.getItem(STORE_KEY);
    if (isBackend(s)) return s;
  } catch {
    // storage may be blocked; the default will do
  }
  return 'webgpu';
}

export class BackendPanel {
  readonly el: HTMLElement;
  readonly banner = new InfoBanner('backend-banner');
  private sel: HTMLSelectElement;
  private statusEl: HTMLElement;
  private info: BackendInfo | null = null;

  constructor(
    initial: BackendName,
    private onChange: (b: BackendName) => Promise<BackendInfo | null>,
  ) {
    this.sel = select(
      (Object.keys(LABELS) as BackendName[]).map((b) => ({ value: b, label: LABELS[b] })),
      initial,
      'backend',
    );
    this.sel.addEventListener('change', () => void this.change());
    this.statusEl = h('span', { class: 'backend-status', 'data-testid': 'backend-status', role: 'status', 'aria-live': 'polite' }, 'Starting the training worker...');
    this.el = h('div', { class: 'backend' }, field('Backend', this.sel), this.statusEl);
  }

  /** Marks which backends this browser offers at all. */
  setAvailable(names: BackendName[]): void {
    for (const opt of Array.from(this.sel.options)) {
      const ok = names.includes(opt.value as BackendName);
      opt.textContent = ok ? LABELS[opt.value as BackendName] : `${LABELS[opt.value as BackendName]} (not available)`;
    }
  }

  current(): BackendInfo | null {
    return this.info;
  }

  private async change(): Promise<void> {
    const want = this.sel.value as BackendName;
    this.sel.disabled = true;
    this.statusEl.textContent = `Switching to ${LABELS[want]}...`;
    try {
      const info = await this.onChange(want);
      if (info) {
        this.show(info);
        try {
          localStorage.setItem(STORE_KEY, want);
        } catch {
          // not remembered; fine
        }
      } else if (this.info) {
        // refused (a run is training): put the select back
        this.sel.value = this.info.requested;
        this.show(this.info);
      }
    } finally {
      this.sel.disabled = false;
    }
  }

  show(info: BackendInfo): void {
    this.info = info;
    this.sel.value = info.requested;
    const name = isBackend(info.backend) ? LABELS[info.backend] : info.backend;
    // WebGPU names its adapter; WebAssembly its SIMD and threads ("WebAssembly (CPU, SIMD, 2 threads)").
    const detail = info.adapter ?? (info.wasm ? `CPU, ${wasmLabel(info.wasm)}` : undefined);
    const label = info.wasm ? 'WebAssembly' : name;
    this.statusEl.textContent = `Training on ${label}${detail ? ` (${detail})` : ''}`;
    this.statusEl.dataset.threads = info.wasm ? String(info.wasm.threads) : '';
    this.statusEl.dataset.backend = info.backend;
    if (info.ok) {
      this.banner.hide();
      return;
    }
    const reason = (info.reason ?? 'no reason given').replace(/\.$/, '');
    if (info.requested === 'webgpu') {
      this.banner.show(`WebGPU is not available in this browser: ${reason}. Training runs on ${name} instead.`);
    } else {
      this.banner.show(`${LABELS[info.requested]} is not available in this browser: ${reason}. Training runs on ${name} instead.`);
    }
  }

  failed(msg: string): void {
    this.statusEl.textContent = `The training worker did not start: ${msg}`;
  }
}
