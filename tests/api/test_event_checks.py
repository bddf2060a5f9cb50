"""The one-pass check of a plainly good event (``inputs._plain_event``) gives what the
field-by-field check gives, and leaves every other row to it (whose problems it names); so
does the one-pass read of a batch (``inputs.read_events``); a body reads as ``json`` reads
it; a time with a zone becomes the same time in UTC."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from leadgate.api import inputs
from leadgate.api.errors import ApiError
from leadgate.clock import store_time

TYPES = frozenset({"page_view", "demo_request"})
NOW = dt.datetime(2026, 11, 2, 12, 0)
SKEW = dt.timedelta(minutes=5)

_texts = st.one_of(
    st.none(),
    st.sampled_from(["", " ", "L1", " L2 ", "a@b.co", "x" * 2048, " " + "y" * 2048, "z" * 2049]),
    st.integers(0, 3),
)
_times = st.one_of(
    st.none(),
    st.integers(),
    st.sampled_from([
        "2026-11-02T09:15:00Z", " 2026-11-02T09:15:00+00:00 ", "2026-11-02T09:15:00.123400",
        "2026-11-02T14:15:00+02:00", "2026-11-02T12:04:59Z", "2026-11-02T12:05:01Z",
        "2026-11-02T12:05:00-00:01", "1969-12-31T23:59:59Z", "2026-13-01", "yesterday",
    ]),
)  # fmt: skip
_types = st.one_of(
    st.none(), st.integers(), st.sampled_from(["page_view", "Demo Request", " page_view", "x"])
)
_properties = st.one_of(st.none(), st.just([1]), st.just({"plan": "pro", "n": 2, "é": None}))


_GOOD = {
    "lead_id": st.sampled_from(["L1", " L2 "]),
    "type": st.just("page_view"),
    "ts": st.sampled_from(["2026-11-02T09:15:00Z", "2026-11-02T09:15:00.5", "2026-11-02"]),
}
_ANY = {
    "event_id": _texts, "lead_id": _texts, "email": _texts, "visitor_id": _texts,
    "url": _texts, "type": _types, "ts": _times, "properties": _properties,
    "unknown": st.just("x"),
}  # fmt: skip


@st.composite
def rows(draw: st.DrawFn) -> Any:
    """Mostly a good event with one to three of its fields drawn from anything (so most
    rows are one field away from good), sometimes not an object at all."""
    if draw(st.integers(0, 20)) == 0:
        return draw(st.sampled_from([[], "event", 3, None]))
    row: dict[str, Any] = {name: draw(values) for name, values in _GOOD.items()}
    for name in draw(st.lists(st.sampled_from(sorted(_ANY)), min_size=1, max_size=3)):
        if draw(st.integers(0, 5)) == 0:
            row.pop(name, None)
        else:
            row[name] = draw(_ANY[name])
    return row


def _checked_alone(row: Any) -> tuple[inputs.EventIn | None, list[dict[str, Any]]]:
    problems = inputs.Problems("events", "LG711")
    return inputs._event(0, row, TYPES, (NOW, SKEW), problems), problems.found


@settings(max_examples=600, deadline=None)
@given(rows())
def test_plain_event_is_the_checked_event(row: Any) -> None:
    event, problems = _checked_alone(row)
    plain = inputs._plain_event(row, TYPES, NOW + SKEW)
    if plain is not None:
        assert event is not None and not problems
        assert plain == event and type(plain) is type(event)
    try:
        got = inputs.check_events({"events": [row]}, TYPES, NOW, SKEW, 10)
    except ApiError as exc:
        assert event is None and exc.details == problems
    else:
        assert got == [event]


def test_a_plain_event_takes_the_one_pass() -> None:
    row = {"lead_id": " L1 ", "type": "page_view", "ts": "2026-11-02T11:15:00+02:00",
           "properties": {"a": 1}, "url": ""}  # fmt: skip
    plain = inputs._plain_event(row, TYPES, NOW + SKEW)
    assert plain == inputs.EventIn(
        "page_view", dt.datetime(2026, 11, 2, 9, 15), "L1", properties='{"a": 1}'
    )


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


def _read_by_json(body: bytes) -> tuple[bool, Any]:
    """``json``'s reading of ``body``, and whether the server takes it: not when ``json``
    refuses it, nor when it holds a lone surrogate (no character: it cannot be stored)."""
    try:
        value = json.loads(body.decode("utf-8"))
        json.dumps(value, ensure_ascii=False).encode("utf-8")
        return True, value
    except (UnicodeDecodeError, json.JSONDecodeError, UnicodeEncodeError) as exc:
        return False, exc


@settings(max_examples=400, deadline=None)
@given(st.one_of(
    _json.map(lambda v: json.dumps(v).encode()),
    _json.map(lambda v: json.dumps(v, ensure_ascii=False).encode("utf-8", "surrogatepass")),
    st.binary(max_size=40),
    st.sampled_from([b"NaN", b"1e400", b'"\\ud800"', b'{"a": 1,}', b"\xef\xbb\xbf{}", b"[1] x",
                     b'{"\\udfff": 1}', b'"\\ud83d\\ude00"']),
))  # fmt: skip
def test_a_body_reads_as_json_reads_it(body: bytes) -> None:
    """msgspec's parser first, ``json`` for what it refuses: what ``json`` reads is read
    alike (NaN compared as NaN), and what it refuses, or reads as a lone surrogate, is a
    400."""
    ok, expected = _read_by_json(body)
    if not ok:
        try:
            inputs.parse_json(body)
        except ApiError as exc:
            assert exc.status == 400 and exc.code == "LG710"
        else:
            raise AssertionError(f"{body!r} read, but json refuses it: {expected}")
        return
    got = inputs.parse_json(body)
    assert json.dumps(got, sort_keys=True) == json.dumps(expected, sort_keys=True)
    assert type(got) is type(expected)


@given(st.datetimes(min_value=dt.datetime(1971, 1, 1), max_value=dt.datetime(9998, 1, 1)),
       st.integers(-23 * 60 - 59, 23 * 60 + 59), st.booleans())  # fmt: skip
def test_a_time_with_a_zone_is_the_same_time_in_utc(
    at: dt.datetime, minutes: int, utc: bool
) -> None:
    zone = dt.timezone.utc if utc else dt.timezone(dt.timedelta(minutes=minutes))
    aware = at.replace(tzinfo=zone)
    naive = store_time(aware)
    assert naive.tzinfo is None
    assert naive == aware.astimezone(dt.timezone.utc).replace(tzinfo=None)
    assert store_time(at) == at  # a time without a zone is UTC already


def _read(body: bytes, max_rows: int = 10) -> tuple[str, Any]:
    try:
        return "ok", inputs.read_events(body, TYPES, NOW, SKEW, max_rows)
    except ApiError as exc:
        return "error", (exc.status, exc.code, exc.message, exc.details)


def _checked(body: bytes, max_rows: int = 10) -> tuple[str, Any]:
    try:
        return "ok", inputs.check_events(inputs.parse_json(body), TYPES, NOW, SKEW, max_rows)
    except ApiError as exc:
        return "error", (exc.status, exc.code, exc.message, exc.details)


@settings(max_examples=400, deadline=None)
@given(st.lists(rows(), min_size=0, max_size=4), st.sampled_from(["batch", "one", "extra"]),
       st.booleans(), st.integers(1, 4))  # fmt: skip
def test_a_body_is_read_as_it_is_checked_row_by_row(
    rows_: list[Any], shape: str, repeat: bool, max_rows: int
) -> None:
    """A whole body, read by ``read_events`` (msgspec's typed read when every event is
    plainly good): the same events, or the same error, as parsed by ``json`` and checked
    row by row: a batch, one event, a batch beside another key, a key given twice."""
    if shape == "batch":
        body = json.dumps({"events": rows_}).encode()
    elif shape == "one":
        body = json.dumps(rows_[0] if rows_ else {}).encode()
    else:
        body = json.dumps({"events": rows_, "more": 1}).encode()
    if repeat and rows_ and isinstance(rows_[0], dict) and rows_[0]:
        # the first event's first key given again, earlier, with another value: the last wins
        name = next(iter(rows_[0]))
        body = body.replace(b'"' + name.encode() + b'":', b'"' + name.encode() + b'": 0, "'
                            + name.encode() + b'":', 1)  # fmt: skip
    assert _read(body, max_rows) == _checked(body, max_rows)


def test_a_plain_batch_takes_the_typed_read() -> None:
    body = json.dumps({"events": [
        {"lead_id": " L1 ", "type": "page_view", "ts": "2026-11-02T11:15:00+02:00",
         "properties": {"a": [1, {"b": None}]}, "url": "", "event_id": "e1"},
        {"email": "a@b.co", "type": "demo_request", "ts": "2026-11-02T09:15:00"},
    ]}).encode()  # fmt: skip
    assert inputs._plain_events(body, TYPES, NOW + SKEW, 10) == [
        inputs.EventIn("page_view", dt.datetime(2026, 11, 2, 9, 15), "L1", event_id="e1",
                       properties='{"a": [1, {"b": null}]}'),
        inputs.EventIn("demo_request", dt.datetime(2026, 11, 2, 9, 15), email="a@b.co"),
    ]  # fmt: skip
