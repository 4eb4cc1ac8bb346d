// Storage: how much of the browser's quota the runs, checkpoints and datasets use, the
// "keep data persistent" request (made on the page: navigator.storage.persist), and the stored
// datasets with "Use" and "Delete dataset".
import type { Ctx } from './ctx';
import { button, debounce, fmtBytes, fmtMB, fmtTime, h, replace } from './dom';
import { nameEl, nameText } from './names';

export class StoragePanel {
  readonly el: HTMLElement;
  private usage: HTMLElement;
  private persistLine: HTMLElement;
  private persistBtn: HTMLButtonElement;
  private datasetsBox: HTMLElement;
  private last = 0;
  /** Refreshes at most every 3 seconds (checkpoint writes come often during training). */
  readonly refreshSoon = debounce(
    () => void this.refresh(),
    () => Math.max(0, 3000 - (performance.now() - this.last)),
  );

  constructor(
    private ctx: Ctx,
    private onUse: (hash: string) => void,
  ) {
    this.usage = h('p', { 'data-testid': 'storage-usage' }, 'Measuring...');
    this.persistLine = h('p', { class: 'muted' });
    this.persistBtn = button('Keep data persistent', () => void this.persist());
    this.datasetsBox = h('div', {});
    this.el = h('div', { class: 'storage' }, this.usage, h('div', { class: 'actions' }, this.persistBtn), this.persistLine, h('h3', {}, 'Stored datasets'), this.datasetsBox);
    // a checkpoint written anywhere uses more of the quota
    ctx.store.subscribe((s) => s.checkpointWrites, () => this.refreshSoon());
  }

  async refresh(): Promise<void> {
    this.last = performance.now();
    const { api } = this.ctx;
    try {
      const [s, datasets, persisted] = await Promise.all([api.storage(), api.listDatasets(), navigator.storage?.persisted?.().catch(() => null) ?? Promise.resolve(null)]);
      const pct = s.usage !== null && s.quota ? ` (${((100 * s.usage) / s.quota).toFixed(1)}%)` : '';
      this.usage.textContent = `Using ${fmtMB(s.usage)} of ${fmtMB(s.quota)}${pct}.`;
      this.showPersisted(persisted ?? s.persisted);
      if (datasets.length === 0) {
        replace(this.datasetsBox, h('p', { class: 'muted' }, 'None yet.'));
        return;
      }
      replace(
        this.datasetsBox,
        h(
          'ul',
          { class: 'dataset-list', 'aria-label': 'Stored datasets' },
          datasets.map((d) =>
            h(
              'li',
              { 'data-testid': 'dataset-row', 'data-hash': d.hash },
              h('div', {}, h('strong', {}, nameEl(d.name)), ' ', h('span', { class: 'muted' }, `${d.kind}, ${nameText(d.summary, 160)}${d.bytes ? `, ${fmtBytes(d.bytes)}` : ''}, added ${fmtTime(d.addedAt)}`)),
              h(
                'div',
                { class: 'row-actions' },
                button('Use dataset', () => this.onUse(d.hash), { title: `Show ${nameText(d.name)} in the preview` }),
                button('Delete dataset', () => void this.remove(d.hash, d.name), { class: 'danger' }),
              ),
            ),
          ),
        ),
      );
    } catch (e) {
      this.ctx.error(e);
    }
  }

  private showPersisted(p: boolean | null): void {
    this.persistLine.textContent =
      p === true
        ? 'Storage is persistent: the browser will not evict it under storage pressure.'
        : p === false
          ? 'Storage is best-effort: the browser may evict it when the disk runs low. Downloading important checkpoints keeps them safe.'
          : 'This browser does not say whether storage is persistent.';
    this.persistBtn.disabled = p === true;
  }

  private async persist(): Promise<void> {
    if (!navigator.storage?.persist) {
      this.ctx.error(new Error('This browser cannot make storage persistent.'));
      return;
    }
    const ok = await navigator.storage.persist();
    this.showPersisted(ok);
    this.ctx.say(ok ? 'Storage is now persistent.' : 'The browser declined to make storage persistent (it decides from how the site is used; bookmarking or installing it helps).');
  }

  private async remove(hash: string, name: string): Promise<void> {
    try {
      await this.ctx.api.deleteDataset(hash);
      this.ctx.say(`Deleted dataset ${name}. Runs trained on it keep their checkpoints, but need the file again to resume.`);
    } catch (e) {
      this.ctx.error(e);
    }
    await this.refresh();
  }
}
