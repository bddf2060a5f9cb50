"""``python -m leadgate``: the same as the ``leadgate`` command."""

from .cli import main

main()
