"""py-rattler, the one way tfm1 handles conda packages without a conda executable: reading a conda-lock file for one
platform (`conda_lock`), solving a conda layer (`solve`, for `tfm1 lock`), extracting archives in worker processes
(`extractor`) and linking extracted packages into a prefix (`link`), both for `tfm1 setup`. rattler is imported inside
the functions that use it: it costs more to import than `tfm1 doctor` takes."""
