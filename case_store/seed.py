"""Seed data loader: departments (catalog + hierarchy), partner companies, knowledge base.

Idempotent: rows that exist are left alone, so the operator's edits (ratings, standing)
survive a re-run; only a department's missing duty phone is filled in (a store seeded
before departments had one).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from case_store.models import Company, Department, KnowledgeEntry
from case_store.service_catalog import Catalog

SEED_PATH = Path(__file__).with_name("seed.yaml")


def load_seed(session: Session, catalog: Catalog, now: datetime,
              path: Path = SEED_PATH) -> dict[str, int]:
    """Insert what is missing; returns counts of rows added per table."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    added = {"departments": 0, "companies": 0, "knowledge": 0}
    duty_phones = dict(data.get("duty_phones") or {})
    for code, name in catalog.departments.items():
        row = session.get(Department, code)
        if row is None:
            session.add(Department(code=code, name=name, level="city",
                                   duty_phone=duty_phones.get(code)))
            added["departments"] += 1
        elif row.duty_phone is None:
            row.duty_phone = duty_phones.get(code)
    session.flush()
    for d in data.get("departments", []):
        row = session.get(Department, d["code"])
        if row is None:
            session.add(Department(code=d["code"], name=d["name"], level=d["level"],
                                   parent_code=d.get("parent"), region=d.get("region"),
                                   duty_phone=d.get("duty_phone")))
            added["departments"] += 1
        elif row.duty_phone is None:
            row.duty_phone = d.get("duty_phone")
    for c in data.get("companies", []):
        if session.get(Company, c["code"]) is None:
            session.add(Company(code=c["code"], name=c["name"], trade=c["trade"],
                                region=c.get("region"), lat=c.get("lat"), lon=c.get("lon"),
                                rating=float(c.get("rating", 4.0)), standing="active",
                                phone=c.get("phone")))
            added["companies"] += 1
    known = set(session.scalars(select(KnowledgeEntry.question)))
    for k in data.get("knowledge", []):
        if k["question"] not in known:
            session.add(KnowledgeEntry(topic=k.get("topic"), question=k["question"],
                                       answer=k["answer"], updated_at=now))
            added["knowledge"] += 1
    return added


def region_names(path: Path = SEED_PATH) -> dict[str, str]:
    """Region code -> name (婺城区, 兰溪市, ...), the districts and counties reports group by."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return dict(data.get("regions") or {})
