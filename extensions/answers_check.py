"""An answers file checked against the questions of the release about to read it.

copier drops, without a word, what an answers file records that it cannot use: a key no
question has (a misspelt `chart_verison`, while the question it meant takes its default and
the files render from that), and an answer its question refuses (a choice none of the
choices, a `depends_on` that is no list): copier's `_ask` deletes it and takes the default.
A yes/no answer it misreads: any text but its yes/no words is true (`fals`, `nope`); the
yes/no questions' validators name such a `-d` answer before copier writes anything.
The template's messages sometimes ask for a hand edit of an answers file, and such an edit
would be lost, or rendered letter by letter. So before an update or a recopy reads the
file, each such answer is named and nothing runs: copier.yml's `_message_before_update`
and `_message_before_copy` stop plain copier (copier prints them unless --quiet), and
`flux-cookbook update-all` checks every answers file it is about to update. So is an
answers file that contradicts its name, which says whose it is (`file_problems`);
`check` reports those too.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import yaml
from jinja2 import Environment, StrictUndefined, TemplateSyntaxError, nodes, pass_context
from jinja2.runtime import Context

from . import bounded_yaml, copier_support, layout
from .chart_values import values_overrides_error
from .input_checks import dns1123_label_error
from .repo_state import health_checks_error

# A question a later release drops: an older answers file recording it holds no mistake.
RETIRED_QUESTIONS: frozenset[str] = frozenset()


def _depends_on_shape_error(depends_on: object) -> str:
    """The part of repo_state.depends_on_error an update can check: the shape (which apps
    exist is asked on a copy only: an update must not fail over an app removed since)."""
    if not isinstance(depends_on, list):
        return f"must be a list of app names, e.g. [postgres], not {depends_on!r}"
    return next((error for name in depends_on if (error := dns1123_label_error(name, "depends_on entry"))), "")


# The answers whose shape copier.yml's validators check (type yaml: any YAML parses).
_SHAPES: dict[str, Callable[[object], str]] = {
    "depends_on": _depends_on_shape_error,
    "health_checks": health_checks_error,
    "values_overrides": values_overrides_error,
}


def problems(answers: Mapping, config: Mapping, later: frozenset[str] = frozenset()) -> list[str]:
    """'<key>: <what is wrong>' for each answer of `answers` (an answers file) that the
    questions of `config` (a copier.yml) would drop, in the file's order. `later`: the
    questions of a later release, whose answers are no mistake (`values refresh` records
    one in an app still at an older release); copier drops them, and the release that
    asks them comes with the next update."""
    questions = {str(name): spec for name, spec in config.items() if not str(name).startswith("_")}
    found = []
    for key, value in answers.items():
        key = str(key)
        if key.startswith("_") or key in RETIRED_QUESTIONS or (key in later and key not in questions):
            continue
        if key not in questions:
            near = difflib.get_close_matches(key, list(questions), n=1)
            found.append(_shortened(f"{key}: no question of the template has this name"
                                    + (f" (did you mean {near[0]}?)" if near else "")))
        elif error := _answer_error(key, value, questions[key]):
            found.append(_shortened(f"{key}: {error}"))
    return found


def file_problems(answers_file: str, answers: Mapping | None) -> list[str]:
    """What an answers file holds that contradicts its name, which says whose it is: an app's
    (`.copier-answers.app-<app>.yml`) renders the app its app_name names, so another name
    would render another app's files and leave this one's as they are, marked updated; the
    cluster's renders the cluster. Empty, it records no release to update from. `answers`
    None: the file holds YAML that is no mapping."""
    name = Path(answers_file).name
    if answers is None:
        return ["the file holds no answers (its YAML is no mapping): take it back from git history"]
    if not answers:
        return ["the file records no answers (it is empty): take it back from git history"]
    app = layout.app_of_answers_file(name)
    if app is None and name != layout.CLUSTER_ANSWERS:
        return ["the file's name names no app (an app's is .copier-answers.app-<app>.yml)"]
    found = []
    if app is not None and answers.get("app_name") != app:
        found.append(_shortened(f"app_name: {answers.get('app_name')!r}, but the file is app {app!r}'s; an update "
                                f"would render app {answers.get('app_name')!r} and leave {app!r} as it is"))
    if answers.get("kind", "cluster") != ("app" if app is not None else "cluster"):
        found.append(_shortened(f"kind: {answers.get('kind')!r}, but the file is "
                                + (f"app {app!r}'s (kind: app)" if app is not None else "the cluster's (kind: cluster)")))
    return found


def _shortened(problem: str, limit: int = 300) -> str:
    """At most `limit` characters of it: an answer quoted in it may be a whole file's worth."""
    return problem if len(problem) <= limit else problem[:limit] + "... (shortened)"


# What copier reads as a yes/no answer (its cast_to_bool) beside numbers (0 is false): any
# other text is true, so `-d include_example_app=fals` added the example app.
_NO_WORDS = frozenset({"", "n", "no", "f", "false", "off", "~", "null", "none"})
_YES_NO_WORDS = _NO_WORDS | {"y", "yes", "t", "true", "on"}


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def yes_no_error(value: object) -> str:
    """'' where copier reads `value` as the yes or no it says; else what is wrong with it."""
    if value is None or isinstance(value, (bool, int, float)):
        return ""
    if isinstance(value, str) and (value.strip().lower() in _YES_NO_WORDS or _number(value) is not None):
        return ""
    return f"{value!r} is neither true nor false (copier would read it as {bool(value)})"


def _answer_error(key: str, value: object, spec: object) -> str:
    if not isinstance(spec, dict):
        spec = {"default": spec}  # copier's short form, `name: default`
    if spec.get("type") == "bool":
        return yes_no_error(value)
    if choices := spec.get("choices"):
        allowed = [str(choice) for choice in (choices.values() if isinstance(choices, dict) else choices)]
        if str(value if value is not None else "") not in allowed:
            return f"{value!r} is none of the choices ({', '.join(repr(choice) for choice in allowed)})"
    if check := _SHAPES.get(key):
        return check(value).removeprefix(f"{key} ").rstrip(".")
    return ""


@pass_context
def message(context: Context, conf, operation: str = "copy") -> str:
    """copier.yml's message before an update or a copy: "" when the questions' validators
    take every `-d` answer and the answers file the operation reads (an update's, or what
    a recopy or `copy --overwrite` finds) has nothing copier would drop; else copier is
    stopped with the list (UserMessageError, which copier prints as its own refusal),
    before anything is written."""
    from copier.errors import UserMessageError  # copier's process: copier is there

    config = _template_config(Path(str(conf["src_path"])))
    if config is None:
        return ""
    recorded = copier_support.recorded_answers(conf)
    # Before an update, copier holds the -d answers alone; the answers file has the others.
    readers = _READ_ANSWERS_ONLY | ({"bootstrap_dir_moved_error"} if copier_support.bootstrap_dir_stays(recorded) else set())
    if refused := (given_refusals(context, config, readers, recorded) if operation == "update"
                   else given_refusals(context, config, _READ_ON_COPY)):
        raise UserMessageError("\n".join(refused) + "\nNothing was changed.")
    if not recorded:
        return ""
    if operation == "copy" and (skipped := _migrations_skipped(recorded, conf["vcs_ref"])):
        raise UserMessageError(
            f"{conf['answers_file']} records release {recorded.get('_commit')}: a recopy (or `copy --overwrite`) renders "
            f"the new release over it without the migrations of the releases in between ({', '.join(skipped)}), and "
            "records the new release, so no later update makes their changes (the bootstrap folder's move, Flux's "
            "new APIs). Update first (`copier update --trust`, or `flux-cookbook update-all`), then recopy. Nothing "
            "was changed.")
    if not (found := file_problems(str(conf["answers_file"]), recorded) + problems(recorded, config)):
        return ""
    raise UserMessageError(refusal({str(conf["answers_file"]): found}))


def _migrations_skipped(recorded: Mapping, vcs_ref: object) -> list[str]:
    """The releases with migrations after the one `recorded` names, up to `vcs_ref` (a
    release tag; else any): what a render over it at that ref leaves undone."""
    from packaging.version import InvalidVersion, Version

    from .migrations import RELEASES

    def version(text: object) -> Version | None:
        try:
            return Version(str(text).removeprefix("v").partition("-")[0])
        except InvalidVersion:
            return None

    if (start := version(recorded.get("_commit"))) is None:
        return []  # a bare commit: which release it is, is not known
    end = version(vcs_ref) if vcs_ref else None
    return [release for release in RELEASES if start < Version(release) and (end is None or Version(release) <= end)]


# Validators' functions that read of copier's settings (_copier_conf) only the operation,
# the -d answers and answers the update's migrations leave as they are: what they say
# before copier runs is what they say when it asks. (bootstrap_dir_moved_error too, where
# the answers file's folder is not the one the 2.0.0 step moves: bootstrap_dir_stays.)
_READ_ANSWERS_ONLY = frozenset({"checks_destination", "checks_given", "given_yes_no_error", "namespace_moved_error",
                                "answer_fixed_error", "apps_dir_moved_error", "source_left_behind_error",
                                "chart_not_there_error"})
# Before a copy, copier's settings do not yet name the answers file the answers given make
# (`copy --overwrite -d kind=app` still names the cluster's): what reads it is asked by copier.
_READ_ON_COPY = frozenset({"checks_destination", "given_yes_no_error", "chart_not_there_error"})
# The guards of what a validator reads in the destination on a copy, which runs no
# migration, or on an update given that answer (what it reads there, the apps and their
# Kustomizations, a migration moves with the answers that say where they are).
_GUARDS = frozenset({"checks_destination", "checks_given"})


# A refusal names the answer to give instead (health checks moved to the new namespace):
# kept whole up to this length, which only a hostile -d answer quoted in it passes.
_MESSAGE_LIMIT = 2000


def given_refusals(context: Context, config: Mapping, readers: frozenset[str] = _READ_ANSWERS_ONLY,
                   recorded: Mapping | None = None) -> list[str]:
    """'-d <key>: <why>' for each `-d` answer its question's validator refuses, asked before
    copier writes anything: copier asks them after an update's migrations have changed the
    repository (a refusal left it half migrated), and shows a refusal of a `-d` answer as a
    traceback. A validator is asked here only where it reads, of copier's settings, what
    `readers` read (the repository's state before the migrations is not what copier's
    question sees), and refuses before it reads an answer this context
    lacks (`recorded`: the answers file an update reads, under copier's); the others are
    asked by copier as before."""
    # An answer this context lacks (a default copier computes when it asks) stops the render
    # where the validator reads it: copier's own environment would pass it on as "".
    strict = context.environment.overlay(undefined=StrictUndefined)
    given = dict(context["_copier_conf"]["data"] or {})
    values = {**(recorded or {}), **context.get_all(),
              **{key: _as_copier_reads(value, config.get(key)) for key, value in given.items()}}
    found = []
    for key in given:
        spec = config.get(key)
        if spec is not None and (error := _answer_error(str(key), values[key], spec)):
            found.append(_shortened(f"-d {key}: {error}", _MESSAGE_LIMIT))
            continue
        validator = spec.get("validator") if isinstance(spec, dict) else None
        if not isinstance(validator, str) or not _askable_before(strict, validator, readers):
            continue
        try:
            said = strict.from_string(validator).render(values).strip()
        except Exception:  # noqa: BLE001 - one that reads an answer not given yet (copier computes it), or fails: copier asks it
            continue
        if said:
            found.append(_shortened(f"-d {key}: {said}", _MESSAGE_LIMIT))
    return found


def _askable_before(environment: Environment, validator: str, readers: frozenset[str]) -> bool:
    """Does the validator read copier's settings only as `readers` do, or behind one of
    _GUARDS?"""
    try:
        tree = environment.parse(validator)
    except TemplateSyntaxError:
        return False
    uses = {id(name) for name in tree.find_all(nodes.Name) if name.name == "_copier_conf"}
    allowed = {id(arg) for call in tree.find_all(nodes.Call) if _calls(call, readers)
               for arg in call.args if isinstance(arg, nodes.Name) and arg.name == "_copier_conf"}
    allowed |= {id(name) for guard in tree.find_all(nodes.And) if _calls(_leftmost(guard), _GUARDS)
                for name in guard.right.find_all(nodes.Name) if name.name == "_copier_conf"}
    return uses <= allowed


def _calls(node: nodes.Node, names: Iterable[str]) -> bool:
    return isinstance(node, nodes.Call) and isinstance(node.node, nodes.Name) and node.node.name in names


def _leftmost(node: nodes.Node) -> nodes.Node:
    """The first operand of `a and b and c` (Jinja reads it as ((a and b) and c))."""
    while isinstance(node, nodes.And):
        node = node.left
    return node


def _as_copier_reads(value: object, spec: object) -> object:
    """A `-d` answer as copier hands it to its question's validator (by the question's type)."""
    kind = spec.get("type") if isinstance(spec, dict) else None
    if not isinstance(value, str):
        return value
    if kind == "yaml":
        try:
            return bounded_yaml.load(value, "a -d answer")
        except (ValueError, yaml.YAMLError):
            return value
    if kind == "bool":
        return value.strip().lower() not in _NO_WORDS and ((number := _number(value)) is None or bool(number))
    return value


def given_yes_no_error(conf, key: str) -> str:
    """copier.yml's validator of a yes/no question: what is wrong with the text `-d KEY=...`
    gave it (`key`), which copier would read as another answer than the one meant (a validator
    sees the answer copier made of it, and copier runs validators on `-d` answers even
    when quiet, as `flux-cookbook new` and `add` run it)."""
    data = conf["data"] or {}
    if key not in data or not (error := yes_no_error(data[key])):
        return ""
    return f"{error}; give true or false"


def refusal(found: Mapping[str, list[str]]) -> str:
    """The message naming, for each answers file of `found`, what an update cannot use."""
    return "".join(f"{answers_file} records what an update cannot use as it is (copier would drop or misread it "
                   "without a word):\n  " + "\n  ".join(problems) + "\n" for answers_file, problems in found.items()) \
        + ("Nothing was changed. Correct the answers file (an answer removed takes its default), commit, and run the "
           "update again.")


def _template_config(template: Path) -> dict | None:
    """The copier.yml of the template checked out in `template`, or None where it cannot be read."""
    try:
        return parsed_config((template / "copier.yml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return None


def parsed_config(text: str) -> dict | None:
    """A copier.yml's text as its mapping, or None where it is not one."""
    try:
        config = bounded_yaml.load(text, "copier.yml")
    except (ValueError, yaml.YAMLError):
        return None
    return config if isinstance(config, dict) else None
