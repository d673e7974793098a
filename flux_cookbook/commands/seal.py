"""`flux-cookbook seal APP NAME`: seal secret values into the app's SealedSecret file."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

from flux_cookbook import stops
from flux_cookbook.commands import SUMMARIES
from flux_cookbook.errors import UsageError, UserError
from flux_cookbook.extensions import known_apps, repo_files, repo_state
from flux_cookbook.repository import put_back
from flux_cookbook.repository.lock import one_writer
from flux_cookbook.seal import controller_dependency, sealed_secrets, sealing, secret_values
from flux_cookbook.template_runs import new_files_listed

NAME = "seal"

_EXAMPLE = """\
examples:
  flux-cookbook seal web db-credentials --from-literal username=web --from-file password=$HOME/pw.txt
  printf 'api-token=%s\\n' "$TOKEN" | flux-cookbook seal web api --scope namespace-wide
  openssl genrsa 2048 | flux-cookbook seal web signing --from-file key.pem=-   (a multi-line value, never in a file)
  flux-cookbook seal web db-credentials        (asks for each key and value, without echo)

The values go nowhere but into the sealed file: give them on standard input, at the
prompt or in files; --from-literal is shown in the process list and the shell history.
The controller's public certificate comes from --cert, from sealed_secrets_cert in
.copier-answers.yml, or from the cluster with kubeseal --fetch-cert.
"""


class _SecretSafeParser(argparse.ArgumentParser):
    """argparse, except that its errors never repeat an argument that may hold a value.

    argparse echoes what it cannot place (`unrecognized arguments: --fromliteral=pw=...`,
    `ambiguous option: --from=pw=...`): here those arguments are shown without their values.
    """

    def parse_known_args(self, args=None, namespace=None):
        self._given = list(sys.argv[1:] if args is None else args)
        namespace, extras = super().parse_known_args(args, namespace)
        if extras:
            shown = " ".join(_without_value(extra) for extra in extras)
            self.error(f"unrecognized arguments: {shown} (values are not shown)")
        return namespace, extras

    def error(self, message):
        for given in sorted(getattr(self, "_given", ()), key=len, reverse=True):
            if "=" in given:
                message = message.replace(given, _without_value(given))
        super().error(message)


def _without_value(argument: str) -> str:
    """An option's name (with `=…` if it carried a value); `…` for anything else."""
    if argument.startswith("-"):
        name, equals, _ = argument.partition("=")
        return f"{name}=…" if equals else name
    return "…"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        NAME,
        help=SUMMARIES[NAME][1],
        description="Seal secret values for the Sealed Secrets controller into <app folder>/sealedsecret-NAME.yaml:\n"
        "a new file, or new and changed keys in an existing one (the other keys stay untouched).",
        epilog=_EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    # add_parser has no public way to pick the class of one subcommand's parser; this
    # subclass only adds to argparse's public methods (tests/test_seal.py checks it).
    parser.__class__ = _SecretSafeParser
    parser.add_argument("app", metavar="APP", help="the app, as added to the repository (.copier-answers.app-APP.yml)")
    parser.add_argument("name", metavar="NAME", help="the SealedSecret's name, which is also the Secret's")
    parser.add_argument("-C", "--repo", default=".", type=Path, metavar="DIR", help="the cluster repository (default: .)")
    parser.add_argument(
        "--from-literal", action="append", default=[], metavar="KEY=VALUE",
        help="a value on the command line (seen in the process list: prefer stdin or the prompt)",
    )
    parser.add_argument(
        "--from-file", action="append", default=[], metavar="KEY=PATH",
        help="a value read from a file (PATH alone: the key is its file name; KEY=-: standard input, for a multi-line value)",
    )
    parser.add_argument(
        "--scope", choices=sealing.SCOPES,
        help="where the controller may unseal: strict (this namespace and name; default for a new file), "
        "namespace-wide (any name in the namespace) or cluster-wide (anywhere); an existing file keeps its own",
    )
    parser.add_argument("--cert", type=Path, metavar="FILE", help="the controller's public certificate (PEM)")
    parser.add_argument("--type", dest="secret_type", metavar="TYPE", help="the Secret's type (default: Opaque)")
    parser.add_argument("--label", action="append", default=[], metavar="K=V", help="a label of the Secret")
    parser.add_argument("--annotation", action="append", default=[], metavar="K=V", help="an annotation of the Secret")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    repo: Path = args.repo
    if not repo.is_dir():
        raise UsageError(f"--repo {repo} is not a folder.")
    repo_files.require_inside(repo)
    with one_writer(repo, NAME):
        return _seal(repo, args)


def _seal(repo: Path, args: argparse.Namespace) -> int:
    labels = sealed_secrets.metadata_pairs(args.label, "label")
    annotations = sealed_secrets.metadata_pairs(args.annotation, "annotation")
    given = secret_values.require_one_secret_holds(
        _merge(secret_values.from_literals(args.from_literal), secret_values.from_files(args.from_file, _stdin())))
    # Everything that can refuse is checked before anyone types a secret.
    app = sealed_secrets.find_app(repo, args.app)
    if args.app in repo_state.sealed_secrets_controller_apps(repo):
        # Its Kustomization applies the HelmRelease that installs the SealedSecret CRD: on a
        # new cluster the SealedSecret fails the dry run, and nothing of it is applied.
        raise UserError(f"app {args.app} installs the Sealed Secrets controller: a SealedSecret in its folder is "
                        "applied by its Kustomization before the controller's CRD exists, and on a new cluster that "
                        "Kustomization then applies nothing, the controller included. Seal it into another app "
                        "(which then waits for this one).")
    target = sealed_secrets.open_sealed_secret(app, args.name, args.scope, args.secret_type, labels, annotations)
    if not target.exists:
        sealed_secrets.refuse_a_second_of_one_namespace(repo, app, args.name)
    # With the values the file holds already, the Secret is to hold at most 1 MiB too.
    inside = target.path.is_relative_to(repo)
    shown = target.path.relative_to(repo) if inside else target.path
    kept = {str(key): sealing.sealed_length(entry) or 0 for key, entry in target.encrypted_data.items()}
    secret_values.require_one_secret_holds(given, kept, shown.as_posix())
    public_key = sealing.load_public_key(*sealed_secrets.certificate(repo, args.cert))
    dependency = controller_dependency.plan(repo, args.app)
    values = given or secret_values.require_one_secret_holds(_asked(), kept, shown.as_posix())
    target.seal(public_key, values)

    # All of it or none: stopped half-way (a signal, a full disk), a SealedSecret no
    # Kustomization waits for or lists would stay.
    written = [*([shown.as_posix()] if inside else []), *(name for name, *_ in dependency),
               *put_back.kustomize_config_files(repo)]
    with put_back.put_back_unless_done(repo, written):
        target.save()
        stops.checkpoint("sealed-secret-written")  # the tests' stand-in for a stop here
        notes = controller_dependency.apply(repo, dependency)
        # A new file in a folder whose kustomization.yaml lists its files by hand is listed
        # there, as `add` lists an app's files: Flux would never apply it otherwise.
        listed, left = new_files_listed.list_new_files(repo, {shown.as_posix()}) if not target.exists and inside \
            else ([], [])
    verb = "added to" if target.exists else "written to"
    changes = [f"sealed {', '.join(target.added)}"] if target.added else []
    changes += [f"resealed {', '.join(target.replaced)}"] if target.replaced else []
    print(f"{'; '.join(changes)}: {verb} {shown} ({target.scope} scope, namespace {app.namespace}).")
    for note in [*notes, *listed]:
        print(note)
    for note in left:
        print(f"flux-cookbook: warning: {note}", file=sys.stderr)
    for name in secret_values.files_git_would_commit(repo, args.from_file):
        print(f"flux-cookbook: warning: {name} holds a secret in plain text inside the repository, and git does not "
              "ignore it: `git add -A` would commit it. Delete it now that it is sealed, and keep such files "
              "outside the repository (or give the value on standard input, or at the prompt).", file=sys.stderr)
    if not repo_state.sealed_secrets_controller_apps(repo):
        print(f"flux-cookbook: warning: this repository installs no Sealed Secrets controller, so a cluster has no "
              f"SealedSecret CRD to apply {shown} against, and nothing to unseal it. Add it with `flux-cookbook add "
              f"{known_apps.SEALED_SECRETS} --defaults` (apps that hold SealedSecrets then wait for it), unless the "
              "cluster gets it elsewhere.", file=sys.stderr)
    elif not controller_dependency.controller_apps_of_its_cluster(repo, args.app):
        print(f"flux-cookbook: warning: the Sealed Secrets controller this repository installs is another cluster's "
              f"({', '.join(repo_state.sealed_secrets_controller_apps(repo))}), not the one of app {args.app}: that "
              f"cluster has no SealedSecret CRD to apply {shown} against, unless it gets it elsewhere.", file=sys.stderr)
    if problem := target.missing_keys():
        print(f"flux-cookbook: warning: {problem} Seal them before the controller can make the Secret.", file=sys.stderr)
    return 0


def _merge(literals: dict[str, bytes], files: dict[str, bytes]) -> dict[str, bytes]:
    if twice := sorted(set(literals) & set(files)):
        raise UserError(f"key {', '.join(twice)} is given both by --from-literal and --from-file.")
    return {**literals, **files}


def _stdin():
    """Standard input for `--from-file KEY=-`; None when the process started with it closed."""
    return sys.stdin.buffer if sys.stdin is not None else None


def _asked() -> dict[str, bytes]:
    """Values from the terminal (asked, not echoed) or, when piped, from KEY=VALUE lines."""
    if sys.stdin is None:  # started with standard input closed
        raise UserError("no values to seal: give --from-literal or --from-file, or pipe KEY=VALUE lines in.")
    if sys.stdin.isatty():
        return secret_values.from_prompt(input, getpass.getpass)
    return secret_values.from_lines(sys.stdin.buffer)
