"""`tfm1 lock`: resolve each profile's environment.yml into a hash-locked conda-lock.yml, refusing broken pairs.

- `targets`: what each conda platform means for wheels (uv platform, tags, environment markers).
- `spec`: the canonical form of an environment.yml and the content hash that makes a lock stale.
- `conda_layer`: the Python + pip layer, solved with py-rattler (`tfm1.rattler.solve`) or kept from the existing lock.
- `pip_layer`: the pip layer, resolved with uv (`tfm1.uv.resolver`), one wheel per package with its sha256 from PyPI.
- `gate`: the compatibility checks a lock must pass before it is written.
- `check`: `tfm1 lock --check`, offline.
- `run`: regenerates the locks and reports what changed.
"""
