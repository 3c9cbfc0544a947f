"""Administrators keep the working-day calendar: the service (audited), the CLI and the page."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from oncegov.audit.models import AuditEntry
from oncegov.cli.main import app as cli
from oncegov.errors import Conflict, NotFound, ValidationFailed
from oncegov.kit.actor import Actor
from oncegov.procedures.calendar import service
from oncegov.procedures.calendar.models import CalendarDay
from tests.fixtures import OfficerLogin, login, run_cli_in

runner = CliRunner()
ADMIN = Actor(kind="officer", id="42", name="Quản trị", channel="web")
D = dt.date


def _entries(db: Session, action: str) -> list[AuditEntry]:
    return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_add_and_remove_are_audited_and_change_the_calendar(db: Session) -> None:
    # Tết 2027 falls on Saturday 6/2/2027; suppose the Government adds Monday 15/2 off.
    assert service.working_calendar(db).is_working_day(D(2027, 2, 15))
    service.add_day(
        db,
        ADMIN,
        day=D(2027, 2, 15),
        kind="off",
        reason="Nghỉ bù Tết Đinh Mùi",
        legal_reference="Công văn thử nghiệm 1/VPCP-KGVX",
    )
    calendar = service.working_calendar(db)
    assert not calendar.is_working_day(D(2027, 2, 15))
    assert calendar.status(D(2027, 2, 15)).legal_reference == "Công văn thử nghiệm 1/VPCP-KGVX"
    [added] = _entries(db, "calendar.day_added")
    assert added.actor_id == "42" and json.loads(added.detail)["day"] == "2027-02-15"
    assert [e.day for e in service.list_days(db, 2027)] == [D(2027, 2, 15)]

    service.remove_day(db, ADMIN, D(2027, 2, 15))
    assert service.working_calendar(db).is_working_day(D(2027, 2, 15))
    [removed] = _entries(db, "calendar.day_removed")
    assert json.loads(removed.detail)["reason"] == "Nghỉ bù Tết Đinh Mùi"


def test_an_administrators_entry_wins_over_the_shipped_schedule(db: Session) -> None:
    assert service.working_calendar(db).is_working_day(D(2025, 4, 26))  # làm bù, shipped
    service.add_day(db, ADMIN, day=D(2025, 4, 26), kind="off", reason="r", legal_reference="x")
    assert not service.working_calendar(db).is_working_day(D(2025, 4, 26))


def test_refusals_name_the_field(db: Session) -> None:
    def add(**overrides: object) -> None:
        values: dict[str, object] = {
            "day": D(2027, 5, 3),
            "kind": "off",
            "reason": "r",
            "legal_reference": "x",
        }
        service.add_day(db, ADMIN, **{**values, **overrides})  # type: ignore[arg-type]

    for overrides, field in [
        ({"kind": "holiday"}, "kind"),
        ({"reason": "  "}, "reason"),
        ({"legal_reference": ""}, "legal_reference"),
        ({"reason": "x" * 501}, "reason"),
        ({"day": D(1990, 1, 1)}, "day"),
    ]:
        with pytest.raises(ValidationFailed) as error:
            add(**overrides)
        assert error.value.field == field
    add()
    with pytest.raises(Conflict):
        add(kind="work")
    with pytest.raises(NotFound):
        service.remove_day(db, ADMIN, D(2027, 5, 4))
    with pytest.raises(ValidationFailed) as bad:
        service.parse_day("2027-13-01")
    assert bad.value.field == "day"


def test_cli_add_list_remove(db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    run_cli_in(db, monkeypatch)
    added = runner.invoke(
        cli,
        [
            "calendar",
            "add",
            "2027-02-15",
            "--kind",
            "off",
            "--reason",
            "Nghỉ bù",
            "--reference",
            "Công văn thử nghiệm",
        ],
    )
    assert added.exit_code == 0, added.output
    listed = runner.invoke(cli, ["calendar", "list"])
    assert "2027-02-15\toff\tNghỉ bù\tCông văn thử nghiệm\tsystem:cli:" in listed.output
    year = runner.invoke(cli, ["calendar", "list", "--year", "2025"])
    assert "2025-04-26\twork\tadjustment" in year.output
    assert "2025-01-29\toff\tholiday\tTết Nguyên Đán" in year.output
    [entry] = _entries(db, "calendar.day_added")
    assert entry.channel == "cli" and entry.actor_kind == "system"
    refused = runner.invoke(
        cli,
        ["calendar", "add", "2027-02-16", "--kind", "nope", "--reason", "r", "--reference", "x"],
    )
    assert refused.exit_code == 1 and "kind" in refused.output
    removed = runner.invoke(cli, ["calendar", "remove", "2027-02-15"])
    assert removed.exit_code == 0, removed.output
    assert runner.invoke(cli, ["calendar", "remove", "2027-02-15"]).exit_code == 1
    assert db.scalars(select(CalendarDay)).all() == []


def test_page_round_trip(client: TestClient, db: Session, admin_officer: OfficerLogin) -> None:
    csrf = login(client, admin_officer)
    page = client.get("/admin/calendar?year=2025")
    assert page.status_code == 200
    assert "Lịch ngày làm việc" in page.text  # Vietnamese by default
    assert "Tết Nguyên Đán" in page.text and "8726/VPCP-KGVX" in page.text
    assert "29/1/2025" in page.text  # dates in the reader's format (vi: d/M/y)

    added = client.post(
        "/admin/calendar",
        data={
            "csrf_token": csrf,
            "day": "2027-02-15",
            "kind": "off",
            "reason": "Nghỉ bù thử",
            "legal_reference": "Công văn thử",
        },
        follow_redirects=False,
    )
    assert added.status_code == 303 and added.headers["location"] == "/admin/calendar?year=2027"
    shown = client.get("/admin/calendar?year=2027")
    assert "Nghỉ bù thử" in shown.text and "15/2/2027" in shown.text

    again = client.post(
        "/admin/calendar",
        data={
            "csrf_token": csrf,
            "day": "2027-02-15",
            "kind": "off",
            "reason": "r",
            "legal_reference": "x",
        },
    )
    assert again.status_code == 422 and "Ngày này đã được công bố" in again.text
    assert 'value="r"' in again.text  # the input is kept

    removed = client.post(
        "/admin/calendar/remove",
        data={"csrf_token": csrf, "day": "2027-02-15"},
        follow_redirects=False,
    )
    assert removed.status_code == 303
    assert "Nghỉ bù thử" not in client.get("/admin/calendar?year=2027").text
    assert [
        e.action for e in db.scalars(select(AuditEntry).where(AuditEntry.action.like("calendar.%")))
    ] == [
        "calendar.day_added",
        "calendar.day_removed",
    ]


def test_page_is_for_administrators_only(
    client: TestClient, provincial_officer: OfficerLogin
) -> None:
    csrf = login(client, provincial_officer)
    assert client.get("/admin/calendar", follow_redirects=False).status_code == 403
    posted = client.post(
        "/admin/calendar",
        data={
            "csrf_token": csrf,
            "day": "2027-02-15",
            "kind": "off",
            "reason": "r",
            "legal_reference": "x",
        },
        follow_redirects=False,
    )
    assert posted.status_code == 403
    removed = client.post(
        "/admin/calendar/remove",
        data={"csrf_token": csrf, "day": "2027-02-15"},
        follow_redirects=False,
    )
    assert removed.status_code == 403


def test_anonymous_callers_are_sent_to_sign_in(client: TestClient) -> None:
    response = client.get("/admin/calendar", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
