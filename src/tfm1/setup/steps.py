"""The steps of an install, one function each, by the names the plan lists and the journal writes: `miniforge`,
`prefix`, `conda`, `pip`, `receipt`. Each does what the plan says and nothing it decides itself; `execute` runs
them in the plan's order inside the transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tfm1.errors import Tfm1Error
from tfm1.receipt import Receipt, now, real_prefix, write_receipt
from tfm1.setup.events import Events
from tfm1.setup.journal import Journal, unsign
from tfm1.setup.plan import PrefixPlan, SetupPlan, Step
from tfm1.setup.transaction import Transaction

if TYPE_CHECKING:
    from tfm1.setup.downloads import PlannedDownloads
    from tfm1.setup.progress import RunProgress
    from tfm1.uv.unpacking import Unpacking


@dataclass
class Run:
    """One install under way: the plan it follows and what it has opened for it."""

    plan: SetupPlan
    events: Events
    downloads: PlannedDownloads
    transaction: Transaction
    journal: Journal  # beside the prefix
    step: str = "start"
    progress: RunProgress = field(init=False)
    staging: Path = field(init=False)  # this run's private folder: extracted packages, uv's cache
    unpacking: Unpacking = field(init=False)
    receipt: Receipt | None = None

    def enter(self, step: Step) -> None:
        """Write `step` into the journal it belongs to, before it changes anything."""
        self.step = step
        if step != "miniforge":  # the prefix's folder is inside the root that step makes: it has its own journal
            self.journal.write(step)


def miniforge(run: Run) -> None:
    from tfm1.setup.miniforge import run_installer
    from tfm1.setup.store import results

    root = run.plan.conda_root
    assert root is not None and root.installer is not None and run.downloads.installer is not None
    (script,) = results([run.downloads.installer])
    journal = Journal.start("setup", root.path)  # beside the root: a kill -9 while it installs is repaired too
    run.transaction.discards(journal)
    journal.write("miniforge")
    run.events.step("miniforge", "started", f"installing Miniforge into {root.path} (batch mode, no shell changes)")
    run.transaction.claim(root.path, journal.token)
    run_installer(script, root.path)
    unsign(root.path)
    journal.discard()
    installed = f"Miniforge installed at {root.path}"
    run.events.step("miniforge", "ok", installed, root=str(root.path), sha256=root.installer.sha256)


def prefix(run: Run) -> None:
    run.downloads.prefetch.raise_failure()  # a step that changes the disk does not start in vain
    planned = run.plan.prefix
    _still_as_planned(planned)
    if planned.replaces:
        aside = run.transaction.move_aside(planned.path)
        run.events.step("replace", "ok", f"moved the old environment aside to {aside} until setup finishes")
    run.transaction.claim(planned.path, run.journal.token)


def _still_as_planned(planned: PrefixPlan) -> None:
    """Right before the prefix changes: it must still be what the plan saw (this run holds its lock, but a user or
    another tool does not take it)."""
    from tfm1.file_identity import stamp
    from tfm1.receipt import receipt_path
    from tfm1.setup.protected import refuse_protected

    path = planned.path
    refuse_protected(path, "replace")
    if planned.action == "create":
        there = path.exists() or path.is_symlink()
        changed = "something was put there" if there and not (path.is_dir() and not any(path.iterdir())) else None
    elif planned.action == "update":
        now_found = (stamp(path), stamp(receipt_path(real_prefix(path))))
        changed = "it is not the environment that was checked" if now_found != planned.found else None
    else:
        changed = None  # --force: whatever is there is replaced (and put back if setup fails)
    if changed is not None:
        raise Tfm1Error(
            f"{path} changed while setup was preparing ({changed})",
            "check what is there; pass --force to replace it anyway (it is put back if setup fails)",
        )


def conda(run: Run) -> None:
    from tfm1.setup.conda_layer import CondaLayer, CondaProgress, install_conda_layer

    plan, records = run.plan, run.plan.records
    run.events.step("conda", "started", f"installing {len(records)} conda packages into {plan.prefix.path}")
    layer = CondaLayer(records, plan.lock.platform, plan.prefix.path, plan.command)
    with (
        run.progress.counting("extracting conda packages", len(records)) as extracted,
        run.progress.counting("linking conda packages", len(records)) as linked,
    ):
        install_conda_layer(layer, run.downloads.archives, run.staging, CondaProgress(extracted, linked))
    run.events.step("conda", "ok", f"conda layer: {len(records)} packages", packages=len(records))


def pip(run: Run) -> None:
    from tfm1.setup.pip_layer import install_pip_layer
    from tfm1.setup.store import results

    wheels, count = results(run.downloads.wheels), len(run.plan.wheels)
    with run.progress.busy(f"installing pip packages ({count})"):
        unpacked = run.unpacking.finish()
        installer = install_pip_layer(run.plan.lock.pip, wheels, run.plan.python, run.staging)
    message = f"pip layer: {count} wheels with {installer}"
    run.events.step("pip", "ok", message, packages=count, installer=installer, unpacked_ahead=unpacked)


def receipt(run: Run) -> None:
    plan = run.plan
    made = Receipt(
        plan.profile,
        str(plan.lock.path),
        plan.lock.sha256,
        plan.lock.platform,
        plan.lock.packages(),
        now(),
        prefix=real_prefix(plan.prefix.path),
    )
    path = write_receipt(plan.prefix.path, made)
    unsign(plan.prefix.path)
    run.receipt = made
    run.events.step("receipt", "ok", f"receipt written: {path}", path=str(path))


STEPS: dict[Step, Callable[[Run], None]] = {
    "miniforge": miniforge,
    "prefix": prefix,
    "conda": conda,
    "pip": pip,
    "receipt": receipt,
}
