"""A user's uv settings (another index, extra indexes, a folder of wheels) never change what `tfm1 lock` resolves, and
the command says which it left out."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tests.support.cli import tfm1
from tests.support.pypi_index import PackageIndex, build_index, make_wheel
from tfm1.lock.targets import target
from tfm1.profiles import envs_dir
from tfm1.uv.resolver import resolve
from tfm1.uv.settings import UV_RESOLUTION_SETTINGS


def _serve(server: HTTPServer, index: PackageIndex, prefix: str) -> str:
    """`index` under `prefix` on `server`, its simple pages as text/html (as uv wants them); the simple URL."""
    for path in sorted(index.root.rglob("*")):
        if path.is_file():
            url = f"/{prefix}/{path.relative_to(index.root)}"
            if path.name == "index.html":
                server.expect_request(url.removesuffix("index.html")).respond_with_data(
                    path.read_text(), content_type="text/html"
                )
            else:
                server.expect_request(url).respond_with_data(path.read_bytes())
    return server.url_for(f"/{prefix}/simple/")


def test_uv_index_settings_in_the_environment_do_not_reach_the_resolution(
    tmp_path: Path, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The index tfm1 names holds tfm1-probe 1.0; a user's mirror and a folder of wheels hold 2.0 and 3.0, which uv
    takes when it reads UV_INDEX_URL, UV_EXTRA_INDEX_URL, UV_DEFAULT_INDEX, UV_INDEX or UV_FIND_LINKS."""
    index = _serve(
        httpserver, build_index(tmp_path / "pypi", [make_wheel(tmp_path / "1", "tfm1-probe", "1.0")]), "pypi"
    )
    other = _serve(
        httpserver, build_index(tmp_path / "mine", [make_wheel(tmp_path / "2", "tfm1-probe", "2.0")]), "mine"
    )
    wheels = make_wheel(tmp_path / "folder", "tfm1-probe", "3.0").parent
    assert resolve(["tfm1-probe"], target("osx-arm64"), "3.12", {}, index_url=index) == [("tfm1-probe", "1.0")]
    settings = {
        "UV_INDEX_URL": other,
        "UV_EXTRA_INDEX_URL": other,
        "UV_DEFAULT_INDEX": other,
        "UV_INDEX": other,
        "UV_FIND_LINKS": str(wheels),
        "UV_PRERELEASE": "allow",
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    assert resolve(["tfm1-probe"], target("osx-arm64"), "3.12", {}, index_url=index) == [("tfm1-probe", "1.0")]
    assert not [request for request, _ in httpserver.log if request.path.startswith("/mine/")]  # not even asked
    assert set(settings) <= set(UV_RESOLUTION_SETTINGS)


@pytest.mark.network
@pytest.mark.slow
def test_lock_names_the_uv_settings_it_leaves_out_and_locks_the_same(tmp_path: Path) -> None:
    """Settings that would break uv if it read them (indexes on a closed port, a folder that does not exist): a second
    lock with them finds nothing changed, and stderr names each setting."""
    envs = tmp_path / "envs"
    shutil.copytree(envs_dir() / "keras2", envs / "keras2")
    dead = "http://127.0.0.1:9/simple/"
    settings = {"UV_INDEX_URL": dead, "UV_EXTRA_INDEX_URL": dead, "UV_FIND_LINKS": str(tmp_path / "nowhere")}
    command = ("lock", "--pip-only", "--no-linkage", "--envs", str(envs), "--json")
    first = tfm1(*command, timeout=900)  # today's PyPI, without the settings
    assert first.returncode == 0, first.stderr
    assert "note:" not in first.stderr
    result = tfm1(*command, env={**os.environ, **settings}, timeout=900)
    assert result.returncode == 0, result.stderr
    (profile,) = json.loads(result.stdout)["profiles"]
    assert profile["status"] == "unchanged"
    note = "note: UV_INDEX_URL, UV_EXTRA_INDEX_URL, UV_FIND_LINKS are set; tfm1 lock leaves them out: a lock resolves"
    assert note in result.stderr
