"""The part of setup that changes the disk: the plan's steps (`steps`), in the plan's order, as one transaction.

Any failure or interrupt rolls back what this run made (`transaction`) and the error says what was undone
(`failure`); the receipt is written last, so an environment with a receipt is always a finished one. Before each
step the journal (`journal`) names it, for the run after a SIGKILL.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from tfm1.errors import ExitCode, Tfm1Error
from tfm1.host.base import Host
from tfm1.receipt import Receipt
from tfm1.setup.downloads import PlannedDownloads
from tfm1.setup.events import Events
from tfm1.setup.journal import Journal
from tfm1.setup.options import SetupOptions
from tfm1.setup.plan import SetupPlan
from tfm1.setup.steps import STEPS, Run
from tfm1.setup.transaction import Transaction


def show_and_execute(plan: SetupPlan, options: SetupOptions, host: Host, events: Events) -> Receipt | None:
    """Preflight, show the plan and carry it out: the receipt written, or None when it was only shown (a dry run,
    a no at the prompt)."""
    from tfm1.setup.downloads import start_downloads
    from tfm1.setup.plan import measure_sizes, show_plan
    from tfm1.setup.preflight import preflight_plan

    with ExitStack() as stack:
        downloads = None
        if not options.dry_run and not options.asks:
            # Nobody will be asked: the transfer starts now, under the preflight and the plan's size queries.
            downloads = stack.enter_context(start_downloads(plan, events))
        try:
            preflight_plan(host, plan, options.force, events)
            sizes = measure_sizes(plan)
            events.step("plan", "ok", **plan.to_json(sizes))
            show_plan(plan, sizes, events)
            if options.dry_run:
                events.step("setup", "skipped", "dry run: nothing was changed")
                return None
            if options.asks and not events.ask("Proceed?", default=True):
                events.step("setup", "skipped", "cancelled: nothing was changed")
                return None
        except KeyboardInterrupt:
            events.failure("setup", "interrupted before the install; nothing was changed")
            raise Tfm1Error(
                "setup interrupted before the install: nothing was changed", "re-run tfm1 setup", ExitCode.INTERRUPTED
            ) from None
        if downloads is None:
            downloads = stack.enter_context(start_downloads(plan, events))
        return execute(plan, events, downloads)


def execute(plan: SetupPlan, events: Events, downloads: PlannedDownloads) -> Receipt:
    """Carry out `plan` with the files of `downloads` (started from `plan.downloads`); the receipt written."""
    from tfm1.setup.failure import after_commit, rollback_fields, rolled_back

    journal = Journal.start("setup", plan.prefix.path)
    transaction = Transaction(journal)
    run = Run(plan, events, downloads, transaction, journal)
    try:
        with transaction, _opened(run):
            for step in plan.steps:
                run.enter(step)
                STEPS[step](run)
    except (Exception, KeyboardInterrupt) as error:
        failure = rolled_back(error, run.step, transaction)
        events.failure(run.step, failure.said, **rollback_fields(transaction))
        raise failure.error from None
    after_commit(transaction, plan.prefix.path, events)
    assert run.receipt is not None  # the plan's last step wrote it
    return run.receipt


@contextmanager
def _opened(run: Run) -> Iterator[None]:
    """The progress view, the run's private folder and uv's unpacking ahead, for as long as the steps run."""
    from tfm1.setup.conda_layer import staging_area
    from tfm1.setup.pip_layer import unpacking_ahead
    from tfm1.setup.progress import RunProgress

    with (
        run.events.progress() as progress,
        staging_area() as staging,
        unpacking_ahead(run.plan.lock, run.downloads.wheels, staging) as unpacking,
    ):
        run.progress, run.staging, run.unpacking = RunProgress(progress), staging, unpacking
        with run.progress.transfer(run.downloads):
            yield
