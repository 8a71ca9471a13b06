#!/bin/sh
# Bring the database schema up to date once, then start the workers. Running migrate first also stops
# the container on a configuration error (say, a placeholder secret) with one clear message, instead
# of uvicorn restarting workers that each fail the same way.
set -eu
kohakuhub migrate
# FORWARDED_ALLOW_IPS: who may set X-Forwarded-For/-Proto. "*" is right while port 48888 is reachable
# only from the compose network (nginx); narrow it to nginx's address if you ever publish 48888.
exec uvicorn kohakuhub.main:app --host 0.0.0.0 --port 48888 \
    --workers "${WEB_CONCURRENCY:-4}" \
    --proxy-headers --forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-*}" \
    --no-access-log "$@"
