"""Column mappings for the CRM exports people actually have.

* ``hubspot_contacts``: a HubSpot contacts export (CRM → Contacts → Export). HubSpot writes
  each property's *label* as the header ("Record ID", "First Name", "Country/Region",
  "Create Date"); the import template spells some of them differently
  ("Email address", "Company name"), so each target lists both.
* ``salesforce_leads``: a Salesforce Lead export (Data Loader, reports API, Workbench) with
  the Lead object's API field names (``Id``, ``FirstName``, ``NumberOfEmployees``,
  ``LeadSource``, ``CreatedDate``...), as in Salesforce's object reference.

A preset maps a target field to the headers that may carry it; the first one present in
the file is used. Columns a preset does not name are kept as custom attributes.
"""

from __future__ import annotations

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
        "created_at": ("Create Date", "Created Date"),
        "updated_at": ("Last Modified Date",),
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
        "created_at": ("CreatedDate",),
        "updated_at": ("LastModifiedDate",),
    },
}

# The kind each preset is for, so `import events --preset hubspot_contacts` fails loudly.
PRESET_KINDS: dict[str, str] = {"hubspot_contacts": "leads", "salesforce_leads": "leads"}

# Neither preset maps a CRM's own status ("Lifecycle Stage", Salesforce "Status") onto
# leadgate's ``stage``: that column belongs to leadgate's stage machine. They are kept as the
# custom attributes ``lifecycle_stage`` and ``status``, which rules can still name.
