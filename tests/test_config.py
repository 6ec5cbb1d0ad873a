"""feeds.yaml validation: frozen objects on success, one precise message per problem otherwise.

Every message must let a researcher fix the file without reading code: file path, the
1-based line, the key path (``outlets[1] (rt).affiliation``) and a ``Fix:`` hint.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import REPO

from narratives.config import AFFILIATIONS, load_feeds, parse_feeds_yaml
from narratives.errors import ConfigError

VALID = """\
# a comment line
defaults:
  interval: 30m
  max_per_host: 3

outlets:
  - id: tass
    name: TASS
    country: RU
    language: en
    affiliation: state-controlled
    owner: Russian state
    homepage: https://tass.example
    feeds:
      - url: https://tass.example/rss/v2.xml
        name: all
      - url: http://tass.example/rss/world.xml
        enabled: false
  - id: rt
    name: RT
    country: RU
    language: en
    affiliation: state-controlled
    owner: ANO TV-Novosti
    homepage: https://rt.example
    interval: 1h
    max_per_host: 1
    enabled: false
    feeds:
      - url: https://rt.example/rss/news/
"""

MESSAGE = re.compile(r"^(?P<path>.+?):(?P<line>\d+): (?P<key>.+?): (?P<what>.+)\. Fix: (?P<fix>.+)$")


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line number of the n-th line containing ``needle``."""
    hits = [n for n, line in enumerate(text.splitlines(), 1) if needle in line]
    assert len(hits) >= occurrence, f"{needle!r} not in test YAML"
    return hits[occurrence - 1]


def problems(text: str, path: str = "conf/feeds.yaml") -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_feeds_yaml(text, path)
    probs = info.value.problems
    assert probs, "ConfigError without problems"
    assert str(info.value) == "\n".join(probs)
    for p in probs:
        m = MESSAGE.match(p)
        assert m, f"message does not follow 'file:line: key: what. Fix: how': {p!r}"
        assert m.group("path") == path
        assert m.group("fix").strip()
    return probs


def find(probs: list[str], key: str) -> tuple[int, str]:
    """The one problem whose key path is exactly ``key``: (line, whole message)."""
    hits = [MESSAGE.match(p) for p in probs]
    hits = [m for m in hits if m and m.group("key") == key]
    assert len(hits) == 1, f"expected one problem for {key!r}, got {probs}"
    return int(hits[0].group("line")), hits[0].group(0)


def replace_line(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


# --- the happy path ---------------------------------------------------------------

def test_valid_file_loads_into_frozen_objects(tmp_path):
    path = tmp_path / "feeds.yaml"
    path.write_text(VALID, encoding="utf-8")
    config = load_feeds(path)
    assert config.path == str(path)
    assert config.defaults.interval == 1800.0
    assert config.defaults.max_per_host == 3
    assert [o.id for o in config.outlets] == ["tass", "rt"]
    tass, rt = config.outlets
    assert tass.name == "TASS" and tass.affiliation == "state-controlled"
    assert tass.homepage == "https://tass.example"
    assert [f.url for f in tass.feeds] == ["https://tass.example/rss/v2.xml",
                                          "http://tass.example/rss/world.xml"]
    assert [f.name for f in tass.feeds] == ["all", ""]
    assert [f.enabled for f in tass.feeds] == [True, False]
    assert tass.enabled is True and tass.interval is None and tass.max_per_host is None
    assert rt.enabled is False and rt.interval == 3600.0 and rt.max_per_host == 1
    assert config.interval_for(tass) == 1800.0
    assert config.interval_for(rt) == 3600.0
    assert isinstance(config.outlets, tuple) and isinstance(tass.feeds, tuple)

    with pytest.raises(dataclasses.FrozenInstanceError):
        config.outlets = ()  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        tass.affiliation = "independent"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        tass.feeds[0].url = "https://elsewhere.example/"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.defaults.interval = 1.0  # type: ignore[misc]


def test_defaults_section_is_optional():
    text = VALID.replace("defaults:\n  interval: 30m\n  max_per_host: 3\n", "")
    config = parse_feeds_yaml(text)
    assert config.defaults.interval == 15 * 60
    assert config.defaults.max_per_host == 2


def test_shipped_feeds_yaml_loads():
    path = REPO / "feeds.yaml"
    config = load_feeds(path)
    assert len(config.outlets) >= 15
    by_kind = [o.affiliation for o in config.outlets]
    assert sum(a == "state-controlled" for a in by_kind) >= 5
    assert sum(a in ("public-service", "independent", "private") for a in by_kind) >= 5
    assert set(by_kind) <= set(AFFILIATIONS)
    ids = [o.id for o in config.outlets]
    assert len(ids) == len(set(ids))
    urls = [f.url for o in config.outlets for f in o.feeds]
    assert urls and len(urls) == len(set(urls))
    for url in urls:
        parts = urlsplit(url)
        assert parts.scheme in ("http", "https") and parts.hostname, url
    for o in config.outlets:
        assert o.feeds, o.id
        assert urlsplit(o.homepage).scheme in ("http", "https"), o.id


# --- unknown keys, missing fields -------------------------------------------------

def test_unknown_top_level_key():
    text = VALID + "extras: 1\n"
    line, msg = find(problems(text), "(top).extras")
    assert line == line_of(text, "extras: 1")
    assert "unknown key" in msg and "outlets" in msg  # the known keys are listed


def test_unknown_outlet_key_suggests_the_right_one():
    text = replace_line(VALID, "    max_per_host: 1\n", "    max-per-host: 1\n")
    probs = problems(text)
    line, msg = find(probs, "outlets[1].max-per-host")
    assert line == line_of(text, "max-per-host")
    assert "unknown key" in msg and "did you mean 'max_per_host'" in msg


def test_unknown_feed_key():
    text = replace_line(VALID, "        name: all\n", "        title: all\n")
    line, msg = find(problems(text), "outlets[0] (tass).feeds[0].title")
    assert line == line_of(text, "title: all")
    assert "unknown key" in msg and "url, name, enabled" in msg


def test_unknown_defaults_key():
    text = replace_line(VALID, "  max_per_host: 3\n", "  timeout: 3\n")
    line, _ = find(problems(text), "defaults.timeout")
    assert line == line_of(text, "timeout: 3")


def test_missing_fields_name_the_entry_line():
    text = replace_line(VALID, "    owner: ANO TV-Novosti\n", "")
    text = replace_line(text, "    homepage: https://rt.example\n", "")
    probs = problems(text)
    assert len(probs) == 2
    for field in ("owner", "homepage"):
        line, msg = find(probs, f"outlets[1].{field}")
        assert line == line_of(text, "- id: rt")
        assert "missing" in msg and f"add '{field}:'" in msg


def test_missing_feed_url():
    text = replace_line(VALID, "      - url: https://rt.example/rss/news/\n", "      - name: news\n")
    line, msg = find(problems(text), "outlets[1] (rt).feeds[0].url")
    assert line == line_of(text, "- name: news")
    assert "missing" in msg


def test_missing_outlets():
    text = "defaults:\n  interval: 5m\n"
    line, msg = find(problems(text), "(top).outlets")
    assert line == 1 and "missing" in msg


# --- duplicates -------------------------------------------------------------------

def test_duplicate_outlet_id_names_the_other_line():
    text = replace_line(VALID, "  - id: rt\n", "  - id: tass\n")
    line, msg = find(problems(text), "outlets[1].id")
    assert line == line_of(text, "- id: tass", 2)
    assert f"also at line {line_of(text, '- id: tass', 1)}" in msg
    assert "Fix: give every outlet its own id" in msg


def test_duplicate_feed_url_across_outlets():
    text = replace_line(VALID, "      - url: https://rt.example/rss/news/\n",
                        "      - url: https://tass.example/rss/v2.xml\n")
    line, msg = find(problems(text), "outlets[1] (rt).feeds[0].url")
    assert line == line_of(text, "https://tass.example/rss/v2.xml", 2)
    assert "outlets[0] (tass).feeds[0]" in msg  # where it was listed first


def test_duplicate_mapping_key():
    text = replace_line(VALID, "    name: RT\n", "    name: RT\n    name: RT News\n")
    line, msg = find(problems(text), "outlets[1].name")
    assert line == line_of(text, "name: RT News")
    assert "given twice" in msg


def test_duplicate_top_level_key():
    text = VALID + "defaults:\n  interval: 1h\n"
    line, msg = find(problems(text), "(top).defaults")
    assert line == line_of(text, "defaults:", 2)
    assert "given twice" in msg


# --- bad values -------------------------------------------------------------------

@pytest.mark.parametrize("url", ["ftp://tass.example/rss.xml", "javascript:alert(1)", "/rss/news.xml",
                                 "tass.example/rss", "https://", "mailto:news@tass.example"])
def test_feed_url_must_be_absolute_http(url):
    text = replace_line(VALID, "https://rt.example/rss/news/", f"'{url}'")
    line, msg = find(problems(text), "outlets[1] (rt).feeds[0].url")
    assert line == line_of(text, f"- url: '{url}'")
    assert repr(url) in msg and "http:// or https://" in msg


def test_homepage_must_be_http():
    text = replace_line(VALID, "homepage: https://rt.example", "homepage: ftp://rt.example")
    line, _ = find(problems(text), "outlets[1] (rt).homepage")
    assert line == line_of(text, "ftp://rt.example")


def test_bad_affiliation_lists_the_vocabulary():
    text = replace_line(VALID, "    affiliation: state-controlled\n    owner: ANO",
                        "    affiliation: state-run\n    owner: ANO")
    line, msg = find(problems(text), "outlets[1] (rt).affiliation")
    assert line == line_of(text, "affiliation: state-run")
    assert "'state-run' is not valid" in msg
    for kind in AFFILIATIONS:
        assert kind in msg


@pytest.mark.parametrize("slug", ["TASS", "-tass", "tass news", "ta/ss"])
def test_bad_id(slug):
    text = replace_line(VALID, "  - id: rt\n", f"  - id: '{slug}'\n")
    line, msg = find(problems(text), "outlets[1].id")
    assert line == line_of(text, f"'{slug}'")
    assert "slug" in msg


def test_list_where_string_expected():
    text = replace_line(VALID, "    name: RT\n", "    name:\n      - RT\n      - RT News\n")
    line, msg = find(problems(text), "outlets[1] (rt).name")
    assert line == line_of(text, "- RT", 1)
    assert "expected a non-empty string, got a list" in msg


def test_string_where_list_expected():
    text = replace_line(VALID, "    feeds:\n      - url: https://rt.example/rss/news/\n",
                        "    feeds: https://rt.example/rss/news/\n")
    line, msg = find(problems(text), "outlets[1] (rt).feeds")
    assert line == line_of(text, "feeds: https://rt.example")
    assert "list" in msg


def test_outlets_must_be_a_non_empty_list():
    for body, at in (("outlets: []\n", 1), ("outlets: tass\n", 1), ("\noutlets:\n  tass: {}\n", 3)):
        line, msg = find(problems(body), "outlets")
        assert line == at and "non-empty list" in msg, body


def test_outlet_entry_must_be_a_mapping():
    text = VALID + "  - just-a-name\n"
    line, msg = find(problems(text), "outlets[2]")
    assert line == line_of(text, "just-a-name")
    assert "expected a mapping" in msg


def test_empty_string_and_wrong_scalar_types():
    text = replace_line(VALID, "    name: RT\n", "    name: ''\n")
    text = replace_line(text, "    country: RU\n    language: en\n    affiliation: state-controlled\n    owner: ANO",
                        "    country: 7\n    language: en\n    affiliation: state-controlled\n    owner: ANO")
    text = replace_line(text, "    enabled: false\n    feeds", "    enabled: 'no'\n    feeds")
    probs = problems(text)
    assert len(probs) == 3
    assert find(probs, "outlets[1] (rt).name")[0] == line_of(text, "name: ''")
    assert "got 7" in find(probs, "outlets[1] (rt).country")[1]
    line, msg = find(probs, "outlets[1] (rt).enabled")
    assert line == line_of(text, "enabled: 'no'") and "true or false" in msg


def test_unconstructable_tags_are_reported_not_raised():
    # SafeLoader raises ValueError/ConstructorError on these; they must become problems.
    text = replace_line(VALID, "    name: RT\n", "    name: !!int abc\n")
    text = replace_line(text, "    owner: ANO TV-Novosti\n", "    owner: !custom ANO\n")
    text = replace_line(text, "    interval: 1h\n", "    interval: !!float soon\n")
    probs = problems(text)
    assert len(probs) == 3
    assert find(probs, "outlets[1] (rt).name")[0] == line_of(text, "!!int abc")
    assert find(probs, "outlets[1] (rt).owner")[0] == line_of(text, "!custom ANO")
    assert find(probs, "outlets[1] (rt).interval")[0] == line_of(text, "!!float soon")


@pytest.mark.parametrize("value", ["0", "soon", "-5m", "15 minutes", "1w", "[15m]"])
def test_bad_interval(value):
    text = replace_line(VALID, "    interval: 1h\n", f"    interval: {value}\n")
    line, msg = find(problems(text), "outlets[1] (rt).interval")
    assert line == line_of(text, f"interval: {value}")
    assert "Fix: write e.g. 15m" in msg


@pytest.mark.parametrize("value", ["0", "17", "-1", "'3'", "2.5", "true", "many"])
def test_bad_max_per_host(value):
    text = replace_line(VALID, "    max_per_host: 1\n", f"    max_per_host: {value}\n")
    line, msg = find(problems(text), "outlets[1] (rt).max_per_host")
    assert line == line_of(text, f"max_per_host: {value}")
    assert "from 1 to 16" in msg


def test_bad_defaults():
    text = replace_line(VALID, "  interval: 30m\n  max_per_host: 3\n", "  interval: 0s\n  max_per_host: 99\n")
    probs = problems(text)
    assert find(probs, "defaults.interval")[0] == line_of(text, "interval: 0s")
    assert find(probs, "defaults.max_per_host")[0] == line_of(text, "max_per_host: 99")


def test_all_problems_are_reported_at_once():
    text = replace_line(VALID, "    affiliation: state-controlled\n    owner: Russian",
                        "    affiliation: statist\n    owner: Russian")
    text = replace_line(text, "http://tass.example/rss/world.xml", "ftp://tass.example/rss/world.xml")
    text = replace_line(text, "    interval: 1h\n", "    interval: often\n")
    text = replace_line(text, "    name: RT\n", "    nmae: RT\n")
    text = text + "bogus: true\n"
    probs = problems(text)
    keys = {MESSAGE.match(p).group("key") for p in probs}
    assert keys == {"outlets[0] (tass).affiliation", "outlets[0] (tass).feeds[1].url",
                    "outlets[1] (rt).interval", "outlets[1].nmae", "outlets[1].name", "(top).bogus"}
    assert len(probs) == 6
    assert find(probs, "outlets[1].nmae")[0] == line_of(text, "nmae: RT")
    assert find(probs, "outlets[1].name")[0] == line_of(text, "- id: rt")  # missing: entry line


# --- documents that are not YAML at all -------------------------------------------

@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_empty_file(text):
    line, msg = find(problems(text), "outlets")
    assert line == 1 and "empty" in msg


@pytest.mark.parametrize(("text", "line", "starts"), [
    ("outlets:\n  - id: a\n    name: x\n   country: RU\n", 4, 2),        # bad indentation
    ("outlets:\n  - id: a: b\n", 2, None),                                # colon in a value
    ("outlets:\n  - id: a\n\tname: x\n", 3, None),                       # a tab
    ("outlets:\n  - id: a\n    name: [RT\n    country: RU\n", 4, 3),    # unclosed bracket
])
def test_yaml_syntax_error_reports_the_right_line(text, line, starts):
    (msg,) = problems(text)
    got, _ = find([msg], "(syntax)")
    assert got == line
    assert "Fix: correct the YAML syntax" in msg
    if starts is not None:
        assert f"starts at line {starts})" in msg


def test_unclosed_quote_names_where_it_opened():
    # The scanner only notices at the end of the file; the message must point back.
    text = replace_line(VALID, "    owner: ANO TV-Novosti\n", "    owner: \"ANO TV-Novosti\n")
    (msg,) = problems(text)
    assert f"quoted scalar that starts at line {line_of(text, 'ANO TV-Novosti')})" in msg


def test_top_level_must_be_a_mapping():
    line, msg = find(problems("- id: tass\n"), "(top)")
    assert line == 1 and "expected a mapping, got a list" in msg


def test_file_not_found(tmp_path):
    path = tmp_path / "nope" / "feeds.yaml"
    with pytest.raises(ConfigError) as info:
        load_feeds(path)
    (msg,) = info.value.problems
    assert msg.startswith(f"{path}:1: ")
    assert "not found" in msg and "Fix:" in msg


def test_non_utf8_file(tmp_path):
    path = tmp_path / "feeds.yaml"
    path.write_bytes(VALID.replace("TASS", "T\xc4SS").encode("latin-1"))
    with pytest.raises(ConfigError) as info:
        load_feeds(path)
    (msg,) = info.value.problems
    assert msg.startswith(f"{path}:1: ")
    assert "UTF-8" in msg and "Fix:" in msg


def test_directory_instead_of_file(tmp_path):
    with pytest.raises(ConfigError) as info:
        load_feeds(tmp_path)
    (msg,) = info.value.problems
    assert msg.startswith(f"{tmp_path}:1: ") and "Fix:" in msg


def test_load_feeds_reports_the_given_path(tmp_path):
    path = tmp_path / "my feeds.yaml"
    path.write_text(VALID.replace("affiliation: state-controlled\n    owner: Russian",
                                  "affiliation: none\n    owner: Russian"), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_feeds(Path(path))
    (msg,) = info.value.problems
    assert msg.startswith(f"{path}:11: outlets[0] (tass).affiliation: ")


def test_yaml_1_1_booleans_are_not_taken_for_country_codes():
    # Norway's code NO is the boolean false in YAML 1.1: an error, never a silent False.
    text = replace_line(VALID, "    country: RU\n    language: en\n    affiliation: state-controlled\n    owner: Russian",
                        "    country: NO\n    language: en\n    affiliation: state-controlled\n    owner: Russian")
    line, msg = find(problems(text), "outlets[0] (tass).country")
    assert line == line_of(text, "country: NO") and "got False" in msg
    assert parse_feeds_yaml(text.replace("country: NO", "country: 'NO'")).outlets[0].country == "NO"
