"""The release: scripts/stamp-release makes install.sh pin exactly the built tfm1 and its locked dependencies, and
that install.sh installs those bytes (and only those) on a pretend Mac from a local package index."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from packaging.specifiers import SpecifierSet
from packaging.tags import Tag, compatible_tags, cpython_tags, mac_platforms
from pytest_httpserver import HTTPServer

import tfm1
from tests.support.bootstrap_sandbox import (
    INSTALL_SH,
    REPO,
    SHELLS,
    Mac,
    Sandbox,
    base_python,
    build_probe_wheel,
    shell_argv,
)
from tests.support.cli import one_error
from tests.support.locked_wheels import locked_wheels, parse_pinned, wheels_for_tags
from tests.support.pypi_index import PackageIndex, build_index
from tests.support.pyproject import pyproject

STAMP = REPO / "scripts" / "stamp-release"
VERSION = tfm1.__version__


def stamp(version: str, dist: Path, repository: str | None = None) -> subprocess.CompletedProcess[str]:
    """scripts/stamp-release as the workflow runs it; GITHUB_REPOSITORY is `repository` (unset: outside CI)."""
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_REPOSITORY"}
    if repository is not None:
        env["GITHUB_REPOSITORY"] = repository
    return subprocess.run(
        [sys.executable, str(STAMP), version, str(dist)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env=env,
    )


def source_repository() -> str:
    """OWNER/NAME from pyproject.toml's [project.urls], the one place the repository's address is written."""
    url = pyproject()["project"]["urls"]["Repository"]
    assert url.startswith("https://github.com/")
    return str(url).removeprefix("https://github.com/")


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`uv build` of this checkout (sdist and wheel), stamped as the release workflow does."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "uv", "build", "--out-dir", str(out), str(REPO)],
        env={**os.environ, "UV_PYTHON_DOWNLOADS": "never"},
        check=True,
        capture_output=True,
        timeout=300,
    )
    done = stamp(VERSION, out)
    assert done.returncode == 0, done.stderr
    return out


def test_a_tag_that_is_not_the_source_version_is_refused(tmp_path: Path) -> None:
    done = stamp("99.0.0", tmp_path)
    assert done.returncode == 1
    assert f"release 99.0.0 is not the version in src/tfm1/__init__.py ({VERSION})" in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_the_stamped_install_sh_the_tag_and_the_source_agree(dist: Path) -> None:
    text = (dist / "install.sh").read_text()
    (release,) = re.findall(r'^\s*RELEASE_VERSION="([^"]*)"$', text, re.MULTILINE)
    assert release == VERSION
    assert f'    REPOSITORY="{source_repository()}"\n' in text
    assert f'INSTALL_URL="https://github.com/$REPOSITORY/releases/download/v{VERSION}/install.sh"' in text
    assert f"# tfm1 {VERSION}: " in (dist / "uninstall.sh").read_text().splitlines()[1]
    # The workflow passes the tag without its "v" and the stamp checks it against the source.
    workflow = (REPO / ".github" / "workflows" / "release.yml").read_text()
    assert 'scripts/stamp-release "${GITHUB_REF_NAME#v}" dist' in workflow
    # The checkout's install.sh pins nothing.
    assert re.search(r'^\s*RELEASE_VERSION=""$', INSTALL_SH.read_text(), re.MULTILINE)


def test_the_repository_s_address_has_one_home(tmp_path: Path) -> None:
    """pyproject's Repository is the default the checkout's install.sh, README and the stamp use; nothing else in
    them names another repository."""
    repository = source_repository()
    install = INSTALL_SH.read_text()
    assert re.findall(r'^    REPOSITORY="([^"]*)"$', install, re.MULTILINE) == [repository]
    assert 'LATEST_URL="https://github.com/$REPOSITORY/releases/latest/download/install.sh"' in install
    # This project's URLs: its releases' installers, its scripts on main, a clone of it (Miniforge's are Miniforge's).
    ours = r"raw\.githubusercontent\.com/([\w.-]+/[\w.-]+)/main/bootstrap/|github\.com/([\w.-]+/[\w.-]+)/releases/"
    clone = r"git clone https://github\.com/([\w.-]+/[\w.-]+)"
    for path in (INSTALL_SH, REPO / "bootstrap" / "uninstall.sh", REPO / "README.md"):
        text = path.read_text()
        named = {a or b for a, b in re.findall(ours, text)} | set(re.findall(clone, text))
        assert named - {"conda-forge/miniforge"} == {repository}, (path.name, named)
    for path in (REPO / ".github" / "workflows" / "release.yml", STAMP):
        assert repository not in path.read_text(), path.name


def test_a_fork_s_release_points_every_url_at_the_fork(tmp_path: Path, dist: Path) -> None:
    fork = tmp_path / "dist"
    fork.mkdir()
    for built in (f"tfm1-{VERSION}-py3-none-any.whl", f"tfm1-{VERSION}.tar.gz"):
        (fork / built).write_bytes((dist / built).read_bytes())
    done = stamp(VERSION, fork, repository="ana/tfm1-fork")
    assert done.returncode == 0, done.stderr
    assert "of https://github.com/ana/tfm1-fork" in done.stdout
    for name in ("install.sh", "uninstall.sh"):
        text = (fork / name).read_text()
        assert source_repository() not in text, name
        assert "ana/tfm1-fork/" in text, name
    assert '    REPOSITORY="ana/tfm1-fork"\n' in (fork / "install.sh").read_text()
    # The fix a Rosetta shell gets names the fork's own release.
    sandbox = Sandbox.create(tmp_path / "mac")
    rosetta = sandbox.run("--yes", script=fork / "install.sh", env={"FAKE_TRANSLATED": "1"})
    url = f"https://github.com/ana/tfm1-fork/releases/download/v{VERSION}/install.sh"
    assert f"curl -fsSL {url} | arch -arm64 /bin/sh -s -- --yes" in rosetta.stderr
    # And a Linux user is told to install this release, not whatever PyPI has under the name.
    linux = sandbox.run("--yes", script=fork / "install.sh", env={"FAKE_OS": "Linux"})
    assert linux.stderr.splitlines()[1].endswith(f"pipx install tfm1=={VERSION}")


def test_a_repository_that_is_not_owner_slash_name_is_refused(tmp_path: Path, dist: Path) -> None:
    done = stamp(VERSION, dist, repository="ana/fork/../../x")
    assert done.returncode == 1 and "is not a GitHub repository OWNER/NAME" in done.stderr


def test_the_stamped_requirements_pin_the_built_files_and_every_locked_dependency_by_hash(dist: Path) -> None:
    wheel, sdist = dist / f"tfm1-{VERSION}-py3-none-any.whl", dist / f"tfm1-{VERSION}.tar.gz"
    text = (dist / "install.sh").read_text()
    embedded = text.split("cat <<'END_OF_REQUIREMENTS'\n", 1)[1].split("\nEND_OF_REQUIREMENTS\n", 1)[0]
    entries = parse_pinned(embedded)
    first, hashes = entries[0]
    assert str(first) == f"tfm1=={VERSION}"
    assert hashes == {hashlib.sha256(p.read_bytes()).hexdigest() for p in (wheel, sdist)}
    constraints = parse_pinned((dist / f"tfm1-{VERSION}-constraints.txt").read_text())
    assert [str(r) for r, _ in entries[1:]] == [str(r) for r, _ in constraints]
    assert all(str(r.specifier).startswith("==") and h for r, h in constraints)
    assert {r.name for r, _ in constraints} >= {"py-rattler", "uv", "lief", "rich", "requests", "pyyaml"}
    sums = dict(line.split("  ")[::-1] for line in (dist / "SHA256SUMS").read_text().splitlines())
    assert set(sums) == {wheel.name, sdist.name, "install.sh", "uninstall.sh", f"tfm1-{VERSION}-constraints.txt"}
    assert all(hashlib.sha256((dist / name).read_bytes()).hexdigest() == digest for name, digest in sums.items())


def test_the_release_workflow_builds_tests_publishes_with_oidc_and_attaches_the_assets() -> None:
    workflow = yaml.safe_load((REPO / ".github" / "workflows" / "release.yml").read_text())
    assert workflow[True]["push"]["tags"] == ["v*"]
    jobs = workflow["jobs"]
    publish = jobs["pypi"]
    assert publish["permissions"] == {"id-token": "write"}
    (upload,) = [s for s in publish["steps"] if "pypa/gh-action-pypi-publish" in s.get("uses", "")]
    assert "password" not in upload.get("with", {})
    text = (REPO / ".github" / "workflows" / "release.yml").read_text()
    assert "uv build" in text and 'uv pip install --no-deps "dist/tfm1-' in text and "pytest" in text
    assert "gh release create" in text and "SHA256SUMS" in text
    # Nothing is published before the stamped install.sh has installed the built wheel on an Apple-silicon Mac.
    mac = jobs["mac"]
    assert mac["needs"] == "build" and mac["runs-on"] == "macos-15"
    assert set(publish["needs"]) == {"build", "mac"} and jobs["github-release"]["needs"] == "pypi"
    (install,) = [s for s in mac["steps"] if "run" in s]
    assert install["env"]["PIP_FIND_LINKS"] == "${{ github.workspace }}/dist"
    assert "sh dist/install.sh --yes" in install["run"] and "TFM1_PACKAGE" not in install["run"]
    assert '/.tfm1/bin/tfm1" --version)" = "tfm1 ${GITHUB_REF_NAME#v}"' in install["run"]


# --- the stamped requirements as a Mac's pip resolves them ----------------------------------------------------------

# CPython's feature releases out on 2026-12-05 (3.15.0 came out in October 2026, PEP 790); the ones tfm1's
# requires-python admits are the ones a user's arm64 conda or Miniforge may hand install.sh.
CPYTHON_RELEASES = ("3.10", "3.11", "3.12", "3.13", "3.14", "3.15")
MAC = "macosx_12_0_arm64"  # the oldest macOS TensorFlow's Apple-silicon wheels (and install.sh) accept


def supported_pythons() -> list[str]:
    requires = SpecifierSet(pyproject()["project"]["requires-python"])
    return [python for python in CPYTHON_RELEASES if f"{python}.0" in requires]


def _mac_tags(python: str) -> set[Tag]:
    version = tuple(int(part) for part in python.split("."))
    platforms = list(mac_platforms((12, 0), "arm64"))
    return {*cpython_tags(version, platforms=platforms), *compatible_tags(version, platforms=platforms)}


def _mac_environment(python: str) -> dict[str, str]:
    """The marker environment of CPython `python` on an Apple-silicon Mac."""
    return {
        "python_version": python,
        "python_full_version": f"{python}.0",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "sys_platform": "darwin",
        "platform_system": "Darwin",
        "platform_machine": "arm64",
        "os_name": "posix",
    }


@pytest.fixture(scope="module")
def mac_links(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A local index (pip's --find-links folder) of the real files a Mac's pip may take for the release: the built
    tfm1 wheel and every locked wheel for macOS arm64 on any supported Python, from PyPI (cached by sha256)."""
    tags = set().union(*(_mac_tags(python) for python in supported_pythons()))
    links = tmp_path_factory.mktemp("mac-links")
    constraints = (dist / f"tfm1-{VERSION}-constraints.txt").read_text()
    for wheel in [dist / f"tfm1-{VERSION}-py3-none-any.whl", *wheels_for_tags(constraints, tags)]:
        shutil.copy(wheel, links / wheel.name)
    return links


def test_every_python_tfm1_admits_is_tested_for_the_mac() -> None:
    assert supported_pythons()[0] == "3.10" and "3.13" in supported_pythons()


@pytest.mark.network
@pytest.mark.parametrize("python", supported_pythons())
def test_the_stamped_requirements_resolve_for_a_mac_on_every_supported_python(
    dist: Path, mac_links: Path, tmp_path: Path, python: str
) -> None:
    """pip as install.sh runs it (--require-hashes, wheels only) for macOS arm64 and `python`, against the real files:
    every requirement the Mac needs has a wheel whose sha256 is stamped, and nothing else is needed."""
    text = (dist / "install.sh").read_text()
    embedded = text.split("cat <<'END_OF_REQUIREMENTS'\n", 1)[1].split("\nEND_OF_REQUIREMENTS\n", 1)[0]
    environment = _mac_environment(python)
    # pip would judge the markers on this Linux interpreter; they are judged here for the Mac instead.
    wanted = {}
    lines = []
    for requirement, hashes in parse_pinned(embedded):
        if requirement.marker is None or requirement.marker.evaluate(environment):
            wanted[requirement.name.lower()] = str(requirement.specifier).removeprefix("==")
            lines.append(f"{requirement.name}{requirement.specifier} {' '.join(f'--hash=sha256:{h}' for h in hashes)}")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("\n".join(lines) + "\n")
    report = tmp_path / "report.json"
    pip = [base_python(), "-m", "pip", "install", "--dry-run", "--isolated", "--disable-pip-version-check"]
    local = ["--no-index", "--find-links", str(mac_links), "--report", str(report)]
    # --target: pip before 24 takes --platform only with it (with --dry-run nothing is written there).
    mac = ["--platform", MAC, "--python-version", python, "--implementation", "cp", "--target", str(tmp_path / "t")]
    done = subprocess.run(
        [*pip, *local, *mac, "--only-binary", ":all:", "--require-hashes", "-r", str(requirements)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    installed = {
        item["metadata"]["name"].lower(): item["metadata"]["version"]
        for item in json.loads(report.read_text())["install"]
    }
    assert installed == wanted
    assert installed["tfm1"] == VERSION


# --- the stamped install.sh on a pretend Mac ------------------------------------------------------------------------


def _serve_index(server: HTTPServer, index: PackageIndex) -> str:
    """The index over HTTP as pip wants it: the simple pages as text/html."""
    for path in sorted(index.root.rglob("*")):
        if path.is_file():
            url = "/" + str(path.relative_to(index.root))
            if path.name == "index.html":
                url = url.removesuffix("index.html")
                server.expect_request(url).respond_with_data(path.read_text(), content_type="text/html")
            else:
                server.expect_request(url).respond_with_data(path.read_bytes())
    return server.url_for("/simple/")


@pytest.fixture
def release_mac(tmp_path: Path, httpserver: HTTPServer, dist: Path) -> tuple[Mac, PackageIndex]:
    mac = Mac.serve(Sandbox.create(tmp_path / "mac"), httpserver, build_probe_wheel())
    del mac.env["TFM1_PACKAGE"]  # the release's own pins, as a user runs it
    wheels = locked_wheels((dist / f"tfm1-{VERSION}-constraints.txt").read_text())
    index = build_index(tmp_path / "pypi", [dist / f"tfm1-{VERSION}-py3-none-any.whl", *wheels])
    mac.env["PIP_INDEX_URL"] = _serve_index(httpserver, index)
    return mac, index


@pytest.mark.network
@pytest.mark.slow
def test_the_stamped_install_sh_installs_exactly_the_release(release_mac: tuple[Mac, PackageIndex], dist: Path) -> None:
    mac, _ = release_mac
    result = mac.sandbox.run("--yes", "--profile", "no-such-profile", "--no-verify", script=dist / "install.sh")
    assert f"pip install tfm1 {VERSION} (pinned, with its locked dependencies, sha256-checked)" in result.stdout
    assert f"==> tfm1 is ready: ~/.tfm1/bin/tfm1 (tfm1 {VERSION})" in result.stdout, result.stderr
    fetched = [request.path for request, _ in mac.server.log]
    assert f"/files/tfm1-{VERSION}-py3-none-any.whl" in fetched
    assert not any(path.endswith(".tar.gz") for path in fetched)
    # The hand-over reached the real CLI, which reports the unknown profile itself.
    assert "tfm1 setup failed" in result.stderr and "Traceback" not in result.stderr
    assert list(mac.sandbox.tmp.iterdir()) == []


@pytest.mark.network
@pytest.mark.slow
def test_other_bytes_under_the_release_s_name_are_refused(
    release_mac: tuple[Mac, PackageIndex], dist: Path, tmp_path: Path
) -> None:
    mac, index = release_mac
    wheel = index.root / "files" / f"tfm1-{VERSION}-py3-none-any.whl"
    mac.server.clear_all_handlers()
    mac.server.expect_request(f"/miniforge/{Path(mac.env['TFM1_MINIFORGE_URL']).name}").respond_with_data(mac.installer)
    wheel.write_bytes(wheel.read_bytes() + b"\0")  # still a readable zip, another sha256
    index._write_simple()
    mac.env["PIP_INDEX_URL"] = _serve_index(mac.server, index)
    result = mac.sandbox.run("--yes", script=dist / "install.sh")
    assert result.returncode == 1
    assert "DO NOT MATCH THE HASHES" in result.stderr
    assert "pip could not install tfm1" in result.stderr
    assert not (mac.sandbox.home / ".tfm1" / "venv").exists()


# --- the checkout's install.sh --------------------------------------------------------------------------------------


def test_the_checkout_s_install_sh_refuses_an_unpinned_tfm1_and_says_how_to_install_a_checkout(tmp_path: Path) -> None:
    sandbox = Sandbox.create(tmp_path / "mac")
    result = sandbox.run("--yes")
    assert result.returncode == 1
    assert "it pins no tfm1, and an unpinned tfm1 from PyPI is not installed" in one_error(result.stderr)
    fix = result.stderr.splitlines()[1]
    assert "TFM1_PACKAGE=/path/to/tfm1-checkout sh bootstrap/install.sh --yes" in fix
    assert "https://github.com/tfm1/tfm1/releases/latest/download/install.sh" in fix
    assert sandbox.calls("curl") == [] and sandbox.home_files() == set()


def test_a_package_name_in_tfm1_package_is_refused(tmp_path: Path) -> None:
    sandbox = Sandbox.create(tmp_path / "mac")
    result = sandbox.run("--yes", env={"TFM1_PACKAGE": "tfm1"})
    assert result.returncode == 2
    assert "TFM1_PACKAGE must be a wheel, a directory or a URL" in result.stderr
    assert sandbox.home_files() == set()


@pytest.mark.network
@pytest.mark.slow
def test_a_release_s_installer_replaces_another_tfm1_it_installed(
    release_mac: tuple[Mac, PackageIndex], dist: Path
) -> None:
    mac, _ = release_mac
    probe = build_probe_wheel()
    first = mac.sandbox.run("--yes", env={"TFM1_PACKAGE": mac.server.url_for(f"/wheels/{probe.name}")})
    assert first.returncode == 0, first.stderr
    receipt = mac.sandbox.receipt()
    result = mac.sandbox.run("--yes", "--no-verify", "--profile", "no-such-profile", script=dist / "install.sh")
    assert "replace ~/.tfm1/venv (tfm1 0.0.1 (hand-over probe)) with a new one" in result.stdout
    assert f"==> tfm1 is ready: ~/.tfm1/bin/tfm1 (tfm1 {VERSION})" in result.stdout, result.stderr
    assert mac.sandbox.receipt() == receipt


def test_the_stamped_install_sh_is_clean_posix_sh(dist: Path) -> None:
    shellcheck = Path(sys.executable).parent / "shellcheck"
    done = subprocess.run([str(shellcheck), "-s", "sh", str(dist / "install.sh")], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout
    for shell in SHELLS:
        parsed = subprocess.run([*shell_argv(shell), "-n", str(dist / "install.sh")], capture_output=True, text=True)
        assert parsed.returncode == 0 and parsed.stderr == "", (shell, parsed.stderr)
