"""REQ-2.12: dependencies pinned with hashes (``requirements.lock``) and an SBOM (``scripts/sbom``).

The lock pins every dependency that ``pyproject.toml`` names, runtime and dev, at a release
its specifier allows, each with the SHA-256 of its file, and everything those need. The SBOM
is CycloneDX 1.6 JSON of the installed environment and the npm packages, made offline.
"""

from __future__ import annotations

import base64
import importlib.machinery
import importlib.util
import json
import re
import socket
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements.lock"


def _load_script() -> ModuleType:
    loader = importlib.machinery.SourceFileLoader("zhenggai_sbom", str(ROOT / "scripts" / "sbom"))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


sbom = _load_script()


def pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


@pytest.fixture(scope="module")
def lock() -> dict[str, dict[str, Any]]:
    return sbom.read_lock(LOCK)


# --- requirements.lock -----------------------------------------------------------------------------


@pytest.mark.parametrize("text", pyproject()["dependencies"], ids=lambda t: Requirement(t).name)
def test_the_lock_pins_every_runtime_dependency_of_pyproject_at_an_allowed_release(text, lock):
    req = Requirement(text)
    pin = lock.get(sbom.canonical(req.name))
    assert pin is not None, f"{req.name} is a runtime dependency but not in requirements.lock"
    assert pin["section"] == "runtime"
    assert req.specifier.contains(pin["version"], prereleases=True), (req, pin["version"])
    assert pin["hashes"], f"{req.name} has no hash"


@pytest.mark.parametrize(
    "text", pyproject()["optional-dependencies"]["dev"], ids=lambda t: Requirement(t).name
)
def test_the_lock_pins_every_dev_dependency_too(text, lock):
    req = Requirement(text)
    pin = lock.get(sbom.canonical(req.name))
    assert pin is not None, f"{req.name} is a dev dependency but not in requirements.lock"
    assert req.specifier.contains(pin["version"], prereleases=True), (req, pin["version"])


def test_an_extra_of_a_runtime_dependency_is_locked_as_runtime(lock):
    # psycopg[binary]: the binary wheels are what production runs.
    assert lock["psycopg-binary"]["section"] == "runtime"
    assert lock["psycopg-binary"]["version"] == lock["psycopg"]["version"]


def test_every_line_of_the_lock_is_an_exact_pin_with_sha256_hashes(lock):
    assert len(lock) >= len(pyproject()["dependencies"])
    for name, pin in lock.items():
        assert re.fullmatch(r"[0-9][0-9A-Za-z.+!]*", pin["version"]), (name, pin)
        assert pin["hashes"] and all(re.fullmatch(r"[0-9a-f]{64}", h) for h in pin["hashes"]), name
    lines = [x for x in LOCK.read_text(encoding="utf-8").splitlines() if not x.lstrip().startswith("#")]
    assert not [x for x in lines if x.startswith(("-e", "-r", "-c")) or "file://" in x or "git+" in x]
    assert "zhenggai" not in lock  # the project itself is installed from the checkout


def test_the_lock_is_closed_under_what_the_locked_releases_need(lock):
    """``pip install --require-hashes`` refuses a requirement without a hash: nothing may be missing.

    Read from the installed metadata of each locked release (where the installed version is
    the locked one), with the extras the project asks for.
    """
    dists = sbom.installed()
    runtime, dev = sbom.groups(dists)
    checked = 0
    for key, extras in {**dev, **runtime}.items():
        dist = dists[key]
        if lock.get(key, {}).get("version") != dist.version:
            continue
        checked += 1
        for needed, _extras in sbom._needs(dist, extras):
            assert needed in lock, f"{dist.metadata['Name']} needs {needed}, which is not locked"
            if key in runtime:
                assert lock[needed]["section"] == "runtime", f"{needed} (needed at run time) is not runtime"
    assert checked >= len(pyproject()["dependencies"])


def test_check_lock_reports_a_release_that_differs(tmp_path, lock):
    changed = LOCK.read_text(encoding="utf-8").replace(
        f"Django=={lock['django']['version']}", "Django==5.2.0", 1
    )
    path = tmp_path / "requirements.lock"
    path.write_text(changed, encoding="utf-8")
    problems = sbom.check_lock(path)
    installed_django = metadata.version("django")
    assert f"Django: locked 5.2.0, installed {installed_django}" in problems


# --- the SBOM --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bom(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Built in this process with every subprocess and socket refused: it is made offline."""
    mp = pytest.MonkeyPatch()

    def refused(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the SBOM must be made offline, without running anything")

    mp.setattr(subprocess, "run", refused)
    mp.setattr(subprocess, "Popen", refused)
    mp.setattr(socket, "socket", refused)
    try:
        doc = sbom.build_sbom()
    finally:
        mp.undo()
    # And it is JSON as written to disk.
    return json.loads(json.dumps(doc, ensure_ascii=False))


def test_the_sbom_is_a_cyclonedx_1_6_document_of_zhenggai(bom):
    assert bom["bomFormat"] == "CycloneDX" and bom["specVersion"] == "1.6"
    assert re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", bom["serialNumber"])
    assert bom["metadata"]["component"]["name"] == "zhenggai"
    assert bom["metadata"]["component"]["type"] == "application"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", bom["metadata"]["timestamp"])
    refs = [c["bom-ref"] for c in bom["components"]]
    assert len(refs) == len(set(refs))
    for c in bom["components"]:
        assert c["type"] == "library" and c["version"] and c["purl"].startswith(("pkg:pypi/", "pkg:npm/"))
        assert c["scope"] in ("required", "excluded")


def test_every_installed_distribution_is_a_component_with_its_purl(bom):
    by_purl = {c["purl"]: c for c in bom["components"]}
    for key, dist in sbom.installed().items():
        purl = f"pkg:pypi/{key}@{dist.version}"
        assert purl in by_purl, purl


def test_runtime_dependencies_are_required_and_dev_tools_excluded(bom, lock):
    by_name = {sbom.canonical(c["name"]): c for c in bom["components"] if c["purl"].startswith("pkg:pypi/")}
    for text in pyproject()["dependencies"]:
        assert by_name[sbom.canonical(Requirement(text).name)]["scope"] == "required"
    for text in pyproject()["optional-dependencies"]["dev"]:
        assert by_name[sbom.canonical(Requirement(text).name)]["scope"] == "excluded"
    django = by_name["django"]
    if lock["django"]["version"] == django["version"]:  # the wheel's hash, from the lock
        assert django["hashes"] == [{"alg": "SHA-256", "content": h} for h in lock["django"]["hashes"]]


def test_the_npm_packages_of_package_lock_are_components_with_their_sha512(bom):
    packages = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))["packages"]
    npm = {c["purl"]: c for c in bom["components"] if c["purl"].startswith("pkg:npm/")}
    assert len(npm) == len([p for p in packages if p])
    for where, pkg in packages.items():
        if not where:
            continue
        name = where.rsplit("node_modules/", 1)[-1]
        c = npm[f"pkg:npm/{name.replace('@', '%40')}@{pkg['version']}"]
        assert (c.get("group", "") + "/" + c["name"]).lstrip("/") == name
        digest = base64.b64decode(pkg["integrity"].removeprefix("sha512-")).hex()
        assert c["hashes"] == [{"alg": "SHA-512", "content": digest}]
        # Front-end assets are served at run time; test tools (axe-core) are not.
        assert c["scope"] == ("excluded" if pkg.get("dev") else "required"), name
    bootstrap = npm["pkg:npm/bootstrap@5.3.8"]
    assert bootstrap["licenses"] == [{"expression": "MIT"}]


def test_the_dependency_graph_names_only_components_and_starts_at_the_application(bom):
    refs = {c["bom-ref"] for c in bom["components"]}
    app = bom["metadata"]["component"]["bom-ref"]
    graph = {d["ref"]: d["dependsOn"] for d in bom["dependencies"]}
    assert set(graph) == refs | {app}
    assert all(set(targets) <= refs for targets in graph.values())
    roots = graph[app]
    assert "pkg:npm/bootstrap@5.3.8" in roots
    assert any(r.startswith("pkg:pypi/django@") for r in roots)
    weasyprint = next(r for r in graph if r.startswith("pkg:pypi/weasyprint@"))
    assert any(r.startswith("pkg:pypi/pydyf@") for r in graph[weasyprint])
    assert any(r.startswith("pkg:npm/%40popperjs/core@") for r in graph["pkg:npm/bootstrap@5.3.8"])


def test_scripts_sbom_writes_the_file(tmp_path):
    out = tmp_path / "sbom.cdx.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "sbom"), "-o", str(out)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "components (CycloneDX 1.6)" in done.stdout
    assert json.loads(out.read_text(encoding="utf-8"))["bomFormat"] == "CycloneDX"
