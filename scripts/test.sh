#!/usr/bin/env bash
# Install everything the test suite needs, then run it. Used by the README and by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
for tool in git git-lfs nginx chromium; do
  command -v "$tool" >/dev/null 2>&1 || need_apt+=("$tool")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "Missing system tools: ${need_apt[*]} (install them with apt-get, or run as root)" >&2
    exit 1
  fi
fi

python3 -m pip install -q --disable-pip-version-check -e '.[test]'
exec python3 -m pytest -q -n 2 "$@"
