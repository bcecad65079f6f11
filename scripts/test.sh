#!/usr/bin/env bash
# The whole test suite: Debian packages, a -Werror build with the C unit
# tests and the integration suite (real jupyter_client, console, nbconvert),
# then the same suite under AddressSanitizer + UBSan, and valgrind on the unit
# tests. Prints "N passed, N failed" at the end.
set -uo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
bash scripts/deps.sh || exit 1
# The browser test needs the npm registry: without it, test_ui.py is skipped.
bash scripts/ui_deps.sh || echo "UI test dependencies unavailable: test_ui.py will be skipped"
[ -x configure ] || autoreconf -fi >/dev/null 2>&1 || exit 1
autoreconf -fi >/dev/null 2>&1 || exit 1

passed=0; failed=0
step() { # name, command...
  local name=$1; shift
  echo "== $name"
  if "$@"; then passed=$((passed+1)); echo "== $name: ok"; else failed=$((failed+1)); echo "== $name: FAILED"; fi
}

build_dir() { # dir, configure args...
  local dir=$1; shift
  rm -rf "$dir" && mkdir -p "$dir" && cd "$dir" && "$top/configure" -q "$@" && make -j"$(nproc)" >/dev/null
  local rc=$?; cd "$top"; return $rc
}

check_in() { # dir
  local rc=0
  (cd "$1" && make -j2 check >/dev/null 2>&1) || rc=1
  grep -h -E '^(PASS|FAIL|ERROR|SKIP|XFAIL|XPASS):' "$1"/tests/*/*.log 2>/dev/null | grep -v '^PASS' | head -50
  grep -h -E '^# (TOTAL|PASS|FAIL|ERROR)' "$1"/test-suite.log 2>/dev/null
  tail -n 25 "$1"/tests/integration/run.log 2>/dev/null
  [ $rc -eq 0 ] || cat "$1"/test-suite.log 2>/dev/null | tail -300
  return $rc
}

valgrind_unit() {
  local rc=0
  for t in build-test/tests/unit/test_*; do
    [ -x "$t" ] || continue
    top_srcdir="$top" top_builddir="$top/build-test" \
    valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite \
      "$t" >/dev/null || { echo "valgrind: $t"; rc=1; }
  done
  return $rc
}

step "build (-Werror)" build_dir build-test --enable-werror
step "make check" check_in build-test
step "valgrind unit tests" valgrind_unit
step "build (ASan+UBSan)" build_dir build-asan --enable-sanitizers

# Kernels are started by jupyter_client, so their sanitizer reports would be
# lost on a closed stderr: send every report to files and fail on any.
asan_check() {
  local logs="$top/build-asan/sanitizer-reports"
  rm -rf "$logs" && mkdir -p "$logs"
  local rc=0
  ASAN_OPTIONS="detect_leaks=1:log_path=$logs/asan" \
  UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$logs/ubsan" \
    check_in build-asan || rc=1
  if ls "$logs"/* >/dev/null 2>&1; then
    echo "sanitizer reports:"; head -n 60 "$logs"/*; rc=1
  fi
  return $rc
}
step "make check (ASan+UBSan)" asan_check

echo
echo "suite: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
