"""Measurement: the funnel, diagnostics in plain words, the lift of each criterion, and how
a definition's tiers convert, replayed over history and compared.

Everything here reads the store as of a time and returns result dataclasses with
``as_dict()``; :class:`~leadgate.project.Project` is the front door (``funnel``,
``diagnose``, ``lift``, ``backtest``, ``compare``).
"""
