"""Keyed hash chains and signed checkpoints of their head (domain-free).

A chain is a run of entries numbered 1, 2, 3, … each storing the previous entry's link and its
own::

    link = HMAC-SHA256(chain key[key id], previous link ‖ key id ‖ canonical entry)

The key is not in the database, so whoever holds only the database cannot recompute the links
after changing an entry. The key id is stored with each entry, so a rotated key leaves older
entries verifiable (the retired key stays configured). Each chain gets its own subkey of the
configured key (``chain_subkey``), so an entry of one chain never verifies in another.

A checkpoint is an Ed25519 signature over ``(chain, number, seq, link, time, key id)`` of the
head at some moment. A truncation of the newest entries, or a rewrite by someone who also has
the HMAC key, is caught up to the newest checkpoint the attacker could not forge. Checkpoints
are numbered 1, 2, 3, …, so a deleted one leaves a gap.

Entries written before the chain was keyed ("legacy") carry no key id and an unkeyed SHA-256
link; they are accepted only as a prefix of the chain (a legacy entry after a keyed one is a
downgrade) and reported as such.

This module knows nothing of any domain: ``verify_chain`` walks :class:`Link` values that the
domain builds from its rows, with the domain's canonical form of an entry.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

GENESIS = "0" * 64

# Problems ``verify_chain`` reports, first found wins.
MISSING = "missing"  # a seq is absent: entries deleted
BROKEN_LINK = "broken_link"  # an entry does not chain onto its predecessor: deleted or reordered
ALTERED = "altered"  # an entry's link does not recompute
UNKNOWN_KEY = "unknown_key"  # an entry names a key id nobody configured
DOWNGRADED = "downgraded"  # an unkeyed (legacy-looking) entry after keyed ones
TRUNCATED = "truncated"  # the newest entries were deleted (the head or a checkpoint says so)
CHECKPOINT_FORGED = "checkpoint_forged"  # a checkpoint's signature does not verify
CHECKPOINT_MISSING = "checkpoint_missing"  # a checkpoint number is absent: deleted


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def canonical(values: Sequence[object]) -> str:
    """The one serialisation of an entry's fields that its link covers."""
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"))


def legacy_link(prev_link: str, canonical_entry: str) -> str:
    """The unkeyed link of entries written before the chain was keyed."""
    return hashlib.sha256((prev_link + canonical_entry).encode()).hexdigest()


def chain_subkey(secret: bytes, chain: str) -> bytes:
    return hmac.digest(secret, b"oncegov chain subkey\x00" + chain.encode(), "sha256")


def key_id_of(secret: bytes) -> str:
    """A public name for an HMAC key: says which key made an entry, reveals nothing of it."""
    return hmac.digest(secret, b"oncegov chain key id", "sha256").hex()[:16]


class ChainKeys:
    """The HMAC keys of one chain: the current one (new entries) and retired ones (old
    entries), by key id."""

    def __init__(self, chain: str, current: bytes, retired: Sequence[bytes] = ()) -> None:
        self.chain = chain
        self.current_id = key_id_of(current)
        self._subkeys = {key_id_of(k): chain_subkey(k, chain) for k in (*retired, current)}

    def knows(self, key_id: str) -> bool:
        return key_id in self._subkeys

    def link(self, prev_link: str, canonical_entry: str, key_id: str | None = None) -> str:
        """The keyed link of an entry (with the current key unless ``key_id`` names another);
        ``KeyError`` for a key id not configured."""
        key_id = key_id or self.current_id
        message = (prev_link + key_id + canonical_entry).encode()
        return hmac.digest(self._subkeys[key_id], message, "sha256").hex()


# --- checkpoints ---------------------------------------------------------------------------


def public_key_id(public: Ed25519PublicKey) -> str:
    """RFC 7638 JWK thumbprint of an Ed25519 public key (43 characters)."""
    members = json.dumps(
        {"crv": "Ed25519", "kty": "OKP", "x": public_key_x(public)},
        separators=(",", ":"),
        sort_keys=True,
    )
    return _b64url(hashlib.sha256(members.encode()).digest())


def public_key_x(public: Ed25519PublicKey) -> str:
    """The raw public key, base64url: the JWK ``x`` member."""
    return _b64url(public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))


def public_key_from_x(x: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(_unb64url(x.strip()))


def public_jwk(public: Ed25519PublicKey) -> dict[str, str]:
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": public_key_x(public),
        "kid": public_key_id(public),
        "use": "sig",
        "alg": "EdDSA",
    }


def load_private_key(pem: bytes) -> Ed25519PrivateKey:
    """An Ed25519 private key from its PKCS#8 PEM; ``ValueError`` for anything else."""
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the checkpoint key must be an Ed25519 private key")
    return key


def private_key_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement "chain ``chain``'s entry ``seq`` had link ``link`` at ``signed_at``"."""

    chain: str
    number: int
    seq: int
    link: str
    signed_at: dt.datetime
    key_id: str
    signature: str

    def payload(self) -> bytes:
        return signed_payload(
            self.chain, self.number, self.seq, self.link, self.signed_at, self.key_id
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "chain": self.chain,
            "number": self.number,
            "seq": self.seq,
            "link": self.link,
            "signed_at": _instant(self.signed_at),
            "key_id": self.key_id,
            "signature": self.signature,
        }


def checkpoint_from_dict(data: Mapping[str, object]) -> Checkpoint:
    """A checkpoint as ``Checkpoint.as_dict`` wrote it (kept outside the database);
    ``ValueError`` naming the member that is missing or malformed."""
    members = {
        "chain": str,
        "number": int,
        "seq": int,
        "link": str,
        "signed_at": str,
        "key_id": str,
        "signature": str,
    }
    for name, kind in members.items():
        if not isinstance(data.get(name), kind) or isinstance(data.get(name), bool):
            raise ValueError(f"checkpoint member {name!r} is missing or not a {kind.__name__}")
    signed_at = dt.datetime.fromisoformat(str(data["signed_at"]).replace("Z", "+00:00"))
    return Checkpoint(
        str(data["chain"]),
        int(str(data["number"])),
        int(str(data["seq"])),
        str(data["link"]),
        signed_at,
        str(data["key_id"]),
        str(data["signature"]),
    )


def _instant(moment: dt.datetime) -> str:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def signed_payload(
    chain: str, number: int, seq: int, link: str, signed_at: dt.datetime, key_id: str
) -> bytes:
    return canonical(
        ["oncegov-checkpoint-1", chain, number, seq, link, _instant(signed_at), key_id]
    ).encode()


def sign_checkpoint(
    key: Ed25519PrivateKey, chain: str, number: int, seq: int, link: str, at: dt.datetime
) -> Checkpoint:
    key_id = public_key_id(key.public_key())
    signature = key.sign(signed_payload(chain, number, seq, link, at, key_id))
    return Checkpoint(chain, number, seq, link, at, key_id, _b64url(signature))


def checkpoint_is_genuine(
    checkpoint: Checkpoint, public_keys: Mapping[str, Ed25519PublicKey]
) -> bool:
    """Signed by one of ``public_keys`` (by key id) over exactly these values."""
    public = public_keys.get(checkpoint.key_id)
    if public is None:
        return False
    try:
        public.verify(_unb64url(checkpoint.signature), checkpoint.payload())
    except (InvalidSignature, ValueError):
        return False
    return True


# --- verification --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Link:
    """What verification needs of one stored entry."""

    seq: int
    prev_link: str
    link: str
    key_id: str | None  # None: a legacy, unkeyed entry
    canonical: str


@dataclass(frozen=True)
class ChainReport:
    """The outcome of :func:`verify_chain`.

    ``first_bad_seq`` is the first entry that cannot be trusted; when a checkpoint disagrees
    with the chain it is the first entry after the last good checkpoint (the break lies
    somewhere from there up to the disagreeing checkpoint). ``anchored_seq`` is the seq of the
    newest checkpoint that is genuine and agrees with the chain (0: none): entries after it can
    be truncated by someone holding the database without verification noticing.
    ``legacy_until`` is the last entry of the unkeyed legacy prefix (None: no legacy entries).
    """

    checked: int
    first_bad_seq: int | None = None
    problem: str | None = None
    bad_checkpoint: int | None = None
    anchored: Checkpoint | None = None
    legacy_until: int | None = None
    head_seq: int = 0
    head_link: str = GENESIS

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def anchored_seq(self) -> int:
        return self.anchored.seq if self.anchored else 0


@dataclass
class _Walk:
    keys: ChainKeys
    by_seq: dict[int, list[Checkpoint]]
    checked: int = 0
    prev_link: str = GENESIS
    legacy_until: int | None = None
    keyed_seen: bool = False
    anchored: Checkpoint | None = None
    problem: tuple[int, str] | None = None

    def step(self, entry: Link) -> bool:
        """Check one entry; False once a problem is found."""
        expected_seq = self.checked + 1
        if entry.seq != expected_seq:
            return self._fail(expected_seq, MISSING)
        if entry.prev_link != self.prev_link:
            if entry.key_id is not None and not self.keyed_seen and self.legacy_until:
                # The first keyed entry no longer chains onto the legacy prefix, which still
                # chains in itself: legacy entries were rewritten, somewhere after the last
                # good checkpoint.
                return self._fail(self.anchored_seq + 1, ALTERED)
            return self._fail(entry.seq, BROKEN_LINK)
        if entry.key_id is None:
            if self.keyed_seen:
                return self._fail(entry.seq, DOWNGRADED)
            if legacy_link(entry.prev_link, entry.canonical) != entry.link:
                return self._fail(entry.seq, ALTERED)
            self.legacy_until = entry.seq
        else:
            if not self.keys.knows(entry.key_id):
                return self._fail(entry.seq, UNKNOWN_KEY)
            expected = self.keys.link(entry.prev_link, entry.canonical, entry.key_id)
            if not hmac.compare_digest(expected, entry.link):
                return self._fail(entry.seq, ALTERED)
            self.keyed_seen = True
        for checkpoint in self.by_seq.get(entry.seq, ()):
            if checkpoint.link != entry.link:
                # Every link recomputed, yet a signed checkpoint saw another one: the entries
                # from the last good checkpoint on were rewritten (unkeyed legacy entries, or
                # someone holding the HMAC key). Name the first entry that is no longer vouched.
                return self._fail(self.anchored_seq + 1, ALTERED)
            self.anchored = checkpoint
        self.prev_link = entry.link
        self.checked += 1
        return True

    @property
    def anchored_seq(self) -> int:
        return self.anchored.seq if self.anchored else 0

    def _fail(self, seq: int, problem: str) -> bool:
        self.problem = (seq, problem)
        return False


def verify_chain(
    chain: Iterable[Link],
    keys: ChainKeys,
    checkpoints: Sequence[Checkpoint],
    public_keys: Mapping[str, Ed25519PublicKey],
    *,
    head: tuple[int, str] | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> ChainReport:
    """Walk ``chain`` (in seq order, from 1) and ``checkpoints``; report the first problem.

    ``head`` is what the domain's head row says the tip is (seq, link); it catches the
    clumsy deletion of the newest entries, while the checkpoints catch the careful one.
    """
    genuine = {
        c for c in checkpoints if c.chain == keys.chain and checkpoint_is_genuine(c, public_keys)
    }
    forged = sorted(c.number for c in checkpoints if c not in genuine)
    by_seq: dict[int, list[Checkpoint]] = {}
    for checkpoint in sorted(genuine, key=lambda c: c.number):
        by_seq.setdefault(checkpoint.seq, []).append(checkpoint)
    walk = _Walk(keys, by_seq)
    for entry in chain:
        if not walk.step(entry):
            break
        if on_progress and walk.checked % 1000 == 0:
            on_progress(walk.checked)
    first_bad, problem, bad_checkpoint, checked = _problem(walk, genuine, forged, checkpoints, head)
    return ChainReport(
        checked,
        first_bad,
        problem,
        bad_checkpoint,
        walk.anchored,
        walk.legacy_until,
        head_seq=walk.checked,
        head_link=walk.prev_link,
    )


def _problem(
    walk: _Walk,
    genuine: set[Checkpoint],
    forged: list[int],
    checkpoints: Sequence[Checkpoint],
    head: tuple[int, str] | None,
) -> tuple[int | None, str | None, int | None, int]:
    """(first bad seq, problem, checkpoint number at fault, entries found intact), in order of
    precedence."""
    checked = walk.checked
    if walk.problem is not None:
        first_bad, problem = walk.problem
        # A checkpoint that disagrees names an earlier entry than the one being walked.
        return first_bad, problem, None, min(checked, first_bad - 1)
    if forged:
        return None, CHECKPOINT_FORGED, forged[0], checked
    beyond = [c.number for c in genuine if c.seq > walk.checked]
    if beyond:
        # A genuine checkpoint vouches for entries that are gone: the newest were deleted.
        return checked + 1, TRUNCATED, min(beyond), checked
    missing = _first_gap(sorted(c.number for c in checkpoints))
    if missing is not None:
        return None, CHECKPOINT_MISSING, missing, checked
    if head is not None:
        head_seq, head_link = head
        if head_seq > checked:
            return checked + 1, TRUNCATED, None, checked
        if head_seq == checked and head_link != walk.prev_link:
            # The newest entry was rewritten with a recomputed link; only the head still knows.
            return checked, ALTERED, None, checked - 1
    return None, None, None, checked


def _first_gap(numbers: Sequence[int]) -> int | None:
    for expected, number in enumerate(numbers, start=1):
        if number != expected:
            return expected
    return None
