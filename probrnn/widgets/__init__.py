"""Live controls of the book (ipywidgets), one file per chapter with the same names as
:mod:`probrnn.figures` and :mod:`probrnn.experiments`. They only wire controls to package
functions and need a running kernel (Jupyter, Binder, Colab); the static book shows plotly
figures with sliders over precomputed results instead (:mod:`~probrnn.widgets.live`)."""
