"""What the private servers share: free ports, a child that dies with its owner, leftover directories."""

from __future__ import annotations

import ctypes
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

_PR_SET_PDEATHSIG = 1
OWNER_FILE = "owner.pid"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_leftovers(prefix: str) -> None:
    """Remove ``<tmp>/<prefix>*`` directories whose owner process is gone (killed before it cleaned up)."""
    for path in Path(tempfile.gettempdir()).glob(f"{prefix}*"):
        try:
            owner = int((path / OWNER_FILE).read_text())
        except (OSError, ValueError):
            continue
        if not _alive(owner):
            shutil.rmtree(path, ignore_errors=True)


def private_dir(prefix: str) -> Path:
    """A new temporary directory recording this process as its owner."""
    remove_leftovers(prefix)
    path = Path(tempfile.mkdtemp(prefix=prefix))
    (path / OWNER_FILE).write_text(str(os.getpid()))
    return path


def child_setup(run_as: pwd.struct_passwd | None, death_signal: int) -> Callable[[], None]:
    """A ``preexec_fn``: drop to ``run_as`` (when given), then die with ``death_signal`` when the owner does.

    The parent-death signal is tied to the thread that forks, so it is only asked for on the main thread
    (a helper thread's exit would otherwise stop the server); other threads rely on the owner's atexit.
    """
    on_main_thread = threading.current_thread() is threading.main_thread()
    libc = ctypes.CDLL(None, use_errno=True)

    def setup() -> None:
        os.setsid()  # Ctrl-C in the terminal reaches the owner, which stops the server in order
        if run_as is not None:
            os.setgroups([])
            os.setgid(run_as.pw_gid)
            os.setuid(run_as.pw_uid)
        # After setuid: a change of credentials clears the parent-death signal.
        if on_main_thread:
            libc.prctl(_PR_SET_PDEATHSIG, death_signal, 0, 0, 0)

    return setup


def system_user_for_servers(name: str) -> pwd.struct_passwd | None:
    """The account a server that refuses root runs as: ``name`` when we are root, else ourselves (None).

    Raises:
        RuntimeError: we are root and the account does not exist.
    """
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(name)
    except KeyError:
        raise RuntimeError(f"running as root, and there is no {name!r} user to run the server as "
                           "(the postgresql package creates it)") from None



def wait_ready(process: subprocess.Popen, ready: Callable[[], bool], timeout: float) -> bool:
    """Poll ``ready()`` until it is true; False when the process exits first, or at the timeout (killed then)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        if ready():
            return True
        time.sleep(0.05)
    process.kill()
    return False


def end_process(process: subprocess.Popen | None, stop_signal: int, grace: float) -> None:
    """Send ``stop_signal``, wait up to ``grace`` seconds, then kill."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(stop_signal)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)
