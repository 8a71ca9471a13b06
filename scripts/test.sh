#!/usr/bin/env bash
# Install everything the test suite needs, then run it. Used by the README and by .ci/run.
#
# The whole suite runs twice (ARCHITECTURE.md, Testing): the embedded layout (SQLite + local files), then
# the production layout (every hub on its own fresh PostgreSQL database; S3 joins it here). Run one of
# them with KOHAKU_HUB_TEST_RUNS=embedded or =production; arguments go to pytest. --dist loadgroup keeps the
# tests of one xdist_group (tests/deploy's production topology) on one worker, so it starts once.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
for tool in git git-lfs nginx chromium shellcheck; do
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

runs="${KOHAKU_HUB_TEST_RUNS:-embedded production}"
status=0
for run in $runs; do
  case "$run" in
    embedded)
      echo "=== suite: SQLite + local files"
      python3 -m pytest -q -n 2 --dist loadgroup "$@" || status=1 ;;
    production)
      # The machine's PostgreSQL (trust auth); the tests create and drop khub_test_* databases.
      pg="${KOHAKU_HUB_TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432}"
      if ! python3 -c "import psycopg2, sys; psycopg2.connect(sys.argv[1] + '/postgres').close()" "$pg" 2>/dev/null; then
        echo "PostgreSQL is not reachable at $pg (start it, or set KOHAKU_HUB_TEST_POSTGRES_URL)" >&2
        exit 1
      fi
      echo "=== suite: PostgreSQL + S3 (moto_server)"
      KOHAKU_HUB_TEST_DATABASE=postgresql \
      KOHAKU_HUB_TEST_S3=1 \
        python3 -m pytest -q -n 2 --dist loadgroup "$@" || status=1 ;;
    *)
      echo "unknown run $run (use embedded and/or production)" >&2; exit 2 ;;
  esac
done
exit $status
