"""The words leadgate knows out of the box: event types, seniorities, domain types, stages.

A definition may declare more event types (``event_types:``); importers reject an event
whose type is in neither list, naming the nearest known type.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

STANDARD_EVENT_TYPES: tuple[str, ...] = (
    "page_view",
    "pricing_page",
    "blog_view",
    "demo_request",
    "live_demo",
    "trial_signup",
    "contact_sales",
    "webinar_registration",
    "webinar_attended",
    "content_download",
    "case_study_view",
    "email_open",
    "email_click",
    "form_submit",
    "chat",
    "event_attended",
    "product_signup",
    "product_active",
    "unsubscribe",
    "email_bounce",
    "careers_page",
)

SENIORITIES: tuple[str, ...] = ("ic", "manager", "director", "vp", "cxo")
DOMAIN_TYPES: tuple[str, ...] = (
    "business",
    "personal",
    "student",
    "disposable",
    "competitor",
    "customer",
)
STAGES: tuple[str, ...] = (
    "lead",
    "mql",
    "sal",
    "sql",
    "opportunity",
    "won",
    "lost",
    "recycled",
    "disqualified",
)


def suggest(word: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate to ``word``, or None when nothing is close.

    >>> suggest("pricng_page", STANDARD_EVENT_TYPES)
    'pricing_page'
    """
    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None
