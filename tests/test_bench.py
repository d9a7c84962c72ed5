"""The benchmark's measuring helpers (`python -m livingreview bench`), on small inputs: build-log
parsing, code-cell extraction for the floor, page-weight accounting on a fake site, the edits
used for the rebuild measures, and the 100 x dataset generator. Nothing here is timed."""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from livingreview.cli import bench

ROOT = Path(__file__).resolve().parent.parent


# -- build log --------------------------------------------------------------------------------


def test_executed_pages_reads_mystnb_log_lines(tmp_path: Path) -> None:
    root = tmp_path / "book"
    log = (
        f"reading sources... [ 10%] chapters/index\n"
        f"{root}/chapters/index.md: Executing notebook using local CWD [mystnb]\n"
        f"{root}/chapters/index.md: Executed notebook in 2.16 seconds [mystnb]\n"
        f"\x1b[01m{root}/chapters/infant-kmt2a.md: Executing notebook using local CWD"
        " [mystnb]\x1b[39;49;00m\n"
        f"{root}/chapters/index.md: Executing notebook using local CWD [mystnb]\n"  # counted once
        "chapters/whats-new.md: Executing notebook using local CWD [mystnb]\n"
        f"{root}/chapters/blinatumomab.md: Executed notebook in 4.66 seconds [mystnb]\n"  # not executing
        "checking consistency... done\n"
    )
    want = ["chapters/index", "chapters/infant-kmt2a", "chapters/whats-new"]
    assert bench.executed_pages(log, root) == want
    assert bench.executed_pages("build succeeded.\n", root) == []


# -- the floor --------------------------------------------------------------------------------

PAGE = """\
---
kernelspec:
  name: python3
---
# Title

```python
not_a_cell = 1
```

```{code-cell} ipython3
:tags: [remove-cell]
from livingreview import book
ds = book.start()
```

Prose with {glue:text}`x`.

````{code-cell} ipython3
---
tags: [remove-input]
mystnb:
  number_source_lines: true
---
x = 1
```
inner fence, still code
```
````

```{code-cell} ipython3
:tags: [skip-execution]
raise SystemExit
```

```{code-cell}
y = x + 1
y
```
"""


def test_code_cells_extracts_code_without_options() -> None:
    cells = bench.code_cells(PAGE)
    assert cells == [
        "from livingreview import book\nds = book.start()",
        "x = 1\n```\ninner fence, still code\n```",
        "y = x + 1\ny",
    ]


def test_floor_plan_follows_the_toc(tmp_path: Path) -> None:
    (tmp_path / "chapters").mkdir()
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: chapters/index\nchapters:\n"
        "  - file: chapters/b\n  - file: chapters/a\n"
        "  - file: chapters/prose\n"
    )
    (tmp_path / "chapters" / "index.md").write_text("# Home\n\n```{code-cell}\nhome = 1\n```\n")
    (tmp_path / "chapters" / "a.md").write_text("# A\n\n```{code-cell}\na = 1\n```\n")
    (tmp_path / "chapters" / "b.md").write_text("# B\n\n```{code-cell}\nb = 1\n```\n")
    (tmp_path / "chapters" / "prose.md").write_text("# Only prose\n")
    plan = bench.floor_plan(tmp_path)
    assert [p["page"] for p in plan] == ["chapters/index", "chapters/b", "chapters/a"]
    assert plan[1]["cells"] == ["b = 1"]


def test_floor_runs_cells_like_a_kernel_with_glue(tmp_path: Path) -> None:
    """Glue outside a kernel only displays; the last expression is formatted; an error fails."""
    plan = [
        {
            "page": "chapters/p",
            "cells": [
                "from myst_nb import glue\nglue('n', 3, display=False)\n"
                "%config InteractiveShell.ast_node_interactivity = 'last_expr'",
                "n = 2\nn * 21",
            ],
        }
    ]
    good = tmp_path / "good.json"
    good.write_text(bench.json.dumps(plan))
    assert bench._floor_main(str(good)) == 0
    bad = tmp_path / "bad.json"
    bad.write_text(bench.json.dumps([{"page": "chapters/q", "cells": ["raise ValueError('planted')"]}]))
    assert bench._floor_main(str(bad)) == 1


# -- page weight ------------------------------------------------------------------------------


def _fake_site(site: Path) -> None:
    (site / "chapters").mkdir(parents=True)
    (site / "_static" / "fonts").mkdir(parents=True)
    (site / "_static" / "img").mkdir()
    (site / "_static" / "app.js").write_bytes(b"a" * 1000)
    (site / "_static" / "bundle.js").write_bytes(b"b" * 5000)
    (site / "_static" / "base.css").write_text("@import url('more.css');\nbody{background:url(img/bg.png)}\n")
    (site / "_static" / "more.css").write_text(
        "@font-face{font-family:x;src:url(fonts/x.woff2) format('woff2'),"
        "url(fonts/x.ttf) format('truetype')}\n"
        ".a{background:url('img/bg.png')} .b{background:url(data:image/png;base64,AAAA)}\n"
    )
    (site / "_static" / "fonts" / "x.woff2").write_bytes(b"f" * 300)
    (site / "_static" / "fonts" / "x.ttf").write_bytes(b"t" * 9000)  # not fetched: woff2 first
    (site / "_static" / "img" / "bg.png").write_bytes(b"p" * 200)
    (site / "_static" / "logo.svg").write_bytes(b"l" * 50)
    (site / "chapters" / "page.html").write_text(
        "<html><head>"
        '<link rel="stylesheet" href="../_static/base.css?v=1">'
        '<link rel="stylesheet" href="../_static/base.css">'  # counted once
        '<link rel="canonical" href="../_static/app.js">'  # not fetched
        '<script src="../_static/app.js"></script>'
        '<script src="https://cdn.example.org/x.js"></script>'  # another origin
        '<script src="//cdn.example.org/y.js"></script>'
        '<script src="../_static/missing.js"></script>'  # not in the site
        "</head><body>"
        '<img src="../_static/logo.svg" alt=""><img src="data:image/gif;base64,R0lGOD" alt="">'
        '<a href="../_static/bundle.js">a link is not fetched</a>'
        "</body></html>",
        encoding="utf-8",
    )


def test_page_weight_counts_each_same_site_file_once(tmp_path: Path) -> None:
    site = tmp_path / "html"
    _fake_site(site)
    w = bench.page_weight(site, "chapters/page.html")
    html = (site / "chapters" / "page.html").stat().st_size
    css = (site / "_static" / "base.css").stat().st_size + (site / "_static" / "more.css").stat().st_size
    assert w["html_bytes"] == html
    assert w["files"] == 6  # base.css, more.css, bg.png, x.woff2, app.js, logo.svg
    assert w["first_visit_bytes"] == html + css + 1000 + 300 + 200 + 50
    assert w["by_kind"]["font"] == 300 and w["by_kind"]["script"] == 1000


def test_css_refs_takes_the_first_font_source_and_skips_data_urls() -> None:
    css = (
        "@import 'a.css';@font-face{src:url(f.woff2) format('woff2'), url(f.ttf)}"
        'p{background:url("i.png")} q{background:url(data:image/png;base64,xx)}'
    )
    assert bench.css_refs(css) == ["a.css", "f.woff2", "i.png"]


def test_weight_changes_and_targets_on_a_fake_report() -> None:
    weights = [{"page": "chapters/a.html", "html_bytes": 100_000, "first_visit_bytes": 1_000_000}]
    scaled = [{"page": "chapters/a.html", "html_bytes": 120_000, "first_visit_bytes": 1_020_000}]
    change = bench.weight_changes(weights, scaled)["chapters/a.html"]
    assert change["html"] == pytest.approx(0.2) and change["max_change"] == pytest.approx(0.2)
    report = {
        "builds": {
            "cold": {"seconds": 20.0, "executed": ["chapters/a"]},
            "floor": {"seconds": 10.0, "per_page": {}},
            "noop": {"seconds": 2.0, "executed": []},
            "prose_edit": {"seconds": 3.0, "page": "chapters/a.md", "executed": ["chapters/a"]},
            "data_edit": {"seconds": 5.0, "change": "x", "executed": ["chapters/a"]},
        },
        "weights": weights,
        "charts": {
            "chapters/a.html": {
                "ms": [900, 1000, 1700],
                "median_ms": 1000,
                "charts": 2,
                "errors": [],
                "outside_requests": [],
            }
        },
        "scale": {
            "factor": 100,
            "rows": {"studies": 100},
            "cold": {"seconds": 29.0, "executed": []},
            "weights": scaled,
        },
        "machine": {"cpus": 2, "python": "3.11", "load_before": None, "load_after": None},
        "started": "now",
    }
    got = {t["target"].split(" <=")[0].split(" within")[0]: t["pass"] for t in bench.targets(report)}
    assert got == {
        "cold build": True,
        "no-op rebuild": True,
        "prose-only edit executes no page": False,
        "heaviest page HTML": True,
        "charts rendered": True,
        "build at 100 x data": True,
        "page weights at 100 x": False,
    }
    report["targets"] = bench.targets(report)
    text = bench.markdown(report)
    assert "| FAIL | prose-only edit executes no page |" in text and "chapters/a.html" in text


# -- edits and the copy -----------------------------------------------------------------------


def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def test_data_edit_changes_one_value_within_its_interval(tmp_path: Path) -> None:
    path = tmp_path / "outcomes.csv"
    shutil.copy(ROOT / "data" / "outcomes.csv", path)
    before = _rows(path)
    what = bench.data_edit(path)
    after = _rows(path)
    diffs = [(i, k) for i, (a, b) in enumerate(zip(before, after, strict=True)) for k in a if a[k] != b[k]]
    assert len(diffs) == 1 and diffs[0][1] == "estimate", what
    row = after[diffs[0][0]]
    assert float(row["ci_lower"]) < float(row["estimate"]) < float(row["ci_upper"])


def test_prose_edit_adds_prose_and_no_code(tmp_path: Path) -> None:
    page = tmp_path / "p.md"
    page.write_text(PAGE)
    bench.prose_edit(page)
    assert bench.code_cells(page.read_text()) == bench.code_cells(PAGE)
    assert page.read_text() != PAGE


def test_copy_leaves_out_outputs_and_caches(tmp_path: Path) -> None:
    src = tmp_path / "src"
    for name in (
        "_config.yml",
        "chapters/a.md",
        "_build/html/a.html",
        ".venv/bin/python",
        "livingreview/__pycache__/x.pyc",
        "data/x.csv",
    ):
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_text("x")
    dst = bench.copy_project(src, tmp_path / "dst")
    got = sorted(p.relative_to(dst).as_posix() for p in dst.rglob("*") if p.is_file())
    assert got == ["_config.yml", "chapters/a.md", "data/x.csv"]


# -- the 100 x dataset ------------------------------------------------------------------------


def _project_copy(tmp_path: Path) -> Path:
    book = tmp_path / "book"
    shutil.copytree(ROOT / "data", book / "data")
    shutil.copytree(ROOT / "chapters", book / "chapters")
    for name in ("references.bib", "_toc.yml", "_config.yml"):
        shutil.copy(ROOT / name, book / name)
    return book


def test_scaled_dataset_is_100_times_larger_and_passes_check(tmp_path: Path) -> None:
    from livingreview.checks import validate
    from livingreview.dataset import load as data

    book = _project_copy(tmp_path)
    before = data.load(book)
    counts = bench.scale_dataset(book, 100)
    after = data.load(book)
    assert set(counts) >= {"studies", "outcomes", "patients"}
    for name, n in counts.items():
        pinned = sum(
            int((before[name][c].astype("string") == v).sum()) for (t, c, v) in bench.SCALE_KEEP if t == name
        )
        assert n == 100 * len(before[name]) - 99 * pinned == len(after[name]), name
    # New unique ids, foreign keys into the same copy, the same (existing) citekeys.
    studies, outcomes = after.studies, after.outcomes
    assert studies["study_id"].is_unique and outcomes["outcome_id"].is_unique
    assert set(outcomes["study_id"]) <= set(studies["study_id"])
    copy = outcomes[outcomes["outcome_id"].str.endswith("-x042")]
    assert copy["study_id"].str.endswith("-x042").all()
    assert set(studies["citekey"]) == set(before.studies["citekey"])
    # Original rows untouched: what chapters select by id is still there.
    first = before.outcomes.iloc[0]
    assert after.outcomes.iloc[0]["outcome_id"] == first["outcome_id"]
    # Tables outside the studies' foreign-key family keep their size.
    for name in set(before) - set(counts):
        assert len(after[name]) == len(before[name])
    assert validate.check_project(book) == []


# -- what the optimisations must keep true ------------------------------------------------------


def _long_table(n: int, **kwargs: Any) -> str:
    import pandas as pd

    from livingreview.present import tables

    df = pd.DataFrame({"A": [f"r{i}" for i in range(n)], "B": [f"<{i}>" for i in range(n)]})
    return tables.table(df, caption="C", css_class="lr-table lr-sortable", **kwargs)


@pytest.fixture
def rows_store(tmp_path: Path) -> Iterator[Path]:
    from livingreview.present import tables

    tables.keep_rows_in(tmp_path / "kept")
    try:
        yield tmp_path / "kept"
    finally:
        tables.keep_rows_in(None)


def test_long_table_ships_its_first_rows_and_the_rest_on_demand(rows_store: Path) -> None:
    import json
    import re

    out = _long_table(60)
    files = sorted(rows_store.iterdir())
    assert len(files) == 1 and re.fullmatch(r"[0-9a-f]{16}\.js", files[0].name)
    key = files[0].stem
    assert out.count("<tr>") == 51  # header row + the first 50
    assert f'data-lr-key="{key}" data-lr-total="60" data-lr-rows-file="{key}.js"' in out
    assert "Showing the first 50 of 60 rows." in out and out.endswith("</div>")
    script = files[0].read_text(encoding="utf-8")
    found_key, rows = re.fullmatch(
        r'\(window\.lrRows = window\.lrRows \|\| \{\}\)\[(".*?")\] = (".*");\n', script, re.S
    ).groups()
    assert json.loads(found_key) == key
    rest = json.loads(rows)
    assert rest.count("<tr>") == 10 and "r50" in rest and "r59" in rest and "&lt;55&gt;" in rest
    # Every row is still there, once.
    assert sorted(re.findall(r">r(\d+)<", out + rest), key=int) == [str(i) for i in range(60)]
    before = files[0].stat().st_mtime_ns
    assert _long_table(60) == out  # the same rows: the same name, the file not rewritten
    assert files[0].stat().st_mtime_ns == before


def test_a_listing_carries_its_own_number_of_rows(rows_store: Path) -> None:
    from livingreview.present import tables

    out = _long_table(12, shown=tables.LISTING_ROWS)
    assert out.count("<tr>") == 1 + tables.LISTING_ROWS and "Showing the first 10 of 12 rows." in out
    assert "data-lr-rows-file" not in _long_table(10, shown=10)  # nothing to hide
    with pytest.raises(ValueError, match="shown must be a whole number"):
        _long_table(3, shown=0)


def test_outside_a_book_a_long_table_is_whole() -> None:
    out = _long_table(60)
    assert out.count("<tr>") == 61 and "data-lr-" not in out


def test_the_site_gets_the_rows_its_pages_name(rows_store: Path, tmp_path: Path) -> None:
    from livingreview.build.sphinx import publish_rows

    page = "<p>x</p>" + _long_table(60) + "<p>y</p>"
    name = next(rows_store.iterdir()).name
    site_rows = tmp_path / "site" / "_static" / "livingreview" / "rows"
    out, missing = publish_rows(page, rows_store, site_rows, "../_static/livingreview/rows")
    assert missing == [] and (site_rows / name).read_bytes() == (rows_store / name).read_bytes()
    assert f'data-lr-rows="../_static/livingreview/rows/{name}"' in out and "data-lr-rows-file" not in out
    (rows_store / name).unlink()
    (site_rows / name).unlink()
    out, missing = publish_rows(page, rows_store, site_rows, "x")
    assert missing == [name] and not (site_rows / name).exists()


def test_rows_no_page_points_to_are_removed_from_the_site(rows_store: Path, tmp_path: Path) -> None:
    from livingreview.build.sphinx import prune_rows, publish_rows

    site = tmp_path / "site"
    site_rows = site / "_static" / "livingreview" / "rows"
    page, _ = publish_rows(_long_table(60), rows_store, site_rows, "../_static/livingreview/rows")
    (site / "chapters").mkdir(parents=True)
    (site / "chapters" / "p.html").write_text(page, encoding="utf-8")
    (site_rows / "0123456789abcdef.js").write_text("old rows", encoding="utf-8")  # an edit ago
    assert prune_rows(site) == ["0123456789abcdef.js"]
    assert [f.name for f in site_rows.iterdir()] == [next(rows_store.iterdir()).name]  # kept


def test_pages_without_charts_do_not_import_altair() -> None:
    code = (
        "import sys\nfrom livingreview import book\n"
        "from livingreview.present import render\nrender.enable()\n"
        "assert 'altair' not in sys.modules\n"
        "from livingreview.present import charts\nimport altair as alt\n"
        "assert alt.renderers.active == render.RENDERER_NAME, alt.renderers.active\n"
    )
    proc = __import__("subprocess").run(
        [__import__("sys").executable, "-c", code], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr


def test_chart_html_carries_the_description_once_in_its_spec() -> None:
    import json
    import re

    from livingreview.present import render

    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "mark": "point",
        "description": "D",
        "usermeta": {"description": "D", "other": 1},
    }
    html = render.chart_html(spec)
    payload = json.loads(re.search(r'class="lr-vega-spec">(.*?)</script>', html, re.S).group(1))
    assert payload["description"] == "D" and payload["usermeta"] == {"other": 1}
    assert spec["usermeta"] == {"description": "D", "other": 1}  # the caller's spec is not changed


def test_build_skips_itself_only_when_inputs_and_outputs_are_unchanged(tmp_path: Path) -> None:
    import os

    from livingreview import cli

    root = tmp_path / "book"
    for name in (
        "_config.yml",
        "chapters/a.md",
        "data/x.csv",
        "_build/html/a.html",
        "_build/.jupyter_cache/global.db",
        "livingreview/__pycache__/m.pyc",
    ):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(name)
    inputs = cli.inputs_digest(root)
    cli._record_build(root, inputs)
    last = cli._last_build(root)
    assert last == {"inputs": inputs, "outputs": cli.outputs_digest(root)}
    # What the build writes (outputs, caches) is not an input.
    (root / "_build/.jupyter_cache/global.db").write_text("changed")
    (root / "livingreview/__pycache__/m.pyc").write_text("changed")
    assert cli.inputs_digest(root) == inputs
    # A changed or new input, or a touched output, means building again.
    (root / "data/x.csv").write_text("x,y")
    assert cli.inputs_digest(root) != inputs
    (root / "data/x.csv").write_text("data/x.csv")
    assert cli.inputs_digest(root) == inputs
    (root / "chapters/b.md").write_text("new")
    assert cli.inputs_digest(root) != inputs
    (root / "chapters/b.md").unlink()
    page = root / "_build/html/a.html"
    os.utime(page, ns=(page.stat().st_atime_ns, page.stat().st_mtime_ns + 1_000_000))
    assert cli.outputs_digest(root) != last["outputs"]


def test_a_failed_check_stops_the_build_before_the_next_page(tmp_path: Path, monkeypatch) -> None:
    from types import SimpleNamespace

    from sphinx.errors import SphinxError

    from livingreview.build.sphinx import _stop_if_check_failed

    marker = tmp_path / "check-failed-1"
    app = SimpleNamespace(config=SimpleNamespace(livingreview_check_failed=str(marker)))
    _stop_if_check_failed(app, "chapters/a", ["# A"])  # check still running, or passed
    marker.touch()
    with pytest.raises(SphinxError, match="data check failed"):
        _stop_if_check_failed(app, "chapters/a", ["# A"])
    app.config.livingreview_check_failed = ""
    _stop_if_check_failed(app, "chapters/a", ["# A"])  # a build not started by the CLI


def test_dataset_cache_gives_the_same_frames_and_follows_the_data(tmp_path: Path) -> None:
    from livingreview.dataset import load as data

    book = tmp_path / "book"
    shutil.copytree(ROOT / "data", book / "data")
    cache = tmp_path / "cache"
    fresh = data.load(book)
    first = data.load(book, cache_dir=cache)  # parses, then keeps the frames
    (pickled,) = cache.glob("dataset-*.pickle")
    again = data.load(book, cache_dir=cache)  # reads them back
    for name in fresh:
        assert fresh[name].equals(again[name]) and (fresh[name].dtypes == again[name].dtypes).all()
        assert first[name].equals(again[name])
    assert again.root == book and again.package == fresh.package
    # A data edit is a new key: parsed again, the old file replaced.
    outcomes = book / "data" / "outcomes.csv"
    outcomes.write_text(outcomes.read_text(encoding="utf-8").replace(",81.6,", ",81.5,", 1), encoding="utf-8")
    edited = data.load(book, cache_dir=cache)
    assert not edited.outcomes.equals(fresh.outcomes)
    assert [p.name for p in cache.glob("dataset-*.pickle")] != [pickled.name]
    # A damaged cache file is ignored.
    (damaged,) = cache.glob("dataset-*.pickle")
    damaged.write_bytes(b"not a pickle")
    assert data.load(book, cache_dir=cache).outcomes.equals(edited.outcomes)
