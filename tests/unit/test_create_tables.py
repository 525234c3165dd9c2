"""Processes starting together on one database each create the tables they find
missing: the one that loses the race takes the other's tables as made."""

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, event, inspect
from sqlalchemy.exc import OperationalError

from common.database import create_tables


def raced(path: Path) -> tuple[MetaData, Any]:
    """A table that another process creates between this one's look and its CREATE."""
    url = f"sqlite:///{path}"
    metadata = MetaData()
    table = Table("claims", metadata, Column("id", Integer, primary_key=True))
    other = create_engine(url)

    @event.listens_for(table, "before_create")
    def the_other_process_first(*_: Any, **__: Any) -> None:
        if not inspect(other).has_table("claims"):
            with other.begin() as connection:
                connection.exec_driver_sql("CREATE TABLE claims (id INTEGER PRIMARY KEY)")

    return metadata, create_engine(url)


def test_the_race_refuses_a_plain_create_all(tmp_path: Path) -> None:
    metadata, engine = raced(tmp_path / "plain.db")
    with pytest.raises(OperationalError, match="already exists"):
        metadata.create_all(engine)


def test_the_loser_of_the_race_takes_the_table_as_made(tmp_path: Path) -> None:
    metadata, engine = raced(tmp_path / "raced.db")
    create_tables(metadata, engine)
    assert inspect(engine).has_table("claims")
