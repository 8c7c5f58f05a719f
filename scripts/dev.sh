#!/usr/bin/env bash
# One entry point for developers and CI on a fresh Debian 12 machine:
#   bash scripts/dev.sh demo       install what is missing, build, run the shipped example
#   bash scripts/dev.sh test       install, build (build/) and run every test
#   bash scripts/dev.sh sanitize   the same with AddressSanitizer + UBSan (build-asan/)
#   bash scripts/dev.sh switch     the same with switch-based VM dispatch (build-switch/)
#   bash scripts/dev.sh build      install and build only
# Extra CMake arguments can be passed in CMAKE_ARGS (e.g. CMAKE_ARGS=-DVERITY_CONFORMANCE=OFF);
# VERITY_BUILD_PREFIX renames the build directories (default build, build-asan, build-switch).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# What the build, the tests and the benchmarks need (Debian package names).
PACKAGES=(cmake gcc make flex bison libsqlite3-dev libffi-dev libcriterion-dev pkg-config
          python3 python3-jsonschema tzdata lua5.4 bsdutils)
JOBS=$(nproc 2>/dev/null || echo 2)
B=${VERITY_BUILD_PREFIX:-build}

say() { printf '==> %s\n' "$*"; }

installed() { dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed'; }

install_missing() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do installed "$p" || missing+=("$p"); done
  ((${#missing[@]})) || return 0
  local sudo=()
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null; then sudo=(sudo); else
      echo "dev.sh: missing packages (${missing[*]}) and not root: install them as root, or install sudo" >&2
      exit 2
    fi
  fi
  say "installing ${missing[*]}"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    </dev/null
}

# build DIR [cmake args...]; TARGET=name builds only that target.
build() {
  local dir=$1; shift
  say "configuring $dir"
  # shellcheck disable=SC2086 # CMAKE_ARGS is a list of words on purpose
  cmake -S . -B "$dir" "$@" ${CMAKE_ARGS:-} >/dev/null
  say "building $dir"
  cmake --build "$dir" -j"$JOBS" ${TARGET:+--target "$TARGET"}
}

run_tests() {
  say "testing $1"
  ctest --test-dir "$1" --output-on-failure -j"$JOBS"
}

cmd=${1:-help}
case "$cmd" in
  build)
    install_missing
    build "$B" -DCMAKE_BUILD_TYPE=RelWithDebInfo
    ;;
  demo)
    install_missing
    TARGET=verity build "$B" -DCMAKE_BUILD_TYPE=RelWithDebInfo
    say "verity check examples/*.flow"
    "$B/verity" check examples/*.flow
    say "verity graph examples/b2b-leads.flow"
    "$B/verity" graph examples/b2b-leads.flow
    say "verity simulate examples/b2b-leads.flow examples/b2b-leads.jsonl"
    "$B/verity" simulate examples/b2b-leads.flow examples/b2b-leads.jsonl
    ;;
  test)
    install_missing
    build "$B" -DCMAKE_BUILD_TYPE=RelWithDebInfo
    run_tests "$B"
    ;;
  sanitize)
    install_missing
    build "$B-asan" -DCMAKE_BUILD_TYPE=Debug -DVERITY_SANITIZE=ON
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
      run_tests "$B-asan"
    ;;
  switch)
    install_missing
    build "$B-switch" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVERITY_SWITCH_DISPATCH=ON
    run_tests "$B-switch"
    ;;
  help|-h|--help)
    sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
    ;;
  *)
    echo "dev.sh: unknown command '$cmd'; use demo, test, sanitize, switch or build" >&2
    exit 2
    ;;
esac
