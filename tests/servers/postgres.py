"""A private PostgreSQL cluster: Debian's server binaries, ``initdb`` into a temporary directory.

Trust authentication, listening on 127.0.0.1 on a free port only (no Unix socket outside its directory),
run as the ``postgres`` system user when we are root (the server refuses root). ``stop()`` shuts it down
and removes the directory; if the owner dies first the kernel sends the server SIGQUIT (immediate
shutdown) and the next start removes the directory.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

from tests.servers.process import (
    child_setup,
    end_process,
    free_port,
    private_dir,
    system_user_for_servers,
    wait_ready,
)

DIR_PREFIX = "khub-postgres-"
INSTALL_HINT = "install Debian's postgresql package (apt-get install -y postgresql)"


def server_bindir() -> Path | None:
    """The newest installed PostgreSQL server's bin directory (with initdb and postgres), or None."""
    candidates = []
    for bindir in Path("/usr/lib/postgresql").glob("*/bin"):
        if (bindir / "initdb").exists() and (bindir / "postgres").exists():
            try:
                candidates.append((int(bindir.parent.name), bindir))
            except ValueError:
                continue
    if candidates:
        return max(candidates)[1]
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb and (Path(initdb).parent / "postgres").exists() else None


class PrivatePostgres:
    """One throwaway cluster; ``url`` (``postgresql://postgres@127.0.0.1:<port>``) once started.

    ``durable=False`` (the tests) turns off fsync: test data need not survive a crash of the machine, and
    the hub's own durability is what the tests check. Benchmarks keep PostgreSQL's defaults.
    """

    def __init__(self, *, max_connections: int = 400, durable: bool = False) -> None:
        self.max_connections = max_connections
        self.durable = durable
        self.url = ""
        self.dir: Path | None = None
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> str:
        """Create and start the cluster; return its URL (database name not included).

        Raises:
            RuntimeError: the binaries are missing, or the server did not start (its log is quoted).
        """
        bindir = server_bindir()
        if bindir is None:
            raise RuntimeError(f"PostgreSQL server binaries not found: {INSTALL_HINT}")
        user = system_user_for_servers("postgres")
        self.dir = private_dir(DIR_PREFIX)
        data = self.dir / "data"
        if user is not None:
            os.chown(self.dir, user.pw_uid, user.pw_gid)
        setup = child_setup(user, signal.SIGQUIT)
        init = subprocess.run(
            [str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
             "--locale=C", "--no-sync", "--no-instructions"],
            capture_output=True, text=True, preexec_fn=setup, timeout=120, check=False)
        if init.returncode != 0:
            self.stop()
            raise RuntimeError(f"initdb failed ({init.returncode}): {init.stderr.strip() or init.stdout.strip()}")
        options = {"listen_addresses": "127.0.0.1", "unix_socket_directories": str(self.dir),
                   "max_connections": str(self.max_connections), "logging_collector": "off"}
        if not self.durable:
            options.update(fsync="off", synchronous_commit="off", full_page_writes="off")
        for _ in range(3):  # the free port can be taken between choosing it and listening on it
            port = free_port()
            command = [str(bindir / "postgres"), "-D", str(data), "-p", str(port)]
            for name, value in options.items():
                command += ["-c", f"{name}={value}"]
            log = open(self.dir / "postgres.log", "ab")  # noqa: SIM115 - the server's stdout for its life
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, preexec_fn=setup)
            log.close()
            self.url = f"postgresql://postgres@127.0.0.1:{port}"
            if wait_ready(self.process, self._ready, timeout):
                return self.url
        log_text = (self.dir / "postgres.log").read_text(errors="replace")[-2000:]
        self.stop()
        raise RuntimeError(f"PostgreSQL did not start; its log ends:\n{log_text}")

    def _ready(self) -> bool:
        import psycopg2

        try:
            psycopg2.connect(f"{self.url}/postgres", connect_timeout=2).close()
        except psycopg2.OperationalError:
            return False
        return True

    def stop(self) -> None:
        """Shut the server down (fast shutdown: clients are disconnected) and remove its directory."""
        end_process(self.process, signal.SIGINT, grace=30)
        self.process = None
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None
