"""Where an app's HelmRelease takes its values from, besides the values refresh merges.

The template gives a HelmRelease one source: the `values.yaml` key of the app's ConfigMap
(`valuesFrom`), or its `spec.values`. Users add more: another key of that ConfigMap (a
split of the chart's settings), another ConfigMap, a Secret, a `targetPath` setting one
value. helm-controller merges them all, in `valuesFrom`'s order, `spec.values` last.

What refresh must know of them: the key of the app's own ConfigMap that holds its values
(`valuesKey`, renamed by some), and the values the other sources set, so that a chart
default changed or a key dropped under them is named as it is for the app's own values,
and the schema judges what Helm gets. A source this cannot read (a Secret or SealedSecret,
an object no file of the app's folder holds) is named as not judged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from flux_cookbook.extensions import bounded_yaml, layout, repo_files
from flux_cookbook.repository import model
from flux_cookbook.values.merge import dotted, same

DEFAULT_KEY = layout.VALUES_KEY  # helm-controller's default valuesKey


@dataclass
class Sources:
    own_key: str = DEFAULT_KEY  # the key of the app's ConfigMap holding its values
    values: dict = field(default_factory=dict)  # what the other sources set, merged in valuesFrom's order
    setters: dict[tuple, str] = field(default_factory=dict)  # a leaf path -> the source that sets it
    unread: list[str] = field(default_factory=list)  # the sources not read, named


def read(repo: Path, app_name: str, folder: str, release: Any, inline: bool) -> Sources:
    """The value sources of the HelmRelease `release` (parsed) of app `app_name`, whose
    folder is `folder`; `inline`: its own values are its spec.values, and every valuesFrom
    entry is another source. ConfigMaps are looked for in the files of the app's folder."""
    found = Sources()
    spec = release.get("spec") if isinstance(release, dict) and isinstance(release.get("spec"), dict) else {}
    entries = spec.get("valuesFrom") if isinstance(spec.get("valuesFrom"), list) else []
    own, own_taken, configmaps = layout.values_configmap_name(app_name), inline, None
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        kind, name = str(entry.get("kind") or ""), str(entry.get("name") or "")
        key, target = str(entry.get("valuesKey") or DEFAULT_KEY), str(entry.get("targetPath") or "")
        if not own_taken and kind == "ConfigMap" and name == own and not target:
            found.own_key, own_taken = key, True  # the app's own values, the template's entry
            continue
        label = f"{kind} {name} key {key}" + (f" (targetPath {target})" if target else "")
        if kind == "ConfigMap" and configmaps is None:
            configmaps = _configmaps(repo, folder)
        data = (configmaps or {}).get(name) if kind == "ConfigMap" else None
        text = data.get(key) if isinstance(data, dict) else None
        if not isinstance(text, str):
            found.unread.append(label)  # a Secret, or a ConfigMap the app's folder does not hold
            continue
        if target:  # one value, at a dotted path (helm --set's form; its escapes not read)
            value: dict = {}
            here = value
            *parents, last = target.split(".")
            for part in parents:
                here = here.setdefault(part, {})
            here[last] = text
        else:
            try:
                value = bounded_yaml.load(text, label)
            except yaml.YAMLError:
                found.unread.append(f"{label} (not YAML)")
                continue
        if isinstance(value, dict):
            _merge_into(found, value, label)
    return found


def _merge_into(found: Sources, value: dict, label: str, path: tuple = ()) -> None:
    """Helm's merge of maps: a later source's value wins, maps are merged key by key."""
    here = found.values
    for part in path:
        here = here.setdefault(part, {})
    for key, item in value.items():
        if isinstance(item, dict) and item and isinstance(here.get(key, {}), dict):
            here.setdefault(key, {})
            _merge_into(found, item, label, (*path, key))
        else:
            here[key] = item
            found.setters[(*path, key)] = label


def _configmaps(repo: Path, folder: str) -> dict[str, dict]:
    """name -> data of each ConfigMap the app's folder's YAML files hold."""
    found: dict[str, dict] = {}
    for path in model.repository_files(repo):
        if not path.startswith(f"{folder}/") or not path.endswith((".yaml", ".yml")):
            continue
        try:
            documents = bounded_yaml.load_all(repo_files.read_text(repo, path), path)
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        for document in documents:
            meta = document.get("metadata") if isinstance(document, dict) else None
            if document and document.get("kind") == "ConfigMap" and isinstance(meta, dict) \
                    and isinstance(document.get("data"), dict):
                found.setdefault(str(meta.get("name")), document["data"])
    return found


_MISSING = object()


def judged(sources: Sources, old_defaults: dict, new_defaults: dict) -> tuple[list[str], list[str]]:
    """(chart default changes at keys the other sources set, keys they set that the new chart
    no longer has), as refresh names them for the app's own values."""
    touched, removed = [], []
    for path, label in sorted(sources.setters.items(), key=lambda item: dotted(item[0])):
        old, new = _at(old_defaults, path), _at(new_defaults, path)
        if old is _MISSING:
            continue  # a key of the user's own, never the chart's
        if new is _MISSING:
            removed.append(f"{dotted(path)} (set by {label})")
        elif not same(old, new):
            touched.append(f"{dotted(path)}: the chart's default changed from {_shown(old)} to {_shown(new)}; "
                           f"{label} sets it (kept)")
    return touched, removed


def _at(values: Any, path: tuple) -> Any:
    for key in path:
        if not isinstance(values, dict) or key not in values:
            return _MISSING
        values = values[key]
    return values


def _shown(value: Any) -> str:
    return yaml.safe_dump(value, default_flow_style=True, width=4096).strip().removesuffix("...").strip()
