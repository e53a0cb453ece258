// `--compare <git-ref>`: the other build to measure side by side with this one. The ref is checked
// out in a temporary git worktree (outside the repository), given dependencies — a symlink to this
// checkout's node_modules when its package-lock.json is byte-identical, else its own `npm ci` —
// and built with its own scripts/build.mjs. `remove()` takes the worktree away again (bench/run.mjs
// calls it on every exit path).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

function git(root, args, { allowFail = false } = {}) {
  const r = spawnSync('git', args, { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0 && !allowFail) throw new Error(`git ${args.join(' ')}: ${(r.stderr || r.stdout).trim()}`);
  return r;
}

function run(cmd, args, cwd, what) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0)
    throw new Error(`${what} failed (${r.status ?? r.signal}):\n${`${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-15).join('\n')}`);
}

/**
 * Checks out and builds `ref`. Resolves to { ref, sha, dir, bin, deps, remove() }; `log` gets
 * progress lines (stderr).
 */
export function prepareRef(root, ref, log) {
  const sha = git(root, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { allowFail: true }).stdout.trim();
  if (!sha) throw new Error(`--compare ${ref}: not a commit in ${root}`);
  git(root, ['worktree', 'prune'], { allowFail: true }); // worktrees of an earlier run that was killed
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mt4gw-bench-ref-'));
  let added = false;
  let linked = false;
  const remove = () => {
    if (linked) {
      try {
        unlinkSync(path.join(dir, 'node_modules')); // the link only, never what it points to
      } catch {}
      linked = false;
    }
    if (added) {
      git(root, ['worktree', 'remove', '--force', dir], { allowFail: true });
      added = false;
    }
    rmSync(dir, { recursive: true, force: true });
    git(root, ['worktree', 'prune'], { allowFail: true });
  };
  try {
    log(`compare: checking out ${ref} (${sha.slice(0, 10)}) in ${dir}`);
    git(root, ['worktree', 'add', '--detach', '--force', dir, sha]);
    added = true;
    const lock = (d) => (existsSync(path.join(d, 'package-lock.json')) ? readFileSync(path.join(d, 'package-lock.json')) : null);
    const mine = lock(root);
    const theirs = lock(dir);
    let deps;
    if (mine && theirs && mine.equals(theirs) && existsSync(path.join(root, 'node_modules'))) {
      symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
      linked = true;
      deps = 'node_modules shared (package-lock.json identical)';
    } else {
      log(`compare: package-lock.json differs: npm ci in the worktree`);
      run(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['ci', '--no-audit', '--no-fund'], dir, `npm ci for ${ref}`);
      deps = 'own node_modules (npm ci)';
    }
    log(`compare: building ${ref}`);
    run(process.execPath, ['scripts/build.mjs'], dir, `the build of ${ref}`);
    const bin = path.join(dir, 'bin', 'mt4gw.js');
    if (!existsSync(bin)) throw new Error(`--compare ${ref}: it has no bin/mt4gw.js`);
    return { ref, sha, dir, bin, deps, remove };
  } catch (e) {
    remove();
    throw e;
  }
}
