"""An app's values and chart settings, where the template keeps them.

The answers file says what the app is (chart, repository, range, where its values live,
the overrides it was given); the values are the `values.yaml` key of its ConfigMap or the
`spec.values` of its HelmRelease, with the template's header comment naming the chart
version they came from. Files are edited as text (only the spans that change are
replaced), so every other line and comment in them stays as the user has it.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from flux_cookbook.errors import UserError
from flux_cookbook.extensions import bounded_yaml, layout, line_ends, repo_files
from flux_cookbook.extensions.chart_source import FetchedValues
from flux_cookbook.extensions.chart_values import PLACEHOLDER_MARKER, fetched_header
from flux_cookbook.extensions.conventions import is_oci
from flux_cookbook.extensions.yaml_quoting import yaml_embedded, yaml_literal, yaml_scalar
from flux_cookbook.repository import apps, oci_ref, yaml_lines
from flux_cookbook.values import value_sources

# The first line of values the template fetched: "# values.yaml of chart <url> <chart> <version> (chart_version: <range>)".
HEADER = re.compile(r"# values\.yaml of chart (?P<url>\S+) (?P<chart>\S+) (?P<version>\S+) \(chart_version: (?P<range>.*)\)\s*$")
VALUES_INDENT = 4  # the values' lines in the ConfigMap's block, and under spec.values
NEWEST = "*"  # the range Flux installs by where a HelmRelease names no version
NULL_TAG = "tag:yaml.org,2002:null"


@dataclass
class App:
    name: str
    answers_file: str
    answers: dict
    values_file: str  # the ConfigMap, or the HelmRelease when the values are inline
    inline: bool
    header: str  # the header comment line ("" if none)
    values_text: str  # the values without the header line
    values: dict = field(default_factory=dict)  # values_text read (within bounded_yaml's caps), {} if empty
    files: dict[str, str] = field(default_factory=dict)  # path -> text as read
    folder: str = ""  # the folder its Kustomization applies (repository.apps.App.folder)
    written_range: str = ""  # the range its HelmRelease or OCIRepository names ("" if none is read)
    pin: str = ""  # what its OCIRepository pins instead of a range ("digest sha256:…", "tag latest"), or ""
    defaulted: bool = False  # its HelmRelease names no version: written_range is Flux's default, NEWEST
    written_url: str = ""  # the url of its HelmRepository file ("" if none is read)
    sources: value_sources.Sources = field(default_factory=value_sources.Sources)  # where else its values come from

    def file(self, rendered: str) -> str:
        """The app file the template renders at `rendered` (extensions/layout.py), in the
        app's own folder."""
        return posixpath.join(self.folder, posixpath.basename(rendered)) if self.folder else rendered

    @property
    def chart(self) -> str:
        return str(self.answers.get("chart") or self.name)

    @property
    def repo_url(self) -> str:
        """Where Flux gets the chart: its HelmRepository's url as the file writes it (moved to
        a mirror by hand), else as the answers record it."""
        return self.written_url or str(self.answers.get("helm_repo_url") or "")

    @property
    def chart_version(self) -> str:
        """The range Flux installs the chart by: as the app's files write it (a range bumped
        by hand, or by Renovate, is the one Flux reads), else as the answers record it."""
        return self.written_range or self.answers_range

    @property
    def answers_range(self) -> str:
        return str(self.answers.get("chart_version") or "*")

    @property
    def range_to_record(self) -> str:
        """The range the app's files write, for refresh to record as the app's answer; ""
        where they write none. Not the "*" Flux reads where the HelmRelease names no
        version: that is Flux's default for a line the user removed, not a range anyone
        chose, and the answers keep the one the user did. copier renders the old and the
        new template from the same answers, so its update keeps the removal either way;
        refresh then writes the answers' range as values_chart_range (and in the values'
        header) too, equal to chart_version, so that the update renders the values at
        values_chart_version: the ones refresh wrote."""
        return "" if self.defaulted else self.written_range

    @property
    def overrides(self) -> dict:
        overrides = self.answers.get("values_overrides")
        return overrides if isinstance(overrides, dict) else {}

    @property
    def placeholder(self) -> bool:
        """The values are the template's placeholder (the chart's could not be fetched when
        the app was added), perhaps with keys set below it: no chart version's values."""
        return not self.header and self.values_text.startswith(PLACEHOLDER_MARKER)

    def recorded_version(self) -> str | None:
        """The chart version the values came from, as the answers or the header record it."""
        if recorded := str(self.answers.get("values_chart_version") or ""):
            return recorded
        match = HEADER.match(self.header)
        return match.group("version") if match and match.group("chart") == self.chart else None


def no_app(repo: Path, name: str) -> UserError:
    known = ", ".join(apps.app_names(repo)) or "none"
    return UserError(f"no app '{name}' in {repo} (no {layout.app_answers_file(name)}); its apps: {known}")


def read_app(repo: Path, name: str) -> App:
    """The app `name` of the repository at `repo`; UserError naming what is missing or broken.
    Its files are read in the folder its Kustomization applies, inside the repository only."""
    answers_file = layout.app_answers_file(name)
    model = apps.find(repo, name)
    if model is None:
        raise no_app(repo, name)
    app = App(name, answers_file, {}, "", False, "", "")
    app.files[answers_file] = read_file(repo, answers_file)
    app.answers = _load(app.files[answers_file], answers_file)
    if not isinstance(app.answers, dict):
        raise UserError(f"{answers_file} is not a mapping of answers")
    model = dataclasses.replace(model, answers=app.answers)
    if error := apps.answers_name_error(model):
        raise UserError(error)
    app.folder = model.folder
    app.written_range, app.pin, app.defaulted = _written_range(repo, app)
    app.written_url = _written_url(repo, model)
    configmap = app.file(layout.values_configmap_file(name))
    release = app.file(layout.helm_release_file(name))
    inline = not repo_files.inside(repo, configmap).is_file()
    app.sources = value_sources.read(repo, name, app.folder, _helm_release(repo, release), inline)
    if not inline:
        app.values_file, text = configmap, read_file(repo, configmap)
        document = _load(text, configmap)
        values = (document.get("data") or {}).get(app.sources.own_key) if isinstance(document, dict) else None
        if not isinstance(values, str):
            raise UserError(f"{configmap} has no data key {app.sources.own_key} holding the app's values")
    elif repo_files.inside(repo, release).is_file():
        app.values_file, app.inline, text = release, True, read_file(repo, release)
        values = _inline_values(text, release)
    else:
        raise UserError(f"app '{name}': neither {configmap} nor {release} exists")
    app.files[app.values_file] = text
    first, _, rest = values.partition("\n")
    app.header, app.values_text = (first, rest) if HEADER.match(first) else ("", values)
    try:
        # Within bounded_yaml's caps: everything after this (the merge, the comparisons)
        # walks these values with their aliases expanded.
        parsed = bounded_yaml.load(app.values_text, f"the values of app '{name}' in {app.values_file}")
    except bounded_yaml.YamlTooLarge as error:
        raise UserError(f"{error.problem}: refused") from None
    except yaml.YAMLError as error:
        raise UserError(f"the values of app '{name}' in {app.values_file} do not parse (conflict markers left?): "
                        f"{str(error).splitlines()[0]} ({_where(error)})") from None
    if parsed is not None and not isinstance(parsed, dict):
        raise UserError(f"the values of app '{name}' in {app.values_file} are not a mapping of values")
    try:  # a key twice: PyYAML keeps the last one, the merge's reader refuses the text
        yaml_lines.load(app.values_text)
    except yaml_lines.YamlError as error:
        raise UserError(f"the values of app '{name}' in {app.values_file} hold a key twice: {error.message}, "
                        f"values line {error.line}") from None
    app.values = parsed or {}
    return app


def _written_range(repo: Path, app: App) -> tuple[str, str, bool]:
    """(range, pin, defaulted) as Flux reads the app's files: the HelmRelease's version
    (NEWEST where it names none: defaulted), or its OCIRepository's `ref` (_oci_ref); ("",
    "", False) where the file cannot be read or leaves the value to a substitution (the
    answers' range then)."""
    (path, keys), = chart_version_files(repo, app)
    try:
        text = read_file(repo, path)
        found = _oci_ref(text, keys[:-1]) if keys[-1] == "semver" else _release_version(text, keys)
    except (UserError, yaml.YAMLError):
        return "", "", False
    return ("", "", False) if "${" in found[0] else found


def _helm_release(repo: Path, path: str) -> Any:
    """The app's HelmRelease as its file holds it, or None where it cannot be read (the
    values are then read alone: what reads the file later says what is wrong with it)."""
    try:
        documents = bounded_yaml.load_all(read_file(repo, path), path)
    except (UserError, yaml.YAMLError):
        return None
    return next((d for d in documents if isinstance(d, dict) and d.get("kind") == "HelmRelease"), None)


def _written_url(repo: Path, model: apps.App) -> str:
    """The url of the app's HelmRepository in the file the template writes it to, or "" (an
    OCI chart, whose OCIRepository names the chart itself; a file not there or not read)."""
    name = str(model.answers.get("helm_repo_name") or "")
    if not name or is_oci(str(model.answers.get("helm_repo_url") or "")):
        return ""
    try:
        document = _document_with(read_file(repo, layout.helm_repository_file(model.bootstrap_dir, name)), ("spec",),
                                  "HelmRepository")
    except (UserError, yaml.YAMLError):
        return ""
    url = _at(document, ("spec", "url"))
    return url.value.strip() if isinstance(url, yaml.ScalarNode) and "${" not in url.value else ""


def _blank(node: yaml.Node) -> bool:
    """An empty or null scalar: Kubernetes drops the field, and its default applies."""
    return isinstance(node, yaml.ScalarNode) and (not node.value.strip() or node.tag == NULL_TAG)


def _release_version(text: str, keys: tuple[str, ...]) -> tuple[str, str, bool]:
    """A chart.spec without a version installs the newest: the HelmChart Flux makes of it
    defaults its version to "*" (helmcharts CRD)."""
    document = _document_with(text, keys[:-1], "HelmRelease")
    if document is None:
        return "", "", False
    version = _at(document, keys)
    if version is None or _blank(version):
        return NEWEST, "", True
    return (version.value if isinstance(version, yaml.ScalarNode) else "").strip(), "", False


def _oci_ref(text: str, ref_keys: tuple[str, ...]) -> tuple[str, str, bool]:
    """The OCIRepository's ref as Flux reads it (repository.oci_ref: a digest, a semver
    range, a tag, or the tag `latest`)."""
    document = _document_with(text, ref_keys[:-1], "OCIRepository")
    if document is None:
        return "", "", False  # no OCIRepository spec to read
    ref = _at(document, ref_keys)
    if ref is not None and not isinstance(ref, yaml.MappingNode) and not _blank(ref):
        return "", "", False  # ref: ${REF}, for postBuild to fill in
    digest, semver, tag = (node.value.strip() if isinstance(node := _at(document, (*ref_keys, key)), yaml.ScalarNode)
                           else "" for key in ("digest", "semver", "tag"))
    return (*oci_ref.pulled(digest, semver, tag), False)


def _document_with(text: str, keys: tuple[str, ...], kind: str) -> yaml.Node | None:
    """The first YAML document of `text` holding a mapping at `keys`, one of `kind` first:
    every value is then read from that one object, not each from the first that has it."""
    found = [document for document in bounded_yaml.compose_all(text) if isinstance(_at(document, keys), yaml.MappingNode)]
    kinds = [node.value if isinstance(node := _at(document, ("kind",)), yaml.ScalarNode) else "" for document in found]
    return next((document for document, named in zip(found, kinds) if named == kind), found[0] if found else None)


def _at(node: yaml.Node | None, keys: tuple[str, ...]) -> yaml.Node | None:
    for wanted in keys:
        if not isinstance(node, yaml.MappingNode):
            return None
        node = next((value for key, value in node.value if isinstance(key, yaml.ScalarNode) and key.value == wanted), None)
    return node


def read_file(repo: Path, name: str) -> str:
    """A file of an app, inside the repository; UserError when it is not there."""
    try:
        return repo_files.read_text(repo, name)
    except FileNotFoundError:
        raise UserError(f"{name} does not exist") from None
    except UnicodeDecodeError as error:
        raise UserError(f"{name} is not UTF-8 text: {error.reason} at byte {error.start}") from None


def _where(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    return f"values line {mark.line + 1}" if mark else "somewhere in them"


def _load(text: str, name: str) -> Any:
    try:
        return bounded_yaml.load(text, name)
    except yaml.YAMLError as error:
        raise UserError(f"{name} does not parse as YAML: {str(error).splitlines()[0]}") from None


def _node(text: str, keys: tuple[str, ...]) -> tuple[yaml.Node, yaml.Node] | None:
    """(key node, value node) at `keys` in the first YAML document of `text` that has them
    (a HelmRelease file may hold a ServiceAccount too), or None; yaml.YAMLError when `text`
    is no YAML."""
    for document in yaml.compose_all(text):
        parent = _at(document, keys[:-1])
        if isinstance(parent, yaml.MappingNode) and (found := next(
                ((key, value) for key, value in parent.value if isinstance(key, yaml.ScalarNode) and key.value == keys[-1]),
                None)):
            return found
    return None


def _content_end(node: yaml.Node) -> int:
    """Where the last scalar or flow collection under `node` ends in the text. A block
    collection's own end mark lies at the next token, past any comment lines after it."""
    end, pending = node.end_mark.index, [node]
    last = -1
    while pending:
        current = pending.pop()
        if isinstance(current, yaml.ScalarNode) or current.flow_style:
            last = max(last, current.end_mark.index)
        elif isinstance(current, yaml.MappingNode):
            pending.extend(part for pair in current.value for part in pair)
        else:
            pending.extend(current.value)
    return last if last >= 0 else end


def _inline_span(text: str) -> tuple[int, int, int]:
    """(first, end, column) of the `spec.values` block: the text after `values:` to the end
    of its last value, then the lines after it indented deeper than the key (its trailing
    comments). A comment line anywhere inside the values, at any column, is theirs."""
    found = _node(text, ("spec", "values"))
    if found is None:
        raise ValueError("no spec.values")
    key, value = found
    colon = text.index(":", key.end_mark.index)
    last_line = text.find("\n", max(colon, _content_end(value) - 1))
    end = len(text) if last_line < 0 else last_line + 1
    while end < len(text):
        line_end = text.find("\n", end)
        line = text[end:line_end if line_end >= 0 else len(text)]
        if line.strip() and len(line) - len(line.lstrip(" ")) <= key.start_mark.column:
            break
        end = len(text) if line_end < 0 else line_end + 1
    return colon + 1, end, key.start_mark.column


def _inline_values(text: str, where: str) -> str:
    try:
        first, end, _ = _inline_span(text)
    except yaml.YAMLError as error:
        raise UserError(f"{where} does not parse as YAML{bounded_yaml.parse_problem(error)} (conflict markers left?)") from None
    except ValueError:
        raise UserError(f"{where} has neither a values ConfigMap beside it nor spec.values") from None
    lines = text[first:end].split("\n")
    head = lines[0].strip()  # `values: {}` keeps any value on its own line
    body = [line[VALUES_INDENT:] if line.startswith(" " * VALUES_INDENT) else line.strip() for line in lines[1:]]
    return "\n".join(([head] if head else []) + body).strip("\n") + "\n"


def header_for(app: App, version: str, version_range: str) -> str:
    """The template's header line for values of `version` (one format: the template's own)."""
    return fetched_header(FetchedValues("", version, f"{app.repo_url} {app.chart} {version}"), version_range).rstrip("\n")


def with_values(app: App, values: str, text: str) -> str:
    """The values file's `text` with its values replaced by `values` (header included), in
    the file's own line ends."""
    newline = line_ends.of(text)
    if app.inline:
        first, end, _ = _inline_span(text)
        try:
            embedded = yaml_embedded(values, VALUES_INDENT)
        except yaml.YAMLError:  # conflict markers: the lines as they are, for the user to resolve
            embedded = "\n" + "\n".join(" " * VALUES_INDENT + line if line.strip() else "" for line in values.rstrip("\n").split("\n"))
        return text[:first] + line_ends.converted(embedded + "\n", newline) + text[end:]
    _, node = _node(text, ("data", app.sources.own_key))
    block = yaml_literal(values, VALUES_INDENT) + "\n"
    return text[:node.start_mark.index] + line_ends.converted(block, newline) + text[node.end_mark.index:]


def scalar_at(text: str, keys: tuple[str, ...]) -> str | None:
    """The scalar at `keys` in the first document of `text` that has them, as written; None
    where there is none."""
    found = _node(text, keys)
    return found[1].value if found is not None and isinstance(found[1], yaml.ScalarNode) else None


def with_scalar(text: str, keys: tuple[str, ...], value: str) -> str | None:
    """`text` with the scalar at `keys` set to `value`, or None if it has no such scalar."""
    found = _node(text, keys)
    if found is None or not isinstance(found[1], yaml.ScalarNode):
        return None
    node = found[1]
    start = node.start_mark.index
    # An empty value (`version:`) starts right after its colon: the new one needs a space.
    gap = " " if not node.value and text[start - 1:start] == ":" else ""
    return text[:start] + gap + yaml_scalar(value) + text[node.end_mark.index:]


def with_answer(text: str, key: str, value: str) -> str:
    """An answers file's text with `key` set to `value` (added at the end if it is missing)."""
    changed = with_scalar(text, (key,), value)
    if changed is not None:
        return changed
    newline = line_ends.of(text)
    return text.rstrip("\r\n") + f"{newline}{key}: {yaml_scalar(value)}{newline}"


def chart_version_files(repo: Path, app: App) -> list[tuple[str, tuple[str, ...]]]:
    """Where the app's version range is written: the HelmRelease, or its OCIRepository."""
    oci = app.file(layout.oci_repository_file(app.name))
    if repo_files.inside(repo, oci).is_file():
        return [(oci, ("spec", "ref", "semver"))]
    return [(app.file(layout.helm_release_file(app.name)), ("spec", "chart", "spec", "version"))]
