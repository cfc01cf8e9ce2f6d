"""How a failed or interrupted install is told: the run's own error first, then what the rollback did and what it
could not, and a fix that starts with whatever the user has to delete by hand. The one place that words them; each
function makes a new error and leaves the one it was given as it was."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

from tfm1.errors import ExitCode, Tfm1Error
from tfm1.setup.events import Events
from tfm1.setup.transaction import Transaction


@dataclass(frozen=True)
class Failure:
    said: str  # the failed step's message, for JSON readers
    error: Tfm1Error  # what the user reads on stderr


def rolled_back(error: BaseException, step: str, transaction: Transaction) -> Failure:
    """The failure of `step` with `error`, after the transaction's rollback."""
    undone = _undone(transaction)
    if isinstance(error, KeyboardInterrupt):
        message = f"setup interrupted during the {step} step; {undone}."
        error_ = _error(message, "re-run tfm1 setup", transaction, ExitCode.INTERRUPTED)
        return Failure(f"interrupted; {undone}", error_)
    if isinstance(error, Tfm1Error):
        message = f"{error.message.rstrip('.')}. {undone[0].upper()}{undone[1:]}."
        return Failure(error.message, _error(message, error.fix, transaction, error.exit_code))
    # An unforeseen failure still gets the rollback and a one-line message.
    message = f"setup failed during the {step} step: {type(error).__name__}: {error}. {undone}."
    fix = "re-run tfm1 setup; if it fails again, report it with this message"
    return Failure(str(error), _error(message, fix, transaction, ExitCode.FAILED))


def rollback_fields(transaction: Transaction) -> dict[str, object]:
    return {
        "rolled_back": transaction.rolled_back,
        "rollback_failures": transaction.failures,
        "leftovers": [str(p) for p in transaction.leftovers],
    }


def after_commit(transaction: Transaction, prefix: Path, events: Events) -> None:
    """The new environment is complete: say what deleting the one it replaced left, or that it was interrupted."""
    if transaction.cleanup_interrupted is not None:
        left = transaction.cleanup_interrupted
        events.step("cleanup", "failed", f"interrupted while deleting the replaced environment {left}", path=str(left))
        raise Tfm1Error(
            f"setup finished: {prefix} is complete, but it was interrupted while deleting the environment it "
            f"replaced; what is left of that is at {left}",
            f"the next tfm1 setup or remove of {shlex.quote(str(prefix))} finishes deleting it "
            f"(or delete {shlex.quote(str(left))} yourself)",
            ExitCode.INTERRUPTED,
        )
    if transaction.interrupted_late:
        raise Tfm1Error(
            f"setup finished: {prefix} is complete; it was interrupted only while tidying up",
            f"nothing to undo; tfm1 verify --prefix {shlex.quote(str(prefix))} checks it",
            ExitCode.INTERRUPTED,
        )
    for failure, leftover in zip(transaction.failures, transaction.leftovers, strict=False):
        # The new environment is complete; only the old one stayed behind.
        events.step("replace", "warning", f"{failure}; delete it yourself", path=str(leftover))


def _undone(transaction: Transaction) -> str:
    """What the rollback did and, after it, what it could not do: the run's own error stays the message's start."""
    parts = []
    if transaction.rolled_back:
        parts.append("rolled back: " + ", ".join(transaction.rolled_back))
    if transaction.failures:
        parts.append("the rollback was incomplete: " + "; ".join(transaction.failures))
    return ". ".join(parts) or "nothing was changed"


def _error(message: str, fix: str, transaction: Transaction, code: ExitCode) -> Tfm1Error:
    if transaction.leftovers:
        from tfm1.host import live_host
        from tfm1.setup.hints import undeletable_hint

        paths = " ".join(shlex.quote(str(p)) for p in transaction.leftovers)
        fix = f"delete {paths} yourself ({undeletable_hint(live_host())}), then {fix}"
    return Tfm1Error(message, fix, code)
