"""Forecast: from lead volume and the funnel's measured rates, the MQLs, SQLs and deals to expect.

The rates are this company's own, read from the funnel (:mod:`.funnel`) as of a time:

* lead → MQL: the share of leads that became MQLs (and, per tier of the definition, the
  share of leads in that tier);
* MQL → SQL and SQL → won: within the conversion window after MQL, among the MQLs whose
  window has closed (young MQLs are censored, not failures), so MQL → SQL × SQL → won is
  the funnel's MQL → won.

A month's forecast multiplies its lead volume along the chain. Each rate carries its
counts and its 95 % Wilson interval; the range of a forecast puts every rate at its low,
then at its high bound (a wide, honest range, not a product of independent errors). A rate
resting on fewer than :data:`MIN_BASIS` leads (or MQLs, or SQLs) is marked ``thin`` and
said so: a forecast from 3 of 12 is a guess with a number on it.

The reverse runs the chain backwards: a month's revenue target over the deal size (the
average value of the deals won, or one given) is the deals needed, then the SQLs, MQLs and
leads needed. A rate of zero makes it impossible, and says which (LG862).

>>> chain = Rates(Rate(50, 100), {}, Rate(10, 40), Rate(4, 10))
>>> [round(x, 2) for x in expect(1000, chain)]
[500.0, 125.0, 50.0]
>>> round(needed(50, chain)["leads"], 2)
1000.0
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from ..results import plain
from ..store import Store
from .funnel import Funnel
from .intervals import Rate, pct
from .plan import ForecastError

#: A rate resting on fewer than this many leads, MQLs or SQLs is too thin to trust.
MIN_BASIS = 30


class CannotReverse(ForecastError):
    """A target that no number of leads reaches: a rate on the way is zero or unknown."""

    code = "LG862"


class NoDealSize(ForecastError):
    """A revenue target without a deal size: no won deal has a value, none was given."""

    code = "LG863"


class BadTarget(ForecastError):
    """A revenue target, deal size or capacity that is not a positive number."""

    code = "LG864"


#: The key of the MQLs that entered in no sales tier (a CRM's stage, a nurture tier).
OTHER_MQLS = "(no sales tier)"


@dataclass(frozen=True)
class Rates:
    """The chain a forecast multiplies along: lead → MQL, the MQLs of each sales tier (as a
    share of leads), MQL → SQL and SQL → won (each a :class:`Rate` with its counts).

    ``tiers`` splits lead → MQL, so they add up to it: each sales tier's MQLs (the tier they
    entered MQL in), and under :data:`OTHER_MQLS` the MQLs that entered in none (moved to
    mql by a CRM import while in a nurture tier or no tier), when there are any. A nurture
    tier's leads that never entered MQL are not MQLs and are not counted.
    """

    mql: Rate
    tiers: dict[str, Rate]
    sql: Rate
    won: Rate

    def named(self) -> list[tuple[str, Rate, str]]:
        """(name, rate, what it rests on) for every rate, in the chain's order."""
        out = [("lead→mql", self.mql, "leads")]
        out += [(f"lead→mql {t}", r, "leads") for t, r in self.tiers.items()]
        return out + [("mql→sql", self.sql, "MQLs"), ("sql→won", self.won, "SQLs")]


def rates_from(found: Funnel, sales_tiers: list[str]) -> Rates:
    """The chain's rates from a funnel grouped by tier (``sales_tiers``: the definition's,
    in its order; a tier no MQL entered in has rate 0 of all leads)."""
    total = found.total
    by_tier = {r.group: r for r in found.rows}
    shares = {t: Rate(by_tier[t].mqls if t in by_tier else 0, total.leads) for t in sales_tiers}
    other = total.mqls - sum(r.converted for r in shares.values())
    if other:
        shares[OTHER_MQLS] = Rate(other, total.leads)
    return Rates(
        Rate(total.mqls, total.leads), shares, Rate(total.sql, total.eligible),
        Rate(total.won, total.sql),
    )  # fmt: skip


def _value(rate: Rate, bound: str) -> float:
    if bound == "low":
        return rate.interval[0]
    if bound == "high":
        return rate.interval[1]
    return rate.rate or 0.0


def expect(leads: float, chain: Rates, bound: str = "rate") -> tuple[float, float, float]:
    """MQLs, SQLs and deals expected from ``leads`` (``bound``: rate, low or high)."""
    mqls = leads * _value(chain.mql, bound)
    sqls = mqls * _value(chain.sql, bound)
    return mqls, sqls, sqls * _value(chain.won, bound)


def needed(deals: float, chain: Rates) -> dict[str, float]:
    """SQLs, MQLs and leads needed for ``deals``; :class:`CannotReverse` on a zero rate."""
    out = {"deals": deals}
    count = deals
    for name, rate, stage in (("sqls", chain.won, "sql→won"), ("mqls", chain.sql, "mql→sql"),
                              ("leads", chain.mql, "lead→mql")):  # fmt: skip
        if not rate.rate:
            got = "no measure" if rate.n == 0 else f"0 of {rate.n:,}"
            raise CannotReverse(
                f"No number of leads reaches the target: {stage} is {got}. Import the "
                "outcomes sales recorded (`leadgate import outcomes`), or widen --window."
            )
        count = count / rate.rate
        out[name] = count
    return out


@dataclass(frozen=True)
class MonthForecast:
    """One month: its lead volume and what to expect from it, with the range."""

    month: str
    leads: float
    mqls: float
    tiers: dict[str, float]
    sqls: float
    deals: float
    low: tuple[float, float, float]
    high: tuple[float, float, float]
    revenue: float | None
    capacity_left: float | None  # capacity minus the MQLs expected; negative: short

    def as_dict(self) -> dict[str, Any]:
        def r(x: float | None) -> float | None:
            return None if x is None else round(x, 2)

        return {
            "month": self.month, "leads": r(self.leads), "mqls": r(self.mqls),
            "tiers": {t: r(v) for t, v in self.tiers.items()},
            "sqls": r(self.sqls), "deals": r(self.deals),
            "range": {k: {"low": r(lo), "high": r(hi)} for k, lo, hi in
                      zip(("mqls", "sqls", "deals"), self.low, self.high, strict=True)},
            "revenue": r(self.revenue), "capacity_left": r(self.capacity_left),
            "capacity_covers": None if self.capacity_left is None else self.capacity_left >= 0,
        }  # fmt: skip


@dataclass(frozen=True)
class Target:
    """The reverse: what a month's revenue target needs."""

    revenue: float
    deal_size: float
    deal_size_basis: str
    deals: float
    sqls: float
    mqls: float
    leads: float
    capacity_left: float | None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            k: round(v, 2) for k, v in self.__dict__.items() if isinstance(v, float)
        }
        out |= {
            "deal_size_basis": self.deal_size_basis,
            "leads_at_least": math.ceil(self.leads - 1e-9),
            "capacity_left": None if self.capacity_left is None else round(self.capacity_left, 2),
            "capacity_covers": None if self.capacity_left is None else self.capacity_left >= 0,
        }
        return out


@dataclass(frozen=True)
class Forecast:
    """What :meth:`Project.forecast` returns."""

    as_of: dt.datetime
    window: str | None
    basis: str
    volume: str  # where the months' lead volume came from
    rates: Rates
    months: list[MonthForecast]
    capacity_per_month: float | None
    deal_size: float | None
    deal_size_basis: str
    lags: dict[str, float | None]
    target: Target | None = None
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": plain(self.as_of), "window": self.window, "basis": self.basis,
            "volume": self.volume,
            "rates": [{"name": n, "basis": b, "thin": r.n < MIN_BASIS, **r.as_dict()}
                      for n, r, b in self.rates.named()],
            "months": [m.as_dict() for m in self.months],
            "capacity_per_month": self.capacity_per_month,
            "deal_size": None if self.deal_size is None else round(self.deal_size, 2),
            "deal_size_basis": self.deal_size_basis, "median_days": self.lags,
            "target": None if self.target is None else self.target.as_dict(),
            "warnings": self.warnings,
        }  # fmt: skip


def won_deal_size(store: Store, as_of: dt.datetime) -> tuple[float | None, int, int]:
    """The average value of the deals won up to ``as_of`` that have a positive one (an
    amount sales recorded on ``won``, or an imported won outcome's value: one per lead,
    the largest), how many, and how many won deals had a value of zero or less (left out:
    a refund or a typo is not a deal size)."""
    row = store.execute(
        "SELECT avg(v) FILTER (WHERE v > 0), count(*) FILTER (WHERE v > 0), "
        "count(*) FILTER (WHERE v <= 0) FROM (SELECT lead_id, max(value) AS v "
        "FROM lead_outcomes WHERE outcome = 'won' AND value IS NOT NULL AND ts <= ? "
        "GROUP BY lead_id)",
        [as_of],
    ).fetchall()[0]
    return (None if row[0] is None else float(row[0])), int(row[1]), int(row[2])


def month_forecast(
    month: str, leads: float, chain: Rates, capacity: float | None, deal_size: float | None
) -> MonthForecast:
    mqls, sqls, deals = expect(leads, chain)
    tiers = {t: leads * (r.rate or 0.0) for t, r in chain.tiers.items()}
    return MonthForecast(
        month, leads, mqls, tiers, sqls, deals,
        expect(leads, chain, "low"), expect(leads, chain, "high"),
        None if deal_size is None else deals * deal_size,
        None if capacity is None else capacity - mqls,
    )  # fmt: skip


def reverse(
    revenue: float, deal_size: float, basis: str, chain: Rates, capacity: float | None
) -> Target:
    """What ``revenue`` a month needs at ``deal_size``: deals, SQLs, MQLs, leads."""
    if not revenue > 0 or not math.isfinite(revenue):
        raise BadTarget(f"--revenue-target {revenue!r}: give a positive amount, e.g. 100000.")
    if not deal_size > 0 or not math.isfinite(deal_size):
        raise BadTarget(f"--deal-size {deal_size!r}: give a positive amount, e.g. 12000.")
    need = needed(revenue / deal_size, chain)
    left = None if capacity is None else capacity - need["mqls"]
    return Target(revenue, deal_size, basis, need["deals"], need["sqls"], need["mqls"],
                  need["leads"], left)  # fmt: skip


def thin_warnings(chain: Rates, window: str | None) -> list[str]:
    """One sentence per rate too thin to trust, naming its counts."""
    out = []
    for name, rate, basis in chain.named():
        if rate.n < MIN_BASIS:
            low, high = rate.interval
            within = f" (within {window})" if window and basis != "leads" else ""
            out.append(
                f"{name}{within} rests on {rate.converted} of {rate.n} {basis}: too few to "
                f"trust (fewer than {MIN_BASIS}); it could be anywhere from {pct(low)} to "
                f"{pct(high)}."
            )
    return out


def capacity_warnings(months: list[MonthForecast], capacity: float | None) -> list[str]:
    if capacity is None:
        return [
            "Sales capacity is not set: add [sales] capacity_per_month to leadgate.toml to "
            "see whether it covers the MQLs."
        ]
    short = [m for m in months if m.capacity_left is not None and m.capacity_left < 0]
    return [
        f"{m.month}: {m.mqls:,.0f} MQLs expected, {-(m.capacity_left or 0):,.0f} more than "
        f"sales' capacity of {capacity:,.0f} a month."
        for m in short
    ]


def compute_forecast(
    store: Store,
    as_of: dt.datetime,
    *,
    plan: dict[str, int] | None = None,
    months: int = 3,
    window: str | None = "90d",
    timezone: str = "UTC",
    tiers: list[str] | None = None,
    sales_tiers: list[str] | None = None,
    capacity: float | None = None,
    revenue_target: float | None = None,
    deal_size: float | None = None,
) -> Forecast:
    """The forecast as of ``as_of`` (naive UTC) for ``plan`` (month → leads), else for the
    next ``months`` months at the mean volume of the last complete months of history.
    ``tiers``: the definition's, in order; ``sales_tiers``: those whose MQLs a month splits
    into (default: all of ``tiers``)."""
    from .funnel import compute_funnel
    from .plan import HISTORY_MONTHS, history, volume_from_history

    if months < 1:
        raise BadTarget(f"--months {months}: forecast at least one month.")
    if capacity is not None and not capacity > 0:
        raise BadTarget(f"capacity_per_month {capacity!r}: give a positive number of MQLs.")
    found = compute_funnel(
        store, as_of, by="tier", window=window, timezone=timezone, tier_order=tiers
    )
    chain = rates_from(found, tiers or [] if sales_tiers is None else sales_tiers)
    if plan is not None:
        volume: dict[str, float] = {m: float(n) for m, n in plan.items()}
        said = f"the plan given ({len(plan)} month(s))"
    else:
        counts = history(store, as_of, timezone)
        current = f"{as_of:%Y-%m}"
        volume, span = volume_from_history(counts, current, months)
        said = (
            f"history: the mean of {span[0]}..{span[-1]} "
            f"({HISTORY_MONTHS} complete months before {current})"
        )
    measured, wins, nonpositive = won_deal_size(store, as_of)
    if deal_size is not None:
        size, size_basis = deal_size, "given (--deal-size)"
    elif measured is not None:
        size, size_basis = measured, f"the average of {wins:,} won deal(s) with a value"
    else:
        size, size_basis = None, "unknown: no won deal has a value"
    if revenue_target is not None and size is None:
        raise NoDealSize(
            "A revenue target needs a deal size, and no won deal on record has a value: "
            "give one with --deal-size 12000, or import the deals' values."
        )
    rows = [month_forecast(m, n, chain, capacity, size) for m, n in volume.items()]
    target = None
    if revenue_target is not None and size is not None:
        target = reverse(revenue_target, size, size_basis, chain, capacity)
    lags = {k: found.total.median_days.get(k) for k in ("lead→mql", "mql→won")}
    warnings = thin_warnings(chain, found.window) + capacity_warnings(rows, capacity)
    if nonpositive and deal_size is None:
        warnings.append(
            f"{nonpositive:,} won deal(s) have a value of zero or less and are left out of "
            "the deal size: check those values in the CRM export."
        )
    if target is not None and target.capacity_left is not None and target.capacity_left < 0:
        warnings.append(
            f"The target needs {target.mqls:,.0f} MQLs a month, more than sales' capacity "
            f"of {capacity:,.0f}."
        )
    return Forecast(
        as_of, found.window, found.basis, said, chain, rows, capacity, size, size_basis, lags,
        target, warnings,
    )  # fmt: skip
