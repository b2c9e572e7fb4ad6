"""The workers' shared socket: connections accepted on it must have Nagle's algorithm off."""

from __future__ import annotations

import asyncio
import socket

from bokflyt.serving import TcpConfig


async def _nodelay_of_accepted(listener: socket.socket) -> int:
    """Accept one connection the way a uvicorn worker does (asyncio) and read TCP_NODELAY."""
    seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            sock = transport.get_extra_info("socket")
            seen.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    server = await asyncio.get_running_loop().create_server(Probe, sock=listener)
    port = listener.getsockname()[1]
    _reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        return await asyncio.wait_for(seen, 5)
    finally:
        writer.close()
        server.close()


def test_accepted_connections_get_tcp_nodelay() -> None:
    """uvicorn's own Config fails this (protocol 0, TCP_NODELAY 0: uvicorn issue #3149)."""
    sock = TcpConfig("bokflyt.web:app_from_environment", host="127.0.0.1", port=0).bind_socket()
    assert sock.proto == socket.IPPROTO_TCP
    assert asyncio.run(_nodelay_of_accepted(sock)) != 0
