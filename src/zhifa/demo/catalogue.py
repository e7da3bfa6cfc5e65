"""Demo step: the demo county's departments, townships and catalogue from data/catalogue/."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from zhifa.catalogue.importer import import_tables, read_dir
from zhifa.catalogue.models import CatalogueVersion

DATA = Path(__file__).parent / "data" / "catalogue"
# Version 1 of every demo township takes effect on this day (fixed so that a rerun matches).
EFFECTIVE = dt.date(2026, 1, 1)


def step(county, log: Callable[[str], None]) -> None:
    tables, errors = read_dir(DATA)
    if errors:  # the shipped files are ours: an error here is a bug in them
        raise RuntimeError("演示清单数据有误：\n" + "\n".join(errors))
    if CatalogueVersion.objects.filter(township__county=county, status=CatalogueVersion.PUBLISHED).exists():
        # Holdings are seeded once; versions published later in the application must stay.
        tables.pop("township_items", None)
    result = import_tables(tables, county=county, effective_date=EFFECTIVE, actor="演示数据")
    log(f"执法事项清单：{result.summary()}")
