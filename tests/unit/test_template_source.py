from flux_cookbook.extensions.template_source import absolute_src_path, pip_install_command, with_absolute_paths


def test_local_paths_become_absolute(tmp_path, monkeypatch):
    (tmp_path / "tpl").mkdir()
    monkeypatch.chdir(tmp_path)
    assert absolute_src_path("tpl") == str(tmp_path / "tpl")


def test_urls_are_kept():
    for url in ("https://github.com/a/b.git", "gh:a/b", "git@github.com:a/b.git", "file:///x"):
        assert absolute_src_path(url) == url


def test_values_source_inside_the_repository_is_recorded_relative_to_it_and_one_outside_absolute(tmp_path):
    """Any clone of the repository finds a chart kept in it by a relative path; an absolute
    one would name this clone, outside every other (where update-all refuses to read)."""
    repo = tmp_path / "repo"
    (repo / "charts/podinfo").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    for given, recorded in (("charts/podinfo", "charts/podinfo"), ("./charts/../charts/podinfo/", "charts/podinfo"),
                            (str(repo / "charts/podinfo"), "charts/podinfo"), ("../elsewhere", str(tmp_path / "elsewhere")),
                            ("not-there", "not-there")):
        assert with_absolute_paths({"_src_path": "https://x/y", "values_source": given}, str(repo)) == \
            {"_src_path": "https://x/y", "values_source": recorded}, given


def test_pip_install_command_names_the_template_release():
    full = "0123456789abcdef" * 2 + "01234567"
    assert pip_install_command("gh:me/flux-cookbook", "v2.1.1", full) == (
        "pip install 'flux-cookbook @ git+https://github.com/me/flux-cookbook.git@v2.1.1'"
    )
    # `git describe` past a tag cannot be fetched by pip: the full hash copier checked out can.
    assert pip_install_command("https://github.com/me/x", "v2.1.1-2-g0123abc", full) == (
        f"pip install 'flux-cookbook @ git+https://github.com/me/x@{full}'"
    )
    assert pip_install_command("gl:me/x", "0123abc", "") == "pip install 'flux-cookbook @ git+https://gitlab.com/me/x.git'"
    # A runner has no SSH key.
    assert pip_install_command("git@github.com:me/x.git", "v1.0.0") == (
        "pip install 'flux-cookbook @ git+https://github.com/me/x.git@v1.0.0'"
    )
    assert pip_install_command("ssh://git@example.org/me/x.git", "v1.0.0") == (
        "pip install 'flux-cookbook @ git+https://example.org/me/x.git@v1.0.0'"
    )
    # A folder on this machine: nothing a runner can install from.
    for local in ("/home/me/flux-cookbook", "file:///home/me/flux-cookbook", "../tpl", ""):
        assert pip_install_command(local, "v1.0.0", full) == ""


def _clone_with_origin(path, origin):
    import subprocess

    path.mkdir()
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    if origin:
        subprocess.run(["git", "-C", str(path), "remote", "add", "origin", origin], check=True)
    return str(path)


def test_a_local_clone_is_published_under_its_origin(tmp_path):
    from flux_cookbook.extensions.template_source import github_action, pre_commit_repository, published_url

    github = _clone_with_origin(tmp_path / "a", "https://github.com/me/flux-cookbook.git")
    assert published_url(github) == "https://github.com/me/flux-cookbook.git"
    assert github_action(github, "v3.1.0") == "me/flux-cookbook@v3.1.0"
    assert github_action(github, "v3.1.0-2-gabc1234", "") == ""  # no ref a runner can fetch
    gitlab = _clone_with_origin(tmp_path / "b", "gl:me/flux-cookbook")
    assert published_url(gitlab) == "https://gitlab.com/me/flux-cookbook.git" and github_action(gitlab, "v3.1.0") == ""
    assert pip_install_command(gitlab, "v3.1.0") == "pip install 'flux-cookbook @ git+https://gitlab.com/me/flux-cookbook.git@v3.1.0'"
    # A clone of a clone on this machine: the hook can come from there, a runner cannot reach it.
    (tmp_path / "upstream").mkdir()
    local = _clone_with_origin(tmp_path / "c", str(tmp_path / "upstream"))
    assert pre_commit_repository(local) == str(tmp_path / "upstream")
    assert pip_install_command(local, "v3.1.0") == "" and github_action(local, "v3.1.0") == ""
    # No origin, or no folder: no URL at all.
    assert published_url(_clone_with_origin(tmp_path / "d", "")) == "" == published_url(str(tmp_path / "nowhere"))
    assert pre_commit_repository("file:///srv/flux-cookbook.git") == "/srv/flux-cookbook.git"


def test_a_source_is_remote_when_git_fetches_it_from_another_machine(tmp_path):
    from flux_cookbook.extensions.template_source import is_remote

    remote = ["https://github.com/me/tpl", "ssh://git@host/me/tpl.git", "git@github.com:me/tpl.git",
              "host:me/tpl", "gh:me/tpl", "gl:me/tpl", "git+https://example.com/tpl"]
    local = [str(tmp_path / "tpl"), "../tpl", "tpl", "~/tpl", "./a:b/c", ""]
    assert [s for s in remote if not is_remote(s)] == []
    assert [s for s in local if is_remote(s)] == []


def test_copiers_shortcuts_spell_out_as_the_url_copier_clones():
    from flux_cookbook.extensions.template_source import expand_shortcut
    from flux_cookbook.template_runs.template_clone import spellings

    assert expand_shortcut("gh:me/tpl") == "https://github.com/me/tpl.git" == expand_shortcut("gh:me/tpl.git/")
    assert expand_shortcut("gl:me/tpl") == "https://gitlab.com/me/tpl.git"
    assert expand_shortcut("https://example.com/tpl") == "https://example.com/tpl"
    assert spellings("gh:me/tpl") == ["gh:me/tpl", "https://github.com/me/tpl.git"]
