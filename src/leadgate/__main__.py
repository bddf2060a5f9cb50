"""``python -m leadgate``: the same as the ``leadgate`` command."""

import sys

from .cli import main

sys.exit(main())
