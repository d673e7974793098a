"""value_sources: what a HelmRelease's valuesFrom entries other than the app's own set."""

from __future__ import annotations

from flux_cookbook.values import value_sources
from tests.support.project import repo_with

CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-settings
data:
  first.yaml: |
    ingress:
      enabled: true
      host: a.example.com
  second.yaml: |
    ingress:
      host: b.example.com
  replicas: "3"
"""


def release(*entries: str) -> dict:
    return {"kind": "HelmRelease", "spec": {"valuesFrom": [
        {"kind": "ConfigMap", "name": "web-helm-chart-value-overrides", "valuesKey": "ours.yaml"},
        *({"kind": kind, "name": name, "valuesKey": key, **({"targetPath": path} if path else {})}
          for kind, name, key, path in ((entry.split(" ") + [""])[:4] for entry in entries))]}}


def test_later_sources_win_a_target_path_sets_one_value_and_what_is_not_read_is_named(tmp_path):
    repo = repo_with(tmp_path / "repo", {"web/settings.yaml": CONFIGMAP})
    found = value_sources.read(repo, "web", "web", release(
        "ConfigMap web-settings first.yaml", "ConfigMap web-settings second.yaml",
        "ConfigMap web-settings replicas replicaCount", "Secret web-db values.yaml", "ConfigMap elsewhere values.yaml"),
        inline=False)
    assert found.own_key == "ours.yaml"
    assert found.values == {"ingress": {"enabled": True, "host": "b.example.com"}, "replicaCount": "3"}
    assert found.setters[("ingress", "host")] == "ConfigMap web-settings key second.yaml"
    assert found.setters[("replicaCount",)] == "ConfigMap web-settings key replicas (targetPath replicaCount)"
    assert found.unread == ["Secret web-db key values.yaml", "ConfigMap elsewhere key values.yaml"]
    touched, removed = value_sources.judged(found, {"ingress": {"enabled": False, "host": ""}, "replicaCount": 1},
                                            {"ingress": {"enabled": False}, "replicaCount": 2})
    assert touched == ["replicaCount: the chart's default changed from 1 to 2; ConfigMap web-settings key replicas "
                       "(targetPath replicaCount) sets it (kept)"]
    assert removed == ["ingress.host (set by ConfigMap web-settings key second.yaml)"]


def test_inline_values_make_every_entry_another_source(tmp_path):
    repo = repo_with(tmp_path / "repo", {"web/settings.yaml": CONFIGMAP})
    found = value_sources.read(repo, "web", "web", release(), inline=True)
    assert found.own_key == value_sources.DEFAULT_KEY and found.unread == ["ConfigMap web-helm-chart-value-overrides key ours.yaml"]
