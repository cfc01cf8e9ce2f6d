"""`tfm1 compat`: keep the compatibility data current from PyPI's releases.

`update` lists the TensorFlow, tensorflow-macos and tensorflow-metal releases (`releases`), finds what the data
does not cover (`candidates`), proves each pair from the wheels' binaries (`prove`), writes the rows with their
evidence into `tfm1/compat_found.py` (`found_file`) and the page docs/compatibility.md (`page`), and proposes the
default profile's bump when a newer pair loads (`bump`). `confirm` records the Apple-silicon workflow's pass.
"""
