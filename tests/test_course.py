"""The course tools (``probrnn.course``): student edition, PDF, slides, exercise labels, and
the teachers' page and glossary that point to them.

Fast tests use the tiny fake book of ``tests/course_support.py`` (its builds take well under a
minute each). The end-to-end tests on the real book are marked ``slow`` and run in CI; each
needs an executed build of the book:

* ``test_real_student_edition`` builds the student edition (every chapter executed: about the
  time of a book build, 3-7 minutes on the 2-core machine under load);
* ``test_real_pdf`` and ``test_real_slides`` reuse the executed chapters of the book build that
  the browser tests use (``tests/browser_support.locate_book``: ``_build`` if fresh, else a
  build), then take about 1 minute (PDF) and 30 seconds (slides).

``PROBRNN_COURSE_BOOK=/path/to/checkout`` points the tests at another checkout of the book (with
``PROBRNN_BOOK_HTML`` at its build, see ``tests/browser_support.py``).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from course_support import KEPT_MARKS, SOLUTION_MARKS, make_fake_book

from probrnn.course import myst
from probrnn.course.browser import CHROMIUM, MATH_ERRORS_JS, WAIT_JS, offline_context, open_browser
from probrnn.course.sources import chapters, exercises, find_root, solutions, statements, title
from probrnn.course.student import strip_notebook

# The book under test: this checkout, or the one named by $PROBRNN_COURSE_BOOK.
ROOT = find_root(os.environ.get("PROBRNN_COURSE_BOOK") or Path(__file__))
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}")


def _text_files(folder: Path):
    for f in folder.rglob("*"):
        if f.is_file() and f.suffix in {".html", ".js", ".ipynb", ".json", ".txt", ".md", ".py"}:
            yield f


def _exercise_numbers(html_dir: Path) -> dict[str, str]:
    """``{label: "Exercise 1.2"}`` read from the built pages."""
    found = {}
    for page in html_dir.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        for m in re.finditer(r'<div class="exercise[^"]*" id="([^"]+)">\s*<p class="admonition-title">'
                             r'<span class="caption-number">(Exercise [\d.]+)', text):
            found[m.group(1)] = m.group(2)
    return found


# --------------------------------------------------------------------------- MyST blocks
def test_myst_blocks_follow_commonmark_fences():
    text = ("Intro\n\n````{exercise} Title here\n:label: ex-a\n:class: x\nBody with\n```python\n"
            "code\n```\nmore\n````\n\n:::{solution} ex-a\n:class: dropdown\nAnswer\n:::\n\n"
            "```{prf:proposition} P\n:label: p\nStatement\n```\n\n```{solution} ex-b\nunclosed")
    b = myst.blocks(text)
    assert [x.name for x in b] == ["exercise", "solution", "prf:proposition", "solution"]
    assert b[0].label == "ex-a" and b[0].argument == "Title here" and "```python" in b[0].body
    assert b[0].options == {"label": "ex-a", "class": "x"}
    assert b[1].argument == "ex-a" and b[1].body == "Answer\n"
    assert text[b[0].body_start:].startswith("Body with")
    assert b[3].end == len(text)
    removed = myst.remove(text, [(b[1].start, b[1].end)])
    assert "Answer" not in removed and "Statement" in removed and "\n\n\n" not in removed


# --------------------------------------------------------------------------- stripping
def test_strip_removes_solutions_and_their_code_and_nothing_else(tmp_path):
    book = make_fake_book(tmp_path / "fake")
    nb_path = book / "book" / "01_alpha.ipynb"
    nb = json.loads(nb_path.read_text())
    new, labels, code = strip_notebook(nb)
    assert labels == ["ex-alpha-1", "ex-alpha-2", "ex-alpha-3"] and code == 2
    text = json.dumps(new)
    assert not any(mark in text for mark in SOLUTION_MARKS)
    assert all(mark in text for mark in ("EXERCISETEXT1", "EXERCISETEXT2", "EXERCISETEXT3",
                                         "COMMUTESTATEMENT", "PROOFTEXT", "SUMMARYTEXT", "FIGTITLE"))
    # Cells 5 and 8 are solution code, cell 7 holds only a solution; every other cell is kept,
    # in order, the markdown ones without their solution blocks.
    assert [s.code_cell for s in solutions(nb_path)] == [5, None, 8]
    kept = [c for i, c in enumerate(nb["cells"]) if i not in (5, 7, 8)]
    assert len(new["cells"]) == len(kept)
    for old, now in zip(kept, new["cells"], strict=True):
        if "{solution}" in old["source"]:
            assert now["source"] == myst.remove(old["source"], [
                (b.start, b.end) for b in myst.directives(old["source"], "solution")])
        else:
            assert now["source"] == old["source"]
    assert nb["cells"][5]["source"].startswith("answer_SOLUTIONMARK2"), "input not modified"


@pytest.mark.parametrize("path", chapters(ROOT), ids=lambda p: p.stem)
def test_stripping_a_real_chapter_keeps_every_exercise_and_other_cell(path):
    nb = json.loads(path.read_text())
    new, labels, code = strip_notebook(nb)
    sols = solutions(path)
    assert sorted(labels) == sorted(s.target for s in sols)
    assert code == sum(s.code_cell is not None for s in sols)
    gone = {s.code_cell for s in sols if s.code_cell is not None}
    src = lambda c: c["source"] if isinstance(c["source"], str) else "".join(c["source"])  # noqa: E731
    old_code = [src(c) for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code" and i not in gone]
    assert [src(c) for c in new["cells"] if c["cell_type"] == "code"] == old_code
    joined = "\n".join(src(c) for c in new["cells"] if c["cell_type"] == "markdown")
    assert not myst.directives(joined, "solution")
    assert [b.label for b in myst.directives(joined, "exercise")] == [e.label for e in exercises(path)]
    for e in exercises(path):
        assert e.body in joined


# --------------------------------------------------------------------------- fake-book builds
@pytest.fixture(scope="module")
def fake_book(tmp_path_factory):
    return make_fake_book(tmp_path_factory.mktemp("book") / "fake")


@pytest.fixture(scope="module")
def fake_full_build(fake_book, tmp_path_factory):
    """The fake book built as it is (HTML, executed): the reference for numbering, and the
    pages the slides are made from."""
    from probrnn.course.build import copy_sources, run_jupyter_book

    scratch = tmp_path_factory.mktemp("full")
    tree = copy_sources(fake_book, scratch / "src")
    return run_jupyter_book(tree, scratch / "out", "html", log=lambda s: None)


@pytest.fixture(scope="module")
def fake_student(fake_book, tmp_path_factory):
    from probrnn.course.student import student_edition

    out = tmp_path_factory.mktemp("student")
    summary = student_edition(out, root=fake_book, log=lambda s: None)
    return out, summary


def test_student_edition_has_no_solution_anywhere(fake_student):
    out, summary = fake_student
    assert (out / "html" / "index.html").exists() and (out / "notebooks" / "01_alpha.ipynb").exists()
    for f in _text_files(out):
        text = f.read_text(encoding="utf-8", errors="replace")
        leaked = [m for m in SOLUTION_MARKS if m in text]
        assert not leaked, f"{f} contains solution text {leaked}"
    html = (out / "html" / "book" / "01_alpha.html").read_text()
    assert 'class="solution' not in html and "Solution to" not in html
    for mark in KEPT_MARKS[:4] + ["COMMUTESTATEMENT", "SUMMARYTEXT"]:
        assert mark in html or mark in (out / "html" / "book" / "02_beta.html").read_text(), mark
    assert summary["removed"]["book/01_alpha"] == {"solutions": ["ex-alpha-1", "ex-alpha-2",
                                                                  "ex-alpha-3"], "code_cells": 2}


def test_student_edition_keeps_exercise_numbers(fake_student, fake_full_build):
    out, _ = fake_student
    full = _exercise_numbers(fake_full_build)
    assert full == {"ex-alpha-1": "Exercise 1.1", "ex-alpha-2": "Exercise 1.2",
                    "ex-alpha-3": "Exercise 1.3", "ex-beta-1": "Exercise 2.1"}
    assert _exercise_numbers(out / "html") == full


def test_student_notebooks_have_no_outputs_and_pages_no_launch_buttons(fake_student):
    out, _ = fake_student
    for nb in (out / "notebooks").glob("*.ipynb"):
        cells = json.loads(nb.read_text())["cells"]
        assert all(c.get("outputs", []) == [] for c in cells if c["cell_type"] == "code")
    page = (out / "html" / "book" / "01_alpha.html").read_text()
    assert "mybinder.org" not in page and "colab.research.google.com" not in page


def test_bad_out_is_refused_before_any_work(tmp_path, monkeypatch):
    import probrnn.course.student as student

    monkeypatch.setattr(student, "run_jupyter_book", lambda *a, **k: pytest.fail("built anyway"))
    monkeypatch.setattr(student, "copy_sources", lambda *a, **k: pytest.fail("copied anyway"))
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(ValueError, match="lies under the file"):
        student.student_edition(blocker / "sub", root=ROOT)
    with pytest.raises(ValueError, match="is a file"):
        student.student_edition(blocker, root=ROOT)


@pytest.mark.parametrize("args,message", [
    (["student-edition", "--out", "{file}"], "is a file"),
    (["pdf", "--out", "{dir}"], "is a directory"),
    (["pdf", "--out", "{dir}/book.txt"], "must end in .pdf"),
    (["slides", "--out", "{file}/decks"], "lies under the file"),
])
def test_commands_refuse_a_bad_out_with_exit_code_2(tmp_path, args, message):
    f = tmp_path / "f"
    f.write_text("")
    argv = [a.format(file=f, dir=tmp_path) for a in args]
    proc = subprocess.run([sys.executable, "-m", "probrnn", *argv], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr


@needs_chromium
def test_pdf_of_the_fake_book(fake_book, tmp_path):
    from pypdf import PdfReader

    from probrnn.course.pdf import build_pdf

    report = build_pdf(tmp_path / "book.pdf", root=fake_book, log=lambda s: None)
    reader = PdfReader(str(tmp_path / "book.pdf"))
    text = _pdf_text(reader)
    for needle in ("Alpha chapter", "Beta chapter", "Proposition 1.1", "Exercise 1.3",
                   "Definition 2.1", "(1.1)", "FIGTITLE squares", "COMMUTESTATEMENT"):
        assert needle in text, needle
    # Solutions are opened for print: their text is in the PDF.
    assert all(m in text for m in ("SOLUTIONMARK1", "SOLUTIONMARK2", "SOLUTIONMARK6"))
    assert "\\nstates" not in text and "\\(" not in text, "raw TeX in the PDF"
    assert report["figures"] == 1 and report["chapter_breaks"] >= 2 and not report["blocked"]
    outline = [re.sub(r"\s+", "", o) for o in _outline_titles(reader.outline)]
    assert any("Alphachapter" in t for t in outline), outline
    links = [a.get_object() for p in reader.pages for a in p.get("/Annots", [])]
    internal = [a for a in links if "/Dest" in a or ("/A" in a and a["/A"].get("/S") == "/GoTo")]
    assert internal, "no internal links in the PDF"


@needs_chromium
def test_student_pdf_of_the_fake_book_has_no_solutions(fake_book, tmp_path):
    from pypdf import PdfReader

    from probrnn.course.pdf import build_pdf

    build_pdf(tmp_path / "s.pdf", root=fake_book, student=True, log=lambda s: None)
    text = _pdf_text(PdfReader(str(tmp_path / "s.pdf")))
    assert "EXERCISETEXT1" in text and not any(m in text for m in SOLUTION_MARKS)


def _outline_titles(outline) -> list[str]:
    """Every bookmark title of a PDF outline, at any depth."""
    out = []
    for item in outline:
        out += _outline_titles(item) if isinstance(item, list) else [item.title]
    return out


def _pdf_text(reader) -> str:
    """The PDF's text, with ligatures (the "fi" of "Definition") spelled out."""
    import unicodedata

    return unicodedata.normalize("NFKC", "\n".join(p.extract_text() for p in reader.pages))


def _open_deck(browser, deck: Path):
    """Step through every slide of a deck offline; returns what went wrong and what it saw."""
    context = offline_context(browser, viewport={"width": 1280, "height": 720})
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(deck.resolve().as_uri())
    page.evaluate(WAIT_JS, 30_000)
    n = page.evaluate("deck.count()")
    for i in range(n):
        page.evaluate(f"deck.show({i})")
        page.evaluate(WAIT_JS, 30_000)
    page.keyboard.press("Home")
    page.keyboard.press("ArrowRight")
    moved = page.evaluate("deck.current()")
    seen = page.evaluate("""() => ({
        figures: document.querySelectorAll('.figure[data-figure]').length,
        drawn: Array.from(document.querySelectorAll('.figure[data-figure]'))
          .filter(f => f.getAttribute('data-drawn') === 'true' && f.querySelector('.main-svg')).length,
        ids: Array.from(document.querySelectorAll('[id]')).map(e => e.id),
        text: document.body.textContent})""")
    seen.update(slides=n, moved=moved, math_errors=page.evaluate(MATH_ERRORS_JS),
                errors=errors, blocked=list(context.blocked))
    context.close()
    return seen


@needs_chromium
def test_slides_of_the_fake_book(fake_book, fake_full_build, tmp_path):
    from probrnn.course.slides import write_slides

    decks = write_slides(fake_full_build, tmp_path, fake_book, log=lambda s: None)
    assert [d.name for d in decks] == ["01_alpha.html", "02_beta.html"]
    assert (tmp_path / "_static" / "mathjax" / "tex-chtml.js").exists()
    with open_browser() as browser:
        alpha, beta = (_open_deck(browser, d) for d in decks)
    for seen in (alpha, beta):
        assert not seen["errors"] and not seen["math_errors"] and not seen["blocked"], seen["errors"]
        assert seen["moved"] == 1
    assert "prop-alpha" in alpha["ids"] and "COMMUTESTATEMENT" in alpha["text"]
    assert "equation-eq-alpha-sum" in alpha["ids"]
    assert alpha["figures"] == alpha["drawn"] == 1
    assert "def-beta" in beta["ids"] and "DEFINITIONTEXT" in beta["text"]
    for seen in (alpha, beta):
        assert "PROOFTEXT" not in seen["text"] and not any(m in seen["text"] for m in SOLUTION_MARKS)
    assert "add two numbers" in alpha["text"] and "SUMMARYTEXT" in alpha["text"]


# --------------------------------------------------------------------------- exercise labels
def test_labels_are_inserted_once_and_kept_current(tmp_path):
    import shutil

    from probrnn.course.labels import LABEL_RE, main
    from probrnn.exercises import BY_LABEL

    book = tmp_path / "book"
    shutil.copytree(ROOT / "book", book / "book")
    for name in ("_config.yml", "_toc.yml"):
        shutil.copyfile(ROOT / name, book / name)
    for path in chapters(book):  # the chapters as they were before the labels went in
        nb = json.loads(path.read_text())
        for cell in nb["cells"]:
            lines = "".join(cell["source"]).splitlines(keepends=True)
            kept = [ln for ln in lines if not LABEL_RE.fullmatch(ln.strip())]
            cell["source"] = "".join(kept).splitlines(True)
        path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    before = {p.name: p.read_text() for p in chapters(book)}
    assert main(["--book", str(book), "--check"]) == 1
    assert main(["--book", str(book)]) == 0
    after = {p.name: p.read_text() for p in chapters(book)}
    assert main(["--book", str(book), "--check"]) == 0            # idempotent
    assert main(["--book", str(book)]) == 0
    assert {p.name: p.read_text() for p in chapters(book)} == after
    for path in chapters(book):
        old_lines, new_lines = before[path.name].splitlines(), after[path.name].splitlines()
        added = [ln for ln in new_lines if ln not in old_lines]
        assert len(new_lines) - len(old_lines) == len(exercises(path)) == len(added)
        for e in exercises(path):
            first = e.body.lstrip("\n").splitlines()[0]
            assert LABEL_RE.match(first) and first == BY_LABEL[e.label].label_line
        assert len(solutions(path)) == len(solutions(ROOT / path.relative_to(book)))


# --------------------------------------------------------------------------- teachers, glossary
def test_teachers_homework_table_matches_the_catalog():
    from probrnn.exercises import CATALOG

    page = (ROOT / "book" / "teachers.md").read_text()
    book_labels = {e.label for p in chapters(ROOT) for e in exercises(p)}
    for ref in re.findall(r"\{ref\}`(ex-[\w-]+)`", page):
        assert ref in book_labels, f"teachers.md names {ref}, which is no exercise of the book"
    for e in CATALOG:
        row = next((ln for ln in page.splitlines() if f"{{ref}}`{e.label}`" in ln), None)
        assert row is not None, f"{e.label} missing from the homework table"
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[1:4] == [e.kind, e.stars, f"{e.minutes} min"], row
        assert (cells[4] == "yes") == bool(e.attempt), row
    for chapter in sorted({e.chapter for e in CATALOG}):
        minutes = sum(e.minutes for e in CATALOG if e.chapter == chapter)
        hours, rest = divmod(minutes, 60)
        said = f"{hours} hours" + (f" {rest} minutes" if rest else "")
        assert said in re.sub(r"\s+", " ", page), f"teachers.md should give {said} of homework for {chapter}"


GLOSSARY_TERMS = ["belief state", "forward algorithm", "filtering", "smoothing", "particle",
                  "resampling", "effective sample size", "near-tie", "total variation",
                  "excess log-loss", "agreement", "Proposition 6's map phi"]


def test_glossary_defines_the_books_terms_and_is_in_the_toc():
    text = (ROOT / "book" / "glossary.md").read_text()
    block = myst.directives(text, "glossary")[0]
    terms = {ln.strip() for ln in block.body.splitlines() if ln.strip() and not ln.startswith(" ")}
    assert set(GLOSSARY_TERMS) <= terms, set(GLOSSARY_TERMS) - terms
    assert "file: book/glossary" in (ROOT / "_toc.yml").read_text()
    used = set()
    for path in [*chapters(ROOT), *(ROOT / "book").glob("*.md")]:
        raw = path.read_text()
        used |= {m.split("<")[-1].rstrip(">").strip() for m in re.findall(r"\{term\}`([^`]+)`", raw)}
    assert used <= terms, f"{{term}} roles without a glossary entry: {used - terms}"


# --------------------------------------------------------------------------- the real book
@pytest.fixture(scope="module")
def book_build():
    """The book's executed build (``_build``), as the browser tests find or make it."""
    from browser_support import locate_book

    return locate_book().html.parent


@pytest.mark.slow
@needs_chromium
def test_real_student_edition(tmp_path, book_build):
    from probrnn.course.student import student_edition

    student_edition(tmp_path, root=ROOT, log=print)
    fragments, elsewhere = [], ""
    for path in chapters(ROOT):
        for s in solutions(path):
            fragments += _fragments(s.body) + [ln.strip() for ln in s.code.splitlines()
                                               if len(ln.strip()) >= 25 and not ln.strip().startswith("#")]
        stripped = strip_notebook(json.loads(path.read_text()))[0]
        elsewhere += "\n".join(_source(c) for c in stripped["cells"])
    # A line such as `D, V = hmm.belief_operators()` may also stand outside the solutions.
    fragments = [f for f in fragments if _normalise(f) not in _normalise(elsewhere)]
    assert len(fragments) >= 10, f"found too little solution text to look for: {fragments}"
    # The search works: the full book's pages show (almost) every fragment.
    full = " ".join(_readable(p) for p in (book_build / "html").rglob("*.html"))
    shown = [frag for frag in fragments if _normalise(frag) in full]
    assert len(shown) >= 0.8 * len(fragments), set(fragments) - set(shown)
    for f in _text_files(tmp_path):
        text = _readable(f)
        leaked = [frag for frag in fragments if _normalise(frag) in text]
        assert not leaked, f"{f.relative_to(tmp_path)} contains solution text: {leaked[:3]}"
    assert _exercise_numbers(tmp_path / "html") == _exercise_numbers(book_build / "html")


def _source(cell) -> str:
    return cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _readable(f: Path) -> str:
    """What a reader of the file sees: a page's text without its tags (highlighted code is
    split into spans), a notebook's sources and text outputs, any other file as it is."""
    import html as html_lib

    raw = f.read_text(encoding="utf-8", errors="replace")
    if f.suffix == ".html":
        raw = html_lib.unescape(re.sub(r"<[^>]+>", "", raw))
    elif f.suffix == ".ipynb":
        cells = json.loads(raw)["cells"]
        raw = "\n".join(_source(c) + "".join("".join(o.get("text", "")) for o in c.get("outputs", []))
                        for c in cells)
    return _normalise(raw)


def _fragments(markdown: str) -> list[str]:
    """Runs of at least six plain words of a solution's text (no math, code or roles)."""
    plain = re.sub(r"\$[^$]*\$|`[^`]*`|\{[\w:]+\}", " | ", markdown)
    out = []
    for part in re.split(r"[|.;:()\n]", plain):
        words = part.split()
        if len(words) >= 6 and all(re.fullmatch(r"[A-Za-z,'-]+", w) for w in words):
            out.append(" ".join(words))
    return out


def _has_numbered_equation(path) -> bool:
    """Whether a chapter's Markdown has a labelled display equation ($$ ... $$ (label))."""
    cells = json.loads(path.read_text())["cells"]
    return any(re.search(r"\$\$ *\([\w-]+\)", "".join(c["source"]))
               for c in cells if c["cell_type"] == "markdown")


def _has_figures(book_build, path) -> bool:
    """Whether a chapter's built page shows a plotly figure (the conclusion shows none)."""
    page = book_build / "html" / path.relative_to(ROOT).with_suffix(".html")
    return "plotly-graph-div" in page.read_text()


@pytest.mark.slow
@needs_chromium
def test_real_pdf(tmp_path, book_build):
    from pypdf import PdfReader

    from probrnn.course.pdf import build_pdf

    report = build_pdf(tmp_path / "book.pdf", root=ROOT, reuse=book_build, log=print)
    reader = PdfReader(str(tmp_path / "book.pdf"))
    text = re.sub(r"\s+", " ", _pdf_text(reader))
    n_chapters = len(chapters(ROOT))
    assert len(reader.pages) >= 15 * n_chapters, len(reader.pages)
    for i, path in enumerate(chapters(ROOT), start=1):
        assert re.sub(r"\s+", " ", title(path)) in text, title(path)
        kinds = {kind for kind, _ in statements(path)}
        for kind in kinds & {"proposition", "theorem", "lemma"}:
            assert f"{kind.capitalize()} {i}.1" in text, f"{kind} {i}.1"
        if _has_numbered_equation(path):
            assert f"({i}.1)" in text, f"equation ({i}.1)"
        if exercises(path):
            assert f"Exercise {i}.1" in text
    # Typeset math leaves no TeX delimiters (undefined macros and TeX errors stop the printing).
    assert "\\(" not in text and "\\)" not in text and "\\[" not in text, "raw TeX in the PDF"
    titles = _figure_titles(book_build)
    found = [t for t in titles if t in text]
    assert len(found) >= min(5, len(titles)), f"figure titles in the PDF: {found} of {titles}"
    with_figures = [p for p in chapters(ROOT) if _has_figures(book_build, p)]
    assert report["figures"] >= len(with_figures) >= n_chapters - 1 and not report["blocked"]
    # Bookmark titles lose the spaces at the heading's line breaks: compare without spaces.
    outline = [re.sub(r"\s+", "", o) for o in _outline_titles(reader.outline)]
    marks = [re.sub(r"\s+", "", title(p)) for p in chapters(ROOT)]
    assert sum(any(t in o for o in outline) for t in marks) == n_chapters, outline


def _figure_titles(build: Path) -> list[str]:
    titles = []
    for nb in sorted((build / "jupyter_execute").rglob("*.ipynb")):
        for cell in json.loads(nb.read_text())["cells"]:
            for out in cell.get("outputs", []):
                fig = out.get("data", {}).get("application/vnd.plotly.v1+json")
                t = ((fig or {}).get("layout", {}).get("title") or {})
                t = t.get("text") if isinstance(t, dict) else t
                if t and "<" not in t and len(t) < 60:
                    titles.append(re.sub(r"\s+", " ", t))
    return titles


@pytest.mark.slow
@needs_chromium
def test_real_slides(tmp_path, book_build):
    from probrnn.course.slides import write_slides

    decks = write_slides(book_build / "html", tmp_path, ROOT, log=print)
    assert len(decks) == len(chapters(ROOT))
    with open_browser() as browser:
        for path, deck in zip(chapters(ROOT), decks, strict=True):
            seen = _open_deck(browser, deck)
            assert not seen["errors"], (deck.name, seen["errors"][:5])
            assert not seen["math_errors"] and not seen["blocked"], deck.name
            labels = [b.label for kind, b in statements(path) if kind != "remark" or b.label]
            missing = [lab for lab in labels if lab not in seen["ids"]]
            assert not missing, f"{deck.name} lacks the statements {missing}"
            assert seen["drawn"] == seen["figures"], deck.name
            assert seen["figures"] >= _has_figures(book_build, path), deck.name
            assert "Learning objectives" in seen["text"] and "Summary" in seen["text"]
