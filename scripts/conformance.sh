#!/usr/bin/env bash
# SDK conformance: drives a freshly built alicr-emulator with Alibaba Cloud's official Python
# SDKs (classic HMAC-SHA1, Tea ACS3-HMAC-SHA256, Tea HMAC-SHA1 'v2').
#
# Creates (or reuses) a virtualenv under target/conformance-venv with the pinned packages of
# tests/conformance/requirements.txt, builds the emulator, starts it on a free loopback port,
# runs the tests, and stops it. Exits non-zero when any test fails.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
venv="$target_dir/conformance-venv"
requirements="tests/conformance/requirements.txt"
python="${PYTHON:-python3}"

if [ ! -x "$venv/bin/python" ]; then
  echo "conformance: creating virtualenv $venv" >&2
  "$python" -m venv "$venv"
fi
stamp="$venv/.requirements.sha256"
wanted="$(sha256sum "$requirements" | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$wanted" ]; then
  echo "conformance: installing $requirements" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
  echo "$wanted" >"$stamp"
fi

echo "conformance: building alicr-emulator" >&2
cargo build --quiet -p alicr-emulator
emulator="$target_dir/debug/alicr-emulator"

work="$(mktemp -d)"
emulator_pid=""
cleanup() {
  if [ -n "$emulator_pid" ] && kill -0 "$emulator_pid" 2>/dev/null; then
    kill -TERM "$emulator_pid" 2>/dev/null || true
    wait "$emulator_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

"$emulator" --listen 127.0.0.1:0 --state-file "$work/state.json" \
  >"$work/stdout" 2>"$work/stderr" &
emulator_pid=$!

endpoint=""
for _ in $(seq 1 100); do
  line="$(head -n 1 "$work/stdout" 2>/dev/null || true)"
  case "$line" in
    "alicr-emulator listening on "*) endpoint="${line#alicr-emulator listening on }"; break ;;
  esac
  if ! kill -0 "$emulator_pid" 2>/dev/null; then break; fi
  sleep 0.1
done
if [ -z "$endpoint" ]; then
  echo "conformance: the emulator did not start" >&2
  cat "$work/stderr" >&2
  exit 1
fi
echo "conformance: emulator at $endpoint" >&2

status=0
ALICR_EMULATOR_ENDPOINT="$endpoint" "$venv/bin/python" tests/conformance/run.py || status=$?
if [ "$status" -ne 0 ]; then
  echo "conformance: emulator log (last 40 lines):" >&2
  tail -n 40 "$work/stderr" >&2
fi
exit "$status"
