"""Column mappings for the CRM exports people actually have.

* ``hubspot_contacts``: a HubSpot contacts export (CRM → Contacts → Export). HubSpot writes
  each property's *label* as the header ("Record ID", "First Name", "Country/Region",
  "Create Date"); the import template spells some of them differently
  ("Email address", "Company name"), so each target lists both.
* ``salesforce_leads``: a Salesforce Lead export (Data Loader, reports API, Workbench) with
  the Lead object's API field names (``Id``, ``FirstName``, ``NumberOfEmployees``,
  ``LeadSource``, ``CreatedDate``...), as in Salesforce's object reference.
* ``salesforce_lead_report``: a Salesforce leads *report* exported as CSV ("Details Only"),
  whose headers are the report's column labels (``Lead ID``, ``Company / Account``,
  ``Employees``, ``Lead Status``, ``Lead Owner``, ``Create Date``).

A preset maps a target field to the headers that may carry it; the first one present in
the file is used. A target the store does not have yet (``owner``, ``num_pageviews``) is a
custom attribute the preset names: the column is kept under that stable name rather than
its header in snake_case. Columns a preset does not name are kept as custom attributes.

Each preset's ``stage`` goes through the CRM's standard value map (:data:`PRESET_VALUES`),
and the CRM's own word is kept beside it (``lifecycle_stage``, ``status``, ``lead_status``).
"""

from __future__ import annotations

from collections.abc import Container, Iterable

# HubSpot's engagement properties, by their labels, as typed custom attributes.
HUBSPOT_ENGAGEMENT: dict[str, tuple[str, ...]] = {
    "num_pageviews": ("Number of Pageviews",),
    "num_sessions": ("Number of Sessions",),
    "num_form_submissions": ("Number of Form Submissions",),
    "recent_conversion_date": ("Recent Conversion Date",),
    "last_activity_date": ("Last Activity Date",),
}

PRESETS: dict[str, dict[str, tuple[str, ...]]] = {
    "hubspot_contacts": {
        "lead_id": ("Record ID", "Contact ID"),
        "email": ("Email", "Email address"),
        "first_name": ("First Name", "First name"),
        "last_name": ("Last Name", "Last name"),
        "title": ("Job Title", "Job title"),
        "company": ("Company Name", "Company name", "Company"),
        "company_domain": ("Company Domain Name", "Website URL"),
        "company_size": ("Number of Employees",),
        "industry": ("Industry",),
        "country": ("Country/Region", "Country"),
        "source": ("Original Source", "Original Source Type", "Latest Source"),
        "stage": ("Lifecycle Stage",),
        "created_at": ("Create Date", "Created Date"),
        "updated_at": ("Last Modified Date",),
        "owner": ("Contact owner", "Contact Owner", "HubSpot Owner"),
        **HUBSPOT_ENGAGEMENT,
    },
    "salesforce_leads": {
        "lead_id": ("Id",),
        "email": ("Email",),
        "first_name": ("FirstName",),
        "last_name": ("LastName",),
        "title": ("Title",),
        "company": ("Company",),
        "company_domain": ("Website",),
        "company_size": ("NumberOfEmployees",),
        "industry": ("Industry",),
        "country": ("Country",),
        "source": ("LeadSource",),
        "stage": ("Status",),
        "created_at": ("CreatedDate",),
        "updated_at": ("LastModifiedDate",),
        "owner_id": ("OwnerId",),  # a user's id (005...), not a name
        "last_activity_date": ("LastActivityDate",),
    },
    "salesforce_lead_report": {
        "lead_id": ("Lead ID",),
        "email": ("Email",),
        "first_name": ("First Name",),
        "last_name": ("Last Name",),
        "title": ("Title",),
        "company": ("Company / Account", "Company"),
        "company_domain": ("Website",),
        "company_size": ("Employees",),
        "industry": ("Industry",),
        "country": ("Country",),
        "source": ("Lead Source",),
        "stage": ("Lead Status",),
        "created_at": ("Create Date", "Created Date"),
        "updated_at": ("Last Modified Date",),
        "owner": ("Lead Owner",),
        "last_activity_date": ("Last Activity",),
    },
}

# The kind each preset is for, so `import events --preset hubspot_contacts` fails loudly.
PRESET_KINDS: dict[str, str] = dict.fromkeys(PRESETS, "leads")

# HubSpot's default lifecycle stages, by label (a UI export) and internal name (an API
# export). Customers and evangelists have bought: won. "Other" says nothing of the funnel:
# a lead.
HUBSPOT_STAGES: dict[str, str] = {
    "Subscriber": "lead",
    "Lead": "lead",
    "Marketing Qualified Lead": "mql",
    "Sales Qualified Lead": "sql",
    "Opportunity": "opportunity",
    "Customer": "won",
    "Evangelist": "won",
    "Other": "lead",
    "marketingqualifiedlead": "mql",
    "salesqualifiedlead": "sql",
}
# Salesforce's default Lead Status picklist (the same words in the API and in reports).
# Working a lead is sales accepting it; a converted lead became an opportunity; one closed
# without converting was disqualified.
SALESFORCE_STATUSES: dict[str, str] = {
    "Open - Not Contacted": "lead",
    "Working - Contacted": "sal",
    "Closed - Converted": "opportunity",
    "Closed - Not Converted": "disqualified",
}

#: Each preset's value maps (see :mod:`.values`): field → {CRM value: leadgate value}.
PRESET_VALUES: dict[str, dict[str, dict[str, str]]] = {
    "hubspot_contacts": {"stage": HUBSPOT_STAGES},
    "salesforce_leads": {"stage": SALESFORCE_STATUSES},
    "salesforce_lead_report": {"stage": SALESFORCE_STATUSES},
}


def attribute_names(
    preset: str | None, columns: Iterable[str], fields: Container[str]
) -> dict[str, str]:
    """Header → the custom attribute ``preset`` names for it, among ``columns`` (those no
    field took) and for names that are not ``fields`` yet: ``{"Number of Pageviews":
    "num_pageviews"}``."""
    present = set(columns)
    out: dict[str, str] = {}
    for target, headers in PRESETS.get(preset or "", {}).items():
        header = next((h for h in headers if h in present), None)
        if header is not None and target not in fields:
            out.setdefault(header, target)
    return out
