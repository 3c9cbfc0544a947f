"""The citizen's pages are read in English in these tests."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


@pytest.fixture(autouse=True)
def english(client: TestClient) -> None:
    client.cookies.set("oncegov_lang", "en")
