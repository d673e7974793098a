"""Answers cannot inject YAML: every free-text answer parses back to exactly what was typed.

Hypothesis drives real `copier copy` runs with hostile values (YAML indicators, quotes,
`yes`/`null`/number look-alikes, newlines, tabs, unicode) in every answer that accepts
free text, then parses each generated file and validates it strictly against the CRDs.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, Phase, assume, example, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from tests.support.flux_schema import validate_object
from tests.support.project import CRDS, copy, load
from tests.support.template_repo import PROJECT_ROOT

TEMPLATES = sorted(p for p in (PROJECT_ROOT / "template").rglob("*.jinja") if ".yaml" in p.name)
# What a template may put in a YAML file unquoted: the quoting filters, and values the
# template computes itself (API versions from the convention table).
SAFE_EXPRESSION = re.compile(
    r"\|\s*(yaml_scalar|yaml_literal\(\d+\)|yaml_block\(\d+\)|yaml_embedded\(\d+\))\s*$|^convention\.\w+$|^helm_repository_api\(.*\)$"
)

hostile_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=40
) | st.sampled_from(["yes", "no", "on", "y", "null", "~", "0x1F", "1e3", "012", "0o17", "0O17", "1_000", "*a", "&a",
                     "!!str x", "{x: 1}", "[1]", "- x", "a: b", "# c", "'", '"', "---", "...", "key: |\n  x", "\ttab",
                     " lead", "trail "])
url_tail = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp")), max_size=30)
counter = itertools.count()
YAML_1_2 = YAML(typ="safe", pure=True)


@pytest.mark.parametrize("template_file", TEMPLATES, ids=lambda p: str(p.relative_to(PROJECT_ROOT / "template")))
def test_every_yaml_expression_goes_through_the_quoting_path(template_file):
    expressions = re.findall(r"\{\{(.*?)\}\}", template_file.read_text())
    assert expressions
    unsafe = [e.strip() for e in expressions if not SAFE_EXPRESSION.search(e.strip())]
    assert unsafe == []


@pytest.fixture(scope="module")
def cluster(template, tmp_path_factory) -> Path:
    return copy(template.path, tmp_path_factory.mktemp("inject") / "cluster", include_example_app=False)


# No shrinking: each example is a real copier run, and a failure is readable as found.
@settings(max_examples=25, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    url_tail=url_tail,
    check_name=hostile_text,
    check_kind=hostile_text,
    values=hostile_text,
    oci=st.booleans(),
)
# Always tried: strings only Go's and YAML 1.2 readers take for numbers or booleans.
@example(url_tail="0o17", check_name="0O17", check_kind="1e3", values="y", oci=False)
def test_hostile_answers_round_trip(template, cluster, tmp_path_factory, url_tail, check_name, check_kind, values, oci):
    n = next(counter)
    app = f"app{n}"
    url = ("oci://" if oci else "https://") + f"charts{n}.example.com/" + url_tail
    source = tmp_path_factory.mktemp("values") / "values.yaml"
    values_text = yaml.safe_dump({"note": values, "list": [values]}, allow_unicode=True) + "# " + values.replace("\n", " ") + "\n"
    try:  # only values files that are YAML: the template refuses the others, and says so
        yaml.safe_load(values_text)
    except yaml.YAMLError:
        assume(False)
    source.write_text(values_text)
    check = {"apiVersion": "apps/v1", "kind": check_kind, "name": check_name, "namespace": "x"}
    copy(template.path, cluster, kind="app", app_name=app, chart="c", chart_version="1.x", helm_repo_name=app,
         helm_repo_url=url, health_checks=[check], values_source=str(source))

    bootstrap = cluster / "bootstrap"
    if oci:  # an OCIRepository of the chart, beside the HelmRelease
        assert load(cluster / app / f"ocirepository-{app}.yaml")["spec"]["url"] == url.rstrip("/") + "/c"
    else:
        assert load(bootstrap / f"helmrepositories/helmrepository-{app}.yaml")["spec"]["url"] == url
    kustomization = load(bootstrap / f"kustomizations/kustomization-{app}.yaml")
    assert kustomization["spec"]["healthChecks"] == [check]
    configmap = load(cluster / app / f"configmap-{app}-helm-chart-value-overrides.yaml")
    assert configmap["data"]["values.yaml"] == values_text
    for path in [*bootstrap.rglob(f"*{app}.yaml"), *(cluster / app).glob("*.yaml")]:
        documents = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
        assert len(documents) == 1, path
        # A YAML 1.2 reader (as Go's and kustomize's are) reads the same data as PyYAML's 1.1.
        assert [d for d in YAML_1_2.load_all(path.read_text()) if d is not None] == documents, path
        assert validate_object(documents[0], CRDS / "current") == [], path
