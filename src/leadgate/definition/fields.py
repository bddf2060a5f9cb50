"""The fields rules may name, with their types: the store's columns plus declared ones."""

from __future__ import annotations

from collections.abc import Mapping

#: The types a declared attribute may have; a ``date`` is read with ``days_since(field)``.
FIELD_TYPES = ("number", "text", "bool", "date")

LEAD_FIELDS: dict[str, str] = {
    "email": "text",
    "email_domain": "text",
    "email_domain_type": "text",
    "first_name": "text",
    "last_name": "text",
    "title": "text",
    "seniority": "text",
    "department": "text",
    "title_flag": "text",
    "company": "text",
    "company_domain": "text",
    "company_size": "number",
    "industry": "text",
    "country": "text",
    "source": "text",
    "stage": "text",
}

ACCOUNT_FIELDS: dict[str, str] = {
    "domain": "text",
    "name": "text",
    "company_size": "number",
    "industry": "text",
    "country": "text",
    "annual_revenue": "number",
    "tech": "text",
    "is_customer": "bool",
    "is_competitor": "bool",
}


def lead_fields(declared: Mapping[str, str] | None = None) -> dict[str, str]:
    """Lead field name → type, the declared ``attributes`` included."""
    out = dict(LEAD_FIELDS)
    for name, kind in (declared or {}).items():
        if isinstance(name, str) and kind in FIELD_TYPES:
            out[name] = kind
    return out


def account_fields(declared: Mapping[str, str] | None = None) -> dict[str, str]:
    """``account.x`` name → type, the declared ``account_attributes`` included."""
    out = {f"account.{k}": v for k, v in ACCOUNT_FIELDS.items()}
    for name, kind in (declared or {}).items():
        if isinstance(name, str) and kind in FIELD_TYPES:
            out[f"account.{name}"] = kind
    return out
