import pytest
import yaml

from flux_cookbook.extensions import app_defaults
from flux_cookbook.extensions.migrations.v3_1_0 import with_answer
from flux_cookbook.extensions.repo_state import helm_repo_name_default


def test_the_default_health_check_is_the_helm_release_as_copier_parses_it():
    assert yaml.safe_load(app_defaults.default_health_checks("loki", "monitoring")) == [
        {"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease", "name": "loki", "namespace": "monitoring"}
    ]


def test_the_old_guesses():
    answers = {"release_name": "db", "namespace": "data", "chart": "postgresql"}
    assert app_defaults.guessed_health_checks(answers) == [
        [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "db", "namespace": "data"}]
    ]
    controller = {"release_name": "sealed-secrets", "namespace": "sealed-secrets", "chart": "sealed-secrets"}
    assert [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "sealed-secrets-controller",
             "namespace": "sealed-secrets"}] in app_defaults.guessed_health_checks(controller)


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("1h30m", 5400), ("1.5h", 5400), ("250ms", 0.25)])
def test_durations(text, seconds):
    assert app_defaults.seconds(text) == seconds


@pytest.mark.parametrize("text", ["", "5", "5 m", "m5", "5mm", "1d"])
def test_not_durations(text):
    assert app_defaults.seconds(text) is None


@pytest.mark.parametrize(("kustomization", "helm_release", "written"), [
    ("2m", "5m", "5m"), ("10m", "5m", "10m"), ("5m", "300s", "5m"), ("1h", "90m", "90m"), ("bad", "5m", "bad"),
])
def test_the_kustomization_waits_at_least_as_long_as_helm(kustomization, helm_release, written):
    assert app_defaults.kustomization_timeout_for(kustomization, helm_release) == written


def _helm_repository(folder, name, url):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"helmrepository-{name}.yaml").write_text(
        f"apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: {name}\n"
        f"  namespace: flux-system\nspec:\n  url: {url}\n"
    )


def test_helm_repo_name_defaults_to_the_helm_repository_serving_the_url(tmp_path):
    folder = tmp_path / "clusters/home/helmrepositories"
    _helm_repository(folder, "grafana", "https://grafana.github.io/helm-charts/")
    _helm_repository(folder, "bitnami", "oci://registry-1.docker.io/bitnamicharts")
    assert helm_repo_name_default(tmp_path, "clusters/home", "https://grafana.github.io/helm-charts", "loki") == "grafana"
    assert helm_repo_name_default(tmp_path, "clusters/home", "https://charts.example.com", "loki") == "loki"
    # Two serve it already: the chart's own name, if one is.
    _helm_repository(folder, "loki", "https://grafana.github.io/helm-charts")
    assert helm_repo_name_default(tmp_path, "clusters/home", "https://grafana.github.io/helm-charts", "loki") == "loki"
    # The chart's name taken by another URL (a mirror of the chart): the first free number.
    assert helm_repo_name_default(tmp_path, "clusters/home", "https://mirror.example.com", "loki") == "loki-2"
    _helm_repository(folder, "loki-2", "https://mirror.example.com/other")
    assert helm_repo_name_default(tmp_path, "clusters/home", "https://mirror.example.com", "loki") == "loki-3"
    # No repository yet, or a file that is not YAML: the chart's name.
    assert helm_repo_name_default(tmp_path / "new", "bootstrap", "https://x.example.com", "web") == "web"
    (folder / "helmrepository-broken.yaml").write_text("url: [\n")
    assert helm_repo_name_default(tmp_path, "clusters/home", "oci://registry-1.docker.io/bitnamicharts", "pg") == "bitnami"


def test_with_answer_replaces_a_block_in_place_and_keeps_every_other_line():
    text = "# header\n_commit: v3.0.1\nhealth_checks:\n- kind: Deployment\n  name: web\nvalues_in: configmap\n"
    edited = with_answer(text, "health_checks", [{"kind": "HelmRelease", "name": "web"}])
    assert edited == "# header\n_commit: v3.0.1\nhealth_checks:\n- kind: HelmRelease\n  name: web\nvalues_in: configmap\n"
    assert with_answer("a: 1\nsealed_secrets: true\n", "sealed_secrets", False) == "a: 1\nsealed_secrets: false\n"
    assert with_answer("a: 1", "sealed_secrets", False) == "a: 1\nsealed_secrets: false\n"
