"""``leadgate serve``'s socket (its connections send each write at once: no Nagle) and the
request counter every request passes through."""

from __future__ import annotations

import asyncio
import re
import socket
from pathlib import Path

from fastapi.testclient import TestClient

from leadgate.api.app import create_app
from leadgate.api.server import bind

from .conftest import api_project


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


def test_requests_are_counted_by_route_and_status(tmp_path: Path) -> None:
    project = api_project(tmp_path / "p")
    key = project.create_key("scraper", "read").key
    headers = {"Authorization": f"Bearer {key}"}
    with TestClient(create_app(project)) as client:
        assert client.get("/health").status_code == 200
        assert client.get("/v1/leads/nobody", headers=headers).status_code == 404
        assert client.get("/v1/whoami").status_code == 401
        assert client.get("/no/such/path").status_code == 404
        text = client.get("/metrics", headers=headers).text
    counted = {
        m.group(1, 2, 3): int(m.group(4))
        for m in re.finditer(
            r'leadgate_requests_total\{method="(\w+)",route="([^"]+)",status="(\d+)"\} (\d+)', text
        )
    }
    assert counted[("GET", "/health", "200")] == 1
    assert counted[("GET", "/v1/leads/{lead}", "404")] == 1
    assert counted[("GET", "/v1/whoami", "401")] == 1
    assert counted[("GET", "(no route)", "404")] == 1
