"""Safe by default (issue 6, point 6): placeholder secrets stop a hub other machines can reach. And the
operator scripts: deploy.sh and the API image's entrypoint, run with stand-ins for docker, kohakuhub and
uvicorn."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kohakuhub.config import load_settings
from kohakuhub.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDERS = {
    "session_secret": "change-me-session-secret",
    "admin_token": "change-me-admin-token-of-32-or-more-characters",
    "s3_secret_key": "minioadmin",
    "database_url": "postgresql://kohakuhub:change-me-postgres-password@127.0.0.1:5432/kohakuhub",
}
SETTING = {"session_secret": "KOHAKU_HUB_SESSION_SECRET", "admin_token": "KOHAKU_HUB_ADMIN_TOKEN",
           "s3_secret_key": "KOHAKU_HUB_S3_SECRET_KEY", "database_url": "KOHAKU_HUB_DATABASE_URL (its password)"}


@pytest.mark.parametrize("name", list(PLACEHOLDERS))
def test_each_placeholder_secret_is_refused_unless_the_base_url_is_loopback(tmp_path, name):
    options = {"data_dir": tmp_path, name: PLACEHOLDERS[name]}
    with pytest.raises(ConfigError) as refused:
        load_settings(base_url="https://hub.example.com", **options)
    assert SETTING[name] in refused.value.message and "https://hub.example.com" in refused.value.message
    for local in ("http://127.0.0.1:28080", "http://localhost:28080", "http://[::1]:28080"):
        load_settings(base_url=local, **options)  # a hub only this machine reaches may keep them


def test_real_secrets_pass_and_encoded_placeholders_do_not(tmp_path):
    load_settings(data_dir=tmp_path, base_url="https://hub.example.com", session_secret="x7Rk" * 8,
                  database_url="postgresql://hub:s3cr%2Ft-pass@db/hub")
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        load_settings(data_dir=tmp_path, base_url="http://10.0.0.5:28080",
                      database_url="postgresql://hub:Change%2DMe@db/hub")


def _hub_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOHAKU_HUB_")}
    env.update({"KOHAKU_HUB_DATA_DIR": str(tmp_path / "data"), "KOHAKU_HUB_BASE_URL": "https://hub.example.com",
                "KOHAKU_HUB_SESSION_SECRET": PLACEHOLDERS["session_secret"]})
    return env


def test_the_api_process_and_migrate_refuse_to_start(tmp_path):
    for command in (["-m", "uvicorn", "kohakuhub.main:app", "--port", "0"], ["-m", "kohakuhub.cli.main", "migrate"]):
        run = subprocess.run([sys.executable, *command], env=_hub_env(tmp_path), capture_output=True, text=True,
                             timeout=60)
        assert run.returncode != 0
        assert "Refusing to start" in run.stderr and "KOHAKU_HUB_SESSION_SECRET" in run.stderr
        assert "Traceback" not in run.stderr
    assert not (tmp_path / "data" / "hub.db").exists()


def _stand_in(bin_dir: Path, name: str, script: str) -> None:
    bin_dir.mkdir(exist_ok=True)
    path = bin_dir / name
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(0o755)


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is needed (scripts/test.sh installs it)")
def test_shell_scripts_pass_shellcheck():
    scripts = ["deploy.sh", "docker/entrypoint.sh", "scripts/test.sh", ".ci/run"]
    run = subprocess.run(["shellcheck", *scripts], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout


def _deploy(tmp_path: Path, path: str) -> subprocess.CompletedProcess[str]:
    """deploy.sh copied into ``tmp_path`` (it works in its own directory) and run with ``PATH``."""
    shutil.copy(ROOT / "deploy.sh", tmp_path / "deploy.sh")
    return subprocess.run([shutil.which("bash"), str(tmp_path / "deploy.sh"), "--pull", "always"],
                          env={"PATH": path, "HOME": str(tmp_path)}, capture_output=True, text=True, timeout=60)


def test_deploy_sh_checks_prerequisites_then_starts_compose(tmp_path):
    bins = tmp_path / "bin"
    for tool in ("dirname", "id"):  # what deploy.sh needs besides docker
        os.makedirs(bins, exist_ok=True)
        os.symlink(shutil.which(tool), bins / tool)
    missing = _deploy(tmp_path, str(bins))
    assert missing.returncode == 1 and "docker is not installed" in missing.stderr

    _stand_in(bins, "docker", f'echo "docker $*" >> {tmp_path}/calls; [ "$2" != version ] || exit 1')
    no_plugin = _deploy(tmp_path, str(bins))
    assert no_plugin.returncode == 1 and "docker compose plugin is missing" in no_plugin.stderr

    _stand_in(bins, "docker", f'echo "docker $*" >> {tmp_path}/calls')
    no_file = _deploy(tmp_path, str(bins))
    assert no_file.returncode == 1 and "generate_docker_compose.py" in no_file.stderr

    (tmp_path / "docker-compose.yml").write_text("services: {}\n")
    (tmp_path / "calls").unlink()
    started = _deploy(tmp_path, str(bins))
    assert started.returncode == 0, started.stderr
    calls = (tmp_path / "calls").read_text().splitlines()
    assert "docker compose up -d --build --pull always" in calls  # arguments pass through
    assert calls.index("docker info") < calls.index("docker compose up -d --build --pull always")


def test_entrypoint_migrates_then_starts_the_workers(tmp_path):
    bins = tmp_path / "bin"
    calls = tmp_path / "calls"
    _stand_in(bins, "kohakuhub", f'echo "kohakuhub $*" >> {calls}')
    _stand_in(bins, "uvicorn", f'echo "uvicorn $*" >> {calls}')
    env = {"PATH": f"{bins}:/usr/bin:/bin", "WEB_CONCURRENCY": "6"}
    run = subprocess.run(["sh", str(ROOT / "docker" / "entrypoint.sh")], env=env, capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0, run.stderr
    assert calls.read_text().splitlines() == [
        "kohakuhub migrate",
        "uvicorn kohakuhub.main:app --host 0.0.0.0 --port 48888 --workers 6 --proxy-headers "
        "--forwarded-allow-ips * --no-access-log",
    ]
    _stand_in(bins, "kohakuhub", "echo 'error: Refusing to start' >&2; exit 2")
    calls.unlink()
    refused = subprocess.run(["sh", str(ROOT / "docker" / "entrypoint.sh")], env=env, capture_output=True,
                             text=True, timeout=60)
    assert refused.returncode == 2 and not calls.exists()  # uvicorn never starts on a bad configuration
