"""The demo gateway in a child process, started before the viewer's own imports.

``runwatch --demo`` binds a loopback socket (so the URL is known at once and early requests
queue in its backlog), hands it to ``python -m tui.sim.child``, and goes on importing
Textual while the child imports the HTTP stack and builds its world on the other core. The
gateway then never competes with the UI for the interpreter lock. The child exits when its
parent does, however the parent ends.

Nothing here imports the gateway itself: the parent stays light.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class ChildGateway:
    """A gateway process serving on ``url``."""

    url: str
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        """Stop the child (and reap it)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(3)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(3)


def listening_socket(host: str, port: int) -> socket.socket:
    """A bound, listening TCP socket for the gateway (connections queue until it serves)."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted sockets inherit TCP_NODELAY: without it, header and body writes meet
    # delayed ACKs and every response takes ~40 ms on loopback.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(128)
    return sock


def spawn(options: Any) -> ChildGateway:
    """Start a gateway for ``options`` (a :class:`~tui.sim.server.GatewayOptions`)."""
    sock = listening_socket(options.host, options.port)
    host, port = sock.getsockname()[:2]
    payload = json.dumps(asdict(options))
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "tui.sim.child", str(sock.fileno()), str(os.getpid()), payload],
            pass_fds=(sock.fileno(),),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    finally:
        sock.close()  # the child holds its own copy
    return ChildGateway(f"http://{host}:{port}", process)


def _watch_parent(parent: int) -> None:
    """Exit when the parent is gone (reparented: our parent pid changes)."""
    while True:
        if os.getppid() != parent:
            os._exit(0)
        time.sleep(0.5)


def main(argv: list[str]) -> int:
    fd, parent, payload = int(argv[0]), int(argv[1]), argv[2]
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    from tui.sim.server import GatewayOptions, GatewayServer

    options = GatewayOptions(**json.loads(payload))
    sock = socket.socket(fileno=fd)
    server = GatewayServer(options, sock=sock)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
