"""The outbox itself: written with the change it announces, the retry schedule, settings."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadgate.clock import FixedClock
from leadgate.config import CONFIG_FILE, read_config
from leadgate.errors import ConfigError, OutboxMessageNotFound
from leadgate.handoff.outbox import enqueue, get_message, list_messages, replay
from leadgate.handoff.webhooks import JITTER, MAX_ATTEMPTS, SCHEDULE, backoff
from leadgate.store import Store

AT = dt.datetime(2026, 11, 2, 9, 0)


def store() -> Store:
    return Store(":memory:", clock=FixedClock(AT))


def test_an_event_commits_with_its_change_or_not_at_all() -> None:
    db = store()
    with pytest.raises(RuntimeError), db.atomic():
        db.execute("INSERT INTO leads (lead_id, stage) VALUES ('L1', 'mql')")
        enqueue(db, "lead.mql", {"tier": "A"}, lead_id="L1")
        raise RuntimeError("the change failed after the event was written")
    assert db.scalar("SELECT count(*) FROM outbox") == 0
    assert db.scalar("SELECT count(*) FROM leads") == 0

    with db.atomic():
        db.execute("INSERT INTO leads (lead_id, stage) VALUES ('L1', 'mql')")
        message_id = enqueue(db, "lead.mql", {"tier": "A"}, lead_id="L1")
    message = get_message(db, message_id)
    assert (message.state, message.lead_id, message.next_attempt_at) == ("pending", "L1", AT)
    assert message_id.startswith("msg_")


def test_ids_are_unique_and_unknown_ones_are_named() -> None:
    db = store()
    ids = {enqueue(db, "lead.mql", {}) for _ in range(200)}
    assert len(ids) == 200 and len(list_messages(db, limit=None)) == 200
    with pytest.raises(OutboxMessageNotFound, match="msg_nope"):
        replay(db, "msg_nope")
    with pytest.raises(ValueError, match="pending, failed, delivered, dead"):
        list_messages(db, state="sent")


def test_the_schedule_grows_and_spans_about_a_day() -> None:
    assert list(SCHEDULE) == sorted(SCHEDULE)
    assert MAX_ATTEMPTS == len(SCHEDULE) + 1
    assert dt.timedelta(hours=24) <= sum(SCHEDULE, dt.timedelta()) <= dt.timedelta(hours=30)


@given(st.text(min_size=1, max_size=30), st.integers(1, len(SCHEDULE)))
def test_backoff_jitter_is_bounded_and_reproducible(seed: str, attempt: int) -> None:
    wait = backoff(attempt, seed)
    base = SCHEDULE[attempt - 1]
    assert base * (1 - JITTER) <= wait <= base * (1 + JITTER)
    assert backoff(attempt, seed) == wait


@given(st.text(min_size=1, max_size=30))
def test_jittered_waits_of_one_message_total_about_a_day(seed: str) -> None:
    waits = [backoff(n, f"{seed}:{n}") for n in range(1, len(SCHEDULE) + 1)]
    # Strictly growing where the schedule grows: the jitter never reorders two steps.
    for n in range(1, len(SCHEDULE)):
        if SCHEDULE[n] > SCHEDULE[n - 1]:
            assert waits[n] > waits[n - 1]
    assert dt.timedelta(hours=22) < sum(waits, dt.timedelta()) < dt.timedelta(hours=31)


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / CONFIG_FILE
    path.write_text(text, encoding="utf-8")
    return path


def test_webhook_settings_are_checked(tmp_path: Path) -> None:
    good = _config(
        tmp_path,
        '[[webhooks]]\nurl = "https://crm.example/hook"\nsecret = ["whsec_c2VjcmV0"]\n'
        'events = ["lead.mql"]\nenabled = false\ntimeout = 2.5\n',
    )
    [hook] = read_config(good).webhooks
    assert hook["url"] == "https://crm.example/hook" and hook["enabled"] is False
    bad = _config(
        tmp_path,
        '[[webhooks]]\nurl = "crm.example"\nsecret = "c2VjcmV0"\nevent = ["lead.mql"]\n'
        'timeout = 0\n[[webhooks]]\nurl = "https://x.example"\nsecret = "whsec_c2VjcmV0"\n'
        'events = ["lead.mql", "lead.sla_breached"]\n',
    )
    with pytest.raises(ConfigError) as caught:
        read_config(bad)
    message = str(caught.value)
    assert "unknown setting 'webhooks[0].event' (did you mean 'events'?)" in message
    assert "'webhooks[0].url' must be an http:// or https:// address" in message
    assert "'webhooks[0].secret': a webhook secret starts with 'whsec_'" in message
    assert "'webhooks[0].timeout' must be a number of seconds above 0" in message
    assert (
        "'webhooks[1].events' names 'lead.sla_breached', not an event type leadgate sends "
        "(did you mean 'sla.breached'?"
    ) in message
    with pytest.raises(ConfigError, match=r"list of tables: write each as \[\[webhooks\]\]"):
        read_config(_config(tmp_path, '[webhooks]\nurl = "https://x"\n'))
