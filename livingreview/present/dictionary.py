"""The data dictionary of a Frictionless data package: one table per resource (its columns, their
types, meanings, allowed values and keys), from the package's schemas."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from livingreview.dataset.load import schema_table
from livingreview.present.tables import HTMLTable, table

HEADINGS = {
    "field": "Column",
    "type_required": "Type",
    "description": "Meaning",
    "rules": "Allowed values, constraints and keys",
}


def dictionary_tables(dataset: Mapping[str, pd.DataFrame] | Any) -> list[HTMLTable]:
    """One table per resource of ``dataset`` (a Dataset or a page's view of one), in package order,
    captioned with its name, file, number of rows and description."""
    fields = schema_table(dataset)
    fields["type_required"] = fields["type"] + fields["required"].map({True: ", required", False: ""})
    fields["rules"] = [
        "; ".join(part for part in (allowed, key) if part)
        for allowed, key in zip(fields["allowed"].fillna(""), fields["key"].fillna(""), strict=True)
    ]
    out = []
    for resource in dataset.package["resources"]:
        name = resource["name"]
        caption = (
            f"{name} ({resource.get('path', '')}, {len(dataset[name])} rows): "
            f"{resource.get('description') or resource.get('title') or ''}"
        )
        out.append(table(fields[fields["resource"] == name], HEADINGS, caption=caption))
    return out
