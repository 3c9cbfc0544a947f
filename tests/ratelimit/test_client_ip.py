"""One function gives the client's address; X-Forwarded-For counts only from trusted proxies."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError
from starlette.requests import Request
from typer.testing import CliRunner

from oncegov.cli.main import app as cli
from oncegov.config import Settings, settings
from oncegov.web.client import client_ip


def _request(peer: str, *forwarded: str) -> Request:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    return Request({"type": "http", "client": (peer, 5000), "headers": headers})


def test_no_proxy_is_trusted_by_default() -> None:
    assert Settings().trusted_proxies == ""
    assert client_ip(_request("127.0.0.1", "198.51.100.7")) == "127.0.0.1"


def test_a_trusted_proxy_passes_on_the_client(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "trusted_proxies", "10.0.0.0/8, 127.0.0.1")
    assert client_ip(_request("10.0.0.2", "198.51.100.7")) == "198.51.100.7"
    # through two trusted proxies
    assert client_ip(_request("127.0.0.1", "198.51.100.7, 10.0.0.2")) == "198.51.100.7"


def test_what_the_client_wrote_left_of_itself_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "trusted_proxies", "10.0.0.2")
    for spoofed in ("1.2.3.4", "5.6.7.8", "10.0.0.2"):
        request = _request("10.0.0.2", f"{spoofed}, 198.51.100.7")
        assert client_ip(request) == "198.51.100.7"
    assert client_ip(_request("10.0.0.2", "1.2.3.4", "198.51.100.7")) == "198.51.100.7"


def test_an_untrusted_peer_is_the_client_whatever_it_says(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "trusted_proxies", "10.0.0.2")
    assert client_ip(_request("203.0.113.5", "10.0.0.9")) == "203.0.113.5"


def test_garbage_in_the_header_stops_at_the_last_trusted_hop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings, "trusted_proxies", "10.0.0.2")
    assert client_ip(_request("10.0.0.2", "not-an-address")) == "10.0.0.2"


def test_a_bad_trusted_proxy_entry_is_refused_at_start() -> None:
    with pytest.raises(ValidationError, match="trusted_proxies"):
        Settings(trusted_proxies="10.0.0.0/8, proxy.example")


def _serve_options(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    captured: dict[str, Any] = {}
    monkeypatch.setattr("uvicorn.run", lambda *args, **kwargs: captured.update(kwargs))
    monkeypatch.setattr(settings, "server_tuning", False)
    monkeypatch.setenv("ONCEGOV_SERVER_TUNING", "false")
    result = CliRunner().invoke(cli, ["serve", "--port", "0"])
    assert result.exit_code == 0, result.output
    return captured


def test_serve_does_not_let_uvicorn_trust_localhost(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _serve_options(monkeypatch)["proxy_headers"] is False


def test_serve_gives_uvicorn_the_configured_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "trusted_proxies", "10.0.0.2")
    options = _serve_options(monkeypatch)
    assert (options["proxy_headers"], options["forwarded_allow_ips"]) == (True, "10.0.0.2")
