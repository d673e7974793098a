"""Answers cannot inject YAML: every free-text answer parses back to exactly what was typed.

Hypothesis drives real `copier copy` runs with hostile values (YAML indicators, quotes,
`yes`/`null`/number look-alikes, newlines, tabs, unicode) in every answer that accepts
free text, then parses each generated file and validates it strictly against the CRDs.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import copier
import pytest
import yaml
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from flux_cookbook.extensions import layout
from flux_cookbook.extensions.input_checks import SHELL_SPECIAL
from flux_cookbook.extensions.yaml_quoting import needs_escapes
from tests.support.flux_schema import validate_object
from tests.support.project import CRDS, copy, load
from tests.support.template_repo import PROJECT_ROOT

TEMPLATES = sorted(p for p in (PROJECT_ROOT / "template").rglob("*.jinja") if ".yaml" in p.name)
# What a template may put in a YAML file unquoted: the quoting filters, and values the
# template computes itself (API versions from the convention table).
SAFE_EXPRESSION = re.compile(
    r"\|\s*(yaml_scalar|yaml_literal\(\d+\)|yaml_block\(\d+\)|yaml_embedded\(\d+\))\s*$|^convention\.\w+$|^helm_repository_api\(.*\)$"
)

# Characters YAML readers fold, normalise or refuse when written raw (NEL, line and
# paragraph separators, BOM, noncharacters, C0 and C1 controls, DEL, CR), drawn as often as
# any other: the general alphabet alone almost never picks them.
yaml_special = st.sampled_from(["\x85", "\u2028", "\u2029", "\ufeff", "\ufffe", "\x00", "\x01", "\x1b", "\x7f",
                                "\x80", "\x9b", "\r", "\t", " ", "\n"])
# Lone surrogates (Cs) are refused by the answer checks (tests/test_bad_input.py).
hostile_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)) | yaml_special, min_size=1, max_size=40
) | st.sampled_from(["yes", "no", "on", "y", "null", "~", "0x1F", "1e3", "012", "0o17", "0O17", "1_000", "*a", "&a",
                     "!!str x", "{x: 1}", "[1]", "- x", "a: b", "# c", "'", '"', "---", "...", "key: |\n  x", "\ttab",
                     " lead", "trail ", "Deploy\x85ment", "a\u2028b", "\ufeffbom"])
# Characters a shell reads are refused in URLs (input_checks.SHELL_SPECIAL, tests/unit/test_input_checks.py).
url_tail = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp"),
                                          blacklist_characters="".join(SHELL_SPECIAL)), max_size=30)
counter = itertools.count()
YAML_1_2 = YAML(typ="safe", pure=True)


def values_file_text(data: dict, comment: str) -> str:
    """A chart values file holding `data`, with `comment` raw in a comment where a comment
    can hold it (else with what a comment cannot hold as spaces): values files are raw
    text in every character class, and the template must carry them exactly."""
    # Every string double-quoted, ASCII only (every other character as an escape): a
    # file that YAML 1.1 and 1.2 readers read alike, as a chart's should be.
    body = yaml.safe_dump(data, default_style='"')
    for line in (comment.replace("\n", " "), "".join(" " if needs_escapes(c) or c == "\n" else c for c in comment)):
        text = body + "# " + line + "\n"
        try:
            if yaml.safe_load(text) == data:
                return text
        except yaml.YAMLError:
            pass
    raise AssertionError(f"no comment line for {comment!r}")


@pytest.mark.parametrize("template_file", TEMPLATES, ids=lambda p: str(p.relative_to(PROJECT_ROOT / "template")))
def test_every_yaml_expression_goes_through_the_quoting_path(template_file):
    # `{% raw %}` text is no Jinja expression: GitHub's own `${{ ... }}` in a workflow.
    text = re.sub(r"\{%-?\s*raw\s*-?%\}.*?\{%-?\s*endraw\s*-?%\}", "", template_file.read_text(), flags=re.DOTALL)
    expressions = re.findall(r"\{\{(.*?)\}\}", text)
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
    inline=st.booleans(),
)
# Always tried: strings only Go's and YAML 1.2 readers take for numbers or booleans, and
# characters readers fold (a health check kind holding U+0085 once came back as a space).
@example(url_tail="0o17", check_name="0O17", check_kind="1e3", values="y", oci=False, inline=False)
@example(url_tail="\ufeff", check_name="a\u2028b\u2029", check_kind="Deploy\x85ment", values="\x85\x7f\x9b\r\n",
         oci=True, inline=False)
@example(url_tail="x", check_name="\x00", check_kind="\t", values="a\u2029\ufeff\x85", oci=False, inline=True)
def test_hostile_answers_round_trip(template, cluster, tmp_path_factory, url_tail, check_name, check_kind, values, oci,
                                    inline):
    n = next(counter)
    app = f"app{n}"
    # An OCI repository's path is the distribution spec's (lower case, a few separators):
    # any other is refused (tests/unit/test_input_checks.py), so the hostile tail goes into
    # an https URL only.
    url = f"oci://charts{n}.example.com/charts" if oci else f"https://charts{n}.example.com/{url_tail}"
    source = tmp_path_factory.mktemp("values") / "values.yaml"
    values_data = {"note": values, "list": [values]}
    values_text = values_file_text(values_data, comment=values)
    source.write_text(values_text, encoding="utf-8")
    check = {"apiVersion": "apps/v1", "kind": check_kind, "name": check_name, "namespace": "x"}
    # copier's overwrite, as an update renders: a new app's health checks must name objects
    # Kubernetes could have, but an update takes those the answers record (adopt records a
    # hand-made repository's own), so any text reaches the files through the same quoting.
    copier.run_copy(str(template.path), cluster, data=dict(
        kind="app", app_name=app, chart="c", chart_version="1.x", helm_repo_name=app, helm_repo_url=url,
        health_checks=[check], values_source=str(source), values_in="inline" if inline else "configmap",
    ), defaults=True, unsafe=True, quiet=True, overwrite=True)

    bootstrap = cluster / "bootstrap"
    if oci:  # an OCIRepository of the chart, beside the HelmRelease
        assert load(cluster / app / f"ocirepository-{app}.yaml")["spec"]["url"] == url.rstrip("/") + "/c"
    else:
        assert load(bootstrap / f"helmrepositories/helmrepository-{app}.yaml")["spec"]["url"] == url
    kustomization = load(bootstrap / f"kustomizations/kustomization-{app}.yaml")
    assert kustomization["spec"]["healthChecks"] == [check]
    if inline:
        assert load(cluster / app / f"helmrelease-{app}.yaml")["spec"]["values"] == values_data
    else:
        configmap = load(cluster / app / f"configmap-{app}-helm-chart-value-overrides.yaml")
        assert configmap["data"]["values.yaml"] == values_text
    answers_file = cluster / layout.app_answers_file(app)
    assert load(answers_file)["health_checks"] == [check]
    assert YAML_1_2.load(answers_file.read_text(encoding="utf-8"))["health_checks"] == [check]
    for path in [*bootstrap.rglob(f"*{app}.yaml"), *(cluster / app).glob("*.yaml")]:
        documents = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
        assert len(documents) == 1, path
        # A YAML 1.2 reader (as Go's and kustomize's are) reads the same data as PyYAML's 1.1.
        assert [d for d in YAML_1_2.load_all(path.read_text()) if d is not None] == documents, path
        assert validate_object(documents[0], CRDS / "current") == [], path
