from flux_cookbook.extensions.template_source import absolute_src_path, with_absolute_paths


def test_local_paths_become_absolute(tmp_path, monkeypatch):
    (tmp_path / "tpl").mkdir()
    monkeypatch.chdir(tmp_path)
    assert absolute_src_path("tpl") == str(tmp_path / "tpl")


def test_urls_are_kept():
    for url in ("https://github.com/a/b.git", "gh:a/b", "git@github.com:a/b.git", "file:///x"):
        assert absolute_src_path(url) == url


def test_values_source_relative_to_destination(tmp_path):
    (tmp_path / "charts").mkdir()
    recorded = with_absolute_paths({"_src_path": "https://x/y", "values_source": "charts"}, str(tmp_path))
    assert recorded == {"_src_path": "https://x/y", "values_source": str(tmp_path / "charts")}
