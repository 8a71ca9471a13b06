#!/usr/bin/env bash
# Build and start the production deployment described by docker-compose.yml (see README, Deployment):
# checks the prerequisites, builds the web UI when the checkout has one, then `docker compose up -d --build`.
# Arguments go to `docker compose up` (e.g. ./deploy.sh --force-recreate).
set -euo pipefail
cd "$(dirname "$0")"

fail() {
  echo "deploy.sh: $*" >&2
  exit 1
}

command -v docker >/dev/null 2>&1 \
  || fail "docker is not installed (https://docs.docker.com/engine/install/)"
docker compose version >/dev/null 2>&1 \
  || fail "the docker compose plugin is missing (https://docs.docker.com/compose/install/linux/)"
[ -f docker-compose.yml ] \
  || fail "docker-compose.yml not found: run 'python3 scripts/generate_docker_compose.py', or copy docker-compose.example.yml and change every value marked CHANGE"
docker info >/dev/null 2>&1 \
  || fail "cannot reach the docker daemon (is it running? is $(id -un) allowed to use it?)"

if [ -f ui/package.json ]; then
  command -v npm >/dev/null 2>&1 || fail "ui/ needs Node.js and npm to build the web UI"
  echo "Building the web UI (ui/)..."
  (cd ui && npm ci && npm run build)
  # docker-compose.yml mounts ${UI_DIST} into nginx (default: the notice page in docker/nginx/html).
  export UI_DIST=./ui/dist
fi

docker compose up -d --build "$@"
docker compose ps
echo "KohakuHub is starting on port 28080 (docker compose logs -f api to follow it)."
