"""``python -m leadgate.cli``: the same as the ``leadgate`` command."""

from . import main

main()
