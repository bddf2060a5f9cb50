"""Measurement: how a definition's tiers convert, replayed over history and compared."""
