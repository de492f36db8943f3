"""Course tools: what a teacher needs besides the website (issue 15).

======================  =====================================================================
module                  what
======================  =====================================================================
``sources``             the book's chapters, exercises, solutions and statements, from sources
``myst``                MyST fenced blocks (directives) in a markdown text
``build``               copying the book and building the copy with jupyter-book
``student``             the student edition: no solutions, same exercise numbers
``pdf`` (+ ``singlehtml``)  the whole book as one PDF, printed offline by headless Chromium
``slides`` (+ ``deck``) one offline slide deck per chapter, from the built chapters
``labels``              the one-line kind/difficulty/time label of each exercise, in the text
``browser``             headless Chromium (Debian's), offline
======================  =====================================================================

Command line: ``python -m probrnn student-edition|pdf|slides|exercises`` (see ``--help``).
"""
