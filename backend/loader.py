"""Build the database from the Brightwave fixture.

``rebuild`` drops every table, creates them again and loads the fixture, so it
can run any number of times with the same result. The whole fixture is read
and checked before anything is dropped: a broken fixture leaves the database
as it was.
"""

import json
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Date, DateTime, inspect, select, text
from sqlalchemy.engine import Engine

from backend import write_models  # noqa: F401  (the writes' tables join Base.metadata)
from backend.models import (
    Appointment,
    Base,
    Claim,
    CompanyPolicy,
    Customer,
    DevicePolicy,
    Event,
    Invoice,
    Order,
    Product,
    ProtectionPlan,
    Record,
    Slot,
    Store,
)

Row = dict[str, Any]

LISTS: tuple[type[Record], ...] = (
    Customer,
    Store,
    Product,
    ProtectionPlan,
    Order,
    DevicePolicy,
    Claim,
    Invoice,
    Appointment,
    Slot,
    Event,
)
"""Models loaded from a fixture list of the same name as their table, one row per record."""

ORDERED = (Store, Product, ProtectionPlan)
"""Models served in the fixture's order, kept in their ``position`` column."""


class FixtureError(ValueError):
    """The fixture cannot be loaded; the message says where and why."""


def _column_value(model: type[Record], field: str, value: Any) -> Any:
    column_type = model.__table__.columns[field].type  # type: ignore[attr-defined]
    if value is None:
        return None
    if isinstance(column_type, DateTime):
        return datetime.fromisoformat(value)
    if isinstance(column_type, Date):
        return date.fromisoformat(value)
    return value


def _rows(model: type[Record], records: Any) -> list[Row]:
    name = model.__tablename__  # type: ignore[attr-defined]
    if not isinstance(records, list):
        raise FixtureError(f"{name}: expected a list of records")
    fields = model.fields()
    rows = []
    for index, record in enumerate(records):
        where = f"{name}[{index}]"
        if not isinstance(record, dict):
            raise FixtureError(f"{where}: expected an object")
        unexpected = sorted(set(record) - fields)
        missing = sorted(fields - set(record) - model.__omit_null__)
        if unexpected or missing:
            raise FixtureError(f"{where}: unexpected fields {unexpected}, missing fields {missing}")
        row: Row = dict.fromkeys(model.__omit_null__)
        try:
            row.update(
                {field: _column_value(model, field, value) for field, value in record.items()}
            )
        except (TypeError, ValueError) as error:
            raise FixtureError(f"{where}: {error}") from None
        if model in ORDERED:
            row["position"] = index
        rows.append(row)
    return rows


def _slot_rows(slots: list[Row], appointments: Iterable[Row]) -> list[Row]:
    """The offered slots plus those booked appointments hold (the fixture lists free slots only)."""
    by_key = {(slot["store_id"], slot["start"]): {**slot, "appointment_id": None} for slot in slots}
    for appointment in appointments:
        if appointment["status"] == "booked":
            key = (appointment["store_id"], appointment["start"])
            by_key[key] = {"store_id": key[0], "start": key[1], "appointment_id": appointment["id"]}
    return list(by_key.values())


def _policy_rows(policies: Any) -> list[Row]:
    if not isinstance(policies, dict):
        raise FixtureError("policies: expected an object")
    return [
        {"name": name, "value": value, "position": index}
        for index, (name, value) in enumerate(policies.items())
    ]


def read_fixture(path: Path) -> dict[str, list[Row]]:
    """Every table's rows by table name, read from the fixture at path and checked."""
    try:
        fixture = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise FixtureError(f"{path}: {error}") from None
    if not isinstance(fixture, dict):
        raise FixtureError(f"{path}: expected a JSON object")
    tables = {model.__tablename__: model for model in LISTS}  # type: ignore[attr-defined]
    absent = sorted({*tables, "policies"} - set(fixture))
    if absent:
        raise FixtureError(f"{path}: missing {', '.join(absent)}")
    rows = {name: _rows(model, fixture[name]) for name, model in tables.items()}
    rows[Slot.__tablename__] = _slot_rows(rows[Slot.__tablename__], rows[Appointment.__tablename__])
    rows[CompanyPolicy.__tablename__] = _policy_rows(fixture["policies"])
    return rows


def rebuild(engine: Engine, fixture_path: Path) -> dict[str, int]:
    """Drop, create and load every table from the fixture; returns the rows per table."""
    rows = read_fixture(fixture_path)
    with engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            # pysqlite runs DDL outside any transaction: without this BEGIN, readers
            # beside a rebuild found the tables dropped ("no such table", 503).
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        Base.metadata.drop_all(connection)
        Base.metadata.create_all(connection)
        for table in Base.metadata.sorted_tables:
            if rows.get(table.name):
                connection.execute(table.insert(), rows[table.name])
    return {table.name: len(rows.get(table.name, ())) for table in Base.metadata.sorted_tables}


FIXTURE_TABLES = frozenset(model.__tablename__ for model in (*LISTS, CompanyPolicy))  # type: ignore[attr-defined]
"""The tables the fixture fills; the writes' own tables (e.g. IdempotencyKey's) are not."""


def is_loaded(engine: Engine) -> bool:
    """True when every fixture table exists and the customers table has rows."""
    if not set(inspect(engine).get_table_names()) >= FIXTURE_TABLES:
        return False
    with engine.connect() as connection:
        return connection.execute(select(Customer.id).limit(1)).first() is not None


def add_request_ids(engine: Engine) -> bool:
    """Give a database built before interactions had a request_id that column (and its
    unique index), keeping its rows; True if it was added."""
    if "request_id" in {c["name"] for c in inspect(engine).get_columns("interactions")}:
        return False
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE interactions ADD COLUMN request_id VARCHAR(64)"))
        connection.execute(
            text("CREATE UNIQUE INDEX ix_interactions_request_id ON interactions (request_id)")
        )
    return True


def add_complaint_flags(engine: Engine) -> bool:
    """Give a database built before customers had open_complaint that column (null:
    none open), keeping its rows; True if it was added."""
    if "open_complaint" in {c["name"] for c in inspect(engine).get_columns("customers")}:
        return False
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE customers ADD COLUMN open_complaint BOOLEAN"))
    return True


def fixture_date(path: Path) -> date:
    """The fixture's ``as_of``: the day its data describes."""
    try:
        return date.fromisoformat(json.loads(path.read_text(encoding="utf-8"))["as_of"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise FixtureError(f"{path}: no as_of date ({error})") from None


def ensure_loaded(engine: Engine, fixture_path: Path) -> bool:
    """Build the database from the fixture if it is missing or empty; True if it was built.
    A database built before the writes' tables existed keeps its rows and gains them."""
    if is_loaded(engine):
        add_request_ids(engine)
        add_complaint_flags(engine)
        Base.metadata.create_all(engine)  # only the missing ones, e.g. IdempotencyKey's
        return False
    rebuild(engine, fixture_path)
    return True
