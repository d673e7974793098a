"""A build reads nothing outside the repository and fetches nothing (flux_cookbook/repository/kustomize_reads.py,
flux_build's kustomize process): real kustomize builds, a real server on loopback."""

from __future__ import annotations

import http.server
from pathlib import Path

import pytest

from flux_cookbook.repository import flux_build
from flux_cookbook.repository.flux_build import build_all
from tests.support.build_repos import CM, bootstrapped, by_path
from tests.support.flux_objects import flux_ks
from tests.support.helm_repo_server import serving


@pytest.fixture
def server():
    """An HTTP server on 127.0.0.1 that serves a ConfigMap to anyone and records every request."""
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            requests.append(self.path)
            body = CM.format(name="fetched").encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    with serving(Handler) as httpd:
        yield f"127.0.0.1:{httpd.server_address[1]}", requests


@pytest.mark.parametrize("remote", [
    "http://{host}/cm.yaml",
    "https://{host}/acme/base.git//apps?ref=v1",
    "git::http://{host}/acme/base.git",
    "git::{host}/acme/base.git",  # go-getter's forced git, no scheme
    "{host}/acme/base//apps?ref=main",
    "git@{host}:acme/base.git",
])
def test_a_remote_resource_is_named_never_fetched(tmp_path, server, remote):
    host, requests = server
    url = remote.format(host=host)
    repo = bootstrapped(tmp_path, {
        "bootstrap/apps.yaml": flux_ks("apps", "apps"),
        "apps/kustomization.yaml": f"resources:\n- a.yaml\n- {url}\n",
        "apps/a.yaml": CM.format(name="a"),
    })
    apps = by_path(build_all(repo))["apps"]
    assert not apps.ok
    assert apps.error == f"apps/kustomization.yaml: resources names the remote {url}: not followed (a build here never fetches)"
    assert requests == []


@pytest.mark.parametrize(("entry", "named"), [
    ("configMapGenerator:\n- name: x\n  files: [../../../../../../../{outside}]\n", "configMapGenerator files"),
    ("configMapGenerator:\n- name: x\n  files: [key={outside_abs}]\n", "configMapGenerator files"),
    ("secretGenerator:\n- name: x\n  envs: [{outside_abs}]\n", "secretGenerator envs"),
    ("patches:\n- path: ../../../../../../../{outside}\n", "patches"),
])
def test_a_file_outside_the_repository_is_never_read(tmp_path, entry, named):
    secret = tmp_path / "secret.env"
    secret.write_text("token=do-not-read\n")
    relative = secret.relative_to("/").as_posix()
    repo = bootstrapped(tmp_path, {
        "bootstrap/apps.yaml": flux_ks("apps", "apps"),
        "apps/kustomization.yaml": "resources: [a.yaml]\n" + entry.format(outside=relative, outside_abs=secret),
        "apps/a.yaml": CM.format(name="a"),
    })
    apps = by_path(build_all(repo))["apps"]
    assert not apps.ok and "do-not-read" not in apps.error + apps.output
    assert f"apps/kustomization.yaml: {named} names " in apps.error and "outside the repository: not read" in apps.error


@pytest.mark.parametrize(("base", "expected"), [
    # kustomize decodes field names whatever their case: `Resources:` is resources.
    ("Resources:\n- {outside}\n", "base/kustomization.yaml: resources names {outside}, outside the repository: not read"),
    ("configMapGenerator:\n- name: x\n  Files: [{outside}]\n",
     "base/kustomization.yaml: configMapGenerator files names {outside}, outside the repository: not read"),
    # Of two spellings kustomize keeps one, PyYAML the other: neither is guessed.
    ("resources: []\nResources:\n- {outside}\n", "base/kustomization.yaml: the key 'Resources' (line 2) repeats "
     "'resources' (line 1); kustomize reads field names whatever their case"),
])
def test_a_field_spelt_in_another_case_in_a_base_reads_nothing_outside(tmp_path, base, expected):
    secret = tmp_path / "secret.yaml"
    secret.write_text(CM.format(name="do-not-read"))
    repo = bootstrapped(tmp_path, {
        "bootstrap/apps.yaml": flux_ks("apps", "apps"),
        "apps/kustomization.yaml": "resources: [../base]\n",
        "base/kustomization.yaml": base.format(outside=secret),
    })
    apps = by_path(build_all(repo))["apps"]
    assert not apps.ok and "do-not-read" not in apps.error + apps.output
    assert apps.error.startswith(expected.format(outside=secret)), apps.error


def test_a_base_the_build_reaches_is_checked_too(tmp_path, server):
    host, requests = server
    repo = bootstrapped(tmp_path, {
        "bootstrap/apps.yaml": flux_ks("apps", "apps"),
        "apps/kustomization.yaml": "resources: [../base]\n",
        "base/kustomization.yaml": f"resources: [http://{host}/cm.yaml]\n",
    })
    apps = by_path(build_all(repo))["apps"]
    assert not apps.ok and apps.error.startswith("base/kustomization.yaml: resources names the remote")
    assert requests == []


def test_files_beside_the_folder_inside_the_repository_still_build(tmp_path):
    # kustomize-controller builds with LoadRestrictionsNone: it reads anywhere inside the
    # artifact (a patch, a generator's file beside the folder); so does the build here.
    repo = bootstrapped(tmp_path, {
        "bootstrap/apps.yaml": flux_ks("apps", "apps"),
        "apps/kustomization.yaml": ("resources: [a.yaml]\npatches:\n- path: ../patches/p.yaml\n"
                                    "configMapGenerator:\n- name: x\n  files: [../shared/k.txt]\n"),
        "apps/a.yaml": CM.format(name="a"),
        "patches/p.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: patched\n",
        "shared/k.txt": "shared value\n",
    })
    apps = by_path(build_all(repo))["apps"]
    assert apps.ok, apps.error
    assert "k: patched" in apps.output and "shared value" in apps.output


@pytest.mark.parametrize("field", ["patches: 5", "patchesJson6902: true", "replacements: x", "configMapGenerator: true",
                                   "secretGenerator: 1"])
def test_a_field_that_is_no_list_is_left_for_kustomize_to_refuse(tmp_path, field):
    from flux_cookbook.extensions.kustomize_listing import named_paths
    from flux_cookbook.repository.kustomize_reads import refused_reads

    (tmp_path / "kustomization.yaml").write_text(f"resources: [a.yaml]\n{field}\n")
    assert list(named_paths({"resources": ["a.yaml"], **{field.split(":")[0]: 5}})) == [("resources", "a.yaml", True)]
    assert refused_reads(tmp_path, "") == []


def test_kustomize_runs_under_memory_and_time_limits(tmp_path, monkeypatch):
    # A stand-in for kubectl that reports the limits it was started with.
    reporter = tmp_path / "kubectl"
    reporter.write_text("#!/bin/sh\necho \"$(ulimit -v) $(ulimit -t) $HTTPS_PROXY\"\n")
    reporter.chmod(0o755)
    monkeypatch.setenv("FLUX_COOKBOOK_OFFLINE", "1")
    result = flux_build._run_kustomize(str(reporter), Path(tmp_path))
    memory, seconds, proxy = result.stdout.split()
    assert int(memory) * 1024 == flux_build.KUSTOMIZE_MEMORY and int(seconds) == flux_build.KUSTOMIZE_SECONDS
    assert proxy.startswith("http://127.0.0.1:")  # offline: nowhere to connect to


_GENERATOR = """apiVersion: builtin
kind: ConfigMapGenerator
metadata:
  name: x
files:
  - k={path}
"""
_PATCHER = """apiVersion: builtin
kind: PatchTransformer
metadata:
  name: p
path: {path}
target:
  kind: ConfigMap
"""


def _indented(text: str) -> str:
    return "".join(f"    {line}\n" for line in text.splitlines())


@pytest.mark.parametrize(("kustomization", "config_file", "named"), [
    # A configuration written inline (kustomize reads an entry that is YAML objects so).
    ("generators:\n  - |\n{config}", False, "generators files"),
    ("transformers:\n  - |\n{patcher}", False, "transformers path"),
    # A configuration in a file of the repository, naming a file outside it.
    ("generators:\n  - gen.yaml\n", True, "generators files"),
], ids=["inline-generator", "inline-transformer", "generator-file"])
@pytest.mark.parametrize("outside", ["absolute", "relative"])
def test_a_generator_or_transformer_configuration_reads_nothing_outside(tmp_path, kustomization, config_file, named,
                                                                         outside):
    # kustomize's builtin plugins read what their configuration names through the
    # kustomization's loader, which here has no restrictions (as in Flux): a pull request
    # could otherwise have check print any file of the machine (/proc/self/environ).
    secret = tmp_path / "secret.txt"
    secret.write_text("do-not-read\n")
    path = str(secret) if outside == "absolute" else "../" * 12 + secret.relative_to("/").as_posix()
    patch = tmp_path / "patch.yaml"
    patch.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: do-not-read\n")
    patch_path = str(patch) if outside == "absolute" else "../" * 12 + patch.relative_to("/").as_posix()
    config = _GENERATOR.format(path=path)
    files = {
        "bootstrap/apps.yaml": flux_ks("apps", "apps"),
        "apps/kustomization.yaml": "resources: [a.yaml]\n" + kustomization.format(
            config=_indented(config), patcher=_indented(_PATCHER.format(path=patch_path))),
        "apps/a.yaml": CM.format(name="a"),
    }
    if config_file:
        files["apps/gen.yaml"] = config
    repo = bootstrapped(tmp_path, files)
    apps = by_path(build_all(repo))["apps"]
    assert not apps.ok and "do-not-read" not in apps.error + apps.output
    assert f"apps/kustomization.yaml: {named} names " in apps.error and "outside the repository: not read" in apps.error


def test_a_generator_configuration_reading_inside_the_repository_builds(tmp_path):
    repo = bootstrapped(tmp_path, {
        "bootstrap/apps.yaml": flux_ks("apps", "apps"),
        "apps/kustomization.yaml": ("resources: [a.yaml]\ngenerators:\n  - |\n" + _indented(_GENERATOR.format(path="../shared/k.txt"))
                                    + "  - gen.yaml\n"),
        "apps/gen.yaml": _GENERATOR.format(path="k2.txt").replace("name: x", "name: y"),
        "apps/k2.txt": "second value\n",
        "apps/a.yaml": CM.format(name="a"),
        "shared/k.txt": "shared value\n",
    })
    apps = by_path(build_all(repo))["apps"]
    assert apps.ok, apps.error
    assert "shared value" in apps.output and "second value" in apps.output
