"""Measurement: the funnel, diagnostics in plain words, and the lift of each criterion.

Everything here reads the store as of a time and returns result dataclasses with
``as_dict()``; :class:`~leadgate.project.Project` is the front door (``funnel``,
``diagnose``, ``lift``).
"""
