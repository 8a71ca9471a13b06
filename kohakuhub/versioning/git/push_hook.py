"""The pre-receive and post-receive hook that ``git receive-pack`` runs during a push.

It makes no decision itself: it hands the ref updates (and where git keeps the pushed objects until the
push is accepted, the quarantine) to the hub process serving this push, over the Unix socket named by
``KOHAKU_HUB_PUSH_SOCKET``, waits for the verdict, prints the hub's messages (git shows them to the
pusher as ``remote: ...``) and exits non-zero to reject. So every check runs in the hub with its real
services, and this script needs only the standard library (it runs with ``python -S``, no site-packages).
"""

import json
import os
import socket
import sys

# Passed on so the hub can read the pushed objects before git moves them out of quarantine.
OBJECT_ENV = ("GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_QUARANTINE_PATH")


def main() -> int:
    hook = sys.argv[1]
    request = {
        "hook": hook,
        "updates": sys.stdin.read(),
        "env": {name: os.environ[name] for name in OBJECT_ENV if name in os.environ},
    }
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.connect(os.environ["KOHAKU_HUB_PUSH_SOCKET"])
            conn.sendall(json.dumps(request).encode() + b"\n")
            conn.shutdown(socket.SHUT_WR)
            reply = b"".join(iter(lambda: conn.recv(65536), b""))
        verdict = json.loads(reply)
    except (OSError, KeyError, ValueError) as exc:
        print(f"KohakuHub: the push could not be checked ({exc}); nothing was changed", file=sys.stderr)
        return 1
    for line in verdict.get("messages", []):
        print(line, file=sys.stderr)
    return 0 if verdict.get("ok") else 1


if __name__ == "__main__":
    sys.exit(main())
