"""`flux-cookbook seal`, run as a user runs it, in a small cluster repository.

The SealedSecret it writes must validate against the real CRD
(../shared/flux-crds/sealed-secrets), build with `kubectl kustomize` as Flux builds the
app's folder, and unseal with an independent implementation (kubesealpy). Adding a key
leaves every other ciphertext byte for byte. And the plaintext goes nowhere: not into
any file of the repository (git's objects included, decompressed), not into stdout or
stderr, not on success and not on any refusal.
"""

from __future__ import annotations

import base64
import difflib
import json
import os
import pty
import signal
import subprocess
import sys
from pathlib import Path

import kubesealpy
import pytest
import yaml

from flux_cookbook import stops
from tests.support.controller_keys import make_certificate
from tests.support.flux_objects import flux_ks
from tests.support.flux_schema import kustomize_build, validate_object
from tests.support.project import commit_all, cookbook_cli, init_repo, tree_state
from tests.support.seal_repo import cert, repo  # noqa: F401 - fixtures
from tests.support.template_repo import PROJECT_ROOT, git

ROOT = Path(__file__).resolve().parents[1]
SEALED_SECRETS_CRDS = ROOT.parent / "shared" / "flux-crds" / "sealed-secrets"
# Values distinctive enough that finding them anywhere means they leaked.
SECRET = "Plain-Text-Leak-Probe-7f3a9c"
OTHER_SECRET = "Second-Leak-Probe-b81e44"
NOT_SEEN = [SECRET, OTHER_SECRET]


# --- a repository, a controller key, the command -----------------------------------------------


def seal(
    repo: Path, *args: str, stdin: bytes | None = None, path: str | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess:
    """`flux-cookbook seal ARGS` in `repo` (or `cwd`); no terminal, `stdin` piped in."""
    result = cookbook_cli("seal", *args, cwd=cwd or repo, input=stdin if stdin is not None else b"",
                          env={"PATH": path} if path is not None else None)
    output = result.stdout + result.stderr
    assert b"Traceback" not in output, output.decode()
    for secret in NOT_SEEN:
        assert secret.encode() not in output, f"a value was shown:\n{output.decode()}"
    return result


def sealed_file(repo: Path, app: str = "web", name: str = "db") -> Path:
    return repo / app / f"sealedsecret-{name}.yaml"


def unsealed(key, path: Path) -> dict[str, bytes]:
    """What the controller would put in the Secret, as kubesealpy unseals it."""
    secret = kubesealpy.Unsealer.from_private_key(key).unseal(kubesealpy.SealedSecret.from_yaml(path.read_text()))
    return {k: base64.b64decode(v) for k, v in secret.data.items()}


def encrypted_lines(text: str) -> dict[str, str]:
    """Each key's whole line under encryptedData, as written."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "encryptedData:")
    indent = len(lines[start + 1]) - len(lines[start + 1].lstrip())
    found = {}
    for line in lines[start + 1 :]:
        if len(line) - len(line.lstrip()) != indent:
            break
        found[line.strip().split(":", 1)[0]] = line
    return found


# --- writing -------------------------------------------------------------------------------------


def test_sealed_secret_is_written_validates_builds_and_unseals(repo, cert, key):
    result = seal(repo, "web", "db", "--cert", str(cert), stdin=f"password={SECRET}\nusername=web\n".encode())
    assert result.returncode == 0, result.stderr.decode()
    # This repository has no controller app: the file is written, and the user told what it lacks.
    assert result.stderr.decode().startswith(
        "flux-cookbook: warning: this repository installs no Sealed Secrets controller, so a cluster has no "
        "SealedSecret CRD to apply web/sealedsecret-db.yaml against")
    assert "`flux-cookbook add sealed-secrets --defaults`" in result.stderr.decode()
    path = sealed_file(repo)
    assert "web/sealedsecret-db.yaml" in result.stdout.decode()
    document = yaml.safe_load(path.read_text())
    assert validate_object(document, SEALED_SECRETS_CRDS) == []
    assert (document["apiVersion"], document["kind"]) == ("bitnami.com/v1alpha1", "SealedSecret")
    assert document["metadata"] == {"name": "db", "namespace": "web-prod"}
    assert document["spec"]["template"] == {"metadata": {"name": "db", "namespace": "web-prod"}, "type": "Opaque"}
    assert sorted(document["spec"]["encryptedData"]) == ["password", "username"]

    lint = subprocess.run(
        [sys.executable, "-m", "yamllint", "--strict", "-c", str(ROOT / "template" / "cluster" / ".yamllint"), str(path)],
        capture_output=True, text=True,
    )
    assert lint.returncode == 0, lint.stdout  # the rules a generated repository checks itself with
    built = list(yaml.safe_load_all(kustomize_build(repo / "web")))
    assert [d for d in built if d["kind"] == "SealedSecret"] == [document]
    assert unsealed(key, path) == {"password": SECRET.encode(), "username": b"web"}


@pytest.mark.parametrize("scope", ["strict", "namespace-wide", "cluster-wide"])
def test_every_scope_with_type_labels_and_annotations(repo, cert, key, scope):
    result = seal(
        repo, "web", "login", "--cert", str(cert), "--scope", scope, "--type", "kubernetes.io/basic-auth",
        "--from-literal", "username=admin", "--from-literal", f"password={SECRET}",
        "--label", "app.kubernetes.io/name=web", "--label", "on=yes", "--annotation", "example.com/note=rotate yearly",
    )
    assert result.returncode == 0, result.stderr.decode()
    path = sealed_file(repo, name="login")
    document = yaml.safe_load(path.read_text())
    assert validate_object(document, SEALED_SECRETS_CRDS) == []
    scope_annotations = {} if scope == "strict" else {f"sealedsecrets.bitnami.com/{scope}": "true"}
    assert document["metadata"].get("annotations", {}) == scope_annotations
    template = document["spec"]["template"]
    assert template["type"] == "kubernetes.io/basic-auth"
    # YAML 1.1 look-alikes stay strings, as Kubernetes (Go, YAML 1.1) must read them.
    assert template["metadata"]["labels"] == {"app.kubernetes.io/name": "web", "on": "yes"}
    assert template["metadata"]["annotations"] == {**scope_annotations, "example.com/note": "rotate yearly"}
    assert f"({scope} scope" in result.stdout.decode()
    assert unsealed(key, path) == {"username": b"admin", "password": SECRET.encode()}
    kustomize_build(repo / "web")


def test_apps_dir_places_the_file_in_the_apps_folder(repo, cert, key):
    (repo / ".copier-answers.app-web.yml").write_text("app_name: web\nnamespace: web-prod\napps_dir: apps\n")
    (repo / "apps" / "web").mkdir(parents=True)
    result = seal(repo, "web", "db", "--cert", str(cert), stdin=f"password={SECRET}\n".encode())
    assert result.returncode == 0, result.stderr.decode()
    assert unsealed(key, repo / "apps" / "web" / "sealedsecret-db.yaml") == {"password": SECRET.encode()}
    assert not sealed_file(repo).exists()
    # A message about the file names it from the repository's root.
    again = seal(repo, "web", "db", "--cert", str(cert), "--scope", "cluster-wide", stdin=f"password={SECRET}\n".encode())
    assert again.returncode == 1 and "apps/web/sealedsecret-db.yaml is sealed strict" in again.stderr.decode(), again.stderr


def test_repo_option_and_a_type_missing_keys(repo, cert, key):
    result = seal(
        repo, "web", "tls", "--repo", repo.name, "--cert", str(cert), "--type", "kubernetes.io/tls",
        "--from-literal", "tls.crt=x", cwd=repo.parent,
    )
    assert result.returncode == 0, result.stderr.decode()
    assert "written to web/sealedsecret-tls.yaml" in result.stdout.decode()
    # The API server would refuse the Secret until the other key is sealed too.
    assert "warning: type kubernetes.io/tls needs the keys tls.key." in result.stderr.decode()
    result = seal(repo, "web", "tls", "--repo", repo.name, "--cert", str(cert), "--from-literal", "tls.key=y", cwd=repo.parent)
    assert result.returncode == 0 and b"needs the keys" not in result.stderr
    assert unsealed(key, sealed_file(repo, name="tls")) == {"tls.crt": b"x", "tls.key": b"y"}
    result = seal(repo, "web", "tls", "--repo", "nowhere", "--cert", str(cert), "--from-literal", "a=b", cwd=repo.parent)
    assert result.returncode == 2 and "--repo nowhere is not a folder." in result.stderr.decode()


def test_value_from_a_file_is_taken_byte_for_byte(repo, cert, key, tmp_path):
    blob = tmp_path / "tls.key"
    blob.write_bytes(b"\x00\xff" + SECRET.encode() + b"\r\n\n")
    result = seal(repo, "web", "tls", "--cert", str(cert), "--from-file", f"tls.key={blob}", "--from-file", str(blob.with_name("tls.key")))
    assert result.returncode == 1  # the same key twice (named, then by its file name)
    assert "key 'tls.key' is given twice" in result.stderr.decode()
    result = seal(repo, "web", "tls", "--cert", str(cert), "--from-file", str(blob))
    assert result.returncode == 0, result.stderr.decode()
    assert unsealed(key, sealed_file(repo, name="tls")) == {"tls.key": blob.read_bytes()}


def test_a_multi_line_value_piped_in_with_key_dash_is_taken_byte_for_byte(repo, cert, key):
    pem = b"-----BEGIN PRIVATE KEY-----\n" + SECRET.encode() + b"\n\x00\xff\n-----END PRIVATE KEY-----\n"
    result = seal(repo, "web", "tls", "--cert", str(cert), "--from-literal", "user=web", "--from-file", "tls.key=-", stdin=pem)
    assert result.returncode == 0, result.stderr.decode()
    assert unsealed(key, sealed_file(repo, name="tls")) == {"tls.key": pem, "user": b"web"}


# --- changing an existing file ----------------------------------------------------------------------


def test_adding_a_key_leaves_the_other_ciphertexts_byte_for_byte(repo, cert, key):
    assert seal(repo, "web", "db", "--cert", str(cert), stdin=f"password={SECRET}\nusername=web\n".encode()).returncode == 0
    path = sealed_file(repo)
    before = path.read_text()
    result = seal(repo, "web", "db", "--cert", str(cert), "--from-literal", f"token={OTHER_SECRET}")
    assert result.returncode == 0, result.stderr.decode()
    assert "sealed token: added to" in result.stdout.decode()
    after = path.read_text()
    old_lines, new_lines = encrypted_lines(before), encrypted_lines(after)
    assert {k: new_lines[k] for k in old_lines} == old_lines
    # The one change is the new key's line.
    changes = [d for d in difflib.ndiff(before.splitlines(), after.splitlines()) if d[:2] in ("- ", "+ ")]
    assert changes == [f"+ {new_lines['token']}"]
    assert unsealed(key, path) == {"password": SECRET.encode(), "username": b"web", "token": OTHER_SECRET.encode()}


def test_values_added_over_runs_are_held_to_what_one_secret_may_hold(repo, cert, key, tmp_path):
    """Two values of 600 kB in one run are refused (over 1 MiB together); given in two runs
    the second was taken, and the controller could never make the Secret. A value the run
    replaces counts as it is given."""
    big = tmp_path / "big"
    big.write_bytes(b"x" * 600_000)
    assert seal(repo, "web", "db", "--cert", str(cert), "--from-file", f"a={big}").returncode == 0
    before = tree_state(repo)
    result = seal(repo, "web", "db", "--cert", str(cert), "--from-file", f"b={big}")
    assert result.returncode == 1
    assert result.stderr.decode() == (
        "flux-cookbook: the values hold 1,200,000 bytes together with the 1 value web/sealedsecret-db.yaml holds already, more "
        "than a Kubernetes Secret may hold (1,048,576); seal them into several SealedSecrets.\n")
    assert tree_state(repo) == before
    result = seal(repo, "web", "db", "--cert", str(cert), "--from-file", f"b={big}", "--from-literal", "a=small")
    assert result.returncode == 0, result.stderr.decode()
    assert unsealed(key, sealed_file(repo)) == {"a": b"small", "b": big.read_bytes()}


def test_a_file_with_crlf_line_ends_keeps_them_when_a_key_is_added(repo, cert, key):
    assert seal(repo, "web", "db", "--cert", str(cert), stdin=f"password={SECRET}\n".encode()).returncode == 0
    path = sealed_file(repo)
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))  # as an editor on Windows saves it
    before = path.read_bytes().decode()
    result = seal(repo, "web", "db", "--cert", str(cert), "--from-literal", "username=web")
    assert result.returncode == 0, result.stderr.decode()
    after = path.read_bytes().decode()
    assert after.count("\n") == after.count("\r\n") == before.count("\n") + 1
    # Every other line byte for byte (the comments' too: ruamel kept a comment's CR, and the
    # CRLF written after it made it two).
    changes = [d for d in difflib.ndiff(before.split("\r\n"), after.split("\r\n")) if d[:2] in ("- ", "+ ")]
    assert len(changes) == 1 and changes[0][2:].strip().startswith("username: "), changes
    assert unsealed(key, path) == {"password": SECRET.encode(), "username": b"web"}


def test_a_sealed_secret_in_json_stays_json_when_a_key_is_added(repo, cert, key):
    """kubeseal writes JSON unless told otherwise: a key added to such a file is one more
    line of it, not the whole file rewritten as one line of YAML's flow style."""
    assert seal(repo, "web", "db", "--cert", str(cert), stdin=f"password={SECRET}\n".encode()).returncode == 0
    path = sealed_file(repo)
    path.write_text(json.dumps(yaml.safe_load(path.read_text()), indent=2) + "\n")  # as kubeseal -o json writes it
    before = path.read_text()
    result = seal(repo, "web", "db", "--cert", str(cert), "--from-literal", "username=web")
    assert result.returncode == 0, result.stderr.decode()
    after = path.read_text()
    assert after.count("\n") == before.count("\n") + 1
    assert json.loads(after)["spec"]["encryptedData"].keys() == {"password", "username"}
    assert unsealed(key, path) == {"password": SECRET.encode(), "username": b"web"}


def test_resealing_a_key_changes_its_line_only(repo, cert, key):
    assert seal(repo, "web", "db", "--cert", str(cert), stdin=b"password=old\nusername=web\n").returncode == 0
    path = sealed_file(repo)
    before = path.read_text()
    result = seal(repo, "web", "db", "--cert", str(cert), stdin=f"password={SECRET}\n".encode())
    assert result.returncode == 0
    assert "resealed password" in result.stdout.decode()
    after = path.read_text()
    changes = [d[:2] + d[2:].split(":")[0].strip() for d in difflib.ndiff(before.splitlines(), after.splitlines()) if d[:2] in ("- ", "+ ")]
    assert changes == ["- password", "+ password"]
    assert encrypted_lines(after)["username"] == encrypted_lines(before)["username"]
    assert unsealed(key, path) == {"password": SECRET.encode(), "username": b"web"}


def test_a_kubeseal_made_file_keeps_its_form_when_a_key_is_added(repo, cert, key):
    """A file as `kubeseal -o yaml` prints it (sorted keys, `creationTimestamp: null`),
    with a comment and 4-space indentation a person added: only the new line differs."""
    sealer = kubesealpy.Sealer.from_certificate_pem(cert.read_bytes())
    theirs = sealer.seal(name="db", namespace="web-prod", data={"password": SECRET.encode()}, scope=kubesealpy.SealingScope.NAMESPACE_WIDE)
    text = (
        "---\n# The database login.\napiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n"
        "    annotations:\n        sealedsecrets.bitnami.com/namespace-wide: \"true\"\n    creationTimestamp: null\n"
        "    name: db\n    namespace: web-prod\nspec:\n    encryptedData:\n"
        f"        password: {theirs.spec.encrypted_data['password']}  # rotated in May\n"
        "    template:\n        metadata:\n            annotations:\n                sealedsecrets.bitnami.com/namespace-wide: \"true\"\n"
        "            creationTimestamp: null\n            name: db\n            namespace: web-prod\n        type: Opaque\n"
    )
    sealed_file(repo).write_text(text)
    result = seal(repo, "web", "db", "--cert", str(cert), "--from-literal", f"user={OTHER_SECRET}")
    assert result.returncode == 0, result.stderr.decode()
    assert "(namespace-wide scope" in result.stdout.decode()  # the file's scope, kept
    after = sealed_file(repo).read_text()
    changes = [d for d in difflib.ndiff(text.splitlines(), after.splitlines()) if d[:2] in ("- ", "+ ")]
    assert len(changes) == 1 and changes[0].startswith("+         user: ")
    assert unsealed(key, sealed_file(repo)) == {"password": SECRET.encode(), "user": OTHER_SECRET.encode()}
    assert validate_object(yaml.safe_load(after), SEALED_SECRETS_CRDS) == []


# --- refusals: a message, no traceback, no value, nothing written ----------------------------------------


def expired_cert(key, tmp_path: Path) -> Path:
    path = tmp_path / "expired.pem"
    path.write_bytes(make_certificate(key, days=10, not_before_days=-30))
    return path


def garbage_cert(key, tmp_path: Path) -> Path:
    path = tmp_path / "garbage.pem"
    path.write_text("this is not a certificate\n")
    return path


def strict_file(repo: Path, cert: Path) -> None:
    assert seal(repo, "web", "db", "--cert", str(cert), stdin=b"a=1\n").returncode == 0
    commit_all(repo, "db sealed")


def not_a_sealed_secret(repo: Path, cert: Path) -> None:
    sealed_file(repo).write_text("apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n")
    commit_all(repo, "a Secret where the SealedSecret goes")


def other_namespace(repo: Path, cert: Path) -> None:
    strict_file(repo, cert)
    sealed_file(repo).write_text(sealed_file(repo).read_text().replace("web-prod", "staging"))
    commit_all(repo, "moved")


def answers_of_another_app(repo: Path, cert: Path) -> None:
    answers = repo / ".copier-answers.app-web.yml"
    answers.write_text(answers.read_text().replace("app_name: web\n", "app_name: api\n"))
    commit_all(repo, "web's answers name api")


LITERAL = ["--from-literal", f"password={SECRET}"]
REFUSALS = {
    # name: (arguments after `seal`, stdin, prepare, exit code, message); "{cert}" is --cert's file.
    "unknown app": (["nope", "db", "--cert", "{cert}", *LITERAL], None, None, 1, "has no app 'nope'; its apps: api, web."),
    "bad name": (["web", "DB", "--cert", "{cert}", *LITERAL], None, None, 1, "'DB' is not a valid DNS-1123 subdomain"),
    "bad key in a literal": (["web", "db", "--cert", "{cert}", "--from-literal", f"pass word={SECRET}"], None, None, 1, "secret key (not shown: it may be a secret) may only contain"),
    # A base64 token ends in '=': given without KEY=, the secret is the "key".
    "token as a literal, its padding for the '='": (["web", "db", "--cert", "{cert}", "--from-literal", f"{SECRET}+/x="], None, None, 1,
                                                     "secret key (not shown: it may be a secret) may only contain"),
    "token piped without its key": (["web", "db", "--cert", "{cert}"], f"{SECRET}=\n", None, 1, "nothing after the '='"),
    "literal with an empty value": (["web", "db", "--cert", "{cert}", "--from-literal", f"{SECRET}="], None, None, 1,
                                    "To seal an empty value, give --from-file KEY=<an empty file>"),
    "literal without =": (["web", "db", "--cert", "{cert}", "--from-literal", SECRET], None, None, 2, "--from-literal #1 has no '='"),
    "key starting with ..": (["web", "db", "--cert", "{cert}", "--from-literal", f"..x={SECRET}"], None, None, 1, "must not be '.' or '..' nor start with '..'"),
    "stdin line without =": (["web", "db", "--cert", "{cert}"], f"ok=1\n{SECRET}\n", None, 1, "standard input, line 2 has no '='"),
    "bad key on stdin": (["web", "db", "--cert", "{cert}"], f"a/b={SECRET}\n", None, 1, "secret key (not shown: it may be a secret) may only contain"),
    "empty stdin": (["web", "db", "--cert", "{cert}"], "", None, 1, "standard input has no KEY=VALUE line"),
    "garbage certificate": (["web", "db", "--cert", "{garbage}", *LITERAL], None, None, 1, "garbage.pem is not a PEM certificate"),
    "expired certificate": (["web", "db", "--cert", "{expired}", *LITERAL], None, None, 1, "the certificate expired on"),
    "missing certificate": (["web", "db", "--cert", "nowhere.pem", *LITERAL], None, None, 1, "--cert nowhere.pem: no such file. Give the file the controller's public certificate is saved in "
                            "(kubeseal --fetch-cert --controller-name sealed-secrets-controller --controller-namespace "
                            "sealed-secrets > nowhere.pem saves it there)."),
    "no certificate at all": (["web", "db", *LITERAL], None, None, 1, "no certificate of the Sealed Secrets controller"),
    "scope change": (["web", "db", "--cert", "{cert}", "--scope", "cluster-wide", *LITERAL], None, strict_file, 1, "is sealed strict; its values are bound to that scope"),
    "type change": (["web", "db", "--cert", "{cert}", "--type", "kubernetes.io/tls", *LITERAL], None, strict_file, 1, "Kubernetes cannot change a Secret's type"),
    "not a SealedSecret": (["web", "db", "--cert", "{cert}", *LITERAL], None, not_a_sealed_secret, 1, "is not a SealedSecret (bitnami.com/v1alpha1)"),
    "other namespace": (["web", "db", "--cert", "{cert}", *LITERAL], None, other_namespace, 1, "is for namespace 'staging', not the app's namespace 'web-prod'"),
    "scope as annotation": (["web", "db", "--cert", "{cert}", "--annotation", "sealedsecrets.bitnami.com/cluster-wide=true", *LITERAL], None, None, 1, "give --scope instead"),
    "bad label": (["web", "db", "--cert", "{cert}", "--label", "a=b c", *LITERAL], None, None, 1, "label a: value 'b c' is not valid"),
    "misspelt option with a value": (["web", "db", "--cert", "{cert}", f"--fromliteral=password={SECRET}"], None, None, 2, "unrecognized arguments: --fromliteral=…"),
    "value as a stray argument": (["web", "db", "--cert", "{cert}", "--from-literal", "password", SECRET], None, None, 2, "unrecognized arguments: …"),
    "answers naming another app": (["web", "db", "--cert", "{cert}", *LITERAL], None, answers_of_another_app, 1,
                                   ".copier-answers.app-web.yml: app_name is 'api', but the file is named for app 'web'"),
    "ambiguous option with a value": (["web", "db", "--cert", "{cert}", f"--from=password={SECRET}"], None, None, 2, "ambiguous option: --from=… could match"),
}


@pytest.mark.parametrize("args, stdin, prepare, code, message", REFUSALS.values(), ids=REFUSALS.keys())
def test_refusals_name_the_problem_show_no_value_and_write_nothing(repo, cert, key, tmp_path, args, stdin, prepare, code, message):
    if prepare:
        prepare(repo, cert)
    files = {"cert": cert, "garbage": garbage_cert(key, tmp_path), "expired": expired_cert(key, tmp_path)}
    args = [a.format(**files) if a.startswith("{") else a for a in args]
    before = tree_state(repo)
    # PATH without kubeseal (and without anything else: the command needs nothing from it).
    result = seal(repo, *args, stdin=stdin.encode() if stdin is not None else None, path=str(tmp_path / "empty-bin"))
    assert result.returncode == code, result.stderr.decode()
    assert message in result.stderr.decode()
    assert SECRET not in (result.stdout + result.stderr).decode()
    assert tree_state(repo) == before
    assert not list(repo.rglob(".sealedsecret-*"))  # no temporary file left behind


# --- the certificate's other sources ----------------------------------------------------------------------


def test_certificate_at_the_default_place_of_answers_that_record_none(repo, cert, key):
    """Releases before 3.1.0 record no sealed_secrets_cert: the certificate at its default
    place, as the README says, is the one."""
    (repo / "sealed-secrets-cert.pem").write_bytes(cert.read_bytes())
    result = seal(repo, "web", "db", stdin=f"password={SECRET}\n".encode())
    assert result.returncode == 0, result.stderr.decode()
    assert unsealed(key, sealed_file(repo)) == {"password": SECRET.encode()}


def test_certificate_recorded_in_the_cluster_answers(repo, cert, key):
    (repo / "sealed-secrets.pem").write_bytes(cert.read_bytes())
    answers = repo / ".copier-answers.yml"
    answers.write_text(answers.read_text() + "sealed_secrets_cert: sealed-secrets.pem\n")
    result = seal(repo, "web", "db", stdin=f"password={SECRET}\n".encode())
    assert result.returncode == 0, result.stderr.decode()
    assert unsealed(key, sealed_file(repo)) == {"password": SECRET.encode()}
    (repo / "sealed-secrets.pem").unlink()
    result = seal(repo, "web", "db", stdin=f"password={SECRET}\n".encode())
    assert result.returncode == 1
    said = " ".join(result.stderr.decode().split())
    assert ("sealed_secrets_cert in .copier-answers.yml (sealed-secrets.pem): no such file, and kubeseal, which would "
            "fetch it from the cluster, is not installed.") in said


def fake_kubeseal(folder: Path, cert: Path, fail: bool = False) -> Path:
    """A `kubeseal` that records its arguments, then prints the certificate (or fails)."""
    folder.mkdir(exist_ok=True)
    script = folder / "kubeseal"
    body = "echo 'error: cannot fetch certificate: no cluster' >&2; exit 1" if fail else f"cat '{cert}'"
    script.write_text(f"#!/bin/sh\nprintf '%s\\n' \"$@\" > '{folder}/argv'\n{body}\n")
    script.chmod(0o755)
    return folder


def test_certificate_fetched_with_kubeseal(repo, cert, key, tmp_path):
    bin_dir = fake_kubeseal(tmp_path / "bin", cert)
    result = seal(repo, "web", "db", stdin=f"password={SECRET}\n".encode(), path=f"{bin_dir}:/usr/bin:/bin")
    assert result.returncode == 0, result.stderr.decode()
    assert (bin_dir / "argv").read_text().split("\n")[:-1] == [
        "--fetch-cert", "--controller-name", "sealed-secrets-controller", "--controller-namespace", "sealed-secrets",
    ]
    assert unsealed(key, sealed_file(repo)) == {"password": SECRET.encode()}


def test_a_failing_kubeseal_is_reported(repo, cert, tmp_path):
    bin_dir = fake_kubeseal(tmp_path / "bin", cert, fail=True)
    before = tree_state(repo)
    result = seal(repo, "web", "db", stdin=f"password={SECRET}\n".encode(), path=f"{bin_dir}:/usr/bin:/bin")
    assert result.returncode == 1
    assert "cannot fetch certificate: no cluster" in result.stderr.decode()
    assert "--cert FILE" in result.stderr.decode()
    assert tree_state(repo) == before


# --- the plaintext goes nowhere ------------------------------------------------------------------------------


def test_plaintext_reaches_no_file_and_no_git_object(repo, cert, key, tmp_path):
    value_file = tmp_path / "outside" / "token"
    value_file.parent.mkdir()
    value_file.write_text(OTHER_SECRET)
    assert seal(repo, "web", "db", "--cert", str(cert), stdin=f"password={SECRET}\n".encode()).returncode == 0
    assert seal(repo, "web", "db", "--cert", str(cert), "--from-file", f"token={value_file}").returncode == 0
    assert seal(repo, "api", "db", "--cert", str(cert), "--scope", "cluster-wide", *LITERAL).returncode == 0
    # Refusals after values were read.
    assert seal(repo, "web", "db", "--cert", str(cert), "--scope", "cluster-wide", *LITERAL).returncode == 1
    assert seal(repo, "web", "db", "--cert", str(garbage_cert(key, tmp_path)), *LITERAL).returncode == 1
    git(repo, "add", "-A")
    commit_all(repo, "sealed")

    probes = [p.encode() for p in NOT_SEEN] + [base64.b64encode(p.encode()) for p in NOT_SEEN]
    every_file = [p for p in repo.rglob("*") if p.is_file()]
    assert any(".git" in p.parts for p in every_file) and sealed_file(repo) in every_file
    for path in every_file:
        content = path.read_bytes()
        assert not any(probe in content for probe in probes), f"a value is in {path}"
    # git compresses its objects: read every one back as git does.
    objects = subprocess.run(
        ["git", "cat-file", "--batch-all-objects", "--batch"], cwd=repo, capture_output=True, check=True
    ).stdout
    assert b"sealedsecret-db.yaml" in objects and b"SealedSecret" in objects
    assert not any(probe in objects for probe in probes)
    # And the values are there, sealed.
    assert unsealed(key, sealed_file(repo)) == {"password": SECRET.encode(), "token": OTHER_SECRET.encode()}


def run_in_terminal(repo: Path, args: list[str], answers: list[tuple[bytes, bytes]]) -> tuple[int, bytes]:
    """Run the command with a terminal of its own; answer each prompt as it appears."""
    pid, terminal = pty.fork()
    if pid == 0:  # the child: the terminal is its controlling one, as getpass needs
        os.chdir(repo)
        os.environ["PYTHONPATH"] = str(ROOT)
        os.execv(sys.executable, [sys.executable, "-m", "flux_cookbook", "seal", *args])
    screen = b""
    pending = list(answers)
    while True:  # each read waits for the child's next output, or the end of it
        try:
            chunk = os.read(terminal, 4096)
        except OSError:  # the child closed its terminal
            break
        if not chunk:
            break
        screen += chunk
        if pending and pending[0][0] in screen.split(b"\n")[-1]:
            os.write(terminal, pending.pop(0)[1] + b"\n")
    _, status = os.waitpid(pid, 0)
    os.close(terminal)
    return os.waitstatus_to_exitcode(status), screen


def test_prompt_asks_without_echo(repo, cert, key):
    code, screen = run_in_terminal(
        repo, ["web", "db", "--cert", str(cert)],
        [
            (b"Secret key: ", b"password"),
            (b"Value of password (not shown): ", SECRET.encode()),
            (b"Value of password again: ", SECRET.encode()),
            (b"Secret key (empty to finish): ", b""),
        ],
    )
    assert code == 0, screen.decode()
    assert b"sealed password: written to web/sealedsecret-db.yaml" in screen
    assert SECRET.encode() not in screen  # typed, never echoed
    assert unsealed(key, sealed_file(repo)) == {"password": SECRET.encode()}


def test_an_app_holding_a_sealed_secret_depends_on_the_controller(template, tmp_path, cert, key):
    """A generated cluster has the controller app: sealing for podinfo adds the dependency in both places."""
    from flux_cookbook.extensions import layout
    from tests.support.flux_schema import kustomize_build, validate_repo
    from tests.support.project import CRDS, answers, copy, load

    repo = init_repo(copy(template.path, tmp_path / "cluster"))
    assert {"podinfo", "sealed-secrets"} <= layout.apps(repo)
    kustomization = repo / "bootstrap/kustomizations/kustomization-podinfo.yaml"
    before = kustomization.read_text()
    result = seal(repo, "podinfo", "auth", "--from-literal", "user=admin", "--cert", str(cert))
    assert result.returncode == 0, result.stderr
    assert b"installs no Sealed Secrets controller" not in result.stderr
    assert answers(repo, "podinfo")["depends_on"] == ["sealed-secrets"]
    after = kustomization.read_text()
    assert load(kustomization)["spec"]["dependsOn"] == [{"name": "sealed-secrets"}]
    assert after.startswith(before) and after[len(before):] == "  dependsOn:\n    - name: sealed-secrets\n"
    assert unsealed(key, sealed_file(repo, "podinfo", "auth")) == {"user": b"admin"}
    assert validate_repo(repo, [CRDS / "current", CRDS / "sealed-secrets"]) == []
    kustomize_build(repo / "podinfo")
    kustomize_build(repo / "bootstrap")
    # Not into the controller's own app: its Kustomization would apply the SealedSecret
    # before the CRD its HelmRelease installs, and on a new cluster apply nothing at all.
    state = tree_state(repo)
    again = seal(repo, "sealed-secrets", "x", "--from-literal", "k=v", "--cert", str(cert))
    assert again.returncode == 1 and "installs the Sealed Secrets controller" in again.stderr.decode()
    assert tree_state(repo) == state


def test_the_controller_app_under_another_name_is_waited_for_and_an_entry_there_is_not_doubled(template, tmp_path, cert):
    """The controller installed by an app of another name (chart sealed-secrets) is the one
    podinfo waits for; a dependsOn the Kustomization has already, written by hand, is not
    added twice (only the answers gain it)."""
    from tests.support.project import answers, copy, load

    repo = copy(template.path, tmp_path / "cluster", sealed_secrets=False)
    copy(template.path, repo, kind="app", app_name="ssc", chart="sealed-secrets", namespace="kube-system",
         helm_repo_url="https://bitnami-labs.github.io/sealed-secrets", chart_version="2.x", fetch_values=False)
    init_repo(repo)
    kustomization = repo / "bootstrap/kustomizations/kustomization-podinfo.yaml"
    kustomization.write_text(kustomization.read_text() + "  dependsOn:\n    - name: ssc\n")
    commit_all(repo, "podinfo waits for the controller, written by hand")
    result = seal(repo, "podinfo", "auth", "--from-literal", "user=admin", "--cert", str(cert))
    assert result.returncode == 0, result.stderr.decode()
    assert answers(repo, "podinfo")["depends_on"] == ["ssc"]
    assert load(kustomization)["spec"]["dependsOn"] == [{"name": "ssc"}]
    assert "kustomization-podinfo.yaml" not in result.stdout.decode()


def test_the_controller_added_after_sealing_is_waited_for_by_the_apps_holding_sealed_secrets(template, tmp_path, cert):
    """seal warns that the repository has no controller and says to add it, "apps that hold
    SealedSecrets then wait for it": `add sealed-secrets` makes them wait (dependsOn), and
    an app holding none does not."""
    from tests.support.project import answers, copy, load

    repo = copy(template.path, tmp_path / "cluster", sealed_secrets=False)
    copy(template.path, repo, kind="app", app_name="web", chart="podinfo", helm_repo_url="https://example.invalid/charts",
         fetch_values=False)
    init_repo(repo)
    assert seal(repo, "podinfo", "auth", "--from-literal", "user=admin", "--cert", str(cert)).returncode == 0
    commit_all(repo, "A sealed secret, no controller yet")
    added = cookbook_cli("add", "sealed-secrets", "--defaults", "--template", str(template.path), cwd=repo)
    assert added.returncode == 0, added.stderr
    assert "bootstrap/kustomizations/kustomization-podinfo.yaml: now depends on sealed-secrets" in added.stdout
    assert answers(repo, "podinfo")["depends_on"] == ["sealed-secrets"]
    assert load(repo / "bootstrap/kustomizations/kustomization-podinfo.yaml")["spec"]["dependsOn"] == [{"name": "sealed-secrets"}]
    assert answers(repo, "web")["depends_on"] == [] and "web" not in added.stdout
    kustomize_build(repo / "bootstrap")


def test_a_seal_stopped_after_the_file_is_written_leaves_nothing(template, tmp_path, cert):
    """Stopped between the SealedSecret and the dependsOn it needs (a CI job's timeout):
    the file is taken back, so a second run starts again from the start."""
    from tests.support.project import copy

    repo = init_repo(copy(template.path, tmp_path / "cluster"))
    state = tree_state(repo)
    result = cookbook_cli("seal", "podinfo", "auth", "--from-literal", "user=admin", "--cert", str(cert), cwd=repo,
                          env={stops.HOOK: "sealed-secret-written:SIGTERM"})
    assert result.returncode == 128 + signal.SIGTERM, result.stderr
    assert tree_state(repo) == state


def test_a_write_the_machine_refuses_is_one_line_and_writes_nothing(repo, cert):
    """A file size limit (as a full disk or a quota): no traceback, no file."""
    state = tree_state(repo)
    value = repo.parent / "value.bin"
    value.write_bytes(b"x" * 64 * 1024)
    limited = subprocess.run(
        ["bash", "-c", f"ulimit -f 8; exec {sys.executable} -m flux_cookbook seal web db --from-file k={value} "
                       f"--cert {cert}"], cwd=repo, capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)})
    assert limited.returncode == 1 and "Traceback" not in limited.stderr, limited.stderr
    assert "File too large" in limited.stderr
    assert tree_state(repo) == state


def test_an_app_of_a_cluster_without_the_controller_gets_no_dependency_on_another_clusters(template, tmp_path, cert):
    """Two clusters in one repository: the controller app is bootstrap/'s, podinfo is
    clusters/staging/'s. A dependsOn on sealed-secrets there names a Kustomization that
    cluster never applies, and podinfo would wait forever: none is added, and seal says why."""
    from flux_cookbook.extensions import layout
    from tests.support.project import answers, copy, edit

    repo = init_repo(copy(template.path, tmp_path / "cluster"))
    (repo / "clusters/staging/kustomizations").mkdir(parents=True)
    git(repo, "mv", "bootstrap/kustomizations/kustomization-podinfo.yaml", "clusters/staging/kustomizations/")
    edit(repo / layout.app_answers_file("podinfo"), "bootstrap_dir: bootstrap", "bootstrap_dir: clusters/staging")
    commit_all(repo, "podinfo is staging's")
    kustomization = repo / "clusters/staging/kustomizations/kustomization-podinfo.yaml"
    kept = kustomization.read_text()
    result = seal(repo, "podinfo", "auth", "--from-literal", "user=admin", "--cert", str(cert))
    assert result.returncode == 0, result.stderr.decode()
    assert kustomization.read_text() == kept and answers(repo, "podinfo")["depends_on"] == []
    assert "controller this repository installs is another cluster's (sealed-secrets), not the one of app podinfo" in \
        " ".join(result.stderr.decode().split())
    assert sealed_file(repo, "podinfo", "auth").is_file()


def test_a_folder_listing_its_files_by_hand_gets_the_new_file_listed(template, tmp_path, cert, key):
    """An app folder with its own kustomization.yaml builds only what it lists: a new
    SealedSecret file is listed there, as `add` lists an app's files, or Flux would never
    apply it. A second key into the same file lists nothing again."""
    from tests.support.flux_schema import kustomize_build
    from tests.support.project import copy

    repo = init_repo(copy(template.path, tmp_path / "cluster"))
    listing = repo / "podinfo" / "kustomization.yaml"
    listing.write_text("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n"
                       + "".join(f"  - {path.name}\n" for path in sorted((repo / "podinfo").glob("*.yaml"))))
    commit_all(repo, "The app's folder lists its files")
    result = seal(repo, "podinfo", "auth", "--from-literal", "user=admin", "--cert", str(cert))
    assert result.returncode == 0, result.stderr.decode()
    assert "podinfo/kustomization.yaml: lists sealedsecret-auth.yaml now" in result.stdout.decode()
    assert listing.read_text().endswith("  - helmrelease-podinfo.yaml\n  - sealedsecret-auth.yaml\n")
    built = list(yaml.safe_load_all(kustomize_build(repo / "podinfo")))
    assert [d["metadata"]["name"] for d in built if d["kind"] == "SealedSecret"] == ["auth"]
    listed = listing.read_text()
    again = seal(repo, "podinfo", "auth", "--from-literal", "password=x", "--cert", str(cert))
    assert again.returncode == 0 and "lists" not in again.stdout.decode() and listing.read_text() == listed


def test_a_hand_written_key_yaml_1_1_reads_as_a_boolean_is_named_not_a_traceback(repo, cert):
    """kubeseal's own output, edited by hand: `on:` unquoted is `true` to the controller."""
    assert seal(repo, "web", "db", "--cert", str(cert), "--from-literal", "a=1").returncode == 0
    path = sealed_file(repo)
    path.write_text(path.read_text().replace("    a: ", "    on: "))
    commit_all(repo, "A key written by hand")
    state = tree_state(repo)
    result = seal(repo, "web", "db", "--cert", str(cert), "--from-literal", "b=2")
    said = result.stderr.decode()
    assert result.returncode == 1 and "Traceback" not in said, said
    assert "its key(s) on are unquoted" in said and tree_state(repo) == state


@pytest.mark.parametrize("secret_key", ["yes", "no", "on", "off", "y", "n", "true"])
def test_a_key_go_would_read_as_a_boolean_is_written_quoted(repo, cert, key, secret_key):
    result = seal(repo, "web", "db", "--cert", str(cert), "--from-literal", f"{secret_key}=1")
    assert result.returncode == 0, result.stderr.decode()
    assert f'    "{secret_key}": ' in sealed_file(repo).read_text()
    assert unsealed(key, sealed_file(repo)) == {secret_key: b"1"}


def test_the_controller_dependency_is_refused_outside_and_left_to_the_user_where_it_cannot_be_edited(template, tmp_path, cert):
    """Answers that put the app's Kustomization outside the repository: refused before
    anything is written. A Kustomization file of two documents: the SealedSecret and the
    answers are written, the Kustomization is left as it is and the user told what to add."""
    from flux_cookbook.extensions import layout
    from tests.support.project import answers, copy, edit

    repo = init_repo(copy(template.path, tmp_path / "cluster"))
    outside = tmp_path / "outside" / "kustomizations" / "kustomization-podinfo.yaml"
    outside.parent.mkdir(parents=True)
    outside.write_text((repo / "bootstrap/kustomizations/kustomization-podinfo.yaml").read_text())
    edit(repo / layout.app_answers_file("podinfo"), "bootstrap_dir: bootstrap", "bootstrap_dir: ../outside")
    commit_all(repo, "Answers that lead outside")
    before, outside_before = tree_state(repo), outside.read_text()
    refused = seal(repo, "podinfo", "auth", "--from-literal", "user=admin", "--cert", str(cert))
    assert refused.returncode == 1
    assert "outside the repository" in refused.stderr.decode()
    assert tree_state(repo) == before and outside.read_text() == outside_before

    git(repo, "checkout", "-q", "HEAD~1", "--", layout.app_answers_file("podinfo"))
    kustomization = repo / "bootstrap/kustomizations/kustomization-podinfo.yaml"
    kustomization.write_text(kustomization.read_text() + "---\n# a second document\n")
    commit_all(repo, "Back inside, a Kustomization of two documents")
    kept = kustomization.read_text()
    result = seal(repo, "podinfo", "auth", "--from-literal", "user=admin", "--cert", str(cert))
    assert result.returncode == 0, result.stderr.decode()
    assert "kustomization-podinfo.yaml: add sealed-secrets to its dependsOn/depends_on yourself" in result.stdout.decode()
    assert kustomization.read_text() == kept
    assert answers(repo, "podinfo")["depends_on"] == ["sealed-secrets"]
    assert sealed_file(repo, "podinfo", "auth").is_file()


def test_the_controller_dependency_keeps_crlf_line_ends_and_leaves_a_file_not_utf8_alone(template, tmp_path, cert):
    """A Kustomization with CRLF line ends gets the entry in CRLF, every other byte kept; one
    that is no UTF-8 text is left as it is and the user told what to add (no traceback)."""
    from tests.support.project import answers, copy

    repo = init_repo(copy(template.path, tmp_path / "cluster"))
    kustomization = repo / "bootstrap/kustomizations/kustomization-podinfo.yaml"
    before = kustomization.read_bytes().replace(b"\n", b"\r\n")
    kustomization.write_bytes(before)
    commit_all(repo, "CRLF line ends")
    result = seal(repo, "podinfo", "auth", "--from-literal", "user=admin", "--cert", str(cert))
    assert result.returncode == 0, result.stderr.decode()
    after = kustomization.read_bytes()
    assert after.startswith(before) and after[len(before):] == b"  dependsOn:\r\n    - name: sealed-secrets\r\n"

    repo2 = init_repo(copy(template.path, tmp_path / "cluster2"))
    kustomization = repo2 / "bootstrap/kustomizations/kustomization-podinfo.yaml"
    kustomization.write_bytes(kustomization.read_bytes() + b"# caf\xe9\n")
    commit_all(repo2, "A Latin-1 comment")
    kept = kustomization.read_bytes()
    result = seal(repo2, "podinfo", "auth", "--from-literal", "user=admin", "--cert", str(cert))
    assert result.returncode == 0 and b"Traceback" not in result.stderr, result.stderr.decode()
    assert "kustomization-podinfo.yaml: add sealed-secrets to its dependsOn/depends_on yourself" in result.stdout.decode()
    assert kustomization.read_bytes() == kept
    assert answers(repo2, "podinfo")["depends_on"] == ["sealed-secrets"]


def test_a_value_file_git_would_commit_is_warned_about(repo, cert, key, tmp_path):
    """A --from-file inside the repository that git does not ignore: `git add -A` would
    commit the plain text. Ignored, or outside: no warning."""
    (repo / "pw.txt").write_text("s3cret\n")
    (repo / "local.secret.yaml").write_text("s3cret\n")
    with (repo / ".git/info/exclude").open("a") as exclude:
        exclude.write("*.secret.yaml\n")  # as the template's .gitignore has it
    (tmp_path / "outside.txt").write_text("s3cret\n")
    result = seal(repo, "web", "db", "--cert", str(cert), "--from-file", f"password={repo / 'pw.txt'}",
                  "--from-file", f"b={repo / 'local.secret.yaml'}", "--from-file", f"c={tmp_path / 'outside.txt'}")
    stderr = result.stderr.decode()
    assert result.returncode == 0, stderr
    assert "warning: pw.txt holds a secret in plain text inside the repository, and git does not ignore it" in stderr
    assert "local.secret.yaml" not in stderr and "outside.txt" not in stderr
    assert b"s3cret" not in result.stdout + result.stderr


def test_a_second_sealed_secret_of_one_namespace_in_another_app_is_refused(repo, cert, key):
    """Apps may share a namespace: db sealed into web, then into web-2 of the same
    namespace, would be one Secret applied by two Kustomizations. Refused, naming the
    holder; a name of its own, or the holder itself, goes on."""
    (repo / ".copier-answers.app-web-2.yml").write_text("_src_path: gh:example/template\napp_name: web-2\nnamespace: web-prod\n")
    (repo / "web-2").mkdir()
    (repo / "web-2/configmap-web-2.yaml").write_text((repo / "web/configmap-web.yaml").read_text())
    assert seal(repo, "web", "db", "--cert", str(cert), "--from-literal", "password=a").returncode == 0
    result = seal(repo, "web-2", "db", "--cert", str(cert), "--from-literal", "password=b")
    assert result.returncode == 1
    assert "app 'web' holds SealedSecret web-prod/db already (web/sealedsecret-db.yaml)" in result.stderr.decode()
    assert not (repo / "web-2/sealedsecret-db.yaml").exists()
    assert seal(repo, "web-2", "db-2", "--cert", str(cert), "--from-literal", "password=b").returncode == 0
    assert seal(repo, "web", "db", "--cert", str(cert), "--from-literal", "user=c").returncode == 0
    assert seal(repo, "api", "db", "--cert", str(cert), "--from-literal", "password=d").returncode == 0  # its own namespace



@pytest.mark.parametrize("held", [
    "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: db\n  namespace: web-prod\nspec:\n  encryptedData:\n    a: AgB=\n",
    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: web-prod\nstringData:\n  a: b\n",
], ids=["sealed-secret", "secret"])
def test_a_secret_of_that_name_in_any_file_flux_applies_is_refused(repo, cert, held):
    """A file of the user's own naming, in a folder Flux applies (not an app's), holding
    the Secret's namespace and name already: sealing db into web would make a second source
    of one Secret. Refused, naming the file; another name goes on."""
    (repo / "clusters/main/kustomizations").mkdir(parents=True)
    (repo / "clusters/main/kustomizations/kustomization-shared.yaml").write_text(flux_ks("shared", "./shared"))
    (repo / "shared").mkdir()
    (repo / "shared/secrets.yaml").write_text("---\n" + held)
    commit_all(repo, "Shared secrets")
    before = tree_state(repo)
    result = seal(repo, "web", "db", "--cert", str(cert), "--from-literal", "password=a")
    assert result.returncode == 1
    kind = "SealedSecret" if "SealedSecret" in held else "Secret"
    assert f"shared/secrets.yaml:2 holds {kind} web-prod/db already, and Flux applies it" in result.stderr.decode()
    assert tree_state(repo) == before
    assert seal(repo, "web", "db-2", "--cert", str(cert), "--from-literal", "password=a").returncode == 0
    assert seal(repo, "api", "db", "--cert", str(cert), "--from-literal", "password=a").returncode == 0  # another namespace


def test_a_secret_of_that_name_another_cluster_applies_is_no_second_source(repo, cert):
    """Another cluster of the repository applies its own SealedSecret web-prod/db (its own
    controller, its own Secret): sealing db into web, which the main cluster applies, goes on."""
    from tests.support.flux_objects import gotk_sync

    held = "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: db\n  namespace: web-prod\n" \
           "spec:\n  encryptedData:\n    a: AgB=\n"
    for path, text in {"clusters/main/flux-system/gotk-sync.yaml": gotk_sync("./clusters/main"),
                       "clusters/main/kustomizations/kustomization-web.yaml": flux_ks("web", "./web"),
                       "clusters/staging/flux-system/gotk-sync.yaml": gotk_sync("./clusters/staging"),
                       "clusters/staging/web.yaml": flux_ks("web", "./staging/web"),
                       "staging/web/sealedsecret-db.yaml": held}.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(text)
    commit_all(repo, "A second cluster")
    result = seal(repo, "web", "db", "--cert", str(cert), "--from-literal", "password=a")
    assert result.returncode == 0, result.stderr.decode()
    # In the main cluster's own folders, the same name is refused still.
    (repo / "clusters/main/kustomizations/kustomization-shared.yaml").write_text(flux_ks("shared", "./shared"))
    (repo / "shared").mkdir()
    (repo / "shared/sealedsecret-db.yaml").write_text(held)
    commit_all(repo, "A shared folder")
    result = seal(repo, "web", "db-2", "--cert", str(cert), "--from-literal", "password=a")
    assert result.returncode == 0, result.stderr.decode()
    (repo / "shared/sealedsecret-db.yaml").write_text(held.replace("name: db", "name: db-3"))
    commit_all(repo, "db-3")
    result = seal(repo, "web", "db-3", "--cert", str(cert), "--from-literal", "password=a")
    assert result.returncode == 1 and "shared/sealedsecret-db.yaml:1 holds SealedSecret web-prod/db-3" in result.stderr.decode()
