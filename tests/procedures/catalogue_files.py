"""A minimal valid procedure for the catalogue's tests, and a way to write it as a file."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

STATES = ["received", "processing", "returned"]


def minimal(**overrides: Any) -> dict[str, Any]:
    """A valid procedure: 3 working days, two steps, three states."""
    procedure: dict[str, Any] = {
        "code": "9.999999",
        "version": 1,
        "effective_from": "2026-01-01",
        "name": {"vi": "Đăng ký thử nghiệm", "en": "Test registration"},
        "field": "residence",
        "agency": {"vi": "Công an cấp xã", "en": "Commune police"},
        "level": "commune",
        "channels": ["online", "counter"],
        "online_level": "full",
        "eid_level": 2,
        "fees": {"items": [{"label": {"vi": "Lệ phí", "en": "Fee"}, "amount_vnd": 15000}]},
        "statutory_time": {"unit": "working_days", "amount": 3},
        "legal_basis": [
            {
                "number": "68/2020/QH14",
                "title": {"vi": "Luật Cư trú", "en": "Law on Residence"},
                "effective": "2021-07-01",
            }
        ],
        "form": [
            {
                "key": "full_name",
                "label": {"vi": "Họ và tên", "en": "Full name"},
                "source": "registry:full_name",
            }
        ],
        "documents": [
            {
                "name": {"vi": "Căn cước", "en": "ID card"},
                "required": False,
                "replaced_by": {
                    "source": "registry",
                    "text": {"vi": "Không phải nộp", "en": "Not required"},
                },
            }
        ],
        "workflow": {
            "states": list(STATES),
            "initial": "received",
            "final": ["returned"],
            "transitions": [
                {"from": "received", "to": "processing", "role": "receiver"},
                {"from": "processing", "to": "returned", "role": "processor"},
            ],
            "steps": [
                {
                    "key": "receive",
                    "name": {"vi": "Tiếp nhận", "en": "Receive"},
                    "agency": {"vi": "Trung tâm", "en": "Centre"},
                    "level": "commune",
                    "role": "receiver",
                    "share": 1,
                },
                {
                    "key": "decide",
                    "name": {"vi": "Giải quyết", "en": "Decide"},
                    "agency": {"vi": "Công an", "en": "Police"},
                    "level": "commune",
                    "role": "processor",
                    "share": 2,
                },
            ],
        },
    }
    procedure.update(overrides)
    return copy.deepcopy(procedure)


def write(directory: Path, name: str, content: Any) -> Path:
    path = directory / name
    text = content if isinstance(content, str) else yaml.safe_dump(content, allow_unicode=True)
    path.write_text(text, encoding="utf-8")
    return path
