"""uv, the one way tfm1 resolves and installs wheels: its binary (`binary`), `uv pip compile` for `tfm1 lock`'s pip
layer (`resolver`), `uv pip install` of verified files through a run's own cache for setup (`install`), and that cache
filled ahead while other work runs (`unpacking`). uv is a dependency of tfm1 (the `uv` package ships the binary)."""
