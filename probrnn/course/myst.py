"""The MyST blocks of a markdown text: fenced directives such as ```` ```{exercise} Title ````,
```` ```{solution} ex-hmm-1 ```` or ```` :::{prf:proposition} ````, found the way MyST finds
them (CommonMark fences: an opening line of three or more backticks or colons, closed by a line
of at least as many of the same character and nothing else).

Only the top-level blocks of a text are returned; what is nested inside a block (a code fence in
an exercise, a note in a solution) belongs to that block and goes with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_OPEN = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|:{3,})(?P<info>.*)$")
_DIRECTIVE = re.compile(r"^\{(?P<name>[\w:.-]+)\}\s*(?P<argument>.*)$")
_OPTION = re.compile(r"^\s*:(?P<key>[\w-]+):\s*(?P<value>.*)$")


@dataclass(frozen=True)
class Block:
    """One fenced block of a markdown text.

    ``name`` is the directive (``"exercise"``, ``"prf:proposition"``; ``""`` for a plain code
    fence), ``argument`` the rest of the opening line, ``options`` the ``:key: value`` lines,
    ``body`` the content after them, and ``start``/``end`` the character offsets of the whole
    block in the text (``end`` just after the closing fence's line break, if any).
    """

    name: str
    argument: str
    options: dict = field(default_factory=dict)
    body: str = ""
    start: int = 0
    end: int = 0
    body_start: int = 0  # offset of the body's first character (of the closing fence if empty)

    @property
    def label(self) -> str | None:
        return self.options.get("label")


def _lines_with_offsets(text: str):
    offset = 0
    for line in text.splitlines(keepends=True):
        yield offset, line
        offset += len(line)


def _closes(line: str, char: str, length: int) -> bool:
    stripped = line.strip()
    return len(stripped) >= length and set(stripped) == {char} and len(line) - len(
        line.lstrip(" ")) <= 3


def blocks(text: str) -> list[Block]:
    """Every top-level fenced block of ``text``, in order (an unclosed fence runs to the end)."""
    lines = list(_lines_with_offsets(text))
    out, i = [], 0
    while i < len(lines):
        start, line = lines[i]
        m = _OPEN.match(line.rstrip("\n"))
        if not m or (m["fence"][0] == "`" and "`" in m["info"]):
            i += 1
            continue
        char, length = m["fence"][0], len(m["fence"])
        j = i + 1
        while j < len(lines) and not _closes(lines[j][1], char, length):
            j += 1
        content = [ln for _, ln in lines[i + 1:j]]
        end = lines[j][0] + len(lines[j][1]) if j < len(lines) else len(text)
        d = _DIRECTIVE.match(m["info"].strip())
        name, argument = (d["name"], d["argument"].strip()) if d else ("", m["info"].strip())
        options, k = {}, 0
        if d:
            if content and content[0].strip() == "---":  # a YAML option block
                close = next((n for n in range(1, len(content)) if content[n].strip() == "---"),
                             None)
                if close is not None:
                    for opt in content[1:close]:
                        key, _, value = opt.partition(":")
                        options[key.strip()] = value.strip()
                    k = close + 1
            while k < len(content) and (om := _OPTION.match(content[k])):
                options[om["key"]] = om["value"].strip()
                k += 1
        first = i + 1 + k
        body_start = lines[first][0] if first < len(lines) else len(text)
        out.append(Block(name, argument, options, "".join(content[k:]), start, end, body_start))
        i = j + 1
    return out


def directives(text: str, *names: str) -> list[Block]:
    """The top-level blocks of ``text`` whose directive is one of ``names``."""
    return [b for b in blocks(text) if b.name in names]


def remove(text: str, spans) -> str:
    """``text`` without the character ranges ``spans`` (``(start, end)`` pairs), and without
    the runs of blank lines their removal leaves behind."""
    pieces, last = [], 0
    for start, end in sorted(spans):
        pieces.append(text[last:start])
        last = max(last, end)
    pieces.append(text[last:])
    out = "".join(pieces)
    out = re.sub(r"\n{3,}", "\n\n", out)
    return out.strip("\n") + ("\n" if out.strip() and text.endswith("\n") else "")
