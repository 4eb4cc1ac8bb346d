// The Python package's tests (python/tests) as part of `npm test`: PyTorch against the engine on
// logits, one training step, data order, parsing, the .ckpt fixtures, and the tab -> torchrun ->
// tab round trip. Needs Debian's python3-torch and python3-numpy plus pip's safetensors and
// pytest, which .ci/run installs; docs/python.md.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { expect, it } from 'vitest';

const PYTHON = process.env.PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');

it('python/tests pass (pytest)', () => {
  const r = spawnSync(PYTHON, ['-m', 'pytest', 'python/tests', '-q', '-p', 'no:cacheprovider'], { encoding: 'utf8', timeout: 600_000 });
  const output = `${r.error?.message ?? ''}${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.status !== 0) console.error(output);
  expect(r.status, `pytest failed; install with .ci/run or see docs/python.md:\n${output.slice(-4000)}`).toBe(0);
}, 600_000);
