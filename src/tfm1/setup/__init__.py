"""`tfm1 setup` as a library: from a lockfile to a complete environment with a receipt, or to nothing at all.

`runner` is the order of the work; `options` what was asked, `resolve` the lockfile and target (`target`) as one
request and the existing environment, `proceed` one path on from there (up to date: at most its kernel; else
planned, installed, its kernel registered and verified), `plan` every decision of the run (`build_plan`), which
`execute` shows, has agreed and then follows step by step (`steps`: miniforge, prefix, conda, pip, receipt, by the
names the `journal` writes) inside a `transaction` that removes what the run created on any failure or interrupt,
`failure` saying what was undone. Around them: `preflight` (doctor's rules that make an install wrong), `miniforge`
(find or install an arm64 conda root), `downloads` and `store` (every file of the plan downloaded in the background
from the start and sha256-checked), `extractor` (conda archives extracted in worker processes as they arrive),
`package_check` (no conda package may write outside the prefix), `conda_layer` (py-rattler), `pip_layer` (uv, pip as
the fallback). `events` is what every step is reported through (`event_writers`: rich lines, or one JSON object per
line), `progress` shows the work under way.
"""

from __future__ import annotations

from tfm1.setup.options import SetupOptions
from tfm1.setup.runner import run_setup

__all__ = ["SetupOptions", "run_setup"]
