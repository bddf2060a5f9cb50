"""The stable code of each kind of definition problem (``Problem.code``).

A code names one kind of problem for good: scripts and the docs may match on it, so a code
is never reused for another kind, and a new kind gets a new code. ``LG1xx`` are the
definition's own; a rule expression that does not parse or type-check is ``LG200``
(:class:`leadgate.errors.ExpressionError`).

======  ========  ==================================================================
code    severity  problem
======  ========  ==================================================================
LG100   error     any definition problem (the code of :class:`DefinitionError` itself)
LG101   error     the file is larger than a definition may be (its real size is given)
LG102   error     the file is not UTF-8 text (or holds NUL characters)
LG103   error     YAML a definition never needs: anchors, aliases, deep nesting
LG104   error     YAML syntax
LG105   error     the file is empty
LG106   error     a key is not a plain word
LG107   error     a key is given twice in one mapping
LG108   error     there is no definition file at the path given
LG109   error     the path cannot be read (a directory, no permission)
LG110   error     structure: a missing, unknown or mistyped field
LG120   warning   a declared event type is a standard one already
LG121   error     two rules, tiers or event rules share a name
LG122   error     an engagement rule names an unknown event type
LG123   error     a tier can never be reached
LG124   error     a weighted score lacks its weights or a group's cap
LG125   error     grades or bands out of order (warning: a catch-all with a bound)
LG126   error     an engagement rule's ``per`` is not a number (text, true/false)
LG127   error     an engagement rule with neither ``when`` nor ``per``; a per-unit rule
                  without its ``cap``; a ``cap`` on a rule that is not per unit
LG128   error     a date field read other than with ``days_since(field)``, or
                  ``days_since()`` of a field that is not a date
LG130   warning   the definition is past its ``review_by`` date (given the caller's today)
LG140   error     a tier's ``sla_hours`` without its ``sla``
LG141   error     ``lifecycle.reentry_events`` names an unknown event type
LG142   warning   ``lifecycle.recycle_untouched_after`` is not longer than a sales tier's SLA
LG143   warning   lifecycle rules in a definition without a sales tier (nothing enters MQL)
======  ========  ==================================================================
"""

from __future__ import annotations

DEFINITION = "LG100"
TOO_LARGE = "LG101"
NOT_TEXT = "LG102"
REFUSED_YAML = "LG103"
YAML_SYNTAX = "LG104"
EMPTY = "LG105"
BAD_KEY = "LG106"
DUPLICATE_KEY = "LG107"
NO_FILE = "LG108"
UNREADABLE = "LG109"
STRUCTURE = "LG110"
STANDARD_EVENT_TYPE = "LG120"
DUPLICATE_NAME = "LG121"
UNKNOWN_EVENT_TYPE = "LG122"
UNREACHABLE_TIER = "LG123"
WEIGHTED_SCORE = "LG124"
LADDER_ORDER = "LG125"
PER_UNIT_NOT_A_NUMBER = "LG126"
ENGAGEMENT_RULE = "LG127"
NOT_A_DATE = "LG128"  # raised by the expression checker (leadgate.expr.dates.NOT_A_DATE)
REVIEW_DUE = "LG130"
SLA_HOURS_WITHOUT_SLA = "LG140"
UNKNOWN_REENTRY_EVENT = "LG141"
RECYCLED_BEFORE_SLA = "LG142"
LIFECYCLE_WITHOUT_SALES_TIER = "LG143"
EXPRESSION = "LG200"
