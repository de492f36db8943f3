"""Figures of the book: pure functions from results to a plotly ``Figure``.

One file per chapter, with the same name as the chapter's experiments
(:mod:`probrnn.experiments`) and live controls (:mod:`probrnn.widgets`): ``hmm_forward``
(chapter 1), ``rnn_generative`` (2), ``rnn_forward`` (3), ``particle_filters`` (4). Each function
takes data (numpy arrays or tidy DataFrames) and returns a figure; none computes, trains or
draws random numbers. :mod:`~probrnn.figures.style` holds the shared look and
:mod:`~probrnn.figures.render` the way figures reach the page.
"""
