"""Enrichment: email domain type, title → seniority/department, accounts, firmographics.

The public entry point is :func:`enrich_leads`, run by the importer after each leads import
(:mod:`leadgate.scoring.coverage` then reports how many leads each rule could not judge,
before and after enrichment, from the ``enriched`` column it keeps).
Each step is also usable alone: :func:`classify_domain` and :func:`classify_title` are the
pure one-lead twins of the set-based SQL the pipeline runs.
"""

from .accounts import apply_firmographics, leads_from_accounts, link_accounts
from .domains import classify_domain, classify_domains_sql, load_domain_lists, normalise_domain
from .pipeline import EnrichReport, enrich_changes, enrich_leads
from .titles import TitleClass, classify_title, title_sql

__all__ = [
    "EnrichReport",
    "TitleClass",
    "apply_firmographics",
    "classify_domain",
    "classify_domains_sql",
    "classify_title",
    "enrich_changes",
    "enrich_leads",
    "leads_from_accounts",
    "link_accounts",
    "load_domain_lists",
    "normalise_domain",
    "title_sql",
]
