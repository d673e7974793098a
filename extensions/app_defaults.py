"""What an app waits for and how long, when its answers name nothing else.

Health checks: the default is the app's HelmRelease itself, as Flux's documentation shows
for a Kustomization that applies one. helm-controller marks a HelmRelease ready only once
Helm has installed or upgraded the release and every workload it made is ready, whatever
their kind (Deployment, StatefulSet, DaemonSet) and names, so the check fits any chart.
Releases before 3.1.0 guessed a Deployment named after the release instead
(`guessed_health_checks`), which charts naming or kinding their workload otherwise
(postgresql, loki, most operators) never satisfy; the 3.1.0 migration moves an app still
on that guess to the HelmRelease check.

Timeout: a Kustomization waiting for a HelmRelease must wait at least as long as Helm may
take (the HelmRelease's `timeout`), or a slow install fails the Kustomization while Helm
is still working; the Kustomization renders the longer of the two.
"""

from __future__ import annotations

import json
import re

from . import known_apps
from .conventions import CURRENT

HELM_RELEASE_KIND = "HelmRelease"
# The default of the answer kustomization_timeout: twice the default helmrelease_timeout,
# room for the chart's download and the release's first health checks after Helm.
KUSTOMIZATION_TIMEOUT = "10m"
_DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)")
_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}


def helm_release_health_checks(name: str, namespace: str) -> list[dict]:
    """The health check on the HelmRelease `namespace/name` (Flux's documented example)."""
    return [{"apiVersion": CURRENT.helm_api, "kind": HELM_RELEASE_KIND, "name": name, "namespace": namespace}]


def default_health_checks(app_name: str, namespace: str) -> str:
    """The default of the answer health_checks, as YAML copier parses (the template names
    the app's HelmRelease after the app)."""
    return json.dumps(helm_release_health_checks(str(app_name), str(namespace)))


def namespace_moved_error(namespace: str, conf) -> str:
    """Why an update may not move the app to `namespace` with its health checks where they
    are, or "". The recorded health checks (the default one on the app's HelmRelease among
    them) name objects in the namespace the app leaves: Flux would wait for them forever.
    A validator can only refuse (copier keeps a recorded answer until told), so the message
    gives the answer to add, every check in the old namespace moved to the new one."""
    from .copier_support import recorded_answers

    recorded = recorded_answers(conf)
    before, checks = str(recorded.get("namespace") or ""), recorded.get("health_checks")
    if not before or before == str(namespace) or "health_checks" in conf["data"] or not isinstance(checks, list):
        return ""
    left = [check for check in checks if isinstance(check, dict) and check.get("namespace") == before]
    if not left:
        return ""
    moved = [{**check, "namespace": str(namespace)} if check in left else check for check in checks]
    named = ", ".join(f"{check.get('kind')} {before}/{check.get('name')}" for check in left)
    return (f"namespace changes from {before} to {namespace}, and health_checks still name {named}, which the app "
            f"leaves (Flux would wait for it forever). Give -d 'health_checks={json.dumps(moved, separators=(',', ':'))}' "
            "as well, or the checks you want ([] for none).")


def guessed_health_checks(answers: dict) -> list[list[dict]]:
    """The health checks releases before 3.1.0 wrote for this app when the user named none:
    a Deployment named after the release in the app's namespace, and for the Sealed Secrets
    controller app the controller's Deployment its known answers named."""
    namespace = answers.get("namespace")
    guesses = [[{"apiVersion": "apps/v1", "kind": "Deployment", "name": answers.get("release_name"), "namespace": namespace}]]
    if answers.get("chart") == known_apps.ANSWERS[known_apps.SEALED_SECRETS]["chart"]:
        guesses.append([{"apiVersion": "apps/v1", "kind": "Deployment", "name": known_apps.SEALED_SECRETS_CONTROLLER,
                         "namespace": namespace}])
    return guesses


def seconds(duration: str) -> float | None:
    """A Go duration (1h30m, 90s) in seconds; None when it is not one."""
    text = str(duration)
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(number + unit for number, unit in parts) != text:
        return None
    return sum(float(number) * _SECONDS[unit] for number, unit in parts)


def kustomization_timeout_for(kustomization: str, helm_release: str) -> str:
    """The Kustomization's timeout: the answer, or the HelmRelease's timeout when that is longer."""
    own, helm = seconds(kustomization), seconds(helm_release)
    return helm_release if own is not None and helm is not None and helm > own else kustomization
