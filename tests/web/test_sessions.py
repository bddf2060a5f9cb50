"""Sign-in, the session cookie, expiry (idle and absolute), sign-out, and the rate limit
on failed sign-ins per name and per address, through the real app."""

from __future__ import annotations

import datetime as dt
import time

from fastapi.testclient import TestClient

from leadgate.api.app import create_app
from leadgate.project import Project
from leadgate.web.people import MAX_FAILURES_PER_ADDRESS, MAX_FAILURES_PER_NAME
from leadgate.web.sessions import COOKIE, SessionPolicy

from .conftest import PASSWORD, MovingClock, sign_in


def test_the_cookie_is_httponly_lax_and_secure_off_loopback(project: Project) -> None:
    with TestClient(create_app(project)) as local:
        answer = local.post("/signin", data={"name": "ana", "password": PASSWORD},
                            follow_redirects=False)  # fmt: skip
        cookie = answer.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie
        assert "Secure" not in cookie  # plain http between loopback addresses
    with TestClient(create_app(project), base_url="https://dash.example.com") as remote:
        answer = remote.post("/signin", data={"name": "ana", "password": PASSWORD},
                             follow_redirects=False)  # fmt: skip
        assert "Secure" in answer.headers["set-cookie"]
    assert SessionPolicy(secure_cookies="always").secure("http", "127.0.0.1", "127.0.0.1")
    assert SessionPolicy().secure("http", "203.0.113.9", "dash.example.com")
    assert not SessionPolicy(secure_cookies="never").secure("https", "1.2.3.4", "x.example")


def test_a_session_expires_when_idle_and_at_its_absolute_limit(
    client: TestClient, clock: MovingClock
) -> None:
    sign_in(client, "ana")
    policy = SessionPolicy()
    clock.at += policy.idle - dt.timedelta(minutes=1)
    assert client.get("/queue", follow_redirects=False).status_code == 200  # restarts idle
    clock.at += policy.idle - dt.timedelta(minutes=1)
    assert client.get("/queue", follow_redirects=False).status_code == 200
    clock.at += policy.idle + dt.timedelta(seconds=1)
    gone = client.get("/queue", follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"] == "/signin?next=/queue"
    sign_in(client, "ana")
    started = clock.at
    while clock.at + policy.idle / 2 - started < policy.absolute:  # busy all day long
        clock.at += policy.idle / 2
        assert client.get("/", follow_redirects=False).status_code == 200
        written(client)  # the page restarted the idle clock; its write is not awaited
    clock.at = started + policy.absolute + dt.timedelta(seconds=1)
    assert client.get("/", follow_redirects=False).status_code == 303
    assert client.get("/v1/dashboard/overview").status_code == 401


def test_sign_out_ends_the_session_even_for_a_copied_cookie(client: TestClient) -> None:
    token = sign_in(client, "ana")
    cookie = client.cookies.get(COOKIE)
    out = client.post("/signout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303
    client.cookies.set(COOKIE, cookie or "")
    assert client.get("/v1/dashboard/queue").status_code == 401


def test_disabling_a_person_ends_their_session(client: TestClient, project: Project) -> None:
    sign_in(client, "ana")
    assert client.get("/v1/dashboard/queue").status_code == 200
    project.disable_user("ana")
    assert client.get("/v1/dashboard/queue").status_code == 401


def test_failed_sign_ins_are_limited_per_name(client: TestClient, clock: MovingClock) -> None:
    for _ in range(MAX_FAILURES_PER_NAME):
        wrong = client.post("/signin", data={"name": "ana", "password": "guess guess"})
        assert wrong.status_code == 401 and "Wrong name or password" in wrong.text
    # Now even the right password is refused, for a while.
    limited = client.post("/signin", data={"name": "ana", "password": PASSWORD})
    assert limited.status_code == 429 and "Too many failed sign-ins" in limited.text
    assert client.get("/v1/dashboard/queue").status_code == 401
    # Others still sign in; ana does again once the window has passed.
    sign_in(client, "mia")
    clock.at += dt.timedelta(minutes=16)
    sign_in(client, "ana")


def test_failed_sign_ins_are_limited_per_address(client: TestClient) -> None:
    for i in range(MAX_FAILURES_PER_ADDRESS):
        client.post("/signin", data={"name": f"nobody{i}", "password": "guess guess"})
    limited = client.post("/signin", data={"name": "mia", "password": PASSWORD})
    assert limited.status_code == 429


def test_a_sign_in_posted_by_another_site_is_refused(client: TestClient) -> None:
    answer = client.post(
        "/signin",
        data={"name": "ana", "password": PASSWORD},
        headers={"origin": "http://evil.example"},
        follow_redirects=False,
    )
    assert answer.status_code == 403 and "set-cookie" not in answer.headers


def test_sign_in_goes_back_only_to_a_path_of_this_site(client: TestClient) -> None:
    for target, expected in [("/queue", "/queue"), ("//evil.example", "/"),
                             ("https://evil.example/", "/")]:  # fmt: skip
        answer = client.post("/signin", data={"name": "ana", "password": PASSWORD,
                                              "next": target}, follow_redirects=False)  # fmt: skip
        assert answer.headers["location"] == expected


def written(client: TestClient) -> None:
    """Wait for the session writes the pages handed to the writer without awaiting them
    (a user's next page comes seconds later, not microseconds: this test's clock jumps)."""
    pending: set[str] = client.app.state.web_session_writes  # type: ignore[attr-defined]
    deadline = time.monotonic() + 30
    while pending and time.monotonic() < deadline:
        time.sleep(0.005)
    assert not pending, "a session write did not end"
