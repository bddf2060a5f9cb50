"""One person, one lead: a lead's identity is its email; every id a source gave it is an alias.

* :mod:`.aliases`: how an import keys a row by alias, then email, then its own id, records
  the ids it saw as aliases, and moves events and outcomes keyed by an alias to the lead.
* :mod:`.merge`: ``leadgate merge``, for leads stored apart that share an email.
* :func:`.aliases.candidates`: every lead a key (id, alias or email) names, for ``explain``.
"""

from __future__ import annotations

from .aliases import candidates, email_sql, has_aliases
from .merge import merge_leads

__all__ = ["candidates", "email_sql", "has_aliases", "merge_leads"]
