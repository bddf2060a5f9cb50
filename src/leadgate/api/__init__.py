"""The HTTP API (``leadgate serve``): a FastAPI app over :class:`~leadgate.project.Project`.

See :mod:`.app` (the app and its writer), :mod:`.auth` and :mod:`.keys` (API keys with roles),
:mod:`.errors` (one error shape) and :mod:`.local` (the CLI beside a running server).
"""
