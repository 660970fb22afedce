"""Signing in to the dashboard with an API key, in Debian's Chromium.

With auth on, the dashboard uses the same keys and roles as the API: a browser without a
session lands on the sign-in form, a key turns into a session cookie, the frame says who
is signed in, a viewer's change is refused with the reason, and signing out ends it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from local_browser import Browser
from opscast_process import Server, http_json, running_opscast

pytestmark = pytest.mark.slow


def create_key(var_dir: Path, name: str, role: str) -> str:
    created = subprocess.run(
        [sys.executable, "-m", "opscast", "keys", "create", name, "--role", role],
        env={**os.environ, "OPSCAST_VAR_DIR": str(var_dir)},
        capture_output=True,
        text=True,
        check=True,
    )
    return created.stdout.strip()


@pytest.fixture(scope="module")
def keys_and_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Server, dict[str, str]]]:
    var_dir = tmp_path_factory.mktemp("sign-in") / "var"
    var_dir.mkdir()
    keys = {role: create_key(var_dir, f"{role}-person", role) for role in ("viewer", "operator")}
    command = [sys.executable, "-m", "opscast", "serve"]
    with running_opscast(
        command, var_dir, OPSCAST_TRAIN_ON_START="false", OPSCAST_AUTH_REQUIRED="true"
    ) as running:
        yield running, keys


def sign_in(browser: Browser, server: Server, key: str, path: str) -> None:
    browser.page.goto(f"{server.api}{path}")
    browser.page.wait_for_url(f"**/auth/login?next={path}")
    browser.page.fill("input[name=key]", key)
    browser.page.get_by_role("button", name="Sign in").click()
    browser.page.wait_for_url(f"**{path}")
    browser.page.wait_for_load_state("networkidle")


def open_ticket(browser: Browser, title: str, description: str) -> None:
    """Fill the tickets page's form and send it."""
    browser.page.fill("input[name=title]", title)
    browser.page.fill("textarea[name=description]", description)
    browser.page.get_by_role("button", name="Open ticket").click()


def test_a_viewer_signs_in_sees_the_pages_and_may_not_change_anything(
    keys_and_server: tuple[Server, dict[str, str]], browser: Browser
) -> None:
    server, keys = keys_and_server
    sign_in(browser, server, keys["viewer"], "/ui/tickets")
    assert "viewer-person · viewer" in browser.page.locator("form.signed-in").inner_text()
    before = len(http_json_with_key(server, keys["viewer"], "/tickets/"))
    open_ticket(browser, "Checkout is down", "Payments failing since the deploy")
    refusal = browser.page.locator("#created .notice.error")
    refusal.wait_for()
    assert "needs operator" in refusal.inner_text()
    assert len(http_json_with_key(server, keys["viewer"], "/tickets/")) == before
    # the refused POST (and the console's note of it) is all the browser complained about
    assert browser.errors
    assert all("403" in error for error in browser.errors), browser.errors

    browser.page.get_by_role("button", name="Sign out").click()
    browser.page.wait_for_url("**/auth/login")
    browser.page.goto(f"{server.api}/ui")
    browser.page.wait_for_url("**/auth/login?next=/ui")


def test_an_operator_opens_a_ticket_through_the_form(
    keys_and_server: tuple[Server, dict[str, str]], browser: Browser
) -> None:
    server, keys = keys_and_server
    sign_in(browser, server, keys["operator"], "/ui/tickets")
    open_ticket(browser, "Disk full on db-2", "Database writes failing, disk at 100%")
    created = browser.page.locator("#created a")
    created.wait_for()
    ticket_id = int(created.inner_text().lstrip("#"))
    stored = http_json_with_key(server, keys["operator"], f"/tickets/{ticket_id}")
    assert stored["title"] == "Disk full on db-2"
    assert browser.errors == []


def test_a_wrong_key_is_refused_on_the_form(
    keys_and_server: tuple[Server, dict[str, str]], browser: Browser
) -> None:
    server, _ = keys_and_server
    browser.page.goto(f"{server.api}/auth/login")
    browser.page.fill("input[name=key]", "not-a-key-" * 4)
    browser.page.get_by_role("button", name="Sign in").click()
    assert "not valid" in browser.page.get_by_role("alert").inner_text()
    assert http_json(f"{server.api}/health")["status"] in {"ok", "degraded"}


def http_json_with_key(server: Server, key: str, path: str) -> object:
    import json
    import urllib.request

    request = urllib.request.Request(f"{server.api}{path}", headers={"X-API-Key": key})
    with urllib.request.urlopen(request, timeout=10) as reply:
        return json.loads(reply.read())
