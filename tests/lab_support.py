"""Run the chapters in a live JupyterLab, in headless Chromium, as a reader on Binder would.

Used by ``tests/test_jupyterlab.py``.

* :class:`LabServer` starts ``python -m jupyterlab`` on a free local port, without a token, with
  its settings, workspaces and runtime files in a temporary folder (nothing under ``~``), the
  notebook shown whole (no windowing, so every cell is in the page), autosave off and the news
  feed off (no request leaves the machine). ``PROBRNN_STATIC`` is set to ``0``, so the chapters
  build their live controls.
* :class:`LabPage` drives one browser tab through JupyterLab's own command registry
  (``--LabApp.expose_app_in_browser``): open a notebook, Run All, wait until every code cell has
  run, save, and read what the reader sees (:data:`_READ_JS`): error outputs, math that failed to
  typeset (jupyterlab-myst typesets Markdown with KaTeX and flags a failure as a yellow span whose
  title is the error; JupyterLab's own MathJax 3 marks it ``mjx-merror``), MyST left as literal
  text, and the live controls.
* :func:`exercise_live_controls` moves one control of each live control, presses its button and
  waits for its figure to be drawn again.

Nothing here imports ``probrnn``; the chapters are found as ``book/*.ipynb``.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync",
                 "--disable-quic"]
VIEWPORT = {"width": 1280, "height": 900}

# JupyterLab settings for a test run: every cell in the DOM, no autosave, no news, no update check.
SETTINGS = {
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false",
                                                     "checkForUpdates": False},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def copy_book(dest: Path, root: Path = ROOT) -> Path:
    """A working copy of ``book/`` and ``results/`` under ``dest`` (JupyterLab saves notebooks it
    runs; the repository's notebooks stay without outputs). Returns ``dest``."""
    for name in ("book", "results"):
        if (root / name).is_dir():
            shutil.copytree(root / name, dest / name, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "_build"))
    return dest


class LabServer:
    """``python -m jupyterlab`` serving ``root``; a context manager. Restartable with the same
    state folder (:meth:`restart`), as a reader who comes back the next day."""

    def __init__(self, root: Path, state: Path | None = None, python: str = sys.executable,
                 start_timeout: float = 90):
        self.root = Path(root)
        self.state = Path(state or tempfile.mkdtemp(prefix="probrnn-lab-"))
        self.python = python
        self.start_timeout = start_timeout
        self.port = 0
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.state / "server.log"

    def environment(self) -> dict:
        env = dict(os.environ)
        env.update(
            PROBRNN_STATIC="0",
            PYTHONPATH=os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
            JUPYTERLAB_SETTINGS_DIR=str(self.state / "settings"),
            JUPYTERLAB_WORKSPACES_DIR=str(self.state / "workspaces"),
            JUPYTER_RUNTIME_DIR=str(self.state / "runtime"),
            JUPYTER_CONFIG_DIR=str(self.state / "config"),
            JUPYTER_DATA_DIR=str(self.state / "data"),  # the notary's secret: trust as on Binder
        )
        # the kernelspec of the test's own Python, not one from the (empty) data dir
        env["PATH"] = os.pathsep.join([str(Path(self.python).parent), env.get("PATH", "")])
        return env

    def start(self) -> LabServer:
        for plugin, values in SETTINGS.items():
            path = self.state / "settings" / f"{plugin}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        self.port = free_port()
        cmd = [self.python, "-m", "jupyterlab", "--no-browser", "--allow-root",
               "--ServerApp.token=", "--ServerApp.password=", "--ServerApp.ip=127.0.0.1",
               f"--port={self.port}", "--ServerApp.port_retries=0",
               f"--ServerApp.root_dir={self.root}", "--LabApp.expose_app_in_browser=True",
               "--ServerApp.disable_check_xsrf=True"]
        self.proc = subprocess.Popen(cmd, env=self.environment(), stdout=self.log.open("a"),
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited ({self.proc.returncode}):\n"
                                   + self.log.read_text()[-3000:])
            try:
                urllib.request.urlopen(f"{self.url}/api/status", timeout=2)
                return self
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"JupyterLab did not answer in {self.start_timeout:.0f} s:\n"
                           + self.log.read_text()[-3000:])

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()  # the server shuts its kernels down on SIGTERM
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait(5)
        self.proc = None

    def shutdown_kernels(self) -> None:
        """Shut down every kernel of the server (frees the CPU between chapters)."""
        with urllib.request.urlopen(f"{self.url}/api/sessions", timeout=10) as r:
            sessions = json.load(r)
        for session in sessions:
            req = urllib.request.Request(f"{self.url}/api/sessions/{session['id']}",
                                         method="DELETE")
            urllib.request.urlopen(req, timeout=30).close()

    def restart(self) -> LabServer:
        self.stop()
        return self.start()

    def __enter__(self) -> LabServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def launch_browser(playwright):
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                      args=CHROMIUM_ARGS)


# --------------------------------------------------------------------------- in the page

# The notebook open in the main area, through the application object.
_NOTEBOOK_JS = """
() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  return w && w.content && w.content.model && w.context ? w : null;
}
"""

_STATE_JS = """
() => {
  const panel = (%s)();
  if (!panel) return null;
  const cells = Array.from(panel.content.model.cells);
  const code = cells.filter(c => c.type === 'code');
  const kernel = panel.context.sessionContext.session && panel.context.sessionContext.session.kernel;
  return {
    kernel: kernel ? kernel.status : 'none',
    code: code.length,
    ran: code.filter(c => c.executionCount !== null).length,
    pending: panel.content.widgets.filter(w => w.model.type === 'code'
      && w.promptNode && w.promptNode.textContent.includes('*')).length,
  };
}
""" % _NOTEBOOK_JS

_RUN_ALL_JS = """
() => {
  const app = window.jupyterapp, panel = (%s)();
  app.shell.activateById(panel.id);
  panel.content.activate();
  // outputs and execution counts of an earlier run would read as "already ran"
  app.commands.execute('notebook:clear-all-cell-outputs');
  app.commands.execute('notebook:run-all-cells');
}
""" % _NOTEBOOK_JS

# Number the cells of the open notebook in the DOM, so a locator can find cell i.
_TAG_CELLS_JS = """
() => (%s)().content.widgets.forEach((w, i) => w.node.setAttribute('data-probrnn-cell', i))
""" % _NOTEBOOK_JS

# What a reader sees in the open notebook.
_READ_JS = r"""
() => {
  const panel = (%s)();
  const out = {errors: [], math_errors: [], citations: [], literal: [], katex: 0, mathjax: 0,
               controls: [], unrendered_markdown: 0};
  if (!panel) return out;
  const cells = panel.content.widgets;
  cells.forEach((cell, i) => {
    if (cell.model.type === 'code') {
      for (const o of cell.model.outputs.toJSON()) {
        if (o.output_type === 'error') {
          out.errors.push(`cell ${i}: ${o.ename}: ${String(o.evalue).slice(0, 200)}`);
        }
      }
      if (cell.model.outputs.toJSON().some(
          o => o.data && 'application/vnd.jupyter.widget-view+json' in o.data)) {
        out.controls.push(i);
      }
    }
    // Math, in Markdown cells (jupyterlab-myst: KaTeX) and in outputs (JupyterLab: MathJax 3).
    for (const e of cell.node.querySelectorAll('mjx-merror, [data-mjx-error], .katex-error')) {
      out.math_errors.push(`cell ${i}: ` + (e.getAttribute('data-mjx-error') || e.title
                                           || e.textContent).slice(0, 160));
    }
    for (const e of cell.node.querySelectorAll('mjx-container mtext, mjx-container mjx-mtext')) {
      const c = getComputedStyle(e).color;
      if (/rgb\(255, 0, 0\)/.test(c)) out.math_errors.push(`cell ${i}: red text ` + e.textContent);
    }
    // jupyterlab-myst flags what it could not render as a yellow span whose title says why.
    for (const e of cell.node.querySelectorAll('.myst span.text-yellow-600[title]')) {
      const why = e.getAttribute('title');
      if (/citation/i.test(why)) out.citations.push(e.textContent.trim());
      else out.math_errors.push(`cell ${i}: ${why.slice(0, 160)}`);
    }
    out.katex += cell.node.querySelectorAll('.katex').length;
    out.mathjax += cell.node.querySelectorAll('mjx-container').length;
    if (cell.model.type === 'markdown') {
      if (!cell.rendered) out.unrendered_markdown += 1;
      const view = cell.node.querySelector('.myst, .jp-RenderedMarkdown');
      const text = view ? view.innerText : '';
      const roles = 'prf:[a-z]+|ref|eq|cite(:[a-z]+)?|numref|doc|term|download|exercise|solution|'
                  + 'math|label';
      const pattern = new RegExp('\\{(' + roles + ')\\}`|^\\s*:(label|class):|```|^:::|'
                                 + '\\$\\$|\\\\(begin|end)\\{', 'm');
      const m = text.match(pattern);
      if (m) {
        const at = Math.max(0, m.index - 40);
        out.literal.push(`cell ${i}: "${text.slice(at, m.index + 60).replace(/\s+/g, ' ')}"`);
      }
    }
  });
  return out;
}
""" % _NOTEBOOK_JS


@dataclass
class NotebookReport:
    """What one notebook showed after Run All."""

    path: str
    seconds_open: float = 0.0
    seconds_run: float = 0.0
    code_cells: int = 0
    ran: int = 0
    kernel: str = ""
    errors: list[str] = field(default_factory=list)
    math_errors: list[str] = field(default_factory=list)
    citations: list[str] = field(default_factory=list)
    literal: list[str] = field(default_factory=list)
    katex: int = 0
    mathjax: int = 0
    unrendered_markdown: int = 0
    controls: list[int] = field(default_factory=list)  # indices of cells with a live control
    console_errors: list[str] = field(default_factory=list)


class LabPage:
    """One Chromium tab on a :class:`LabServer`."""

    def __init__(self, browser, server: LabServer):
        self.server = server
        self.context = browser.new_context(viewport=VIEWPORT)
        self.page = self.context.new_page()
        self.console_errors: list[str] = []
        self.page.on("console", lambda m: self.console_errors.append(m.text)
                     if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.console_errors.append(str(e)))

    def close(self) -> None:
        self.context.close()

    def command(self, name: str, args: dict | None = None):
        """Run a JupyterLab command and wait for it (e.g. ``docmanager:save``)."""
        return self.page.evaluate(
            "([n, a]) => window.jupyterapp.commands.execute(n, a).then(() => true)",
            [name, args or {}])

    def open(self, path: str, timeout: float = 120) -> float:
        """Open ``path`` (relative to the server's root) and wait for its kernel; seconds taken."""
        start = time.perf_counter()
        self.page.goto(f"{self.server.url}/lab/tree/{path}", wait_until="domcontentloaded",
                       timeout=timeout * 1000)
        self.page.wait_for_function("() => window.jupyterapp && window.jupyterapp.started",
                                    timeout=timeout * 1000)
        self.page.evaluate("() => window.jupyterapp.started")
        self.page.wait_for_function(
            f"() => {{ const s = ({_STATE_JS})(); return s && s.kernel === 'idle'; }}",
            timeout=timeout * 1000, polling=250)
        return time.perf_counter() - start

    def state(self) -> dict | None:
        return self.page.evaluate(_STATE_JS)

    def run_all(self, timeout: float = 600) -> float:
        """Clear all outputs, Run All, and wait until every code cell has run and the kernel is
        idle; seconds."""
        start = time.perf_counter()
        deadline = start + timeout
        self.page.evaluate(_RUN_ALL_JS)
        tries, last_try = 1, start
        while time.perf_counter() < deadline:
            self.page.wait_for_timeout(250)
            s = self.state()
            if s and s["ran"] == s["code"] and not s["pending"] and s["kernel"] == "idle":
                # outputs that render after the reply (plotly, widgets): give them a moment
                self.page.wait_for_timeout(500)
                return time.perf_counter() - start
            if s and not s["ran"] and not s["pending"] and s["kernel"] == "idle" \
                    and time.perf_counter() - last_try > 10:
                if tries == 3:
                    break
                # nothing started: the notebook may not have been the current one; again
                self.page.evaluate(_RUN_ALL_JS)
                tries, last_try = tries + 1, time.perf_counter()
        shot = self.server.state / "run-all-timeout.png"
        self.page.screenshot(path=str(shot))
        raise TimeoutError(f"Run All did not finish in {time.perf_counter() - start:.0f} s "
                           f"({tries} attempts): {self.state()}; screenshot {shot}")

    def read(self, report: NotebookReport) -> NotebookReport:
        found = self.page.evaluate(_READ_JS)
        for key, value in found.items():
            setattr(report, key, value)
        s = self.state() or {}
        report.code_cells, report.ran, report.kernel = s.get("code", 0), s.get("ran", 0), \
            s.get("kernel", "")
        report.console_errors = list(self.console_errors)
        return report

    def cell(self, index: int):
        """A locator for cell ``index`` of the open notebook."""
        self.page.evaluate(_TAG_CELLS_JS)
        return self.page.locator(f'[data-probrnn-cell="{index}"]')


def run_notebook(lab: LabPage, path: str, timeout: float = 600) -> NotebookReport:
    """Open ``path``, Run All, and read what it shows."""
    report = NotebookReport(path)
    report.seconds_open = lab.open(path)
    report.seconds_run = lab.run_all(timeout)
    return lab.read(report)


# --------------------------------------------------------------------------- live controls

@dataclass
class ControlReport:
    """One live control: what it drew, what was changed, how long the redraw took."""

    cell: int
    drew_at_start: bool = False
    changed: str = ""
    pressed: str = ""
    seconds_to_redraw: float | None = None
    problems: list[str] = field(default_factory=list)


_FIGURES_JS = """
(node) => Array.from(node.querySelectorAll('.js-plotly-plot')).filter(
  f => f.querySelector('.main-svg') && !f.hasAttribute('data-probrnn-seen')).length
"""
_MARK_JS = """
(node) => { node.querySelectorAll('.js-plotly-plot').forEach(
  f => f.setAttribute('data-probrnn-seen', '1')); }
"""


def _wait_for_new_figure(node, timeout: float) -> float | None:
    start = time.perf_counter()
    try:
        node.page.wait_for_function(f"(n) => ({_FIGURES_JS})(n) > 0", arg=node.element_handle(),
                                    timeout=timeout * 1000, polling=200)
    except Exception:  # noqa: BLE001 (playwright's TimeoutError)
        return None
    return time.perf_counter() - start


def exercise_live_control(lab: LabPage, cell_index: int, timeout: float = 180) -> ControlReport:
    """Check one live control: it draws a figure (pressing its button if it only draws on
    demand); then one control is changed (a slider one step right, or a dropdown to its next
    option), its button pressed, and a new figure must be drawn."""
    report = ControlReport(cell_index)
    cell = lab.cell(cell_index)
    widget = cell.locator(".jp-OutputArea-output .jupyter-widgets").first
    widget.wait_for(timeout=30_000)
    widget.scroll_into_view_if_needed()
    buttons = widget.locator("button.jupyter-button")
    report.drew_at_start = widget.evaluate(f"(n) => ({_FIGURES_JS})(n) > 0")
    if not report.drew_at_start:
        if buttons.count() == 0:
            report.problems.append("no figure and no button to draw one")
            return report
        buttons.first.click()
        report.pressed = buttons.first.inner_text().strip()
        if _wait_for_new_figure(widget, timeout) is None:
            report.problems.append(f"pressing {report.pressed!r} drew no figure in {timeout} s")
            return report
    widget.evaluate(_MARK_JS)
    start = time.perf_counter()
    report.changed = _change_one_control(widget)
    if not report.changed:
        report.problems.append("found no slider or dropdown to change")
        return report
    if buttons.count():
        buttons.first.wait_for(state="visible")
        lab.page.wait_for_function("(b) => !b.disabled", arg=buttons.first.element_handle(),
                                   timeout=timeout * 1000)
        buttons.first.click()
        report.pressed = buttons.first.inner_text().strip()
    if _wait_for_new_figure(widget, timeout) is None:
        report.problems.append(f"after {report.changed}"
                               + (f" and pressing {report.pressed!r}" if report.pressed else "")
                               + f" no new figure in {timeout} s")
        return report
    report.seconds_to_redraw = time.perf_counter() - start
    return report


def _change_one_control(widget) -> str:
    """Move the first slider one step right, else pick the next option of the first dropdown.
    Returns what was done ("" if there was nothing to change)."""
    sliders = widget.locator(".widget-slider .noUi-handle, .widget-hslider .noUi-handle")
    if sliders.count():
        box = widget.locator(".widget-slider, .widget-hslider").first
        label = box.locator(".widget-label").first.inner_text().strip()
        before = box.locator(".widget-readout").first.inner_text().strip()
        sliders.first.focus()
        sliders.first.press("ArrowRight")
        box.page.wait_for_timeout(300)
        after = box.locator(".widget-readout").first.inner_text().strip()
        if after != before:
            return f"slider {label!r} {before} -> {after}"
        sliders.first.press("ArrowLeft")
        sliders.first.press("ArrowLeft")
        box.page.wait_for_timeout(300)
        after = box.locator(".widget-readout").first.inner_text().strip()
        if after != before:
            return f"slider {label!r} {before} -> {after}"
    selects = widget.locator(".widget-dropdown select")
    if selects.count():
        select = selects.first
        options = select.locator("option").all_inner_texts()
        current = select.evaluate("(s) => s.options[s.selectedIndex].text")
        nxt = options[(options.index(current) + 1) % len(options)]
        select.select_option(label=nxt)
        return f"dropdown {current} -> {nxt}"
    return ""


# --------------------------------------------------------------------------- cut-off labels

_CUT_LABELS_JS = """
(node) => Array.from(node.querySelectorAll(
    '.widget-label, .jupyter-button, .widget-readout, label'))
  .filter(e => e.offsetParent !== null && e.textContent.trim())
  .filter(e => e.scrollWidth > e.clientWidth + 1)
  .map(e => `${e.className.split(' ')[0]} "${e.textContent.trim()}" `
            + `(needs ${e.scrollWidth} px, has ${e.clientWidth})`)
"""


def cut_off_labels(lab: LabPage, cell_index: int) -> list[str]:
    """Labels, buttons and readouts of a live control whose text does not fit its box."""
    widget = lab.cell(cell_index).locator(".jp-OutputArea-output .jupyter-widgets").first
    return widget.evaluate(_CUT_LABELS_JS)


def widget_output_texts(lab: LabPage, cell_index: int) -> list[str]:
    """The visible text of each output of a cell (e.g. a fallback note or a widget error)."""
    return lab.cell(cell_index).locator(".jp-OutputArea-output").all_inner_texts()
