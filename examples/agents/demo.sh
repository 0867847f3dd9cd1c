#!/usr/bin/env bash
# The coding-agents demo: imports tasks.md (12 spec-kit tasks), then runs them with 4 stand-in
# agents at once, each in its own worktree of a fresh git repo, on a local Temporal dev server.
# Extra arguments go to `ptq dev` (e.g. --port 7299). Use real agents by dropping stand-in/ from PATH.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ptq() { node "$here/../../bin/ptq.js" "$@"; }
repo=$(mktemp -d "${TMPDIR:-/tmp}/ptq-agents-demo-XXXXXX")
plan="$repo.plan.json"
git -C "$repo" init -q -b main
echo "# Greeter" >"$repo/README.md"
git -C "$repo" add -A
git -C "$repo" -c user.name=demo -c user.email=demo@example.com commit -qm "initial commit"
export PATH="$here/stand-in:$PATH"
cd "$repo"
ptq import "$here/tasks.md" --base "$here/workspace.yaml" -o "$plan"
status=0
ptq dev --run "$plan" --exit --headless "$@" || status=$?
branch=$(git for-each-ref --format='%(refname:short)' 'refs/heads/ptq/')
echo
echo "repo: $repo"
echo "git log --graph $branch:"
git log --graph --format='%s' "$branch"
echo "worktrees left: $(($(git worktree list | wc -l) - 1))"
exit $status
