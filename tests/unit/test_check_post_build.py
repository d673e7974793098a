"""check_schemas on objects a Flux Kustomization's postBuild substitutes: kustomize-controller
fills ${...} in after the build, from values only the cluster has (substituteFrom), so such
an object is noted as not validated instead of failing on its placeholder."""

from __future__ import annotations

from pathlib import Path

from flux_cookbook.check.problems import ERROR, WARNING
from flux_cookbook.check.rules_schema import check_schemas
from flux_cookbook.repository.model import read_repository
from tests.fixtures import cookbook_shapes as shapes

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: web{marks}
spec:
  replicas: {replicas}
  selector:
    matchLabels:
      app: {name}
  template:
    metadata:
      labels:
        app: {name}
    spec:
      containers:
        - name: web
          image: nginx:${{TAG:=1.27}}
"""
POST_BUILD = "  postBuild:\n    substitute:\n      REPLICAS: \"2\"\n"
DISABLED = "\n  annotations:\n    kustomize.toolkit.fluxcd.io/substitute: disabled"


def schema_problems(tmp_path: Path, post_build: bool, files: dict[str, str]) -> list[tuple[str, int, str, str]]:
    kustomization = shapes.kustomization("web", "./web") + (POST_BUILD if post_build else "")
    for path, text in {"bootstrap/flux-system/gotk-sync.yaml": shapes.gotk_sync("./bootstrap"),
                       "bootstrap/kustomizations/kustomization-web.yaml": kustomization, **files}.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    # The shapes' bootstrap objects are a hand-made repository's (old Flux APIs): only web/ counts here.
    return sorted((p.path, p.line, p.severity, p.rule) for p in check_schemas(read_repository(tmp_path))
                  if p.path.startswith("web/"))


def deployment(name: str, replicas: str, marks: str = "") -> str:
    return DEPLOYMENT.format(name=name, replicas=replicas, marks=marks)


def test_a_placeholder_postbuild_fills_in_is_noted_not_failed(tmp_path):
    problems = schema_problems(tmp_path, True, {"web/deployment-web.yaml": deployment("web", "${REPLICAS}")})
    assert problems == [("web/deployment-web.yaml", 1, WARNING, "schema.substituted")]


def test_without_postbuild_the_placeholder_is_what_the_cluster_gets(tmp_path):
    problems = schema_problems(tmp_path, False, {"web/deployment-web.yaml": deployment("web", "${REPLICAS}")})
    assert [(severity, rule) for _, _, severity, rule in problems] == [(ERROR, "schema")]


def test_an_object_that_opts_out_of_substitution_is_validated(tmp_path):
    problems = schema_problems(tmp_path, True, {"web/deployment-web.yaml": deployment("web", "${REPLICAS}", DISABLED)})
    assert [(severity, rule) for _, _, severity, rule in problems] == [(ERROR, "schema")]


def test_the_files_other_objects_are_still_validated(tmp_path):
    text = deployment("web", "${REPLICAS}") + "---\n" + deployment("api", "two").replace("${TAG:=1.27}", "1.27")
    problems = schema_problems(tmp_path, True, {"web/deployment-web.yaml": text})
    assert problems == [("web/deployment-web.yaml", 1, WARNING, "schema.substituted"),
                        ("web/deployment-web.yaml", 26, ERROR, "schema")]
