"""PyPI access: the simple-index client (`index`), wheels read member by member with range requests
(`remote_wheel`) and the cache of what was read (`wheel_cache`).

Import the modules themselves: this package imports nothing, so `doctor --deep`'s use of `wheel_cache`
does not load requests.
"""
