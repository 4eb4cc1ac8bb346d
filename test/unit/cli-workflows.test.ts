// docs/cli.md "Workflows" are commands that run: every `npx tabtrain ...` line of its sh blocks
// runs here, in order, from a scratch folder that sees the repository's public/ (so the paths
// read exactly as in the docs), and must exit 0, or the status its `# exit N` comment names.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';
import { BIN, tempDir } from '../support/cli';

function workflowCommands(): { line: string; args: string[]; exit: number }[] {
  const md = readFileSync('docs/cli.md', 'utf8');
  const start = md.indexOf('\n## Workflows');
  const next = md.indexOf('\n## ', start + 1);
  const section = md.slice(start, next === -1 ? undefined : next);
  const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
  const out: { line: string; args: string[]; exit: number }[] = [];
  for (const line of blocks.flatMap((b) => b.split('\n'))) {
    if (!line.startsWith('npx tabtrain ')) continue;
    const [cmd, comment = ''] = line.split('#');
    const exit = /exit (\d+)/.exec(comment);
    out.push({ line, args: cmd.trim().split(/\s+/).slice(2), exit: exit ? Number(exit[1]) : 0 });
  }
  return out;
}

it('every command of the docs workflows runs with the exit status the docs give', () => {
  const cmds = workflowCommands();
  expect(cmds.length).toBeGreaterThan(8);
  const dir = tempDir();
  symlinkSync(resolve('public'), join(dir, 'public'));
  mkdirSync(join(dir, 'runs'));
  for (const c of cmds) {
    const r = spawnSync(process.execPath, [BIN, ...c.args], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
    expect(r.status, `${c.line}\n${r.stderr}`).toBe(c.exit);
    // a refusal ends in one error line, never a stack trace
    if (c.exit !== 0) {
      expect(r.stderr.trim().split('\n').pop(), c.line).toMatch(/^tabtrain: error: /);
      expect(r.stderr, c.line).not.toMatch(/\n\s+at /);
    }
  }
}, 600_000);
