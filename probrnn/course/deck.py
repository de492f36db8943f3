"""The slide deck's page: its own small CSS and JavaScript, inlined, so a deck is one HTML file
beside a shared ``_static`` folder (MathJax and plotly.js, both local: no CDN).

Keys: right arrow, page down, space or enter go forward; left arrow, page up or backspace go
back; home and end jump. A click on a slide goes forward (on its left fifth, back), except on a
link, a button or a figure. ``#/N`` in the address opens slide N. Printing gives one slide per
page. Each figure is drawn the first time its slide is shown, at the slide's size.
"""

from __future__ import annotations

import html

CSS = """
:root { --fg: #1f2328; --muted: #57606a; --accent: #0b5cad; --rule: #d0d7de; --bg: #ffffff; }
* { box-sizing: border-box; }
html, body { margin: 0; height: 100%; background: var(--bg); color: var(--fg);
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
.deck { height: 100%; }
.slide { display: none; height: 100vh; padding: 3.2vh 5vw 6vh; overflow: auto;
  font-size: clamp(15px, 3vh, 36px); line-height: 1.4; }
.slide.active { display: flex; flex-direction: column; }
.slide > h2 { font-size: 1.55em; margin: 0 0 0.6em; color: var(--accent);
  border-bottom: 2px solid var(--rule); padding-bottom: 0.25em; flex: none; }
.slide .body { flex: 1 1 auto; min-height: 0; }
.slide.kind-title { justify-content: center; text-align: center; }
.slide.kind-title h1 { font-size: 2.3em; margin: 0 0 0.4em; color: var(--accent); }
.slide.kind-title .chapter { color: var(--muted); font-size: 1.1em; margin-bottom: 1.2em; }
.slide.kind-title .lead { max-width: 52em; margin: 0 auto; text-align: left; font-size: 0.85em;
  color: var(--muted); }
.statement { border-left: 6px solid var(--accent); padding: 0.2em 1em; background: #f3f7fb; }
.statement.remark, .statement.algorithm { border-left-color: #8250df; background: #f7f4fd; }
.statement.definition { border-left-color: #1a7f37; background: #f2f9f4; }
.equation { margin: 0.6em 0 1.2em; }
.equation .lead { color: var(--muted); font-size: 0.8em; }
.eqno { float: right; color: var(--muted); margin-left: 1em; }
.figure { width: 100%; height: 100%; min-height: 300px; }
.figure-note { color: var(--muted); font-size: 0.7em; margin-top: 0.3em; }
img { max-width: 100%; max-height: 75vh; }
a { color: var(--accent); }
ul, ol { margin: 0.2em 0; } li { margin: 0.25em 0; } li > p { margin: 0; }
code, pre { font-size: 0.85em; }
table { border-collapse: collapse; font-size: 0.8em; }
td, th { border: 1px solid var(--rule); padding: 0.2em 0.5em; }
.footer { position: fixed; bottom: 1.2vh; left: 5vw; right: 5vw; display: flex;
  justify-content: space-between; color: var(--muted); font-size: clamp(11px, 1.5vh, 18px);
  pointer-events: none; }
.progress { position: fixed; left: 0; bottom: 0; height: 4px; background: var(--accent); }
mjx-container[display="true"] { overflow-x: auto; overflow-y: hidden; }
@media print {
  .slide { display: block !important; height: auto; min-height: 100vh; overflow: visible;
    break-after: page; }
  .footer, .progress { display: none; }
}
"""

JS = """
(function () {
  var slides = Array.prototype.slice.call(document.querySelectorAll('.slide'));
  var current = 0, drawn = {};
  var counter = document.getElementById('counter');
  var bar = document.getElementById('progress');
  function figures(slide) { return slide.querySelectorAll('.figure[data-figure]'); }
  function draw(slide) {
    if (!window.Plotly) { return; }
    figures(slide).forEach(function (el) {
      if (drawn[el.id]) { window.Plotly.Plots.resize(el); return; }
      var fig = JSON.parse(document.getElementById(el.getAttribute('data-figure')).textContent);
      var layout = fig.layout || {};
      var room = el.parentElement.getBoundingClientRect().height;
      layout.height = Math.max(300, Math.min(layout.height || 450, room > 0 ? room - 8 : 450));
      layout.autosize = true; delete layout.width;
      el.style.height = layout.height + 'px';
      drawn[el.id] = true;
      window.Plotly.newPlot(el, fig.data, layout, {responsive: true, displaylogo: false})
        .then(function () {
          if (fig.frames && fig.frames.length) { window.Plotly.addFrames(el, fig.frames); }
          el.setAttribute('data-drawn', 'true');
        });
    });
  }
  function show(n) {
    n = Math.max(0, Math.min(slides.length - 1, n));
    slides[current].classList.remove('active');
    current = n;
    slides[current].classList.add('active');
    draw(slides[current]);
    if (counter) { counter.textContent = (current + 1) + ' / ' + slides.length; }
    if (bar) { bar.style.width = (100 * (current + 1) / slides.length) + '%'; }
    if (location.hash !== '#/' + (current + 1)) { history.replaceState(null, '', '#/' + (current + 1)); }
  }
  function fromHash() {
    var h = decodeURIComponent(location.hash.slice(1));
    var m = /^\\/(\\d+)$/.exec(h);
    if (m) { return parseInt(m[1], 10) - 1; }
    var target = h && document.getElementById(h);
    if (target) {
      for (var i = 0; i < slides.length; i++) { if (slides[i].contains(target)) { return i; } }
    }
    return current;
  }
  window.deck = {show: show, next: function () { show(current + 1); },
                 prev: function () { show(current - 1); },
                 count: function () { return slides.length; },
                 current: function () { return current; }};
  document.addEventListener('keydown', function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey) { return; }
    var k = e.key;
    if (k === 'ArrowRight' || k === 'PageDown' || k === ' ' || k === 'Enter') { show(current + 1); }
    else if (k === 'ArrowLeft' || k === 'PageUp' || k === 'Backspace') { show(current - 1); }
    else if (k === 'Home') { show(0); }
    else if (k === 'End') { show(slides.length - 1); }
    else { return; }
    e.preventDefault();
  });
  document.addEventListener('click', function (e) {
    if (e.target.closest('a, button, input, select, .figure, mjx-container')) { return; }
    if (e.clientX < window.innerWidth / 5) { show(current - 1); } else { show(current + 1); }
  });
  window.addEventListener('hashchange', function () { show(fromHash()); });
  window.addEventListener('beforeprint', function () { slides.forEach(draw); });
  slides[0].classList.add('active');
  show(fromHash());
})();
"""

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{css}</style>
<script src="_static/plotly.min.js"></script>
<script>window.MathJax = {mathjax};</script>
<script defer src="_static/mathjax/tex-chtml.js"></script>
</head>
<body class="mathjax_ignore">
<main class="deck">
{slides}
</main>
<div class="footer"><span>{footer}</span><span id="counter"></span></div>
<div class="progress" id="progress"></div>
{data}
<script>{js}</script>
</body>
</html>
"""


def page(title: str, footer: str, slides: str, data: str, mathjax: str) -> str:
    """The deck's whole HTML page."""
    return PAGE.format(title=html.escape(title), footer=html.escape(footer), slides=slides,
                       data=data, mathjax=mathjax, css=CSS, js=JS)


INDEX = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}: slides</title>
<style>body {{ font-family: system-ui, sans-serif; max-width: 46em; margin: 3em auto;
line-height: 1.5; color: #1f2328; }} a {{ color: #0b5cad; }}</style></head>
<body><h1>{title}: slides</h1>
<p>One deck per chapter, generated from the chapters. Open a deck and move with the arrow keys
or a click; they work offline.</p>
<ol>
{items}
</ol></body></html>
"""
