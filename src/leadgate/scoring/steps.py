"""The scoring query's steps: one small builder per CTE, each named for what it holds.

The query reads as the Python function does (:mod:`leadgate.scoring.codegen`), step for
step, and names its columns from the same legend (:mod:`leadgate.scoring.names`):

==================  =========================================================================
CTE                 one row per ... holding ...
==================  =========================================================================
(event steps)       see :mod:`leadgate.scoring.event_steps`: ``scoped_events`` to
                    ``event_totals`` and ``event_aggregates``, one row per lead with events
intent              account: each intent aggregate (the strongest signal)
engaged_contacts    account: each engaged-contacts aggregate (on Spark a window in
                    ``lead_values`` counts them: ``EventSteps.choose_contacts_by_window``)
lead_values         lead: every field a condition reads and every event/aggregate value
judged              lead: each fit rule's verdict, each event rule's capped points, each
                    engagement rule's points (NULL: not judged)
summed              lead: fit_raw and engagement_raw (events' and engagement rules' points)
clamped             lead: fit and engagement held to their floors and caps
weighted            lead: the weighted parts, grade, band, the scores conditions read
verdicts            lead: total, the first disqualifier that holds, each one's verdict
==================  =========================================================================

The final SELECT adds the tier. Each builder returns the CTE's body as SQL text; the
definition's conditions and every literal are rendered by SQLGlot (quoted, in the
dialect), the query's frame is assembled here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlglot import exp

from ..definition.compile import CompiledDefinition, CompiledEngagementRule
from ..expr.check import Checked
from ..expr.dates import DATE_TEXT, days_key
from ..expr.to_sql import SqlEmitter
from . import names as n
from .contract import clamp
from .event_steps import EventSteps, double, lit
from .plans import AsOf, Tables

NUMERIC_TYPES = ("BIGINT", "INTEGER", "DOUBLE", "FLOAT", "SMALLINT", "TINYINT", "HUGEINT",
                 "UBIGINT", "UINTEGER", "REAL", "INT", "LONG")  # fmt: skip


def render(node: exp.Expression, dialect: str) -> str:
    return node.sql(dialect=dialect)


class PlanBuilder:
    """Builds the scoring query of one definition for one store layout and dialect."""

    def __init__(
        self,
        c: CompiledDefinition,
        when: AsOf,
        lead_columns: Mapping[str, str],
        account_columns: Mapping[str, str],
        tables: Tables,
        dialect: str,
        explained: bool = True,
    ) -> None:
        self.c, self.when, self.tables, self.dialect = c, when, tables, dialect
        self.lead_columns, self.account_columns = lead_columns, account_columns
        #: False: the scores without what explains them (each rule's verdict, points and
        #: count: :meth:`final_select`), for a caller that reads the scores alone
        self.explained = explained
        aggs = list(c.aggregates.values())
        self.intents = [(j, a) for j, a in enumerate(aggs) if a.kind == "intent"]
        self.contacts = [(j, a) for j, a in enumerate(aggs) if a.kind == "contacts"]
        self.events = EventSteps(c, when, tables, dialect, explained)
        self.age = self.events.age
        # What conditions name (a field, an aggregate key, ``fit``) → the column holding it.
        self.names: dict[str, str] = dict(n.SCORE_VALUES)
        for k, name in enumerate(sorted(c.fields_used)):
            self.names[name] = n.field(k)
            if c.fields[name] == "date":
                self.names[days_key(name)] = n.days(k)
        for j, agg in enumerate(aggs):
            self.names[agg.key] = n.aggregate(j)
        self.emitter = SqlEmitter(self.names, dict(c.fields))

    def query(self) -> str:
        """The whole query: its CTEs, in order, and the final SELECT."""
        steps = {
            **self.events.ctes(),
            "intent": self.intent(),
            "engaged_contacts": self.engaged_contacts(),
            "lead_values": self.lead_values(),
            "account_engagement": self.account_engagement(),
            "judged": self.judged(),
            "summed": self.summed(),
            "clamped": self.clamped(),
            "weighted": self.weighted(),
            "verdicts": self.verdicts(),
        }
        ctes = [f"{name} AS ({body})" for name, body in steps.items() if body is not None]
        return "WITH " + ",\n".join(ctes) + f"\n{self.final_select()}"

    def condition(self, checked: Checked) -> str:
        return render(self.emitter.emit(checked), self.dialect)

    # -- roll-ups per account ------------------------------------------------------------------
    def intent(self) -> str | None:
        """Per account: the strongest intent signal on each aggregate's topic and window."""
        if not self.intents:
            return None
        cols = []
        for j, agg in self.intents:
            conds = [] if agg.topic == "*" else [f"LOWER(topic) = {lit(agg.topic, self.dialect)}"]
            if agg.window_us is not None:
                conds.append(f"{self.age} <= {agg.window_us}")
            cols.append(
                f"MAX(CASE WHEN {' AND '.join(conds) or 'TRUE'} THEN strength END)"
                f" AS {n.aggregate(j)}"
            )
        ts_us = "unix_micros(ts)" if self.dialect == "spark" else "epoch_us(ts)"
        return (
            f"SELECT account_id, {', '.join(cols)} FROM (SELECT account_id, topic, strength, "
            f"{ts_us} AS ts_us FROM {self.tables.intent} WHERE ts <= {self.when.ts()}) s "
            "GROUP BY account_id"
        )

    def engaged_contacts(self) -> str | None:
        """Per account: how many of its leads have an event in each aggregate's window.

        Read from ``event_totals``, where each lead's events in the window are counted in
        the one pass over the events (a lead counts when it has one); not from the events
        again: a second scan and join of every event was half of Spark's work.
        """
        if not self.contacts or self.events.contacts_by_window:
            return None
        cols = [
            f"COUNT(DISTINCT CASE WHEN t.{n.aggregate(j)} > 0 THEN l.lead_id END)"
            f" AS {n.aggregate(j)}"
            for j, _ in self.contacts
        ]
        return (
            f"SELECT l.account_id, {', '.join(cols)} FROM event_totals t "
            f"JOIN {self.tables.leads} l ON l.lead_id = t.lead_id "
            "WHERE l.account_id IS NOT NULL GROUP BY l.account_id"
        )

    # -- one row per lead ----------------------------------------------------------------------
    def lead_values(self) -> str:
        """Per lead: every field a condition reads and every event and roll-up value."""
        cols = ["l.lead_id AS lead_id", "l.account_id AS account_id"]
        for k, name in enumerate(sorted(self.c.fields_used)):
            cols.append(f"{self.field(name)} AS {n.field(k)}")
            if self.c.fields[name] == "date":
                cols.append(f"{self.days(self.field(name))} AS {n.days(k)}")
        raw = n.EVENT_RAW if self.c.engagement_rules else n.ENGAGEMENT_RAW
        event_cols, event_joins = self.events.lead_columns(raw)
        cols += event_cols
        # A lead with no account has no roll-ups (NULL); one whose account has none, 0.
        for j, _ in self.intents:
            value = double(f"COALESCE(intent.{n.aggregate(j)}, 0)")
            cols.append(f"{self.if_account(value)} AS {n.aggregate(j)}")
        by_cte = not self.events.contacts_by_window
        for j, _ in self.contacts if by_cte else ():
            value = f"COALESCE(engaged_contacts.{n.aggregate(j)}, 0)"
            cols.append(f"{self.if_account(value)} AS {n.aggregate(j)}")
        joins = [f"FROM {self.tables.leads} l", *event_joins]
        if any(name.startswith("account.") for name in self.c.fields_used):
            joins.append(f"LEFT JOIN {self.tables.accounts} a ON a.account_id = l.account_id")
        if self.intents:
            joins.append("LEFT JOIN intent ON intent.account_id = l.account_id")
        if self.contacts and by_cte:
            joins.append("LEFT JOIN engaged_contacts ON engaged_contacts.account_id = l.account_id")
        return f"SELECT {', '.join(cols)} {' '.join(joins)}"

    @staticmethod
    def if_account(value: str) -> str:
        return f"CASE WHEN l.account_id IS NULL THEN NULL ELSE {value} END"

    def days(self, micros: str) -> str:
        """Days from a date (µs) to the as-of time; NULL when missing or later (the contract)."""
        as_of = self.when.micros()
        days = f"{double(f'{as_of} - {micros}')} / {double('86400000000')}"
        return f"CASE WHEN {micros} <= {as_of} THEN {days} END"

    def field(self, name: str) -> str:
        """A field read with the type the definition declares (TRY_CAST when the store differs)."""
        source, column, columns = "l", name, self.lead_columns
        if name.startswith("account."):
            source, column, columns = "a", name[8:], self.account_columns
        kind = self.c.fields[name]
        text = "VARCHAR" if self.dialect != "spark" else "STRING"
        want = {"number": "DOUBLE", "text": text, "bool": "BOOLEAN", "date": "BIGINT"}[kind]
        dtype = columns.get(column)
        if dtype is None:  # the store has no such column: unknown, never an error
            return f"CAST(NULL AS {want})"
        col = f"{source}.{render(exp.to_identifier(column, quoted=True), self.dialect)}"
        upper = dtype.upper()
        if kind == "date":
            return self.date_micros(col, upper)
        if kind == "number" and upper.startswith(NUMERIC_TYPES) and not upper.startswith("DECIMAL"):
            return col
        if kind == "text" and upper.startswith(("VARCHAR", "STRING")):
            return col
        if kind == "bool" and upper.startswith("BOOL"):
            return col
        return f"TRY_CAST({col} AS {want})"

    def date_micros(self, col: str, upper: str) -> str:
        return date_micros(col, upper, self.dialect)

    def engagement_rule(self, rule: CompiledEngagementRule) -> str:
        """An engagement rule's points (NULL: not judged), by the contract's formula."""
        amount = str(rule.cents)
        if rule.per is not None:
            cap, v = rule.cap_cents or 0, double(self.condition(rule.per))
            held = f"LEAST(GREATEST({double(str(rule.cents))} * {v}, {-cap}), {cap})"
            amount = f"CAST(FLOOR({held} + {double('0.5')}) AS BIGINT)"
            amount = f"CASE WHEN {v} - {v} = 0 THEN {amount} END"  # not NaN nor infinite
        if rule.when is None:
            return amount
        holds = self.condition(rule.when)
        return f"CASE WHEN {holds} THEN {amount} WHEN NOT {holds} THEN 0 END"

    def judged(self) -> str:
        """Per lead: each fit rule's verdict and each event rule's points held to its cap."""
        cols = ["lead_values.*"]
        for i, fit_rule in enumerate(self.c.fit_rules):
            cols.append(f"{self.condition(fit_rule.expr)} AS {n.fit_rule(i)}")
        for i, rule in enumerate(self.c.event_rules if self.explained else ()):
            # A cap bounds the sum's magnitude: a negative rule is held above -cap.
            capped = n.event_points(i)
            if rule.cap_cents is not None and rule.cents < 0:
                capped = f"GREATEST({capped}, {-rule.cap_cents})"
            elif rule.cap_cents is not None:
                capped = f"LEAST({capped}, {rule.cap_cents})"
            cols.append(f"{capped} AS {n.event_capped(i)}")
        for i, engagement_rule in enumerate(self.c.engagement_rules):
            cols.append(f"{self.engagement_rule(engagement_rule)} AS {n.engagement_rule(i)}")
        scored = self.tables.scored
        only = f" WHERE lead_id IN (SELECT lead_id FROM {scored})" if scored is not None else ""
        return f"SELECT {', '.join(cols)} FROM lead_values{only}"

    def account_engagement(self) -> str | None:
        """Per account, when the plan scores some leads only (``Tables.scored``): the sum
        of its leads' engagement (``account.engagement``), over every lead of ``leads``,
        from their values, as :meth:`summed` and :meth:`clamped` make each lead's. Else
        None: :meth:`weighted` sums it over the scored leads (all of them) by a window.
        The server's plan over a group's accounts scores their 24,000 leads in ~24 ms
        this way, ~30 by the window over every lead scored (issue #9, session 24)."""
        c = self.c
        if not c.uses_rollup or self.tables.scored is None:
            return None
        raw = self.engagement_sum([self.engagement_rule(rule) for rule in c.engagement_rules])
        eng = self.engagement_clamped(f"({raw})")
        return (
            f"SELECT account_id, SUM({eng}) AS summed FROM lead_values "
            "WHERE account_id IS NOT NULL GROUP BY account_id"
        )

    def summed(self) -> str:
        """Per lead: fit_raw; engagement_raw, the capped event rules' sum, came with the events
        (as event_raw when the engagement rules add to it)."""
        fit = [f"CASE WHEN {n.fit_rule(i)} THEN {r.cents} ELSE 0 END"
               for i, r in enumerate(self.c.fit_rules)]  # fmt: skip
        engagement = "" if self.c.event_rules else f", 0 AS {n.ENGAGEMENT_RAW}"
        if self.c.engagement_rules:
            rules = [n.engagement_rule(i) for i in range(len(self.c.engagement_rules))]
            engagement = f", {self.engagement_sum(rules)} AS {n.ENGAGEMENT_RAW}"
        return f"SELECT judged.*, {' + '.join(fit) or '0'} AS {n.FIT_RAW}{engagement} FROM judged"

    def engagement_sum(self, rule_points: list[str]) -> str:
        """A lead's engagement before its floor and cap, over the columns of ``lead_values``:
        its events' points (``event_raw`` when engagement rules add to them), plus
        ``rule_points``, each engagement rule's points (NULL: not judged, counted 0)."""
        c = self.c
        terms = [n.EVENT_RAW if c.engagement_rules else n.ENGAGEMENT_RAW] if c.event_rules else []
        terms += [f"COALESCE({points}, 0)" for points in rule_points]
        return " + ".join(terms) or "0"

    def engagement_clamped(self, raw: str) -> str:
        """A lead's engagement ``raw`` held between the definition's floor and cap (each
        lead's in :meth:`clamped`, its account's sum in :meth:`account_engagement`)."""
        return clamp(raw, self.c.engagement_floor, self.c.engagement_cap, "GREATEST", "LEAST")

    def clamped(self) -> str:
        c = self.c
        fit = clamp(n.FIT_RAW, c.fit_floor, c.fit_cap, low="GREATEST", high="LEAST")
        eng = self.engagement_clamped(n.ENGAGEMENT_RAW)
        return f"SELECT summed.*, {fit} AS {n.FIT}, {eng} AS {n.ENGAGEMENT} FROM summed"

    def weighted(self) -> str:
        """The weighted method's parts (rounded half up), grade, band, and the scores in points."""
        c = self.c
        fit_w, eng_w = n.FIT, n.ENGAGEMENT
        if c.method == "weighted" and c.weights and c.fit_cap and c.engagement_cap:
            fit_w = self.scaled(n.FIT, c.weights[0], c.fit_cap)
            eng_w = self.scaled(n.ENGAGEMENT, c.weights[1], c.engagement_cap)
        hundred = double("100")
        cols = [
            f"{fit_w} AS {n.FIT_WEIGHTED}",
            f"{eng_w} AS {n.ENGAGEMENT_WEIGHTED}",
            f"{self.ladder(n.FIT, c.grades)} AS {n.GRADE}",
            f"{self.ladder(n.ENGAGEMENT, c.bands)} AS {n.BAND}",
            f"{double(n.FIT)} / {hundred} AS {n.FIT_POINTS}",
            f"{double(n.ENGAGEMENT)} / {hundred} AS {n.ENGAGEMENT_POINTS}",
        ]
        joined = ""
        if c.uses_rollup:
            if self.tables.scored is None:  # every lead scored: the sum over them
                others = double(f"SUM({n.ENGAGEMENT}) OVER (PARTITION BY account_id)")
            else:  # some: the sum over every lead, apart (account_engagement)
                others = double("account_engagement.summed")
                joined = (" LEFT JOIN account_engagement"
                          " ON account_engagement.account_id = clamped.account_id")  # fmt: skip
            cols.append(
                f"CASE WHEN clamped.account_id IS NULL THEN NULL ELSE {others} / {hundred} END"
                f" AS {n.ACCOUNT_ENGAGEMENT_POINTS}"
            )
        return f"SELECT clamped.*, {', '.join(cols)} FROM clamped{joined}"

    @staticmethod
    def scaled(col: str, weight: float, cap: int) -> str:
        factor, half = double(repr(weight * 100.0)), double("0.5")
        return f"CAST(FLOOR({double(col)} * {factor} / {double(str(cap))} + {half}) AS BIGINT)"

    def ladder(self, col: str, steps: Sequence[tuple[object, int | None]]) -> str:
        """The label of the first step whose bound ``col`` reaches (a bound of None: the rest)."""
        whens, default = [], "NULL"
        for label, bound in steps:
            if bound is None:
                default = lit(label, self.dialect)
                break
            whens.append(f"WHEN {col} >= {bound} THEN {lit(label, self.dialect)}")
        return f"CASE {' '.join(whens)} ELSE {default} END" if whens else default

    def verdicts(self) -> str:
        """Per lead: the total, the first disqualifier that holds (-1: none), each one's verdict."""
        total = f"{n.FIT_WEIGHTED} + {n.ENGAGEMENT_WEIGHTED}"
        cols = [f"{total} AS {n.TOTAL}", f"{double(total)} / {double('100')} AS {n.SCORE_POINTS}"]
        verdicts = [self.condition(d.expr) for d in self.c.disqualifiers]
        first = " ".join(f"WHEN {v} THEN {i}" for i, v in enumerate(verdicts))
        cols.append(
            f"CASE {first} ELSE -1 END AS {n.DISQUALIFIER}" if first else f"-1 AS {n.DISQUALIFIER}"
        )
        if self.explained:
            cols += [f"{v} AS {n.disqualifier(i)}" for i, v in enumerate(verdicts)]
        return f"SELECT weighted.*, {', '.join(cols)} FROM weighted"

    def final_select(self) -> str:
        """The plan's columns: the :class:`~leadgate.scoring.contract.RawScore`, spread."""
        c = self.c
        tiers = " ".join(f"WHEN {self.condition(t.expr)} THEN {i}" for i, t in enumerate(c.tiers))
        tier = f"CASE WHEN {n.DISQUALIFIER} >= 0 THEN -1 {tiers} ELSE -1 END" if tiers else "-1"
        cols = ["lead_id", "account_id", n.FIT, n.ENGAGEMENT, n.TOTAL, n.GRADE, n.BAND]
        cols += [n.DISQUALIFIER, f"{tier} AS {n.TIER}", n.FIT_RAW, n.ENGAGEMENT_RAW]
        cols += [n.FIT_WEIGHTED, n.ENGAGEMENT_WEIGHTED]
        if not self.explained:  # a statement of half the text: a third less to bind
            return f"SELECT {', '.join(cols)} FROM verdicts"
        cols += [n.fit_rule(i) for i in range(len(c.fit_rules))]
        cols += [n.event_capped(i) for i in range(len(c.event_rules))]
        cols += [n.event_count(i) for i in range(len(c.event_rules))]
        cols += [n.engagement_rule(i) for i in range(len(c.engagement_rules))]
        cols += [n.disqualifier(i) for i in range(len(c.disqualifiers))]
        return f"SELECT {', '.join(cols)} FROM verdicts"


def date_micros(col: str, upper: str, dialect: str) -> str:
    """SQL: a stored date or time as µs since the epoch (UTC), as the evaluator converts it:
    ISO text too, other types are missing (the replays shift dates with it too)."""
    micros = "unix_micros({})" if dialect == "spark" else "epoch_us({})"
    if upper.startswith("TIMESTAMP"):
        return micros.format(col)
    if upper == "DATE":
        return micros.format(f"CAST({col} AS TIMESTAMP)")
    if upper.startswith(("VARCHAR", "STRING")):
        pattern = lit(DATE_TEXT, dialect)
        test = (
            f"TRIM({col}) RLIKE {pattern}"
            if dialect == "spark"
            else f"regexp_matches(TRIM({col}), {pattern})"
        )
        cast = f"TRY_CAST(TRIM({col}) AS TIMESTAMP)"
        return micros.format(f"CASE WHEN {test} THEN {cast} END")
    return "CAST(NULL AS BIGINT)"
