#!/bin/sh
# A scripted worker for the sandbox tests: commits its work on its branch, then writes directly (no tool
# a hook sees) to every place outside its worktree it was told of, and leaves a daemon behind that would
# write the tickets file later. Each attempt's exit status goes to the worktree's attempts.txt.
# usage: forger.sh <repo> <tickets file>
repo=$1 tickets=$2
try() { if sh -c "$1" 2>/dev/null; then echo "wrote: $1" >> attempts.txt; else echo "refused: $1" >> attempts.txt; fi; }
echo work > work.txt
git add work.txt attempts.txt 2>/dev/null; git add work.txt
git -c user.name=w -c user.email=w@example.invalid commit -qm "the work"
try "echo forged >> '$tickets'"
try "echo '[core] hooksPath = /tmp' >> '$repo/.git/config'"
try "echo 'exit 1' > '$repo/.git/hooks/pre-commit' && chmod +x '$repo/.git/hooks/pre-commit'"
try "git update-ref refs/heads/main HEAD && git --git-dir='$repo/.git' update-ref refs/heads/main \$(git rev-parse HEAD)"
try "echo 0000000000000000000000000000000000000000 > '$repo/.git/refs/heads/main'"
try "echo x > '$HOME/.nightshift-sandbox-probe'"
setsid sleep 299.517 </dev/null >/dev/null 2>&1 &
echo '{"status":"complete","summary":"did it","evidence":""}' > "$NIGHTSHIFT_RESULT_FILE"
