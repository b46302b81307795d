# Shared helpers for tests/e2e/*_test.sh. Usage: source "$(dirname "$0")/lib.sh"
set -uo pipefail
DPKIT=${1:?usage: $0 /path/to/dpkit}
WORK=$(mktemp -d /tmp/dpkit_e2e_XXXXXX)
trap 'rm -rf "$WORK"' EXIT
FAILURES=0

fail() { echo "FAIL: $*" >&2; FAILURES=$((FAILURES + 1)); }

# expect_exit <code> <command...>: runs the command, stores stdout/stderr in $OUT/$ERR.
expect_exit() {
  local want=$1; shift
  OUT=$("$@" 2>"$WORK/stderr"); local got=$?
  ERR=$(cat "$WORK/stderr")
  if [ "$got" != "$want" ]; then
    fail "exit $got (want $want): $*"$'\n'"stdout: $OUT"$'\n'"stderr: $ERR"
  fi
}
expect_contains() {  # expect_contains <haystack> <needle> [what]
  case "$1" in *"$2"*) ;; *) fail "${3:-output} does not contain '$2': $1" ;; esac
}
finish() {
  if [ "$FAILURES" -ne 0 ]; then echo "$FAILURES failure(s)" >&2; exit 1; fi
  echo "ok"
}
