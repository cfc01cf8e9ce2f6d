"""Test-time infrastructure shared by several test modules: local conda channel, local pip index, HTTP servers."""
