"""Slides: one deck per chapter, generated from the chapters so they cannot drift.

``python -m probrnn slides --out DIR`` reads each chapter's page of the built book (the HTML
that Sphinx made from the chapter's own source, so numbers, cross-references and rendered
figures are the book's) and writes ``DIR/<chapter>.html``, a standalone deck, with:

1. a title slide (the chapter's title and opening paragraph);
2. its learning objectives and prerequisites;
3. in the chapter's order: its numbered equations (one slide per section that has any), its
   definitions, theorems, propositions, lemmas, algorithms and remarks (statements only, never
   proofs), and its figures (every plotly figure and image output outside the exercises; tag a
   code cell ``no-slides`` to leave its figure out, or tag cells ``slides`` to keep only those);
4. its summary, and the list of its exercises.

``DIR/_static`` holds the book build's own MathJax (``sphinx-mathjax-offline``) and
``plotly.min.js``; nothing is fetched from the network. Math uses the book's MathJax
configuration (its macros included). Figures are the executed chapter's plotly figures, drawn
when their slide is first shown, at their default setting.

The built book comes from a fresh ``_build`` of the checkout when there is one (newer than
every source), else the book is built (every chapter executed) in a scratch folder.
"""

from __future__ import annotations

import html as html_lib
import json
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import deck
from .build import check_build, copy_sources, reusable_build, run_jupyter_book, set_execution
from .sources import chapters, docname, find_root

_FIG_RE = re.compile(r"fig\s*=\s*")


@dataclass
class Slide:
    kind: str        # title, objectives, equations, statement, figure, summary, exercises
    title: str       # HTML
    body: str        # HTML
    label: str = ""  # a statement's label, a figure's id


# --------------------------------------------------------------------------- parsing the page
def _soup(text: str):
    from bs4 import BeautifulSoup

    return BeautifulSoup(text, "html.parser")


def _inner(tag) -> str:
    return "".join(str(c) for c in tag.contents).strip()


def _clean(tag, labels: set[str]):
    """Drop header links and code cells; keep links to labels of this deck, unwrap every other
    local link."""
    for a in tag.select("a.headerlink, div.cell"):
        a.decompose()
    for a in tag.find_all("a"):
        href = a.get("href", "")
        if href.startswith("#") and href[1:] in labels:
            continue
        if re.match(r"^(https?:|mailto:)", href):
            a["target"] = "_blank"
            continue
        a.unwrap()
    return tag


def _heading_text(h) -> str:
    h = _soup(str(h)).find(re.compile("^h[1-6]$"))
    for a in h.select("a.headerlink"):
        a.decompose()
    return _inner(h)


def _figure_json(div) -> dict | None:
    """The plotly figure drawn by the book's renderer (:mod:`probrnn.figures.render`) for
    ``div``: the JSON after ``fig =`` in the script that follows the div."""
    script = div.find_next_sibling("script")
    if script is None or script.string is None:
        return None
    text = script.string
    m = _FIG_RE.search(text)
    if m is None:
        return None
    fig, _ = json.JSONDecoder().raw_decode(text, m.end())
    return fig


def _excluded(node, selected_only: bool) -> bool:
    cell = node.find_parent(class_="cell")
    classes = set(cell.get("class", [])) if cell is not None else set()
    if node.find_parent(class_=["solution", "exercise"]) is not None or "tag_no-slides" in classes:
        return True
    return selected_only and "tag_slides" not in classes


def parse_chapter(page: Path) -> dict:
    """Everything a deck needs from a chapter's built page (see the module docstring)."""
    soup = _soup(Path(page).read_text(encoding="utf-8"))
    article = soup.select_one("article.bd-article") or soup.find("main") or soup.body
    h1 = article.find("h1")
    number = h1.select_one(".section-number")
    number = number.get_text(strip=True).rstrip(".") if number else ""
    if number:
        h1.select_one(".section-number").decompose()
    title = _heading_text(h1)
    mathjax = next((s.string for s in soup.find_all("script")
                    if s.string and s.string.lstrip().startswith("window.MathJax")), None)
    mathjax = mathjax.split("=", 1)[1].strip().rstrip(";") if mathjax else "{}"

    # Links to what the deck shows (equations, statements) stay links; the others become text.
    labels = {t["id"] for t in article.find_all(id=re.compile("^equation-"))
              if t.find_parent(class_=["solution", "exercise"]) is None
              and t.find_parent("div", id="proof") is None}
    labels |= {t["id"] for t in article.select("div.proof[id]") if t["id"] != "proof"}
    slides: list[Slide] = []
    lead = h1.find_next_sibling("p")
    slides.append(Slide("title", title, _inner(_clean(lead, labels)) if lead else ""))

    for name in ("Learning objectives", "Prerequisites"):
        for box in article.select("div.admonition"):
            t = box.select_one(".admonition-title")
            if t is not None and t.get_text(strip=True) == name:
                t.decompose()
                slides.append(Slide("objectives", name, _inner(_clean(box, labels))))

    selected_only = article.select_one(".cell.tag_slides") is not None
    section_eqs: dict[int, list] = {}
    items = article.find_all(lambda t: (
        (t.name == "div" and "proof" in t.get("class", []) and t.get("id") != "proof"
         and len(set(t.get("class", [])) - {"proof", "admonition", "dropdown"}) > 0)
        or (t.name == "div" and "math" in t.get("class", [])
            and t.get("id", "").startswith("equation-"))
        or (t.name == "div" and "probrnn-figure" in t.get("class", []))
        or (t.name == "img" and t.find_parent(class_="cell_output") is not None)))
    for item in items:
        if item.find_parent(class_=["solution", "exercise"]) is not None:
            continue
        section = item.find_parent("section")
        heading = section.find(re.compile("^h[2-6]$")) if section is not None else None
        where = _heading_text(heading) if heading is not None else title
        classes = set(item.get("class", []))
        if "proof" in classes:
            if item.find_parent(class_="proof") is not None:
                continue
            kind = sorted(classes - {"proof", "admonition", "dropdown"})[0]
            head = item.select_one(".admonition-title")
            content = item.select_one("section") or item
            slides.append(Slide("statement", _inner(_clean(head, labels)),
                                f'<div class="statement {kind}" id="{item["id"]}">'
                                f'{_inner(_clean(content, labels))}</div>', item["id"]))
        elif "math" in classes:
            if item.find_parent(class_="proof") is not None:
                continue
            key = id(section)
            if key not in section_eqs:
                section_eqs[key] = []
                slides.append(Slide("equations", where, "", str(key)))
            section_eqs[key].append(item)
        elif _excluded(item, selected_only):
            continue
        elif item.name == "img":
            slides.append(Slide("figure", where, str(item), item.get("src", "")))
        else:
            fig = _figure_json(item)
            if fig is not None:
                slides.append(Slide("figure", where, json.dumps(fig), item.get("id", "")))
    for s in slides:
        if s.kind == "equations":
            s.body = "".join(
                f'<div class="equation math" id="{eq["id"]}">{_inner(_clean(eq, labels))}</div>'
                for eq in section_eqs[int(s.label)])
            s.label = ""

    summary = next((sec for sec in article.find_all("section")
                    if sec.find(re.compile("^h[2-3]$")) is not None
                    and _heading_text(sec.find(re.compile("^h[2-3]$"))).endswith("Summary")), None)
    if summary is not None:
        body = _soup(str(summary)).find("section")
        body.find(re.compile("^h[2-3]$")).decompose()
        slides.append(Slide("summary", "Summary", _inner(_clean(body, labels))))
    exercises = [ex.select_one(".admonition-title") for ex in article.select("div.exercise")]
    if exercises:
        items_html = "".join(f"<li>{_inner(_clean(_soup(str(t)), labels))}</li>" for t in exercises)
        slides.append(Slide("exercises", "Exercises", f"<ul>{items_html}</ul>"))
    return {"title": title, "number": number, "slides": slides, "mathjax": mathjax}


# --------------------------------------------------------------------------- writing a deck
def _slide_html(i: int, s: Slide, chapter: dict, book_title: str) -> tuple[str, str]:
    if s.kind == "title":
        head = f"Chapter {chapter['number']}" if chapter["number"] else book_title
        body = (f'<h1>{s.title}</h1><div class="chapter">{html_lib.escape(head)} &middot; '
                f'{html_lib.escape(book_title)}</div><div class="lead">{s.body}</div>')
        return f'<section class="slide kind-title" data-kind="title">{body}</section>', ""
    data = ""
    body = s.body
    if s.kind == "figure" and not body.startswith("<img"):
        fid = f"fig-{i}"
        escaped = body.replace("</", "<\\/")
        data = f'<script type="application/json" id="{fid}-data">{escaped}</script>'
        body = (f'<div class="figure" id="{fid}" data-figure="{fid}-data" role="img" '
                f'aria-label="{html_lib.escape(_figure_title(json.loads(s.body)))}"></div>')
    return (f'<section class="slide kind-{s.kind}" data-kind="{s.kind}" data-label="{s.label}">'
            f'<h2>{s.title}</h2><div class="body">{body}</div></section>', data)


def _figure_title(fig: dict) -> str:
    layout = fig.get("layout", {})
    meta = layout.get("meta") or {}
    if isinstance(meta, dict) and meta.get("alt"):
        return str(meta["alt"])
    t = layout.get("title", {})
    return str(t.get("text", "") if isinstance(t, dict) else t or "figure")


def write_deck(chapter: dict, out: Path, book_title: str, images_from: Path | None = None) -> Path:
    """Write one chapter's deck to ``out`` (an ``.html`` path in the slides folder)."""
    parts, data = [], []
    for i, s in enumerate(chapter["slides"]):
        if s.kind == "figure" and s.body.startswith("<img") and images_from is not None:
            s.body = _copy_image(s.body, images_from, out.parent)
        slide, blob = _slide_html(i, s, chapter, book_title)
        parts.append(slide)
        data.append(blob)
    footer = f"{chapter['number']}. {_plain(chapter['title'])}" if chapter["number"] \
        else _plain(chapter["title"])
    out.write_text(deck.page(_plain(chapter["title"]), footer, "\n".join(parts), "\n".join(data),
                             chapter["mathjax"]), encoding="utf-8")
    return out


def _plain(fragment: str) -> str:
    return _soup(fragment).get_text(" ", strip=True)


def _copy_image(img_html: str, page_dir: Path, out_dir: Path) -> str:
    img = _soup(img_html).find("img")
    src = img.get("src", "")
    if src and not src.startswith(("data:", "http")):
        source = (page_dir / src).resolve()
        if source.is_file():
            (out_dir / "_images").mkdir(exist_ok=True)
            shutil.copyfile(source, out_dir / "_images" / source.name)
            img["src"] = f"_images/{source.name}"
    return str(img)


def _copy_static(html_dir: Path, out: Path) -> None:
    static = out / "_static"
    static.mkdir(exist_ok=True)
    mathjax = html_dir / "_static" / "mathjax"
    if not (mathjax / "tex-chtml.js").is_file():
        raise ValueError(f"{html_dir} has no _static/mathjax/tex-chtml.js (is sphinx-mathjax-offline "
                         f"in _config.yml?)")
    shutil.copytree(mathjax, static / "mathjax", dirs_exist_ok=True)
    plotly = html_dir / "_static" / "plotly.min.js"
    if not plotly.is_file():
        from ..sphinxext import plotly_js_path

        plotly = plotly_js_path()
    shutil.copyfile(plotly, static / "plotly.min.js")


def write_slides(html_dir: Path, out: Path, root: Path, log=print) -> list[Path]:
    """Write a deck for every chapter of the book at ``root`` from its built pages in
    ``html_dir``, plus ``index.html``, into ``out``."""
    import yaml

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    book_title = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8")).get("title", "")
    _copy_static(Path(html_dir), out)
    written, items = [], []
    for path in chapters(root):
        page = Path(html_dir) / f"{docname(root, path)}.html"
        if not page.is_file():
            raise ValueError(f"{html_dir} has no page {page.name} for the chapter {path.name}")
        chapter = parse_chapter(page)
        target = write_deck(chapter, out / f"{path.stem}.html", book_title, page.parent)
        kinds = [s.kind for s in chapter["slides"]]
        log(f"[probrnn] {target.name}: {len(kinds)} slides ({kinds.count('statement')} statements, "
            f"{kinds.count('figure')} figures)")
        written.append(target)
        items.append(f'<li><a href="{target.name}">{chapter["number"]}. {chapter["title"]}</a></li>')
    (out / "index.html").write_text(deck.INDEX.format(title=html_lib.escape(book_title),
                                                      items="\n".join(items)), encoding="utf-8")
    return written


def build_slides(out, root=None, reuse=None, execute: bool = False, log=print) -> list[Path]:
    """Write the decks into ``out`` (see the module docstring)."""
    from ..validate import check_out_dir

    out = check_out_dir(out)
    root = find_root(root)
    build = None if execute else (Path(reuse) if reuse else reusable_build(root))
    if build is not None:
        check_build(root, build)
        html = build / "html"
        if not html.is_dir():
            raise ValueError(f"{build} has no html/ folder: give a jupyter-book _build folder")
        log(f"[probrnn] slides from the built pages of {build}")
        return write_slides(html, out, root, log)
    with tempfile.TemporaryDirectory(prefix="probrnn-slides-") as scratch:
        tree = copy_sources(root, Path(scratch) / "book")
        set_execution(tree, "force")
        html = run_jupyter_book(tree, Path(scratch) / "out", "html", log=log)
        return write_slides(html, out, tree, log)
