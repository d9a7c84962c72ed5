"""What a contributor sees when they get something wrong, and what a new chapter takes.

Each feedback test makes one typical mistake on a copy of the real project (data/,
references.bib, chapters/, _toc.yml), runs ``python -m livingreview check --root <copy>`` (what
``make check`` runs) and asserts: exit code 1, exactly the expected problem(s) (no cascade), each
naming the file, the line an editor shows, the column, and a fix: what is allowed, a "did you
mean", or what to do.

The last test copies ``chapters/_template.md`` into a copy of the whole book as a new chapter,
adds it to the table of contents and runs the strict build and the site check (CONTRIBUTING.md,
"Add a chapter").
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COPIED = ["data", "references.bib", "chapters", "_toc.yml"]


# --------------------------------------------------------------------------- helpers


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    for name in COPIED:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, root / name)
        else:
            shutil.copy2(src, root / name)
    return root


def check(root: Path) -> tuple[int, list[str]]:
    """Run the checker as `make check` does; return its exit code and the problem lines."""
    proc = subprocess.run(
        [sys.executable, "-m", "livingreview", "check", "--root", str(root)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    if proc.returncode:
        assert re.fullmatch(r"\d+ problems? in \d+ files?", lines[-1]), proc.stderr
        lines = lines[:-1]
    return proc.returncode, lines


def read_rows(root: Path, table: str) -> list[list[str]]:
    with open(root / "data" / f"{table}.csv", newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def write_rows(root: Path, table: str, rows: list[list[str]]) -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    (root / "data" / f"{table}.csv").write_text(buf.getvalue(), encoding="utf-8")


def editor_line(root: Path, table: str, index: int) -> int:
    """The line an editor shows for data record ``index`` (0-based, header excluded)."""
    with open(root / "data" / f"{table}.csv", newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        next(reader)
        start = reader.line_num + 1
        for i, _ in enumerate(reader):
            if i == index:
                return start
            start = reader.line_num + 1
    raise IndexError(index)


def find_row(root: Path, table: str, **where: str) -> int:
    """0-based index of the first record whose cells match ``where`` (a callable or a value)."""
    rows = read_rows(root, table)
    header = rows[0]
    for i, row in enumerate(rows[1:]):
        if all(
            (want(row[header.index(col)]) if callable(want) else row[header.index(col)] == want)
            for col, want in where.items()
        ):
            return i
    raise LookupError(f"no row in {table} with {where}")


def set_cell(root: Path, table: str, index: int, column: str, value: str) -> int:
    """Change one cell; return the editor line of its row."""
    rows = read_rows(root, table)
    rows[index + 1][rows[0].index(column)] = value
    write_rows(root, table, rows)
    return editor_line(root, table, index)


def assert_problems(root: Path, *expected: tuple[str, tuple[str, ...]]) -> list[str]:
    """Exit code 1 and exactly the expected problems, each as (``file:line: column: `` prefix,
    (parts of the message, the fix among them))."""
    code, found = check(root)
    assert code == 1, found
    assert len(found) == len(expected), "\n".join(found)
    for (head, parts), line in zip(sorted(expected), sorted(found), strict=True):
        assert line.startswith(head), f"{line!r} does not start with {head!r}"
        for part in parts:
            assert part in line, f"{part!r} not in {line!r}"
    return found


def line_in(path: Path, needle: str) -> int:
    for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in text:
            return n
    raise LookupError(needle)


# --------------------------------------------------------------------------- control


def test_the_unchanged_copy_passes(project: Path) -> None:
    # The control: the copy itself is clean, so every failure below is the planted mistake's.
    code, found = check(project)
    assert (code, found) == (0, [])


# --------------------------------------------------------------------------- data


def test_citekey_typo_in_outcomes_suggests_the_key(project: Path) -> None:
    i = find_row(project, "outcomes", citekey="vandersluis2023")
    line = set_cell(project, "outcomes", i, "citekey", "vandersluis203")
    assert_problems(
        project,
        (
            f"data/outcomes.csv:{line}: citekey: ",
            ("unknown citekey 'vandersluis203'", "did you mean `vandersluis2023`?"),
        ),
    )


def test_unknown_study_in_outcomes_says_to_add_the_study_first(project: Path) -> None:
    # Outcome rows typed before the study's own row exists in studies.csv.
    i = find_row(project, "outcomes", study_id="clesham2020")
    line = set_cell(project, "outcomes", i, "study_id", "qqtest2031")
    assert_problems(
        project,
        (
            f"data/outcomes.csv:{line}: study_id: ",
            ("'qqtest2031' not found in data/studies.csv", "add its row to data/studies.csv first"),
        ),
    )


def test_missing_column(project: Path) -> None:
    rows = read_rows(project, "studies")
    j = rows[0].index("design")
    write_rows(project, "studies", [r[:j] + r[j + 1 :] for r in rows])
    assert_problems(
        project,
        (
            "data/studies.csv:1: design: ",
            ("missing column 'design' (required)", "add design to the header on line 1"),
        ),
    )


@pytest.mark.parametrize(
    "table, column, value, fix",
    [
        # enum: the allowed values and the closest one
        ("outcomes", "unit", "percentage", ("allowed: percent, ratio, months", "did you mean 'percent'?")),
        (
            "studies",
            "design",
            "randomized",
            ("allowed: randomised trial,", "did you mean 'randomised trial'?"),
        ),
        # a '; '-separated list of tokens: the allowed tokens, the wrong one and its closest
        (
            "outcomes",
            "flag",
            "ambigous",
            (
                "allowed: inconsistent, misaligned, implausible, ambiguous, "
                "secondary (several joined by '; ')",
                "did you mean 'ambiguous'?",
            ),
        ),
        (
            "studies",
            "interventions",
            "blinatumomab; CART",
            ("'CART' is not one of them", "did you mean 'CAR-T'?"),
        ),
        # the tokens are right but joined with a comma
        (
            "studies",
            "interventions",
            "blinatumomab, HSCT",
            ("allowed: gemtuzumab ozogamicin,", "separate them with '; ' exactly"),
        ),
        # a number with its unit
        ("studies", "n", "30 patients", ("is not an integer", "expected a whole number such as 12")),
    ],
)
def test_value_outside_the_allowed_set(
    project: Path, table: str, column: str, value: str, fix: tuple[str, ...]
) -> None:
    # a row that already has a note, so that setting a flag is the only mistake
    i = find_row(project, table, note=lambda v: bool(v.strip()))
    line = set_cell(project, table, i, column, value)
    assert_problems(project, (f"data/{table}.csv:{line}: {column}: ", (f"value {value!r}", *fix)))


def test_figure_without_locator(project: Path) -> None:
    i = find_row(project, "outcomes", study_id="vandersluis2023")
    line = set_cell(project, "outcomes", i, "locator", "")
    # one problem, not also Frictionless' "required value is missing"
    assert_problems(
        project,
        (
            f"data/outcomes.csv:{line}: locator: ",
            ("locator is empty", "say where the figure stands in the source (table, figure or section)"),
        ),
    )


def test_flag_without_note(project: Path) -> None:
    i = find_row(project, "outcomes", flag="", note="")
    line = set_cell(project, "outcomes", i, "flag", "ambiguous")
    assert_problems(
        project,
        (
            f"data/outcomes.csv:{line}: note: ",
            ("flag 'ambiguous' is set but note is empty", "say what is wrong"),
        ),
    )


def test_unquoted_comma_in_a_value(project: Path) -> None:
    # A row typed by hand in a text editor: the locator "Abstract, Table 2" is not quoted.
    rows = read_rows(project, "studies")
    header = rows[0]
    row = list(rows[1])
    row[header.index("study_id")] = "qqtest2031"
    row[header.index("locator")] = "Abstract, Table 2"
    path = project / "data" / "studies.csv"
    path.write_text(
        path.read_text(encoding="utf-8")
        + ",".join(c.replace(",", " ") if k != header.index("locator") else c for k, c in enumerate(row))
        + "\n",
        encoding="utf-8",
    )
    line = len(path.read_text(encoding="utf-8").splitlines())
    found = assert_problems(
        project,
        (
            f"data/studies.csv:{line}: ",
            (
                f"row has {len(header) + 1} cells but the header has {len(header)}",
                "must be put in double quotes",
            ),
        ),
    )
    assert not found[0].startswith(f"data/studies.csv:{line}: locator"), found  # a row problem


def test_many_mistakes_are_reported_in_one_run(project: Path) -> None:
    lines = [
        set_cell(
            project, "outcomes", find_row(project, "outcomes", citekey="clesham2020"), "citekey", "clesham202"
        ),
        set_cell(project, "outcomes", find_row(project, "outcomes", study_id="durer2019"), "locator", ""),
        set_cell(project, "outcomes", find_row(project, "outcomes", unit="percent"), "unit", "Percent"),
    ]
    found = assert_problems(
        project,
        (f"data/outcomes.csv:{lines[0]}: citekey: ", ("did you mean `clesham2020`?",)),
        (f"data/outcomes.csv:{lines[1]}: locator: ", ("locator is empty",)),
        (f"data/outcomes.csv:{lines[2]}: unit: ", ("did you mean 'percent'?",)),
    )
    assert found == sorted(found, key=lambda s: int(s.split(":")[1]))  # in file order


# --------------------------------------------------------------------------- references.bib

NEW_ENTRY = """
@article{qqtest2031,
  author  = {Test, Alice and Example, Bob},
  title   = {A made-up study for the tests},
  journal = {Journal of Tests},
  year    = {2031},
  volume  = {1},
  pages   = {1--9}
}
"""


def add_entry(project: Path, text: str) -> int:
    """Append an entry to references.bib; return the line of its '@'."""
    bib = project / "references.bib"
    before = bib.read_text(encoding="utf-8")
    bib.write_text(before + text, encoding="utf-8")
    return (before + text)[: len(before) + text.index("@")].count("\n") + 1


def test_the_new_entry_itself_is_valid(project: Path) -> None:
    add_entry(project, NEW_ENTRY)
    assert check(project) == (0, [])


def test_bib_missing_comma_between_fields(project: Path) -> None:
    at = add_entry(
        project, NEW_ENTRY.replace("{A made-up study for the tests},", "{A made-up study for the tests}")
    )
    assert_problems(
        project,
        (
            f"references.bib:{at + 2}: title: ",
            (
                "entry 'qqtest2031': value of title runs into 'journal = ...'",
                "a comma is probably missing after the title value",
            ),
        ),
    )


def test_bib_missing_closing_brace_at_the_end(project: Path) -> None:
    at = add_entry(project, NEW_ENTRY.rstrip().rstrip("}") + "\n")
    assert_problems(
        project,
        (
            f"references.bib:{at}: malformed @article{{qqtest2031: ",
            ("a closing brace '}' (or quote) is probably missing",),
        ),
    )


def test_bib_unclosed_brace_in_a_cited_entry_is_one_problem_not_a_cascade(project: Path) -> None:
    # Breaking an entry that many rows and chapters cite must not bury the cause under a hundred
    # "unknown citekey" messages that would tell the contributor to add an entry that is there.
    bib = project / "references.bib"
    text = bib.read_text(encoding="utf-8")
    m = re.search(r"@article\{vandersluis2023,\n(?:.*\n)*?\s*title\s*=\s*\{[^}]*\},", text)
    assert m, "entry vandersluis2023 with a title not found"
    at = text[: m.start()].count("\n") + 1
    bib.write_text(text[: m.end() - 2] + text[m.end() - 1 :], encoding="utf-8")  # drop the title's '}'
    assert_problems(
        project,
        (
            f"references.bib:{at}: malformed @article{{vandersluis2023: ",
            ("a brace '{' or quote opened earlier in this entry is not closed",),
        ),
    )


def test_bib_missing_required_field(project: Path) -> None:
    at = add_entry(project, NEW_ENTRY.replace("  journal = {Journal of Tests},\n", ""))
    assert_problems(
        project,
        (
            f"references.bib:{at}: journal: ",
            (
                "@article 'qqtest2031' is missing required field 'journal'",
                "add a line `journal = {...},` as the source's reference list gives it",
            ),
        ),
    )


def test_bib_key_added_twice(project: Path) -> None:
    first = line_in(project / "references.bib", "@article{vandersluis2023,")
    at = add_entry(project, NEW_ENTRY.replace("qqtest2031", "vandersluis2023"))
    assert_problems(
        project,
        (
            f"references.bib:{at}: key: ",
            (
                f"duplicate key 'vandersluis2023' (first defined on line {first})",
                "delete this entry if it is the same work, or give it another key",
            ),
        ),
    )


def test_bib_doi_as_url(project: Path) -> None:
    at = add_entry(
        project, NEW_ENTRY.replace("  year ", "  doi     = {https://doi.org/10.9999/qq.2031},\n  year ")
    )
    assert_problems(
        project, (f"references.bib:{at + 4}: doi: ", ("should be the bare DOI '10.9999/qq.2031'",))
    )


# --------------------------------------------------------------------------- chapters


def test_citekey_typo_in_a_chapter(project: Path) -> None:
    page = project / "chapters" / "index.md"
    line = line_in(page, "{cite:p}`brethon2021`")
    page.write_text(
        page.read_text(encoding="utf-8").replace("{cite:p}`brethon2021`", "{cite:p}`brethon2012`"),
        encoding="utf-8",
    )
    assert_problems(
        project,
        (
            f"chapters/index.md:{line}: cite: ",
            ("unknown citekey 'brethon2012' (not in references.bib)", "did you mean `brethon2021`?"),
        ),
    )


def test_citation_of_a_work_not_yet_in_the_bibliography(project: Path) -> None:
    page = project / "chapters" / "index.md"
    line = line_in(page, "{cite:p}`brethon2021`")
    page.write_text(
        page.read_text(encoding="utf-8").replace("{cite:p}`brethon2021`", "{cite:p}`qqtest2031`"),
        encoding="utf-8",
    )
    assert_problems(
        project,
        (
            f"chapters/index.md:{line}: cite: ",
            (
                "unknown citekey 'qqtest2031'",
                "add an entry with this key to references.bib, or correct the key",
            ),
        ),
    )


# --------------------------------------------------------------------------- a new chapter


def _copy_book(tmp_path: Path) -> Path:
    book = tmp_path / "book"
    shutil.copytree(
        ROOT,
        book,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "_build", ".pytest_cache", ".ruff_cache", "__pycache__", "node_modules", "tests"
        ),
    )
    return book


def _add_to_toc(book: Path, file: str) -> None:
    """Add ``file`` as a chapter just before the references page (or at the end)."""
    toc_path = book / "_toc.yml"
    toc = yaml.safe_load(toc_path.read_text(encoding="utf-8"))
    lists = [toc.get("chapters")] + [p.get("chapters") for p in toc.get("parts") or []]
    lists = [chapters for chapters in lists if isinstance(chapters, list)]
    for chapters in lists:
        for k, entry in enumerate(chapters):
            if isinstance(entry, dict) and entry.get("file") == "chapters/references":
                chapters.insert(k, {"file": file})
                break
        else:
            continue
        break
    else:
        lists[-1].append({"file": file})
    toc_path.write_text(yaml.safe_dump(toc, sort_keys=False), encoding="utf-8")


@pytest.mark.build
def test_template_becomes_a_chapter_that_builds_with_its_chart(tmp_path: Path) -> None:
    from livingreview.build.site import check_site, expected_charts
    from livingreview.cli import jupyter_book_command

    book = _copy_book(tmp_path)
    template = book / "chapters" / "_template.md"
    assert expected_charts(template) >= 1
    shutil.copy(template, book / "chapters" / "new-chapter.md")
    _add_to_toc(book, "chapters/new-chapter")

    code, found = check(book)
    assert (code, found) == (0, [])
    proc = subprocess.run(jupyter_book_command(book), capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert [str(p) for p in check_site(book)] == []

    html_dir = book / "_build" / "html"
    page = (html_dir / "chapters" / "new-chapter.html").read_text(encoding="utf-8")
    assert page.count('class="lr-vega-spec"') == expected_charts(template)
    assert "Studies of blinatumomab in the dataset" in page  # the table's caption
    # the glued number is the dataset's, not a placeholder; the citation links to the bibliography
    n_studies = len(read_rows(book, "studies")) - 1
    assert re.search(rf"Of the\s+(<[^>]+>\s*)*{n_studies}(\s*<[^>]+>)*\s+studies", page), "glued count"
    assert "references.html#id" in page or "references.html#" in page
    assert "{glue:text}" not in page and "{cite:p}" not in page
    # the template itself (and its % comments) never reach the site
    assert not (html_dir / "chapters" / "_template.html").exists()
    assert "Lines starting with % are comments" not in page


# --------------------------------------------------------------------------- repository automation


def _yaml(path: str) -> dict:
    return yaml.safe_load((ROOT / path).read_text(encoding="utf-8"))


def test_pull_request_workflow_runs_check_then_test_then_build() -> None:
    wf = _yaml(".github/workflows/test.yml")
    assert "pull_request" in wf[True]  # PyYAML reads the key `on` as True
    assert wf["permissions"] == {"contents": "read"}
    jobs = wf["jobs"]
    assert jobs["test"]["needs"] == "check" and jobs["build"]["needs"] == "test"
    runs = {name: [s.get("run", "") for s in job["steps"]] for name, job in jobs.items()}
    assert "make check" in runs["check"] and "make test" in runs["test"] and "make book" in runs["build"]
    test_steps = jobs["test"]["steps"]
    assert any("CHROMIUM=$(command -v chromium" in s.get("run", "") for s in test_steps)
    assert any(s.get("env", {}).get("CI") == "true" for s in test_steps)
    uploads = [s for s in jobs["build"]["steps"] if s.get("uses", "").startswith("actions/upload-artifact")]
    assert any(s["with"]["path"].rstrip("/") == "_build/html" and "if" not in s for s in uploads)
    for job in jobs.values():  # on failure, the reports are kept
        failure = [s for s in job["steps"] if s.get("if") == "failure()" and "uses" in s]
        assert job is jobs["check"] or any("_build/html/reports/" in s["with"]["path"] for s in failure)


def test_pages_workflow_grants_write_only_to_the_deploy_job() -> None:
    wf = _yaml(".github/workflows/pages.yml")
    assert wf[True]["push"]["branches"] == ["main"]
    assert wf["permissions"] == {"contents": "read"}
    assert "permissions" not in wf["jobs"]["build"]
    deploy = wf["jobs"]["deploy"]
    assert deploy["needs"] == "build"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    uses = [s.get("uses", "") for job in wf["jobs"].values() for s in job["steps"]]
    assert any(u.startswith("actions/upload-pages-artifact") for u in uses)
    assert any(u.startswith("actions/deploy-pages") for u in uses)


def test_weekly_workflow_rebuilds_from_clean_and_checks_links_without_blocking() -> None:
    wf = _yaml(".github/workflows/weekly.yml")
    assert wf[True]["schedule"][0]["cron"]
    assert "pull_request" not in wf[True]
    rebuild = [s.get("run", "") for s in wf["jobs"]["rebuild"]["steps"]]
    assert rebuild.index("make clean") < rebuild.index("make book")
    links = wf["jobs"]["links"]
    assert links["continue-on-error"] is True
    assert any("--builder linkcheck" in s.get("run", "") for s in links["steps"])


def test_issue_form_and_pre_commit_config() -> None:
    form = _yaml(".github/ISSUE_TEMPLATE/propose-a-study.yml")
    ids = {item.get("id") for item in form["body"]}
    assert {"citation", "identifier", "why", "questions"} <= ids
    required = {item["id"] for item in form["body"] if item.get("validations", {}).get("required")}
    assert {"citation", "identifier", "why"} <= required
    hooks_config = _yaml(".pre-commit-config.yaml")
    assert [r["repo"] for r in hooks_config["repos"]] == ["local"]  # nothing fetched from GitHub
    hooks = {h["id"]: h for h in hooks_config["repos"][0]["hooks"]}
    assert {
        "ruff-check",
        "ruff-format",
        "livingreview-check",
        "trailing-whitespace",
        "end-of-file-fixer",
        "check-yaml",
        "check-json",
        "check-added-large-files",
    } <= set(hooks)
    assert all(h["language"] == "system" and h["entry"].startswith(".venv/bin/") for h in hooks.values())
    assert "make check" in (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    assert "- [ ]" in (ROOT / ".github" / "PULL_REQUEST_TEMPLATE.md").read_text(encoding="utf-8")
