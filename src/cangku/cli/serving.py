"""``cangku serve``: listen first, say so once the server is up.

The port is bound here, before uvicorn starts, so that a port already in use (or one the user
may not open) is a clear error with a stable exit status instead of uvicorn's log line and
exit 1; and "serving on ..." is printed only once uvicorn has started the app and listens on
that socket (``Server.started``), so a script that waits for the line can connect at once.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Callable

import uvicorn

from cangku.domain.errors import CangkuError, Conflict, InvalidInput, PermissionDenied


def listen(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host``:``port`` (0: a free port), as uvicorn binds its own.

    Raises Conflict ``port_in_use`` (exit 6), PermissionDenied ``port_not_permitted``
    (exit 8), InvalidInput ``cannot_listen`` (exit 4: an address this machine does not have,
    a host name that does not resolve)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family=family, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise _refusal(host, port, exc) from None
    sock.set_inheritable(True)
    return sock


#: what a bind error means: (error class, code, message); else ``cannot_listen``
_REFUSALS: dict[int, tuple[type[CangkuError], str, str]] = {
    errno.EADDRINUSE: (
        Conflict,
        "port_in_use",
        "port {port} on {host} is already in use: stop what listens there, or choose another"
        " with --port",
    ),
    errno.EACCES: (
        PermissionDenied,
        "port_not_permitted",
        "not allowed to listen on {host}:{port} (ports below 1024 need privileges): choose"
        " another with --port",
    ),
}


def _refusal(host: str, port: int, exc: OSError) -> CangkuError:
    error, code, message = _REFUSALS.get(
        exc.errno or 0,
        (InvalidInput, "cannot_listen", "cannot listen on {host}:{port}: {reason}"),
    )
    text = message.format(host=host, port=port, reason=exc.strerror or exc)
    return error(text, code=code, host=host, port=port)


def run(sock: socket.socket, host: str, on_started: Callable[[str], None]) -> None:
    """Serve the app on ``sock`` until stopped; ``on_started(url)`` once it listens."""
    port = int(sock.getsockname()[1])
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}"

    class _Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            if self.started:
                on_started(url)

    config = uvicorn.Config("cangku.app:asgi", factory=True, host=host, port=port)
    _Server(config).run(sockets=[sock])
