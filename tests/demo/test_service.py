"""Loading the demo province: counts, change records, modes, demo accounts, production guard."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from oncegov.audit.models import AuditEntry
from oncegov.auth import service as auth
from oncegov.auth.models import Officer
from oncegov.config import settings
from oncegov.demo import service
from oncegov.demo.accounts import derive_password, derive_totp_secret
from oncegov.demo.service import DemoOutcome
from oncegov.errors import Conflict, NotAuthenticated, PermissionDenied
from oncegov.identity.oidc.models import OidcClient
from oncegov.kit.actor import Actor
from oncegov.kit.text import fold, name_key
from oncegov.registry.models import Citizen, Household, RegistryChange
from tests.demo.conftest import SEED, SMALL
from tests.fixtures import make_citizen

ACTOR = Actor.system("demo-test")


def _count(db: Session, model: type, *where: object) -> int:
    return int(db.scalar(select(func.count()).select_from(model).where(*where)) or 0)  # type: ignore[arg-type]


def _load(db: Session, **kwargs: object) -> DemoOutcome:
    # Creating the five accounts costs five Argon2 hashes: only the tests about them do.
    options: dict[str, object] = {
        "scale": SMALL,
        "seed": SEED,
        "mode": "refuse",
        "with_accounts": False,
        **kwargs,
    }
    return service.run_demo(db, ACTOR, **options)  # type: ignore[arg-type]


def test_load_inserts_every_row_with_a_version_one_change(demo_db: Session) -> None:
    outcome = _load(demo_db)
    counts = outcome.counts
    assert counts is not None
    assert not outcome.skipped
    assert 1_000 < counts.citizens < 1_300
    assert 250 < counts.households < 350
    assert _count(demo_db, Citizen) == counts.citizens
    assert _count(demo_db, Household) == counts.households
    assert counts.changes == counts.citizens + counts.households
    demo_changes = (
        RegistryChange.source == "demo",
        RegistryChange.version == 1,
        RegistryChange.reason == "Demo population",
        RegistryChange.actor == ACTOR.label,
    )
    assert _count(demo_db, RegistryChange, *demo_changes) == counts.changes
    # Every citizen and every household has its own creation record.
    citizens_with_change = demo_db.scalar(
        select(func.count(func.distinct(Citizen.personal_id))).join(
            RegistryChange,
            (RegistryChange.entity == "citizen")
            & (RegistryChange.entity_key == Citizen.personal_id),
        )
    )
    assert citizens_with_change == counts.citizens
    households_with_change = demo_db.scalar(
        select(func.count(func.distinct(Household.code))).join(
            RegistryChange,
            (RegistryChange.entity == "household") & (RegistryChange.entity_key == Household.code),
        )
    )
    assert households_with_change == counts.households
    change = demo_db.scalar(select(RegistryChange).where(RegistryChange.entity == "citizen"))
    assert change is not None and change.changes == {}


def test_loaded_rows_keep_their_values(demo_db: Session) -> None:
    _load(demo_db)
    citizens = demo_db.scalars(select(Citizen)).all()
    assert all(c.folded_name == fold(c.full_name) for c in citizens)
    assert all(c.name_key == name_key(c.full_name) for c in citizens)
    assert all(c.version == 1 for c in citizens)
    deceased = [c for c in citizens if c.status == "deceased"]
    assert deceased and all(c.date_of_death is not None for c in deceased)
    heads = {h.head_personal_id for h in demo_db.scalars(select(Household)).all()}
    by_id = {c.personal_id: c for c in citizens}
    assert all(by_id[pid].relationship_to_head == "head" for pid in heads if pid is not None)


def test_load_records_an_audit_entry(demo_db: Session) -> None:
    outcome = _load(demo_db)
    assert outcome.counts is not None
    entry = demo_db.scalar(select(AuditEntry).where(AuditEntry.action == "demo.load"))
    assert entry is not None
    assert entry.actor_id == "demo-test"
    assert f'"citizens": {outcome.counts.citizens}' in entry.detail


def test_if_empty_does_nothing_on_a_registry_with_citizens(demo_db: Session) -> None:
    first = _load(demo_db)
    assert first.counts is not None
    again = _load(demo_db, mode="if_empty", scale=SMALL * 2)
    assert again.skipped
    assert again.counts is None
    assert again.existing_citizens == first.counts.citizens
    assert _count(demo_db, Citizen) == first.counts.citizens
    # Both runs made sure the portal is a relying party of the provider, once.
    assert _count(demo_db, OidcClient, OidcClient.client_id == "oncegov-portal") == 1


def test_a_second_load_is_refused_without_replace(demo_db: Session) -> None:
    first = _load(demo_db)
    with pytest.raises(Conflict) as caught:
        _load(demo_db)
    assert caught.value.field == "registry"
    assert first.counts is not None
    assert _count(demo_db, Citizen) == first.counts.citizens


def test_replace_deletes_the_demo_population_and_loads_a_new_one(demo_db: Session) -> None:
    first = _load(demo_db, with_accounts=True)
    assert first.counts is not None
    second = _load(demo_db, mode="replace", seed=SEED + 1, with_accounts=True)
    assert second.counts is not None and second.deleted is not None
    assert second.deleted.citizens == first.counts.citizens
    assert second.deleted.households == first.counts.households
    assert second.deleted.changes == first.counts.changes
    assert _count(demo_db, Citizen) == second.counts.citizens
    assert _count(demo_db, RegistryChange) == second.counts.changes
    # The accounts were created by the first load and kept by the second.
    assert len(first.accounts_created) == 14
    assert second.accounts_created == []
    assert sorted(second.accounts_kept) == sorted(first.accounts_created)


def test_replace_is_refused_when_other_records_use_demo_households(demo_db: Session) -> None:
    _load(demo_db)
    code = demo_db.scalar(select(Household.code).order_by(Household.code).limit(1))
    # A citizen registered by an officer (not by the demo) into a demo household.
    make_citizen(demo_db, birth_year=1901, household_code=code, relationship_to_head="other")
    with pytest.raises(Conflict) as caught:
        _load(demo_db, mode="replace")
    assert "cannot be replaced" in caught.value.message


def test_demo_accounts_have_derived_credentials_that_sign_in(demo_db: Session) -> None:
    outcome = _load(demo_db, with_accounts=True)
    assert outcome.accounts_created == [
        "pc06.demo",
        "cccd.demo",
        "xa.thucphan",
        "xa.nungtricao",
        "thanhtra.demo",
        "quantri.demo",
        "letan.demo",
        "yte.demo",
        "doisoat.demo",
        "motcua.demo",
        "xuly.demo",
        "pheduyet.demo",
        "so.demo",
        "giamdoc.demo",
    ]
    accounts = {a.username: a for a in service.logins(demo_db, seed=SEED)}
    assert accounts["pc06.demo"].password == derive_password(SEED, "pc06.demo")
    assert accounts["pc06.demo"].totp_secret == derive_totp_secret(SEED, "pc06.demo")
    assert accounts["xa.thucphan"].roles == (("commune_officer", "commune", "01273"),)
    assert accounts["xa.nungtricao"].roles == (("commune_officer", "commune", "01279"),)
    assert accounts["cccd.demo"].roles == (("id_card_officer", "province", "04"),)
    assert accounts["motcua.demo"].roles == (("service_centre_clerk", "commune", "01273"),)
    assert accounts["giamdoc.demo"].roles == (("dossier_approver", "province", "04"),)
    for username in ("pc06.demo", "cccd.demo", "xa.thucphan", "thanhtra.demo", "quantri.demo"):
        account = accounts[username]
        officer = auth.authenticate_officer(
            demo_db,
            username=username,
            password=account.password,
            otp=account.current_code(),
            ip="127.0.0.1",
        )
        assert officer.username == username
    # Another seed derives other credentials, which do not sign in.
    other = {a.username: a for a in service.logins(demo_db, seed=SEED + 1)}["xa.nungtricao"]
    assert other.password != accounts["xa.nungtricao"].password
    with pytest.raises(NotAuthenticated):
        auth.authenticate_officer(
            demo_db,
            username="xa.nungtricao",
            password=other.password,
            otp=other.current_code(),
            ip="127.0.0.1",
        )
    provincial = demo_db.scalar(select(Officer).where(Officer.username == "pc06.demo"))
    assert provincial is not None
    principal = auth.principal_for_officer(demo_db, provincial)
    scope = principal.scopes["registry.read"].communes
    assert scope is not None and len(scope) == 56
    commune = demo_db.scalar(select(Officer).where(Officer.username == "xa.nungtricao"))
    assert commune is not None
    scope = auth.principal_for_officer(demo_db, commune).scopes["registry.read"].communes
    assert scope == frozenset({"01279"})


def test_refused_in_production(demo_db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "environment", "production")
    with pytest.raises(PermissionDenied):
        _load(demo_db, with_accounts=True)
    with pytest.raises(PermissionDenied):
        service.logins(demo_db, seed=SEED)
    assert _count(demo_db, Citizen) == 0
    assert _count(demo_db, Officer) == 0


def test_the_demo_adds_a_year_of_dossiers_along_their_workflows(demo_db: Session) -> None:
    from sqlalchemy import func, select

    from oncegov.procedures.dossiers.models import Dossier, DossierEvent

    outcome = _load(demo_db)
    counts = outcome.dossiers
    assert counts.dossiers > 0
    assert demo_db.scalar(select(func.count()).select_from(Dossier)) == counts.dossiers
    assert demo_db.scalar(select(func.count()).select_from(DossierEvent)) == counts.events
    codes = demo_db.scalars(select(Dossier.code)).all()
    assert len(set(codes)) == len(codes)
    # Every finished dossier's last event is a final state of its workflow.
    for dossier in demo_db.scalars(select(Dossier).where(Dossier.ended_at.is_not(None))):
        assert dossier.state in ("returned", "refused_to_accept")
    # A citizen submits after the demo: the demo's own ids do not block the next dossier's
    # (PostgreSQL's id sequence moved past them).
    from oncegov.kit.actor import Actor
    from oncegov.procedures.dossiers import service as dossiers
    from tests.procedures.dossier_helpers import TEMPORARY_RESIDENCE, TYPED

    resident = demo_db.scalars(
        select(Citizen)
        .where(Citizen.status == "living", Citizen.permanent_address.is_not(None))
        .where(Citizen.birth_year < 2000, Citizen.birth_month.is_not(None))
        .limit(1)
    ).one()
    actor = Actor(kind="citizen", id=resident.personal_id, name=resident.personal_id)
    made, new = dossiers.submit_at_once(
        demo_db, actor, resident.personal_id, TEMPORARY_RESIDENCE, "after-demo-1", values=TYPED
    )
    assert new and made.id > max(demo_db.scalars(select(Dossier.id).where(Dossier.id != made.id)))
    replaced = _load(demo_db, mode="replace")
    assert replaced.deleted_dossiers == counts.dossiers + 1
