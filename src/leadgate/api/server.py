"""``leadgate serve``: run the API with uvicorn on a socket bound before it starts.

Binding first (port 0 picks a free one) means the URL in the CLI's note is the real one.

The socket is made as a TCP socket by name (``IPPROTO_TCP``), not protocol 0: asyncio
turns Nagle's algorithm off (``TCP_NODELAY``) only on connections whose socket says TCP,
and with it on, every answer (headers, then body: two writes) waited for the client's
delayed acknowledgement of the first, about 40 ms on Linux, whatever the page cost.
"""

from __future__ import annotations

import socket

import uvicorn

from ..project import Project
from .app import create_app


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def serve(
    project: Project, host: str = "127.0.0.1", port: int = 8400, log_level: str = "info"
) -> None:
    """Serve ``project`` until interrupted; the store is this process's while it runs."""
    sock = bind(host, port)
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{'127.0.0.1' if host in {'0.0.0.0', ''} else shown}:{bound}"
    app = create_app(project, announce_url=url)
    config = uvicorn.Config(app, log_level=log_level, access_log=False)
    server = uvicorn.Server(config)
    print(f"leadgate serving {project.root} at {url}", flush=True)
    server.run(sockets=[sock])
