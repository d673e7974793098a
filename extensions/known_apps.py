"""Apps the template knows the answers for: the example app and the Sealed Secrets controller.

A new cluster gets them through the app template like any other app (see
add_cluster_apps.py), and `flux-cookbook add <name>` adds one to an existing repository
with these answers, so each has its own answers file and updates the same way.
"""

from __future__ import annotations

PODINFO = "podinfo"
SEALED_SECRETS = "sealed-secrets"

# The Sealed Secrets controller as the cookbook's recipe installs it. kubeseal looks for a
# Service named sealed-secrets-controller (its default --controller-name), which the
# chart names after fullnameOverride; the namespace differs from kubeseal's default
# (kube-system), so every kubeseal command shown says --controller-namespace.
SEALED_SECRETS_CONTROLLER = "sealed-secrets-controller"
KUBESEAL_FLAGS = f"--controller-name {SEALED_SECRETS_CONTROLLER} --controller-namespace {SEALED_SECRETS}"

ANSWERS = {
    PODINFO: {
        "kind": "app",
        "app_name": PODINFO,
        "chart": "podinfo",
        "chart_version": "6.x",
        "helm_repo_name": "podinfo",
        "helm_repo_url": "https://stefanprodan.github.io/podinfo",
    },
    SEALED_SECRETS: {
        "kind": "app",
        "app_name": SEALED_SECRETS,
        "namespace": SEALED_SECRETS,
        "chart": "sealed-secrets",
        "chart_version": "2.x",
        "helm_repo_name": "sealed-secrets",
        "helm_repo_url": "https://bitnami-labs.github.io/sealed-secrets",
        "values_overrides": {"fullnameOverride": SEALED_SECRETS_CONTROLLER},
    },
}


def cluster_apps(include_example_app: bool, sealed_secrets: bool) -> list[dict]:
    """The apps a new cluster gets, in the order they are added."""
    return [ANSWERS[name] for name, wanted in ((SEALED_SECRETS, sealed_secrets), (PODINFO, include_example_app)) if wanted]
