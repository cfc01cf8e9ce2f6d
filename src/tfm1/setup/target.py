"""Where the environment goes (`SetupTarget`): `--prefix` as given, or `<conda root>/envs/<name>` in the arm64
conda root found on the machine, or in the Miniforge that setup installs first when there is none."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tfm1.host.base import Host
from tfm1.setup.events import Events
from tfm1.setup.options import SetupOptions

DEFAULT_NAME = "tfm1"


@dataclass(frozen=True)
class SetupTarget:
    prefix: Path
    root: Path | None  # the conda root the environment goes into; None with --prefix
    install_root: bool  # no conda root is at `root` yet: Miniforge is installed there first

    @property
    def python(self) -> Path:
        return self.prefix / "bin" / "python"


def resolve_target(options: SetupOptions, host: Host, platform_name: str, events: Events) -> SetupTarget:
    from tfm1.setup.miniforge import choose_root, default_root, foreign_root_error
    from tfm1.setup.names import check_env_name

    if options.prefix is not None:
        prefix = options.prefix.expanduser().absolute()
        return SetupTarget(prefix, None, False)
    name = check_env_name(options.name or DEFAULT_NAME)
    choice = choose_root(host, platform_name)
    root = default_root(host)
    if choice.root is None and str(root) in choice.foreign:
        # Miniforge would have to go where a foreign root already is: one clear refusal, not a warning and then one.
        raise foreign_root_error(host, root, choice.foreign[str(root)])
    for skipped in choice.skipped:
        events.step(
            "conda-root",
            "warning",
            f"leaving {skipped} alone: it is not a {platform_name} conda installation",
            prefix=skipped,
        )
    if choice.root is not None:
        return SetupTarget(choice.root / "envs" / name, choice.root, False)
    # Nothing there, or a Miniforge that a killed tfm1 run was installing: the run's journal repairs that first.
    return SetupTarget(root / "envs" / name, root, True)
