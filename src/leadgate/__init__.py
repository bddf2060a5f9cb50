"""leadgate: one agreed, versioned MQL definition, scored explainably on every lead."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
