"""The part of setup that changes the disk, as one transaction: Miniforge, conda layer, pip layer, receipt.

Any failure or interrupt rolls back what this run made (see `transaction`) and the error says what was
undone; the receipt is written last, so an environment with a receipt is always a finished one. The journal
(`journal`) is written before each destructive step, for the run after a SIGKILL.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING

from tfm1.errors import ExitCode, Tfm1Error
from tfm1.lockfile import LockedEnvironment
from tfm1.receipt import Receipt, distrust, now, read_receipt, real_prefix, write_receipt
from tfm1.setup.events import Events
from tfm1.setup.journal import BUILDING, Journal
from tfm1.setup.protected import refuse_protected
from tfm1.setup.transaction import Transaction

if TYPE_CHECKING:
    from rich.progress import Progress

    from tfm1.setup.downloads import PlannedDownloads
    from tfm1.setup.options import SetupOptions, SetupTarget


def install(
    target: SetupTarget,
    locked: LockedEnvironment,
    profile: str,
    options: SetupOptions,
    events: Events,
    downloads: PlannedDownloads,
) -> None:
    from tfm1.setup.conda_layer import staging_area
    from tfm1.setup.uv_cache import warm_uv_cache

    journal = Journal.start("setup", target.prefix)
    transaction = Transaction(journal)
    step = "start"
    try:
        with (
            transaction,
            events.progress() as progress,
            staging_area() as staging,
            downloads.shown_in(progress),
            warm_uv_cache(locked, downloads.wheels, staging) as warmer,
        ):
            if downloads.installer is not None and target.root is not None:
                step = "miniforge"
                _install_miniforge(downloads, target.root, transaction, events)
            downloads.prefetch.raise_failure()
            journal.write("replace")
            if target.prefix.exists() and any(target.prefix.iterdir()):
                _recheck_owner(target.prefix, options.force)
                aside = transaction.move_aside(target.prefix)
                events.step("replace", "ok", f"moved the old environment aside to {aside} until setup finishes")
            transaction.create_dir(target.prefix)
            journal.mark_building()

            step = "conda"
            journal.write(step)
            from tfm1.setup.conda_layer import install_conda_layer

            events.step("conda", "started", f"installing {len(locked.conda)} conda packages into {target.prefix}")
            _extract_and_check(locked, downloads, staging, progress)
            downloads.prefetch.raise_failure()
            install_conda_layer(locked.conda, target.prefix, locked.platform, staging, progress, _command_line(options))
            events.step("conda", "ok", f"conda layer: {len(locked.conda)} packages", packages=len(locked.conda))

            if locked.pip:
                step = "pip"
                journal.write(step)
                from tfm1.setup.pip_layer import install_pip_layer
                from tfm1.setup.store import results

                wheels = results(downloads.wheels)
                count = len(locked.pip)
                task = progress.add_task(f"installing pip packages ({count})", total=None)
                unpacked = warmer.finish()
                installer = install_pip_layer(locked.pip, wheels, target.python, staging)
                progress.remove_task(task)
                message = f"pip layer: {count} wheels with {installer}"
                events.step("pip", "ok", message, packages=count, installer=installer, unpacked_ahead=unpacked)

            step = "receipt"
            journal.write(step)
            receipt = Receipt(
                profile,
                str(locked.path),
                locked.sha256,
                locked.platform,
                locked.packages(),
                now(),
                prefix=real_prefix(target.prefix),
            )
            path = write_receipt(target.prefix, receipt)
            (target.prefix / BUILDING).unlink(missing_ok=True)
            events.step("receipt", "ok", f"receipt written: {path}", path=str(path))
    except KeyboardInterrupt:
        undone = _undone(transaction)
        events.failure(step, f"interrupted; {undone}", **_rollback_fields(transaction))
        raise Tfm1Error(
            f"setup interrupted during the {step} step; {undone}.",
            _fix("re-run tfm1 setup", transaction),
            ExitCode.INTERRUPTED,
        ) from None
    except Tfm1Error as error:
        undone = _undone(transaction)
        events.failure(step, error.message, **_rollback_fields(transaction))
        error.message = f"{error.message.rstrip('.')}. {undone[0].upper()}{undone[1:]}."
        error.fix = _fix(error.fix, transaction)
        raise
    except Exception as error:  # an unforeseen failure still gets the rollback and a one-line message
        undone = _undone(transaction)
        events.failure(step, str(error), **_rollback_fields(transaction))
        raise Tfm1Error(
            f"setup failed during the {step} step: {type(error).__name__}: {error}. {undone}.",
            _fix("re-run tfm1 setup; if it fails again, report it with this message", transaction),
        ) from None
    if transaction.cleanup_interrupted is not None:
        left = transaction.cleanup_interrupted
        events.step("cleanup", "failed", f"interrupted while deleting the replaced environment {left}", path=str(left))
        raise Tfm1Error(
            f"setup finished: {target.prefix} is complete, but it was interrupted while deleting the environment it "
            f"replaced; what is left of that is at {left}",
            f"the next tfm1 setup or remove of {shlex.quote(str(target.prefix))} finishes deleting it "
            f"(or delete {shlex.quote(str(left))} yourself)",
            ExitCode.INTERRUPTED,
        )
    if transaction.interrupted_late:
        raise Tfm1Error(
            f"setup finished: {target.prefix} is complete; it was interrupted only while tidying up",
            f"nothing to undo; tfm1 verify --prefix {shlex.quote(str(target.prefix))} checks it",
            ExitCode.INTERRUPTED,
        )
    for failure, leftover in zip(transaction.failures, transaction.leftovers, strict=False):
        # The new environment is complete; only the old one stayed behind.
        events.step("replace", "warning", f"{failure}; delete it yourself", path=str(leftover))


def _recheck_owner(prefix: Path, force: bool) -> None:
    """Right before the prefix is moved aside: it must still be what was checked (this run holds its lock, but a
    user or another tool does not take it)."""
    refuse_protected(prefix, "replace")
    if force:
        return
    receipt = read_receipt(prefix)
    reason = "it has no receipt" if receipt is None else distrust(receipt, prefix)
    if reason is not None:
        raise Tfm1Error(
            f"{prefix} changed while setup was preparing and is no longer one tfm1 made ({reason})",
            "check what is there; pass --force to replace it anyway (it is put back if setup fails)",
        )


def _undone(transaction: Transaction) -> str:
    """What the rollback did and, after it, what it could not do: the run's own error stays the message's start."""
    parts = []
    if transaction.rolled_back:
        parts.append("rolled back: " + ", ".join(transaction.rolled_back))
    if transaction.failures:
        parts.append("the rollback was incomplete: " + "; ".join(transaction.failures))
    return ". ".join(parts) or "nothing was changed"


def _rollback_fields(transaction: Transaction) -> dict[str, object]:
    return {
        "rolled_back": transaction.rolled_back,
        "rollback_failures": transaction.failures,
        "leftovers": [str(p) for p in transaction.leftovers],
    }


def _fix(fix: str, transaction: Transaction) -> str:
    if not transaction.leftovers:
        return fix
    paths = " ".join(shlex.quote(str(p)) for p in transaction.leftovers)
    from tfm1.host import live_host
    from tfm1.setup.hints import undeletable_hint

    return f"delete {paths} yourself ({undeletable_hint(live_host())}), then {fix}"


def _extract_and_check(
    locked: LockedEnvironment, downloads: PlannedDownloads, staging: Path, progress: Progress
) -> None:
    """Every conda archive verified, extracted into `staging` and checked, before rattler links any of them."""
    from tfm1.setup.conda_layer import extract_and_check

    total = len(locked.conda)
    task = progress.add_task(f"extracting conda packages (0/{total})", total=total)

    done = [0]

    def extracted() -> None:
        done[0] += 1
        progress.update(task, completed=done[0], description=f"extracting conda packages ({done[0]}/{total})")

    extract_and_check(locked.conda, downloads.archives, locked.platform, staging, extracted)
    progress.remove_task(task)


def _install_miniforge(downloads: PlannedDownloads, root: Path, transaction: Transaction, events: Events) -> None:
    from tfm1.setup.miniforge import run_installer
    from tfm1.setup.store import results

    assert downloads.installer is not None
    (script,) = results([downloads.installer])
    events.step("miniforge", "started", f"installing Miniforge into {root} (batch mode, no shell changes)")
    transaction.will_create(root)
    run_installer(script, root)
    events.step("miniforge", "ok", f"Miniforge installed at {root}", root=str(root), sha256=downloads.installer_sha256)


def _command_line(options: SetupOptions) -> str:
    return "tfm1 setup " + " ".join(shlex.quote(a) for a in options.command_line)
