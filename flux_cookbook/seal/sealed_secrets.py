"""An app's SealedSecret file, `<app folder>/sealedsecret-<NAME>.yaml`, written as kubeseal would.

One SealedSecret (bitnami.com/v1alpha1) named NAME in the app's namespace. Its
`spec.template` says what Secret the controller makes (metadata, type); its
`spec.encryptedData` holds each value sealed on its own (see sealing.py), so a key can be
added or changed later without touching the others. That is why an existing file is
edited with ruamel.yaml's round trip, not rewritten: every other key's ciphertext, the
comments and the key order stay byte for byte, and `git diff` shows only what changed.

Like kubeseal, the scope is written as annotations both on the SealedSecret (which the
controller reads to pick the decryption label) and in the template (so the Secret shows
it). A file's scope cannot change: every value in it is bound to the old label.

Where things are: the app's answers file `.copier-answers.app-<APP>.yml` in the
repository root names the app (`app_name`), its namespace (`namespace`) and, when apps
live in a sub-folder, `apps_dir`. The controller's certificate is public and comes from
`--cert`, the repository's `.copier-answers.yml` (`sealed_secrets_cert`, a path in the
repository) or `kubeseal --fetch-cert`.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from flux_cookbook.errors import UsageError, UserError
from flux_cookbook.extensions import bounded_yaml, known_apps, layout, line_ends, repo_files
from flux_cookbook.extensions.input_checks import dns1123_label_error
from flux_cookbook.extensions.kube_names import dns1123_subdomain_error, metadata_entry_error
from flux_cookbook.extensions.yaml_quoting import retyped_when_plain
from flux_cookbook.repository import apps, model
from flux_cookbook.repository.root import run_from_root
from flux_cookbook.seal import sealing

API_VERSION = "bitnami.com/v1alpha1"
KIND = "SealedSecret"
DEFAULT_SECRET_TYPE = "Opaque"

CLUSTER_ANSWERS = layout.CLUSTER_ANSWERS
CERT_ANSWER = "sealed_secrets_cert"
CERTIFICATE_BYTES = 1024 * 1024  # a PEM certificate is a few kilobytes; more is not one

# Where the cookbook's controller app runs (known_apps.py: its Service has kubeseal's
# default name, its namespace is not kubeseal's default).
CONTROLLER_NAME = known_apps.SEALED_SECRETS_CONTROLLER
CONTROLLER_NAMESPACE = known_apps.SEALED_SECRETS
FETCH_CERT = ["--fetch-cert", "--controller-name", CONTROLLER_NAME, "--controller-namespace", CONTROLLER_NAMESPACE]
FETCH_TIMEOUT_SECONDS = 60

# Keys the API server requires for the well-known Secret types (all of them, or, for
# basic-auth, one of them): without them the controller cannot create the Secret.
_REQUIRED_KEYS = {
    "kubernetes.io/tls": ("all", ("tls.crt", "tls.key")),
    "kubernetes.io/dockerconfigjson": ("all", (".dockerconfigjson",)),
    "kubernetes.io/dockercfg": ("all", (".dockercfg",)),
    "kubernetes.io/ssh-auth": ("all", ("ssh-privatekey",)),
    "kubernetes.io/basic-auth": ("any", ("username", "password")),
}

def missing_keys(secret_type: str, have: set[str]) -> str:
    """What a Secret of `secret_type` with the keys `have` still needs (the API server refuses
    it without them, so the controller can never make it), or ""."""
    rule = _REQUIRED_KEYS.get(secret_type)
    if not rule:
        return ""
    how, keys = rule
    if how == "all" and not have.issuperset(keys):
        return f"type {secret_type} needs the keys {', '.join(k for k in keys if k not in have)}."
    if how == "any" and not have.intersection(keys):
        return f"type {secret_type} needs one of the keys {', '.join(keys)}."
    return ""


_HEADER = (
    "Sealed with `flux-cookbook seal`: only the Sealed Secrets controller in the cluster can read\n"
    "these values. Add or change a key with `flux-cookbook seal {app} {name} --from-file KEY=PATH`."
)
# Wide enough that ruamel never folds a long line.
# Never folded: a value's sealed text (base64, unbroken) is written on its key's line
# whatever its length (a fold leaves `key: ` with a trailing space, which yamllint flags).
_LINE_WIDTH = 1 << 30
# A file name the file system takes (255 bytes) with what repo_files.replace_whole adds to
# it for its temporary file: `.<name>.<8 random characters>.tmp`.
MAX_FILE_NAME_BYTES = 255 - len("..") - 8 - len(".tmp")


# --- the app --------------------------------------------------------------------------


@dataclass(frozen=True)
class App:
    name: str
    namespace: str
    folder: Path
    root: Path | None = None  # the repository's root, which messages name files from


def find_app(repo: Path, app: str) -> App:
    """The app `app` of `repo`: its folder and namespace, from its answers file."""
    found = apps.find(repo, app)
    if found is None:
        names = apps.app_names(repo)
        known = f"its apps: {', '.join(names)}" if names else f"it has none (no {layout.APP_ANSWERS_GLOB})"
        raise UserError(f"{repo} has no app '{app}'; {known}{run_from_root(repo) or '.'}")
    answers_file = repo / found.answers_file
    answers = _read_answers(answers_file)
    if error := apps.answers_name_error(dataclasses.replace(found, answers=answers)):
        raise UserError(error)
    name = str(answers.get("app_name") or app)
    namespace = str(answers.get("namespace") or name)  # copier's default for the question
    if error := dns1123_label_error(namespace, f"{answers_file.name}: namespace"):
        raise UserError(error)
    # The folder its Kustomization applies: two apps' folders may share a name (redis/, mastodon/redis/).
    folder = repo / apps.App(repo, app, answers).folder
    # The answers decide a path: it must stay inside the repository.
    if not folder.resolve().is_relative_to(repo.resolve()) or ".." in Path(name).parts:
        raise UserError(f"{answers_file.name}: the app's folder {folder} is outside the repository.")
    if not folder.is_dir():
        raise UserError(f"app '{app}' has no folder {folder.relative_to(repo)}; was it removed?")
    return App(name=name, namespace=namespace, folder=folder, root=repo)


def _read_answers(path: Path) -> dict:
    try:
        answers = bounded_yaml.load(path.read_text(encoding="utf-8"), path.name)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise UserError(f"cannot read {path.name}: {error}") from None
    if answers is None:
        return {}
    if not isinstance(answers, dict):
        raise UserError(f"{path.name} is not a mapping of answers.")
    return answers


# --- the certificate ------------------------------------------------------------------


def certificate(repo: Path, cert: Path | None) -> tuple[bytes, str]:
    """The controller's certificate (PEM) and where it came from, for messages."""
    if cert is not None:
        if not os.path.lexists(cert):
            raise UserError(f"--cert {cert}: no such file. Give the file the controller's public certificate is saved "
                            f"in (kubeseal {' '.join(FETCH_CERT)} > {cert} saves it there).")
        return _read_certificate(cert.absolute().parent, cert.name, f"--cert {cert}")
    answers_file = repo / CLUSTER_ANSWERS
    recorded = _read_answers(answers_file).get(CERT_ANSWER) if answers_file.is_file() else None
    kubeseal = shutil.which("kubeseal")
    # The recorded path (a repository from before the answer: the default one) is where the
    # certificate goes once fetched; until then, kubeseal.
    if recorded and ((repo / str(recorded)).exists() or not kubeseal):
        if not (repo / str(recorded)).exists():
            raise UserError(
                f"{CERT_ANSWER} in {CLUSTER_ANSWERS} ({recorded}): no such file, and kubeseal, which would fetch it "
                f"from the cluster, is not installed. Fetch it once where kubeseal is (kubeseal {' '.join(FETCH_CERT)} "
                f"> {recorded}) and commit it (it is public), or pass --cert FILE.")
        # A path the repository records: read inside the repository only.
        return _read_certificate(repo, str(recorded), f"{CERT_ANSWER} in {CLUSTER_ANSWERS} ({recorded})")
    if not recorded and (repo / layout.SEALED_SECRETS_CERT).exists():
        return _read_certificate(repo, layout.SEALED_SECRETS_CERT, layout.SEALED_SECRETS_CERT)
    if kubeseal:
        return _fetch_certificate(kubeseal)
    raise UserError(
        "no certificate of the Sealed Secrets controller to seal with. Fetch it once from the cluster "
        f"(kubeseal {' '.join(FETCH_CERT)} > {layout.SEALED_SECRETS_CERT}) and commit it (it is public), or pass "
        f"--cert FILE, or record its path in the repository as {CERT_ANSWER} in {CLUSTER_ANSWERS}. With kubeseal "
        "installed and the cluster reachable, it is fetched for you."
    )


def _read_certificate(folder: Path, name: str, source: str) -> tuple[bytes, str]:
    path = folder / name
    try:
        return repo_files.read_bytes(folder, name, CERTIFICATE_BYTES), source
    except (repo_files.OutsideRepository, repo_files.NotReadable) as error:
        raise UserError(f"{source}: {error}") from None
    except FileNotFoundError:
        raise UserError(
            f"{source}: no such file. Fetch the controller's public certificate once from the cluster "
            f"(kubeseal {' '.join(FETCH_CERT)} > {path.name}) and commit it, or pass --cert FILE."
        ) from None
    except OSError as error:
        raise UserError(f"{source}: cannot read it: {error.strerror}.") from None


def _fetch_certificate(kubeseal: str) -> tuple[bytes, str]:
    source = f"kubeseal {' '.join(FETCH_CERT)}"
    try:
        # No secret value is ever among a child process's arguments.
        result = subprocess.run([kubeseal, *FETCH_CERT], capture_output=True, timeout=FETCH_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        raise UserError(f"{source} did not answer in {FETCH_TIMEOUT_SECONDS} s; pass --cert FILE instead.") from None
    if result.returncode != 0:
        reason = result.stderr.decode("utf-8", "replace").strip() or f"exit code {result.returncode}"
        raise UserError(f"{source} failed: {reason}\nPass --cert FILE to seal without the cluster.")
    return result.stdout, source


# --- labels and annotations ------------------------------------------------------------


def metadata_pairs(items: Iterable[str], what: str) -> dict[str, str]:
    """`--label K=V` / `--annotation K=V` arguments (what: "label" or "annotation"), checked."""
    pairs: dict[str, str] = {}
    for item in items:
        key, equals, value = item.partition("=")
        if not equals:
            raise UsageError(f"--{what} {item}: write KEY=VALUE.")
        if error := metadata_entry_error(what, key, value):
            raise UserError(error)
        if what == "annotation" and key in sealing.SCOPE_ANNOTATIONS.values():
            raise UserError(f"annotation {key} is the scope: give --scope instead.")
        if key in pairs:
            raise UserError(f"{what} {key} is given twice.")
        pairs[key] = value
    return pairs


# --- the file -------------------------------------------------------------------------


def sealed_secret_path(app: App, name: str) -> Path:
    return app.folder / layout.sealed_secret_file_name(name)


@dataclass
class SealedSecretFile:
    """One SealedSecret file, read (or started) and checked; `seal` then `save` change it."""

    path: Path
    app: App
    name: str
    scope: str
    secret_type: str
    exists: bool
    document: CommentedMap
    loader: YAML
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    newline: str = "\n"  # the file's line ends, kept when it is written again
    json: bool = False  # the file is JSON (kubeseal's own output), and is written again as JSON

    @property
    def encrypted_data(self) -> CommentedMap:
        return self.document["spec"]["encryptedData"]

    def seal(self, public_key: RSAPublicKey, values: dict[str, bytes]) -> None:
        """Seal each value into `spec.encryptedData`; other keys stay as they are."""
        for key, value in values.items():
            sealed = sealing.seal_value(public_key, value, self.app.namespace, self.name, self.scope)
            (self.replaced if key in self.encrypted_data else self.added).append(key)
            # Quoted where Go's YAML 1.1 would read another type (`yes`, `y`, `on`); a key
            # already in the file keeps the form it has (a dict keeps its first key).
            self.encrypted_data[_scalar(key)] = sealed

    def missing_keys(self) -> str:
        """What the Secret's type still needs (the API server would refuse it), or ""."""
        return missing_keys(self.secret_type, set(self.encrypted_data))

    def text(self) -> str:
        if self.json:  # as kubeseal writes it: indented by two, a key a line
            return line_ends.converted(json.dumps(self.document, indent=2, ensure_ascii=False) + "\n", self.newline)
        stream = io.StringIO()
        self.loader.dump(self.document, stream)
        return stream.getvalue().replace("\n", self.newline)

    def save(self) -> None:
        """Write the file atomically: a reader sees the old file or the new one, never half."""
        text = self.text()
        self._check_written(text)
        repo_files.write_text(self.path.parent, self.path.name, text)

    def _check_written(self, text: str) -> None:
        # Read back as the cluster will (YAML 1.1): a quoting slip must not reach the file.
        back = bounded_yaml.load(text)
        meta = back.get("metadata") or {}
        expected = {str(k): str(v) for k, v in self.encrypted_data.items()}
        if (
            (back.get("apiVersion"), back.get("kind"), meta.get("name"), meta.get("namespace"))
            != (API_VERSION, KIND, self.name, self.app.namespace)
            or sealing.scope_from_annotations(meta.get("annotations")) != self.scope
            or back["spec"]["encryptedData"] != expected
        ):
            # A hand-written file can hold what YAML 1.1 reads otherwise (`on:` is true there).
            unread = sorted(set(expected) - {k for k in back["spec"]["encryptedData"] if isinstance(k, str)})
            raise UserError(
                f"{self.path} would not read back as written: "
                + (f"its key(s) {', '.join(unread)} are unquoted, and YAML 1.1 (the controller's, Flux's) reads them "
                   "as no text; quote them in the file" if unread else "edit it by hand") + ". Nothing was written.")


def refuse_a_second_of_one_namespace(repo: Path, app: App, name: str) -> None:
    """UserError when another app's folder holds the SealedSecret `name` of the same
    namespace already (apps may share one): two Kustomizations would apply one Secret,
    each taking it from the other (check's build.applied-twice)."""
    for other in apps.app_names(repo):
        if other == app.name:
            continue
        try:
            found = find_app(repo, other)
        except UserError:
            continue  # an app seal cannot read is no holder of anything here
        path = found.folder / layout.sealed_secret_file_name(name)
        if found.namespace == app.namespace and path.is_file():
            raise UserError(
                f"app '{other}' holds SealedSecret {app.namespace}/{name} already ({path.relative_to(repo)}): a "
                f"second one in app '{app.name}', of the same namespace, would be the same Secret applied twice. "
                f"Seal into app '{other}', or give this one another name."
            )
    # Any other file Flux applies, whatever its name: a SealedSecret or a Secret written by
    # hand (the controller refuses to overwrite a Secret no SealedSecret of its own made).
    # In a cluster that applies the app's folder: another cluster's is another controller's Secret.
    own = sealed_secret_path(app, name).relative_to(repo).as_posix()
    read = model.read_repository(repo)
    app_clusters = read.folder_clusters.get(app.folder.relative_to(repo).as_posix(), set())
    for held in read.manifests:
        if app_clusters and not app_clusters & read.clusters_of(held):
            continue
        if (held.path != own and held.name == name and held.namespace == app.namespace
                and (held.is_a(KIND, API_VERSION.partition("/")[0]) or held.is_a("Secret", ""))):
            raise UserError(
                f"{held.path}:{held.line} holds {held.kind} {app.namespace}/{name} already, and Flux applies it: "
                f"a SealedSecret of that name in app '{app.name}' would be a second source of the same Secret. "
                f"Give this one another name, or remove that one from {held.path} first."
            )


def open_sealed_secret(
    app: App,
    name: str,
    scope: str | None = None,
    secret_type: str | None = None,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
) -> SealedSecretFile:
    """The SealedSecret NAME of `app`: its file read and checked, or a new one.

    `scope` and `secret_type` None keep an existing file's (or take strict and Opaque for
    a new one); a different one is refused. Labels and annotations are merged into the
    template's metadata, as `kubeseal --merge-into` does.
    """
    if error := dns1123_subdomain_error(name, "the SealedSecret's name"):
        raise UserError(error)
    if len(layout.sealed_secret_file_name(name).encode()) > MAX_FILE_NAME_BYTES:
        raise UserError(f"the SealedSecret's name is {len(name)} characters long: its file "
                        f"{layout.sealed_secret_file_name('<name>')} would have a name longer than the file system takes; "
                        "give a shorter name")
    if scope is not None and scope not in sealing.SCOPES:
        raise UserError(f"scope '{scope}' is not one of {', '.join(sealing.SCOPES)}.")
    if secret_type is not None and not secret_type.strip():
        raise UserError("the Secret's type must not be empty.")
    path = sealed_secret_path(app, name)
    if path.exists():
        sealed = _read_existing(path, app, name, scope, secret_type)
    else:
        sealed = _start_new(path, app, name, scope or sealing.STRICT, secret_type or DEFAULT_SECRET_TYPE)
    template_meta = sealed.document["spec"]["template"]["metadata"]
    for where, pairs in (("labels", labels), ("annotations", annotations)):
        if pairs:
            target = template_meta.get(where)
            if not isinstance(target, dict):
                target = template_meta[where] = CommentedMap()
            for key, value in pairs.items():
                target[_scalar(key)] = _scalar(value)
    return sealed


def _start_new(path: Path, app: App, name: str, scope: str, secret_type: str) -> SealedSecretFile:
    scope_annotations = sealing.scope_annotations(scope)
    metadata = CommentedMap()
    if scope_annotations:
        metadata["annotations"] = _mapping(scope_annotations)
    metadata["name"] = _scalar(name)
    metadata["namespace"] = _scalar(app.namespace)
    template_meta = CommentedMap()
    if scope_annotations:
        template_meta["annotations"] = _mapping(scope_annotations)
    template_meta["name"] = _scalar(name)
    template_meta["namespace"] = _scalar(app.namespace)
    document = CommentedMap()
    document["apiVersion"] = API_VERSION
    document["kind"] = KIND
    document["metadata"] = metadata
    document["spec"] = CommentedMap(encryptedData=CommentedMap(), template=CommentedMap())
    document["spec"]["template"]["metadata"] = template_meta
    document["spec"]["template"]["type"] = _scalar(secret_type)
    document.yaml_set_start_comment(_HEADER.format(app=app.name, name=name))
    return SealedSecretFile(path, app, name, scope, secret_type, False, document, _loader(2))


def _read_existing(path: Path, app: App, name: str, scope: str | None, secret_type: str | None) -> SealedSecretFile:
    shown = path.relative_to(app.root) if app.root and path.is_relative_to(app.root) else path
    try:
        # A regular file within the caps (not a FIFO, not gigabytes, no alias bomb), read as
        # bytes: its CRLF line ends are seen, and kept. It must read as the cluster reads it
        # (libyaml refuses, as Go's YAML does, escapes of lone surrogates ruamel takes).
        text = repo_files.read_bytes(path.parent, path.name).decode("utf-8")
        bounded_yaml.load_all(text, str(shown))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise UserError(f"cannot read {shown}: {error}") from None
    loader = _loader(_mapping_indent(text), explicit_start=text.lstrip().startswith("---"))
    try:
        # Read in LF line ends (ruamel keeps a comment's CR, and writing CRLF would double it),
        # written back in the file's own (text()).
        document = loader.load(line_ends.converted(text, "\n"))
    except YAMLError as error:
        raise UserError(f"{shown} is not one valid YAML document: {error}") from None

    def refuse(problem: str) -> UserError:
        return UserError(f"{shown} {problem}; fix or remove the file, then seal again.")

    if not isinstance(document, CommentedMap) or (document.get("apiVersion"), document.get("kind")) != (API_VERSION, KIND):
        raise refuse(f"is not a SealedSecret ({API_VERSION})")
    metadata = document.get("metadata")
    if not isinstance(metadata, dict) or metadata.get("name") != name:
        raise refuse(f"does not hold the SealedSecret '{name}'")
    if metadata.get("namespace") != app.namespace:
        raise refuse(f"is for namespace '{metadata.get('namespace')}', not the app's namespace '{app.namespace}'")
    spec = document.get("spec")
    if not isinstance(spec, dict):
        raise refuse("has no spec")
    if spec.get("data") is not None:
        raise refuse("uses the old whole-Secret `spec.data`, which cannot take another key")
    if spec.get("encryptedData") is None:
        spec["encryptedData"] = CommentedMap()
    if not isinstance(spec["encryptedData"], dict):
        raise refuse("has a spec.encryptedData that is not a mapping")
    if odd := [key for key, value in spec["encryptedData"].items() if not isinstance(key, str) or not isinstance(value, str)]:
        raise refuse(f"has spec.encryptedData entries that are no key and sealed text ({', '.join(map(str, odd[:3]))})")
    current_scope = sealing.scope_from_annotations(metadata.get("annotations"))
    if scope is not None and scope != current_scope:
        raise UserError(
            f"{shown} is sealed {current_scope}; its values are bound to that scope, so it cannot become "
            f"{scope} by adding a key. Remove the file and seal every key again with --scope {scope}."
        )
    if not isinstance(spec.get("template"), dict):
        spec["template"] = CommentedMap()
    template = spec["template"]
    if not isinstance(template.get("metadata"), dict):
        template["metadata"] = CommentedMap()
    current_type = str(template.get("type") or DEFAULT_SECRET_TYPE)
    if secret_type is not None and secret_type != current_type:
        raise UserError(
            f"{shown} makes a Secret of type {current_type}; Kubernetes cannot change a Secret's type. "
            f"Remove the file and seal every key again with --type {secret_type}."
        )
    return SealedSecretFile(path, app, name, current_scope, current_type, True, document, loader,
                            newline=line_ends.of(text), json=text.lstrip().startswith("{"))


# --- YAML -----------------------------------------------------------------------------


class _NullWritingRepresenter(RoundTripRepresenter):
    """kubeseal writes `creationTimestamp: null`; ruamel would leave the value out. A class
    of its own: ruamel's add_representer changes the class it is called on, and on
    RoundTripRepresenter itself it would change every round-trip YAML in the process
    (values_overrides' among them)."""


_NullWritingRepresenter.add_representer(
    type(None), lambda representer, _: representer.represent_scalar("tag:yaml.org,2002:null", "null")
)


def _loader(mapping_indent: int, explicit_start: bool = False) -> YAML:
    loader = YAML()  # round trip: comments, key order and quoting stay as they are
    loader.Representer = _NullWritingRepresenter
    loader.preserve_quotes = True
    loader.width = _LINE_WIDTH
    # Lists as kubeseal (Go's YAML) writes them: dashes at their key's column.
    loader.indent(mapping=mapping_indent, sequence=2, offset=0)
    loader.explicit_start = explicit_start
    return loader


def _mapping_indent(text: str) -> int:
    """How far the file indents a nested mapping (its first indented key), 2 by default."""
    for line in text.splitlines():
        stripped = line.lstrip(" ")
        if stripped and stripped != line and not stripped.startswith(("#", "-")):
            return len(line) - len(stripped)
    return 2


def _scalar(text: str) -> Any:
    """`text` quoted when a YAML 1.1 or Go reader would take it, plain, for something else
    (`true`, `yes`, `1e3`): Kubernetes reads these files with Go's YAML 1.1."""
    return DoubleQuotedScalarString(text) if retyped_when_plain(text) else text


def _mapping(pairs: dict[str, str]) -> CommentedMap:
    return CommentedMap((_scalar(k), _scalar(v)) for k, v in pairs.items())
