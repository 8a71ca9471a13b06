"""kohub-cli installed the way a user installs it: ``pip install ./kohub-cli`` into a virtual environment
that holds nothing else (no system site-packages, none of the hub's server dependencies).

The environment is kept in the tests' cache (``~/.cache/kohakuhub-test``), keyed by kohub-cli's
pyproject.toml: its dependencies come from the package index once, and later runs only reinstall
kohub-cli itself (``--no-deps``) when its sources changed. It is installed from a copy of the sources, so
the build leaves nothing in the checkout. pytest-xdist workers share it under a file lock.
"""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.servers.minio import cache_dir

SOURCE = Path(__file__).resolve().parents[2] / "kohub-cli"
# Packages of the hub's server side that a client-only install must not pull in.
SERVER_PACKAGES = (
    "kohakuhub",
    "fastapi",
    "starlette",
    "uvicorn",
    "peewee",
    "pygit2",
    "psycopg2",
    "boto3",
    "botocore",
    "argon2",
    "blake3",
    "lz4",
    "multipart",
)


def _digest(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(str(path.relative_to(SOURCE)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _sources() -> list[Path]:
    return sorted([SOURCE / "pyproject.toml", SOURCE / "README.md", *SOURCE.glob("kohub_cli/**/*.py")])


def _pip(venv: Path, *args: str) -> None:
    with tempfile.TemporaryDirectory(prefix="kohub-cli-src-") as tmp:
        copy = Path(tmp) / "kohub-cli"
        shutil.copytree(SOURCE, copy, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
        result = subprocess.run(
            [
                str(venv / "bin" / "python"),
                "-m",
                "pip",
                "install",
                "-q",
                "--disable-pip-version-check",
                *args,
                str(copy),
            ],
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
    if result.returncode != 0:
        raise RuntimeError(f"pip install ./kohub-cli failed ({result.returncode}):\n{result.stderr[-4000:]}")


def kohub_cli_venv() -> Path:
    """The virtual environment with the current kohub-cli installed; built or updated on first use.

    Raises:
        RuntimeError: the environment could not be created or pip failed (its output is quoted).
    """
    venv = cache_dir() / f"kohub-cli-venv-{_digest([SOURCE / 'pyproject.toml'])}"
    venv.parent.mkdir(parents=True, exist_ok=True)
    with open(venv.parent / f".{venv.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        ready, installed = venv / ".deps-installed", venv / ".kohub-cli-installed"
        if not ready.exists():
            print(
                f"creating {venv} with kohub-cli's dependencies (first run only)", file=sys.stderr, flush=True
            )
            shutil.rmtree(venv, ignore_errors=True)
            subprocess.run(
                [sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=300
            )
            _pip(venv)
            ready.touch()
            installed.write_text(_digest(_sources()))
        current = _digest(_sources())
        if not installed.exists() or installed.read_text() != current:
            _pip(venv, "--no-deps", "--force-reinstall")
            installed.write_text(current)
    return venv
