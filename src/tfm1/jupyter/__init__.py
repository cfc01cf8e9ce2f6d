"""Jupyter, read and written as jupyter_core and jupyter_client do it, without importing either: where its data and
kernelspecs are (`dirs`), what kernelspecs there are and which one a name means (`kernelspecs`, light enough for
doctor), what Jupyter starts for one (`launch`), and registering an environment's kernel (`registration`). Doctor
lists kernels through it, verify runs the checks through one, setup registers them."""
