"""Test-wide set-up: notebooks run by nbval are a static execution, not a reader's session, so
their kernels (which inherit this environment) build no live widgets (see probrnn.live)."""

import os

from probrnn.widgets.live import STATIC_ENV

os.environ[STATIC_ENV] = "1"
