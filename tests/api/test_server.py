"""``leadgate serve``'s socket: its connections send each write at once (no Nagle)."""

from __future__ import annotations

import asyncio
import socket

from leadgate.api.server import bind


def test_connections_of_the_bound_socket_have_nagle_off() -> None:
    """asyncio sets ``TCP_NODELAY`` only on a socket whose protocol is TCP by name: with
    protocol 0 every answer's second write (the body after the headers) waited for the
    client's delayed acknowledgement, about 40 ms per request."""
    listener = bind("127.0.0.1", 0)
    port = listener.getsockname()[1]
    seen: list[int] = []

    async def main() -> None:
        def accepted(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            conn = writer.get_extra_info("socket")
            seen.append(conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(accepted, sock=listener)
        async with server:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            for _ in range(200):
                if seen:
                    break
                await asyncio.sleep(0.01)
            writer.close()

    asyncio.run(main())
    assert seen and seen[0] != 0
