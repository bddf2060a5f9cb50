"""One Spark session (local[2], UTC) for every Spark test: starting a JVM takes seconds."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from leadgate.clock import FixedClock
from leadgate.engines.spark import SparkSettings, session
from leadgate.project import Project, init_project
from leadgate.testing import generate
from leadgate.testing.lake import export_store, write_lake

SMALL_LEADS = 3_000


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    spark = session(SparkSettings(inputs={}, master="local[2]", conf={"spark.driver.memory": "3g"}))
    spark.sparkContext.setLogLevel("ERROR")
    yield spark
    spark.stop()


@pytest.fixture(scope="session")
def small_lake(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A small lake (3,000 leads, 90,000 events) for the tests that need a few of each."""
    return write_lake(tmp_path_factory.mktemp("small"), leads=SMALL_LEADS, events=90_000)


@pytest.fixture(scope="session")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, dict[str, str]]:
    """A project holding generated history with outcomes (600 leads, a year), and the
    same inputs as Parquet files, named in its [engine.tables]."""
    root = tmp_path_factory.mktemp("history")
    data = generate(seed=5, accounts=120, leads=600, months=12)
    project = init_project(root / "p", clock=FixedClock(data.end))
    for kind, path in data.write(root / "data", "parquet").items():
        project.import_file(path, kind)
    with project.store() as store:
        lake = export_store(store, root / "lake")
    with (project.root / "leadgate.toml").open("a") as config:
        config.write('\n[engine]\nmaster = "local[2]"\n[engine.tables]\n')
        config.write("".join(f'{name} = "{path}"\n' for name, path in lake.items()))
    return Project.open(project.root, clock=FixedClock(data.end)), lake
