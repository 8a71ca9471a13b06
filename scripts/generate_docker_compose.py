#!/usr/bin/env python3
"""Write docker-compose.yml for a KohakuHub deployment: nginx (28080), the API, PostgreSQL and S3.

    python scripts/generate_docker_compose.py                        # asks, every question has a default
    python scripts/generate_docker_compose.py --non-interactive --base-url https://hub.example.com
    python scripts/generate_docker_compose.py --answers answers.yml --force

Answers come from flags, then from an answers file (YAML or JSON; keys are the flag names with "_"), then
from the prompt (or, with --non-interactive, the defaults). Secrets not given are generated. An existing
file is overwritten only after a yes, or with --force. See docker-compose.example.yml for the layout.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from pathlib import Path
from urllib.parse import quote, urlsplit

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
# An exact release, never ``latest``: MinIO no longer publishes maintained images (any S3 works instead).
MINIO_IMAGE = "minio/minio:RELEASE.2025-09-07T16-13-09Z"
sys.path.insert(0, str(REPO_ROOT))
from kohakuhub.config import is_placeholder  # noqa: E402 - the hub's own rule for what it refuses

CHOICES = {"database": ("builtin", "external"), "s3": ("builtin", "external"),
           "secrets": ("generate", "given")}
BOOLEANS = ("s3_force_path_style", "publish_postgres", "publish_minio_console")
SECRETS = ("session_secret", "admin_token", "postgres_password", "minio_password")
MIN_SECRET_LENGTH = {"admin_token": 32}  # the hub's own minimum; 16 for the others


class AnswerError(Exception):
    """An answer is missing (non-interactive) or invalid."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add("--output", "-o", type=Path, default=REPO_ROOT / "docker-compose.yml", help="file to write")
    add("--force", action="store_true", help="overwrite the output file without asking")
    add("--non-interactive", action="store_true", help="never prompt: flags, answers file, then defaults")
    add("--answers", type=Path, help="YAML or JSON file of answers (keys as the flags, with _)")
    add("--base-url", help="public address of the hub, e.g. https://hub.example.com")
    add("--workers", help="uvicorn worker processes of the API (default 4)")
    add("--database", choices=CHOICES["database"], help="built-in PostgreSQL container or an external one")
    add("--database-url", help="external PostgreSQL: postgresql://user:password@host:5432/db")
    add("--s3", choices=CHOICES["s3"], help="built-in MinIO container or external S3/R2")
    add("--s3-endpoint", help="external S3 endpoint the API uses (empty: AWS)")
    add("--s3-public-endpoint", help="S3 endpoint clients reach (presigned URLs are signed for it)")
    add("--s3-region", help="S3 region (R2: auto)")
    add("--s3-bucket", help="bucket name (created at start if missing)")
    add("--s3-access-key", help="external S3 access key")
    add("--s3-secret-key", help="external S3 secret key")
    add("--s3-force-path-style", help="path-style S3 URLs: yes for MinIO, no for AWS and R2")
    add("--secrets", choices=CHOICES["secrets"], help="generate the security keys or give your own")
    for name in SECRETS:
        add(f"--{name.replace('_', '-')}", help=f"{name.replace('_', ' ')} (generated when not given)")
    add("--publish-postgres", help="publish the built-in PostgreSQL on 127.0.0.1:25432 (default no)")
    add("--publish-minio-console", help="publish the MinIO console on 127.0.0.1:29000 (default no)")
    return parser.parse_args(argv)


class Asker:
    """Takes each answer from the given ones, else from the prompt, else its default."""

    def __init__(self, given: dict[str, object], interactive: bool) -> None:
        self.given = given
        self.interactive = interactive

    def ask(self, name: str, question: str, default: str | None = None) -> str:
        if self.given.get(name) is not None:
            return str(self.given[name]).strip()
        if self.interactive:
            suffix = f" [{default}]" if default else ""
            while True:  # until the operator gives an answer (or accepts the default)
                value = input(f"{question}{suffix}: ").strip() or (default or "")
                if value:
                    return value
                print("  an answer is needed")
        if default is None:
            raise AnswerError(f"--{name.replace('_', '-')} is required (non-interactive mode)")
        return default

    def choice(self, name: str, question: str, default: str) -> str:
        options = CHOICES[name]
        value = self.ask(name, f"{question} ({'/'.join(options)})", default)
        if value not in options:
            raise AnswerError(f"{name} must be one of {', '.join(options)}, not {value!r}")
        return value

    def yes(self, name: str, question: str, default: bool) -> bool:
        value = self.ask(name, f"{question} (yes/no)", "yes" if default else "no").lower()
        if value not in ("yes", "y", "true", "1", "no", "n", "false", "0"):
            raise AnswerError(f"{name} must be yes or no, not {value!r}")
        return value in ("yes", "y", "true", "1")

    def secret(self, name: str, question: str, mode: str) -> str:
        if self.given.get(name) is None and mode == "generate":
            return secrets.token_urlsafe(32)
        value = self.ask(name, question)
        if is_placeholder(value) or len(value) < MIN_SECRET_LENGTH.get(name, 16):
            raise AnswerError(f"{name} must have {MIN_SECRET_LENGTH.get(name, 16)}+ characters and not be a "
                              "placeholder or default value")
        return value


def collect(ask: Asker) -> dict[str, object]:
    """Every answer, asked in a sensible order (later defaults depend on earlier answers)."""
    a: dict[str, object] = {}
    a["base_url"] = ask.ask("base_url", "Public base URL of the hub", "http://127.0.0.1:28080").rstrip("/")
    if not str(a["base_url"]).startswith(("http://", "https://")):
        raise AnswerError("base_url must start with http:// or https://")
    workers = ask.ask("workers", "API worker processes", "4")
    if not workers.isdigit() or int(workers) < 1:
        raise AnswerError(f"workers must be a positive integer, not {workers!r}")
    a["workers"] = workers
    mode = a["secrets"] = ask.choice("secrets", "Security keys: generate or give your own", "generate")
    a["session_secret"] = ask.secret("session_secret", "Session secret (16+ characters)", mode)
    a["admin_token"] = ask.secret("admin_token", "Admin token for /admin/api/ (32+ characters)", mode)
    a["database"] = ask.choice("database", "PostgreSQL: built-in container or external", "builtin")
    if a["database"] == "external":
        a["database_url"] = ask.ask("database_url", "External database URL (postgresql://user:pass@host/db)")
        if not str(a["database_url"]).startswith(("postgresql://", "postgres://")):
            raise AnswerError("database_url must start with postgresql://")
    else:
        a["postgres_password"] = ask.secret("postgres_password", "PostgreSQL password", mode)
        a["publish_postgres"] = ask.yes("publish_postgres", "Publish PostgreSQL on 127.0.0.1:25432", False)
    a["s3"] = ask.choice("s3", "S3 storage: built-in MinIO or external S3/R2", "builtin")
    host = urlsplit(str(a["base_url"])).hostname or "127.0.0.1"
    if a["s3"] == "builtin":
        a["minio_password"] = ask.secret("minio_password", "MinIO root password", mode)
        a["s3_public_endpoint"] = ask.ask("s3_public_endpoint", "MinIO address clients reach",
                                          f"http://{host}:29001")
        a["s3_bucket"] = ask.ask("s3_bucket", "Bucket", "kohakuhub")
        a["publish_minio_console"] = ask.yes("publish_minio_console", "Publish the MinIO console on "
                                             "127.0.0.1:29000", False)
    else:
        a["s3_endpoint"] = ask.ask("s3_endpoint", "S3 endpoint (https://<account>.r2.cloudflarestorage.com)")
        a["s3_public_endpoint"] = ask.ask("s3_public_endpoint", "S3 endpoint clients reach",
                                          str(a["s3_endpoint"]))
        a["s3_region"] = ask.ask("s3_region", "Region (R2: auto)", "us-east-1")
        a["s3_bucket"] = ask.ask("s3_bucket", "Bucket", "kohakuhub")
        a["s3_access_key"] = ask.ask("s3_access_key", "Access key")
        a["s3_secret_key"] = ask.ask("s3_secret_key", "Secret key")
        if is_placeholder(str(a["s3_secret_key"])):
            raise AnswerError("s3_secret_key is a placeholder or default value")
        a["s3_force_path_style"] = ask.yes("s3_force_path_style", "Path-style URLs (MinIO: yes; AWS, R2: no)",
                                           False)
    return a


def postgres_connections(workers: int) -> int:
    """PostgreSQL connections the API may hold: each worker keeps one per threadpool thread (anyio's
    default of 40) plus one, and the admin CLI needs a few."""
    return workers * 41 + 20


def _escape(value: object) -> str:
    return str(value).replace("$", "$$")  # compose would interpolate a "$" in a secret


def s3_browser_origin(s3: dict[str, object]) -> str:
    """The origin of the presigned URLs the hub signs (the UI's pages fetch from it): the public endpoint's
    with path-style URLs, the bucket's virtual host otherwise (AWS's without an endpoint)."""
    public = urlsplit(str(s3["public_endpoint"] or s3["endpoint"]))
    bucket, path_style = s3["bucket"], s3["force_path_style"] == "true"
    if not public.netloc:  # AWS: botocore signs for the global endpoint in us-east-1
        region = "" if s3["region"] == "us-east-1" else f".{s3['region']}"
        return f"https://{bucket}.s3{region}.amazonaws.com"
    return f"{public.scheme}://{public.netloc}" if path_style else f"{public.scheme}://{bucket}.{public.netloc}"


def compose(a: dict[str, object], root: str) -> dict[str, object]:
    """The docker-compose document for answers ``a``; ``root`` is the repository relative to the file."""
    env = {"KOHAKU_HUB_BASE_URL": a["base_url"], "KOHAKU_HUB_DATA_DIR": "/data",
           "KOHAKU_HUB_SESSION_SECRET": a["session_secret"], "KOHAKU_HUB_ADMIN_TOKEN": a["admin_token"]}
    services: dict[str, dict] = {}
    depends: dict[str, dict] = {}
    volumes: dict[str, None] = {"hub-data": None}
    if a["database"] == "external":
        env["KOHAKU_HUB_DATABASE_URL"] = a["database_url"]
    else:
        password = str(a["postgres_password"])
        url = f"postgresql://kohakuhub:{quote(password, safe='')}@postgres:5432/kohakuhub"
        env["KOHAKU_HUB_DATABASE_URL"] = url
        services["postgres"] = {
            "image": "postgres:16-alpine", "restart": "unless-stopped",
            "command": ["postgres", "-c", f"max_connections={postgres_connections(int(a['workers']))}"],
            "environment": {"POSTGRES_USER": "kohakuhub", "POSTGRES_PASSWORD": password,
                            "POSTGRES_DB": "kohakuhub"},
            "volumes": ["postgres-data:/var/lib/postgresql/data"],
            "healthcheck": {"test": ["CMD-SHELL", "pg_isready -U kohakuhub -d kohakuhub"],
                            "interval": "5s", "timeout": "5s", "retries": 20},
        }
        if a["publish_postgres"]:
            services["postgres"]["ports"] = ["127.0.0.1:25432:5432"]
        depends["postgres"] = {"condition": "service_healthy"}
        volumes["postgres-data"] = None
    if a["s3"] == "builtin":
        access_key = "kohakuhub"
        s3 = {"endpoint": "http://minio:9000", "public_endpoint": a["s3_public_endpoint"],
              "region": "us-east-1", "bucket": a["s3_bucket"], "access_key": access_key,
              "secret_key": a["minio_password"], "force_path_style": "true"}
        services["minio"] = {
            "image": MINIO_IMAGE, "restart": "unless-stopped",
            "command": 'server /data --console-address ":9001"',
            "environment": {"MINIO_ROOT_USER": access_key, "MINIO_ROOT_PASSWORD": a["minio_password"]},
            "ports": ["29001:9000"] + (["127.0.0.1:29000:9001"] if a["publish_minio_console"] else []),
            "volumes": ["minio-data:/data"],
            "healthcheck": {"test": ["CMD", "mc", "ready", "local"], "interval": "5s", "timeout": "5s",
                            "retries": 20},
        }
        depends["minio"] = {"condition": "service_healthy"}
        volumes["minio-data"] = None
    else:
        names = ("endpoint", "public_endpoint", "region", "bucket", "access_key", "secret_key")
        s3 = {name: a[f"s3_{name}"] for name in names}
        s3["force_path_style"] = "true" if a["s3_force_path_style"] else "false"
    env.update({f"KOHAKU_HUB_S3_{name.upper()}": value for name, value in s3.items()})
    env["WEB_CONCURRENCY"] = a["workers"]
    api = {"build": {"context": root, "dockerfile": "docker/Dockerfile"}, "image": "kohakuhub-api",
           "restart": "unless-stopped", "expose": ["48888"],
           "environment": {k: _escape(v) for k, v in env.items()}, "volumes": ["hub-data:/data"]}
    if depends:
        api["depends_on"] = depends
    for service in services.values():
        service["environment"] = {k: _escape(v) for k, v in service["environment"].items()}
    nginx = {"image": "nginx:1.27-alpine", "restart": "unless-stopped", "ports": ["28080:28080"],
             "environment": {"S3_BROWSER_ORIGIN": s3_browser_origin(s3), "NGINX_ENVSUBST_FILTER": "^S3_BROWSER_ORIGIN"},
             "volumes": [f"{root}/docker/nginx/default.conf.template:/etc/nginx/templates/default.conf.template:ro",
                         f"${{UI_DIST:-{root}/docker/nginx/html}}:/usr/share/nginx/html:ro"],
             "depends_on": {"api": {"condition": "service_healthy", "restart": True}}}  # nginx resolves api once
    return {"services": {"nginx": nginx, "api": api, **services}, "volumes": volumes}


def load_given(args: argparse.Namespace) -> dict[str, object]:
    given: dict[str, object] = {}
    if args.answers:
        loaded = yaml.safe_load(args.answers.read_text()) or {}
        if not isinstance(loaded, dict):
            raise AnswerError(f"{args.answers} must hold a mapping of answers")
        given.update({str(k).replace("-", "_"): v for k, v in loaded.items()})
    given.update({k: v for k, v in vars(args).items() if v is not None and k not in
                  ("output", "force", "non_interactive", "answers")})
    for name in BOOLEANS:  # YAML gives real booleans; keep them as the yes/no the prompt takes
        if isinstance(given.get(name), bool):
            given[name] = "yes" if given[name] else "no"
    return given


def may_write(path: Path, force: bool, interactive: bool) -> bool:
    if force or not path.exists():
        return True
    if interactive:
        return input(f"{path} exists. Overwrite it? [y/N]: ").strip().lower() in ("y", "yes")
    print(f"{path} exists; not overwriting it (use --force)", file=sys.stderr)
    return False


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    interactive = not args.non_interactive
    try:
        answers = collect(Asker(load_given(args), interactive))
    except (AnswerError, OSError, yaml.YAMLError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    output = args.output.resolve()
    if not may_write(output, args.force, interactive):
        return 1
    root = os.path.relpath(REPO_ROOT, output.parent)
    header = ("# Written by scripts/generate_docker_compose.py. It holds secrets: keep it private "
              "(git-ignored).\n# Settings are documented in docker-compose.example.yml and README.md.\n")
    text = header + yaml.safe_dump(compose(answers, root), sort_keys=False, width=1000)
    output.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    print(f"Wrote {output}.\nNext steps:\n"
          f"  1. ./deploy.sh   (or: docker compose -f {output} up -d --build)\n"
          f"  2. Clients: HF_ENDPOINT={answers['base_url']}; git clone {answers['base_url']}/<user>/<repo>\n"
          "  3. First admin: docker compose exec api kohakuhub admin create-user <name> --email <email> "
          "--password <password> --admin\n"
          f"  The admin token for /admin/api/ is KOHAKU_HUB_ADMIN_TOKEN in {output.name}.")
    if answers["s3"] == "builtin":
        print(f"  Clients must reach MinIO at {answers['s3_public_endpoint']} (port 29001) for large files.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
