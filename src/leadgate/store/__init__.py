"""The DuckDB project store: schema, migrations, atomic writes."""

from .db import Store
from .schema import MIGRATIONS

__all__ = ["MIGRATIONS", "Store"]
