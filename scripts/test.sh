#!/usr/bin/env bash
# Install everything the test suite needs, then run it. Used by the README and by .ci/run.
#
# The whole suite runs twice (ARCHITECTURE.md, Testing): the embedded layout (SQLite + local files), then
# the production layout (every hub on its own fresh PostgreSQL database, LFS objects in MinIO). Run one of
# them with KOHAKU_HUB_TEST_RUNS=embedded or =production; arguments go to pytest. --dist loadgroup keeps the
# tests of one xdist_group (tests/deploy's production topology) on one worker, so it starts once.
#
# Nothing needs to be running: the tests start a private PostgreSQL cluster (Debian's postgresql package,
# as the postgres user when run as root) unless KOHAKU_HUB_TEST_POSTGRES_URL names a server, and MinIO,
# built once with the machine's Go into ~/.cache/kohakuhub-test (tests/servers/).
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
for tool in git git-lfs nginx chromium shellcheck; do
  command -v "$tool" >/dev/null 2>&1 || need_apt+=("$tool")
done
command -v fcgiwrap >/dev/null 2>&1 || [ -x /usr/sbin/fcgiwrap ] || need_apt+=(fcgiwrap)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need_apt+=(postgresql)
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

# MinIO is built with Go (tests/servers/minio.py); Debian's Go lives outside PATH on some machines.
if ! command -v go >/dev/null 2>&1; then
  if [ -x /usr/local/go/bin/go ]; then
    export PATH="$PATH:/usr/local/go/bin"
  else
    echo "Go is needed to build MinIO for the tests: install it (https://go.dev/doc/install) or put it on PATH" >&2
    exit 1
  fi
fi

python3 -m pip install -q --disable-pip-version-check -e '.[test]'
# kohub-cli, the user's command line, is a distribution of its own (kohub-cli/): installed here so the
# command is on PATH. tests/cli install it again into a clean virtual environment (tests/cli/installed.py),
# which proves it runs without any of the packages above.
python3 -m pip install -q --disable-pip-version-check -e ./kohub-cli

# The web UI (ui/): install from the lockfile, lint and type-check, unit tests, then the build that the
# hub serves and the browser tests open.
if ! command -v npm >/dev/null 2>&1; then
  echo "Node.js 20+ and npm are needed for the web UI: install them (apt-get install -y nodejs npm)" >&2
  exit 1
fi
(cd ui && npm ci --no-audit --no-fund --loglevel=error && npm run lint && npm test && npm run build)

runs="${KOHAKU_HUB_TEST_RUNS:-embedded production}"
status=0
for run in $runs; do
  case "$run" in
    embedded)
      echo "=== suite: SQLite + local files"
      python3 -m pytest -q -n 2 --dist loadgroup "$@" || status=1 ;;
    production)
      echo "=== suite: PostgreSQL + S3 (MinIO)"
      KOHAKU_HUB_TEST_DATABASE=postgresql \
      KOHAKU_HUB_TEST_S3=1 \
        python3 -m pytest -q -n 2 --dist loadgroup "$@" || status=1 ;;
    *)
      echo "unknown run $run (use embedded and/or production)" >&2; exit 2 ;;
  esac
done
exit $status
