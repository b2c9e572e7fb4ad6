"""`bokflyt serve --workers N`: uvicorn's worker processes, with Nagle's algorithm off.

uvicorn (0.54 here) binds the socket its workers share without naming the protocol, so the
connections they accept report protocol 0 and asyncio does not set TCP_NODELAY on them. On
Linux every keep-alive request after the first then waits for the client's delayed ACK:
about 45 ms each, measured here (2 ms with one worker), which alone would break the web's
latency target (uvicorn issue #3149). The socket is re-wrapped as TCP before the workers start.
"""

from __future__ import annotations

import socket

import uvicorn
from uvicorn.supervisors import Multiprocess


class TcpConfig(uvicorn.Config):
    """uvicorn's configuration, whose shared listening socket says it is TCP."""

    def bind_socket(self) -> socket.socket:
        sock = super().bind_socket()
        if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto != socket.IPPROTO_TCP:
            sock = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
            sock.set_inheritable(True)
        return sock


def serve_workers(app: str, host: str, port: int, workers: int) -> None:
    """Run `workers` processes of the app factory `app` ("module:function") on one socket."""
    config = TcpConfig(app, factory=True, host=host, port=port, workers=workers, log_level="info")
    Multiprocess(config, sockets=[config.bind_socket()]).run()
