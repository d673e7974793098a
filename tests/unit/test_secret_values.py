"""How `flux-cookbook seal` takes values: keys checked, values kept as given, never shown."""

from __future__ import annotations

import io

import pytest

from flux_cookbook.errors import UserError
from flux_cookbook.extensions.kube_names import dns1123_subdomain_error, label_value_error, qualified_name_error, secret_key_error
from flux_cookbook.seal import secret_values

VALUE = "Never-Shown-9d1c"


def test_lines_keep_everything_after_the_first_equals_sign():
    stream = io.BytesIO(b"# a comment\n\nurl=postgres://u:p@h/db?a=b\r\nspaced= two words \nbytes=\xff\x00")
    assert secret_values.from_lines(stream) == {
        "url": b"postgres://u:p@h/db?a=b", "spaced": b" two words ", "bytes": b"\xff\x00",
    }


@pytest.mark.parametrize(
    "text, message",
    [
        (f"{VALUE}\n", "standard input, line 1 has no '='"),
        # The text before the '=' is not shown either: a token ending in '=' given without KEY=.
        (f"a=1\nb c={VALUE}\n", "standard input, line 2: secret key (not shown: it may be a secret) may only contain"),
        (f"a=1\n{VALUE}=\n", "standard input, line 2: nothing after the '='"),
        (f"a=1\na={VALUE}\n", "standard input, line 2: key 'a' is given twice."),
        ("\n# only a comment\n", "standard input has no KEY=VALUE line"),
        (f"ÿ={VALUE}\n", "standard input, line 1: secret key (not shown: it may be a secret) may only contain"),
    ],
)
def test_bad_lines_are_refused_without_their_value(text, message):
    with pytest.raises(UserError) as refused:
        secret_values.from_lines(io.BytesIO(text.encode()))
    assert message in str(refused.value) and VALUE not in str(refused.value)


@pytest.mark.parametrize("secret", ["Pa$$w0rd'Xy9", "C:\\Users\\me\\hunter2", "tab\there", "..hidden", "k" * 254])
def test_text_before_the_equals_sign_of_a_literal_or_line_is_never_shown(secret):
    """The text before '=' is a secret where a token ending in '=' is given without KEY=:
    a key refused for any reason is not quoted, whatever characters it holds."""
    for refuse in (lambda: secret_values.from_literals([f"{secret}="]),
                   lambda: secret_values.from_literals([f"{secret}=value"]),
                   lambda: secret_values.from_lines(io.BytesIO(f"{secret}=value\n".encode()))):
        with pytest.raises(UserError) as refused:
            refuse()
        message = str(refused.value)
        assert secret not in message and secret[-5:] not in message, message


def test_literals_keep_the_shells_bytes():
    assert secret_values.from_literals(["a=x=y", "c=\udcff"]) == {"a": b"x=y", "c": b"\xff"}
    for literals, message in [([VALUE], "--from-literal #1 has no '='"), (["a=1", f"a={VALUE}"], "--from-literal #2: key 'a' is given twice"),
                              ([f"{VALUE}="], "--from-literal #1: nothing after the '='")]:
        with pytest.raises(UserError) as refused:
            secret_values.from_literals(literals)
        assert message in str(refused.value) and VALUE not in str(refused.value)


def test_files_are_keyed_by_name_or_file_name(tmp_path):
    (tmp_path / "ca.crt").write_bytes(b"\x00pem\n")
    assert secret_values.from_files([f"root={tmp_path / 'ca.crt'}", str(tmp_path / "ca.crt")]) == {"root": b"\x00pem\n", "ca.crt": b"\x00pem\n"}
    with pytest.raises(UserError, match="is not a regular file"):
        secret_values.from_files([f"k={tmp_path / 'missing'}"])
    with pytest.raises(UserError, match="secret key 'a b'"):
        secret_values.from_files([f"a b={tmp_path / 'ca.crt'}"])


def test_key_dash_reads_a_multi_line_value_from_standard_input_once():
    pem = b"-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n"
    assert secret_values.from_files(["tls.key=-"], io.BytesIO(pem)) == {"tls.key": pem}
    with pytest.raises(UserError, match="an earlier KEY=- took it"):
        secret_values.from_files(["a=-", "b=-"], io.BytesIO(pem))
    with pytest.raises(UserError, match="standard input is closed"):
        secret_values.from_files(["a=-"], None)
    with pytest.raises(UserError, match=r"/dev/stdin is not a regular file \(for standard input, write k=-\)"):
        secret_values.from_files(["k=/dev/stdin"], io.BytesIO(pem))


def test_a_value_over_what_a_secret_holds_is_refused_without_reading_on(tmp_path):
    big = tmp_path / "big"
    big.write_bytes(b"x" * (secret_values.MAX_VALUE_BYTES + 1))
    (tmp_path / "fits").write_bytes(b"x" * secret_values.MAX_VALUE_BYTES)
    assert len(secret_values.from_files([f"k={tmp_path / 'fits'}"])["k"]) == secret_values.MAX_VALUE_BYTES
    with pytest.raises(UserError, match="holds over 1 MiB"):
        secret_values.from_files([f"k={big}"])

    class Endless(io.RawIOBase):
        def readable(self):
            return True

        def readinto(self, buffer):
            buffer[:] = b"y" * len(buffer)
            return len(buffer)

    with pytest.raises(UserError, match="standard input holds over 1 MiB"):
        secret_values.from_files(["k=-"], io.BufferedReader(Endless()))


def test_prompt_asks_again_after_a_bad_key_a_repeat_or_a_mismatch(capsys):
    keys = iter(["bad key", "password", "password", "token", "token", ""])
    secrets = iter([VALUE, VALUE, "first", "second", "t", "t"])
    values = secret_values.from_prompt(lambda prompt: next(keys), lambda prompt: next(secrets))
    assert values == {"password": VALUE.encode(), "token": b"t"}
    shown = capsys.readouterr()
    assert "secret key 'bad key' may only contain" in shown.err
    assert "key 'password' is already given" in shown.err
    assert "The two values of token differ" in shown.err
    assert VALUE not in shown.out + shown.err


def test_a_value_typed_in_another_encoding_is_refused_without_a_byte_of_it():
    def ask_secret(prompt):
        return b"P\xe4ss-word".decode("utf-8")  # what getpass raises on a Latin-1 terminal

    with pytest.raises(UserError) as refused:
        secret_values.from_prompt(lambda prompt: "pw", ask_secret)
    assert "nothing sealed" in str(refused.value) and "xe4" not in str(refused.value)


def test_key_dash_with_nothing_on_standard_input_is_refused():
    """`false | seal ... --from-file token=-`: the producer failed; the key is not emptied."""
    with pytest.raises(UserError) as refused:
        secret_values.from_files(["token=-"], io.BytesIO(b""))
    assert "standard input gave nothing" in str(refused.value)


def test_prompt_with_no_key_or_ended_input_seals_nothing():
    with pytest.raises(UserError, match="no secret key given"):
        secret_values.from_prompt(lambda prompt: "", lambda prompt: "")

    def ended(prompt):
        raise EOFError

    with pytest.raises(UserError, match="input ended at a prompt"):
        secret_values.from_prompt(lambda prompt: "k", ended)


@pytest.mark.parametrize(
    "check, value, fine",
    [
        (lambda v: secret_key_error(v), "tls.crt", True),
        (lambda v: secret_key_error(v), ".dockerconfigjson", True),
        (lambda v: secret_key_error(v), "a_B-9", True),
        (lambda v: secret_key_error(v), "a/b", False),
        (lambda v: secret_key_error(v), "..a", False),
        (lambda v: secret_key_error(v), ".", False),
        (lambda v: secret_key_error(v), "k" * 254, False),
        (lambda v: dns1123_subdomain_error(v, "name"), "db.web-1", True),
        (lambda v: dns1123_subdomain_error(v, "name"), "Db", False),
        (lambda v: dns1123_subdomain_error(v, "name"), "db-", False),
        (lambda v: dns1123_subdomain_error(v, "name"), "a" * 254, False),
        (lambda v: qualified_name_error(v, "label key"), "app.kubernetes.io/name", True),
        (lambda v: qualified_name_error(v, "label key"), "Team_A", True),
        (lambda v: qualified_name_error(v, "label key"), "/name", False),
        (lambda v: qualified_name_error(v, "label key"), "Example.com/name", False),
        (lambda v: qualified_name_error(v, "label key"), "a" * 64, False),
        (lambda v: qualified_name_error(v, "label key"), "-a", False),
        (lambda v: label_value_error("k", v), "", True),
        (lambda v: label_value_error("k", v), "v1.2_x", True),
        (lambda v: label_value_error("k", v), "a b", False),
        (lambda v: label_value_error("k", v), "v" * 64, False),
    ],
)
def test_kubernetes_name_rules(check, value, fine):
    assert (check(value) == "") is fine


def test_what_one_secret_cannot_hold_is_refused():
    big = b"x" * (secret_values.MAX_VALUE_BYTES // 2 + 1)
    with pytest.raises(UserError, match="more than a Kubernetes Secret may hold"):
        secret_values.require_one_secret_holds({"a": big, "b": big})
    assert secret_values.require_one_secret_holds({"a": big}) == {"a": big}
    endless = io.BytesIO(b"a=" + b"x" * (secret_values.MAX_VALUE_BYTES + 1))  # as `cat /dev/zero |` would go on
    with pytest.raises(UserError, match="standard input: it holds over 1 MiB"):
        secret_values.from_lines(endless)
