"""The domain-free keyed chain: subkeys per chain, checkpoints bound to their chain."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from oncegov.kit import chain, clock

SECRET = b"a configured key of 32+ random bytes"


def _links(keys: chain.ChainKeys, n: int) -> list[chain.Link]:
    links, prev = [], chain.GENESIS
    for seq in range(1, n + 1):
        body = chain.canonical([seq, f"entry {seq}"])
        link = keys.link(prev, body)
        links.append(chain.Link(seq, prev, link, keys.current_id, body))
        prev = link
    return links


def test_an_entry_of_one_chain_does_not_verify_in_another() -> None:
    audit, exchange = chain.ChainKeys("audit", SECRET), chain.ChainKeys("exchange", SECRET)
    assert audit.current_id == exchange.current_id  # the same configured key …
    links = _links(audit, 3)
    assert chain.verify_chain(links, audit, [], {}).ok
    report = chain.verify_chain(links, exchange, [], {})  # … but its own subkey
    assert (report.first_bad_seq, report.problem) == (1, chain.ALTERED)


def test_a_checkpoint_of_another_chain_is_forged_here() -> None:
    key = Ed25519PrivateKey.generate()
    public = {chain.public_key_id(key.public_key()): key.public_key()}
    keys = chain.ChainKeys("audit", SECRET)
    links = _links(keys, 2)
    other = chain.sign_checkpoint(key, "exchange", 1, 2, links[-1].link, clock.now())
    report = chain.verify_chain(links, keys, [other], public)
    assert (report.problem, report.bad_checkpoint) == (chain.CHECKPOINT_FORGED, 1)
    own = chain.sign_checkpoint(key, "audit", 1, 2, links[-1].link, clock.now())
    good = chain.verify_chain(links, keys, [own], public)
    assert good.ok and good.anchored == own


def test_a_kept_checkpoint_round_trips_and_malformed_ones_name_the_member() -> None:
    key = Ed25519PrivateKey.generate()
    signed = chain.sign_checkpoint(key, "audit", 7, 70, "ab" * 32, clock.now())
    assert chain.checkpoint_from_dict(signed.as_dict()) == signed
    broken = {**signed.as_dict(), "seq": "70"}
    with pytest.raises(ValueError, match="'seq'"):
        chain.checkpoint_from_dict(broken)
