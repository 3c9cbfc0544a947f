"""Demo officer accounts whose credentials are derived, not stored: anyone running the demo
can print them again (``oncegov demo logins``) without reading the database.

Password and TOTP secret are HMAC-SHA256 of the demo seed and the username, keyed with the
instance's secret key: the same seed on the same instance always gives the same credentials,
and an instance with its own secret key does not share them with every other demo. Demo
accounts are refused in production (see ``service``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

import pyotp

from oncegov.auth.service import current_totp
from oncegov.config import settings
from oncegov.demo.profiles import CommuneInfo
from oncegov.errors import ValidationFailed
from oncegov.health import service as health
from oncegov.identity.accounts import demo_loader as eid_demo
from oncegov.identity.accounts import rules as eid_rules
from oncegov.kit import clock

# No look-alike characters (0/o, 1/l/i): the password is read off a terminal and typed.
_READABLE_CHARS = "abcdefghjkmnpqrstuvwxyz23456789"
COMMUNE_OFFICERS = 2  # one commune officer for each of the province's first communes (by code)


@dataclass(frozen=True, slots=True)
class DemoLogin:
    username: str
    full_name: str
    roles: tuple[tuple[str, str, str], ...]  # (role, scope kind, scope code)
    password: str
    totp_secret: str

    @property
    def role_labels(self) -> str:
        return ", ".join(f"{role}@{kind}:{code}" for role, kind, code in self.roles)

    def current_code(self) -> str:
        return current_totp(self.totp_secret)

    @property
    def provisioning_uri(self) -> str:
        """``otpauth://totp/OnceGov:pc06.demo?secret=…&issuer=OnceGov`` for an authenticator."""
        return pyotp.TOTP(self.totp_secret).provisioning_uri(
            name=self.username, issuer_name="OnceGov demo"
        )


def _derive(seed: int, purpose: str, username: str) -> bytes:
    key = settings.secret_key.get_secret_value().encode()
    message = f"oncegov-demo:{seed}:{purpose}:{username}".encode()
    return hmac.new(key, message, hashlib.sha256).digest()


def derive_password(seed: int, username: str) -> str:
    """Four groups of four characters, e.g. ``k3mf-9qzt-a7hw-2pxe`` (~78 bits)."""
    digest = _derive(seed, "password", username)
    letters = "".join(_READABLE_CHARS[b % len(_READABLE_CHARS)] for b in digest[:16])
    return "-".join(letters[i : i + 4] for i in range(0, 16, 4))


def derive_facility_token(seed: int, facility_code: str) -> str:
    """The demo bearer token of a facility's hospital system (``og_`` + 43 characters)."""
    digest = _derive(seed, "facility-token", facility_code)
    return "og_" + base64.urlsafe_b64encode(digest).decode().rstrip("=")


def facility_token_name(facility_code: str) -> str:
    return f"his-{facility_code}"


def derive_totp_secret(seed: int, username: str) -> str:
    """A 160-bit base32 TOTP secret (RFC 4226 recommends 160 bits)."""
    return base64.b32encode(_derive(seed, "totp", username)[:20]).decode()


def commune_username(commune: CommuneInfo) -> str:
    """``Phường Thục Phán`` (codename ``phuong_thuc_phan``) → ``xa.thucphan``."""
    name = commune.codename
    for prefix in ("phuong_", "xa_", "dac_khu_", "thi_tran_"):
        if name.startswith(prefix):
            name = name[len(prefix) :]
            break
    return "xa." + name.replace("_", "")


DOSSIER_CLERK = "motcua.demo"  # receives at the first commune's service centre
DOSSIER_HANDLER = "xuly.demo"  # commune police officer handling the dossiers
DOSSIER_APPROVER = "pheduyet.demo"  # commune chairman approving them


def demo_accounts(
    province_code: str, communes: tuple[CommuneInfo, ...], seed: int
) -> list[DemoLogin]:
    """The demo officers of a province: provincial police (PC06), the provincial ID-card and
    eID desk, a commune officer for each of the first communes, an inspector (auditor), an
    administrator, the reception of the provincial general hospital, a statistician of
    the provincial health department and a clerk of the record-linkage review queue."""
    specs: list[tuple[str, str, tuple[tuple[str, str, str], ...]]] = [
        ("pc06.demo", "Hoàng Văn Thắng", (("provincial_officer", "province", province_code),)),
        ("cccd.demo", "Lục Thị Mai", (("id_card_officer", "province", province_code),)),
    ]
    commune_names = ("Bế Thị Lan", "Lương Văn Dũng", "Nông Thị Hoa", "Đàm Văn Hùng")
    for commune, full_name in zip(communes[:COMMUNE_OFFICERS], commune_names, strict=False):
        specs.append(
            (commune_username(commune), full_name, (("commune_officer", "commune", commune.code),))
        )
    specs += [
        ("thanhtra.demo", "Đàm Thị Hương", (("auditor", "province", province_code),)),
        ("quantri.demo", "Nông Đức Minh", (("admin", "province", province_code),)),
        (
            "letan.demo",
            "Nông Thị Thu",
            (("facility_receptionist", "agency", health.demo_hospital_code(province_code)),),
        ),
        ("yte.demo", "Hoàng Văn Phúc", (("health_statistician", "province", province_code),)),
        ("doisoat.demo", "Triệu Thị Bình", (("linkage_clerk", "province", province_code),)),
    ]
    # Public-service dossiers: the first commune's service centre (its clerk receives, the
    # commune police handle, the commune chairman approves), and a provincial department's
    # handler and director, who see the whole province (Decree 118/2025/ND-CP: one-stop
    # desks at both levels).
    if communes:
        first = communes[0].code
        specs += [
            (DOSSIER_CLERK, "Hà Thị Nga", (("service_centre_clerk", "commune", first),)),
            (DOSSIER_HANDLER, "Lý Văn Toàn", (("dossier_handler", "commune", first),)),
            (DOSSIER_APPROVER, "Nông Văn Quý", (("dossier_approver", "commune", first),)),
        ]
    specs += [
        (
            "so.demo",
            "Bế Văn Khải",
            (
                ("service_centre_clerk", "province", province_code),
                ("dossier_handler", "province", province_code),
            ),
        ),
        ("giamdoc.demo", "Hoàng Thị Yến", (("dossier_approver", "province", province_code),)),
    ]
    return [
        DemoLogin(
            username=username,
            full_name=full_name,
            roles=roles,
            password=derive_password(seed, username),
            totp_secret=derive_totp_secret(seed, username),
        )
        for username, full_name, roles in specs
    ]


# Demo citizens a person trying the demo signs in as: (label, eID level).
CITIZEN_LOGINS: tuple[tuple[str, int], ...] = (("citizen.level1", 1), ("citizen.level2", 2))


@dataclass(frozen=True, slots=True)
class CitizenLogin:
    """A named demo citizen's eID sign-in: personal ID (found in the database by the
    reserved phone; None before a demo is loaded), the 6-digit passcode and the phone whose
    texts (the level-2 sign-in code) the local SMS outbox at ``/eid/sms`` shows."""

    label: str
    level: int
    phone: str
    passcode: str
    personal_id: str | None = None
    status: str | None = None


def derive_passcode(seed: int, label: str) -> str:
    """Six digits from the seed and the label, never one the passcode rules call weak."""
    for attempt in range(100):
        digest = _derive(seed, f"passcode:{attempt}", label)
        passcode = f"{int.from_bytes(digest[:8], 'big') % 1_000_000:06d}"
        try:
            eid_rules.check_passcode(passcode, None, None)
        except ValidationFailed:
            continue
        return passcode
    raise AssertionError("no acceptable passcode")  # pragma: no cover (2^-600)


def derive_phone(seed: int, label: str) -> str:
    """A mobile number in the range generated demo accounts never use, e.g. 0871234567."""
    digest = _derive(seed, "phone", label)
    return f"{eid_demo.DEMO_PHONE_PREFIX}{int.from_bytes(digest[:8], 'big') % 10_000_000:07d}"


def citizen_logins(seed: int) -> list[CitizenLogin]:
    """The named demo citizens' credentials (without their personal IDs, which the demo
    picks from the generated population)."""
    return [
        CitizenLogin(
            label=label,
            level=level,
            phone=derive_phone(seed, label),
            passcode=derive_passcode(seed, label),
        )
        for label, level in CITIZEN_LOGINS
    ]


def seconds_left_in_step(now: float | None = None) -> int:
    """Seconds until the current 30-second TOTP code changes."""
    moment = clock.timestamp() if now is None else now
    return 30 - int(moment) % 30
