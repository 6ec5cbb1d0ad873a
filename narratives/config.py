"""feeds.yaml -> frozen, validated objects, with errors that name file, line, key and fix.

Usage::

    config = load_feeds(Path("feeds.yaml"))      # raises ConfigError listing every problem
    for outlet in config.outlets: ...

The file is read once; everything downstream gets immutable objects, so a running
collector cannot disagree with itself about its configuration.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from .errors import ConfigError

#: The affiliation vocabulary, modelled on State Media Monitor's typology.
AFFILIATIONS: dict[str, str] = {
    "state-controlled": "editorial line set or captured by a state (TASS, RT, Xinhua)",
    "public-service": "state-funded with editorial independence (BBC, DW, France 24)",
    "private": "commercially or trust owned (The Guardian)",
    "independent": "independent newsroom, often in exile or reader-funded (Meduza)",
    "unknown": "not yet classified",
}

SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
MAX_INTERVAL = 7 * 86400  # a feed fetched less than weekly is not being collected
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> float:
    """'30m' -> 1800.0. Units s, m, h, d; a bare number is seconds. ValueError otherwise."""
    match = DURATION.match(str(text))
    if not match or float(match.group(1)) <= 0:
        raise ValueError(f"{text!r} is not a duration like 90s, 30m, 6h or 1d")
    return float(match.group(1)) * _UNITS[match.group(2)]


@dataclass(frozen=True)
class FeedSpec:
    url: str
    name: str = ""
    enabled: bool = True


@dataclass(frozen=True)
class Outlet:
    id: str
    name: str
    country: str
    language: str
    affiliation: str
    owner: str
    homepage: str
    feeds: tuple[FeedSpec, ...]
    enabled: bool = True
    max_per_host: int | None = None
    interval: float | None = None
    full_text: bool = False  # fetch each article's page and extract its text (fulltext stage)


@dataclass(frozen=True)
class Defaults:
    interval: float = 15 * 60  # seconds between fetches of one feed
    max_per_host: int = 2


@dataclass(frozen=True)
class Config:
    outlets: tuple[Outlet, ...]
    defaults: Defaults = field(default_factory=Defaults)
    path: str = "<memory>"

    def interval_for(self, outlet: Outlet) -> float:
        return outlet.interval or self.defaults.interval


# --- validation -------------------------------------------------------------------

class _Problems:
    def __init__(self, path: str):
        self.path = path
        self.items: list[str] = []

    def add(self, node: yaml.Node | None, key: str, what: str, fix: str) -> None:
        line = node.start_mark.line + 1 if node is not None else 1
        self.items.append(f"{self.path}:{line}: {key}: {what}. Fix: {fix}")


class _Unreadable:
    """A value SafeLoader cannot build (``!!int abc``, ``!custom x``): fails every type check."""

    def __init__(self, node: yaml.Node):
        self.text = f"an unreadable value ({node.tag} {getattr(node, 'value', '')!r})"

    def __repr__(self) -> str:
        return self.text


def _scalar(node: yaml.Node) -> Any:
    try:
        return yaml.SafeLoader("").construct_object(node, deep=True)
    except Exception:  # noqa: BLE001 — bad tags raise ConstructorError, ValueError, AttributeError...
        return _Unreadable(node)


def _http_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _string(p: _Problems, node: yaml.Node, key: str, check: Callable[[str], bool] | None = None,
            fix: str = "give a non-empty string") -> str | None:
    value = _scalar(node) if isinstance(node, yaml.ScalarNode) else None
    if not isinstance(value, str) or not value.strip():
        if isinstance(value, bool | int | float):
            fix += f" (YAML read {node.value!r} as {type(value).__name__}: put it in quotes, e.g. \"{node.value}\")"
        p.add(node, key, f"expected a non-empty string, got {_describe(node)}", fix)
        return None
    if check is not None and not check(value):
        p.add(node, key, f"{value!r} is not valid", fix)
        return None
    return value.strip()


def _describe(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return repr(_scalar(node))


def _mapping(p: _Problems, node: yaml.Node, key: str, allowed: dict[str, bool],
             any_key: bool = False) -> dict[str, yaml.Node]:
    """Check a mapping node's keys; returns key -> value node. allowed: key -> required;
    ``any_key``: names are the user's own (e.g. facts.yaml theatres), only duplicates are wrong.

    A misspelt key gets a "did you mean" (max-per-host -> max_per_host, actors -> actor)."""
    if not isinstance(node, yaml.MappingNode):
        p.add(node, key, f"expected a mapping, got {_describe(node)}", "write key: value lines here")
        return {}
    out: dict[str, yaml.Node] = {}
    for knode, vnode in node.value:
        name = str(_scalar(knode))
        if name in out:
            p.add(knode, f"{key}.{name}", "key given twice", "keep one of them")
        elif name not in allowed and not any_key:
            close = difflib.get_close_matches(name.lower().replace("-", "_"), list(allowed), n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}?" if close else f"known keys are {', '.join(allowed)}"
            p.add(knode, f"{key}.{name}", "unknown key", f"rename or remove it ({hint})")
        out[name] = vnode
    for name, required in allowed.items():
        if required and name not in out:
            p.add(node, f"{key}.{name}", "missing", f"add '{name}:' to this entry")
    return out


def _bool(p: _Problems, node: yaml.Node, key: str) -> bool:
    value = _scalar(node) if isinstance(node, yaml.ScalarNode) else None
    if not isinstance(value, bool):
        p.add(node, key, f"expected true or false, got {_describe(node)}", "write true or false")
        return True
    return value


def _int(p: _Problems, node: yaml.Node, key: str, lo: int, hi: int) -> int | None:
    value = _scalar(node) if isinstance(node, yaml.ScalarNode) else None
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        p.add(node, key, f"expected a whole number from {lo} to {hi}, got {_describe(node)}",
              f"write a number between {lo} and {hi}")
        return None
    return value


def _duration(p: _Problems, node: yaml.Node, key: str) -> float | None:
    try:
        seconds = parse_duration(_scalar(node) if isinstance(node, yaml.ScalarNode) else "")
    except ValueError as exc:
        p.add(node, key, str(exc), "write e.g. 15m, 1h or 1d")
        return None
    if seconds > MAX_INTERVAL:
        p.add(node, key, f"{seconds:g} s is longer than 7d", "write a duration of at most 7d")
        return None
    return seconds


OUTLET_KEYS = {"id": True, "name": True, "country": True, "language": True, "affiliation": True,
               "owner": True, "homepage": True, "feeds": True, "enabled": False,
               "max_per_host": False, "interval": False, "full_text": False}
FEED_KEYS = {"url": True, "name": False, "enabled": False}


def _feeds(p: _Problems, node: yaml.Node, key: str, seen_urls: dict[str, str]) -> list[FeedSpec]:
    if not isinstance(node, yaml.SequenceNode) or not node.value:
        p.add(node, key, "expected a non-empty list of feeds", "add '- url: https://…' entries")
        return []
    feeds = []
    for i, fnode in enumerate(node.value):
        fkey = f"{key}[{i}]"
        fields = _mapping(p, fnode, fkey, FEED_KEYS)
        if "url" not in fields:
            continue
        url = _string(p, fields["url"], f"{fkey}.url", _http_url,
                      "use an absolute http:// or https:// URL")
        if url is None:
            continue
        if url in seen_urls:
            p.add(fields["url"], f"{fkey}.url", f"URL already listed under {seen_urls[url]}",
                  "list each feed URL once")
            continue
        seen_urls[url] = fkey
        name = _string(p, fields["name"], f"{fkey}.name") if "name" in fields else ""
        enabled = _bool(p, fields["enabled"], f"{fkey}.enabled") if "enabled" in fields else True
        feeds.append(FeedSpec(url=url, name=name or "", enabled=enabled))
    return feeds


def _outlet(p: _Problems, node: yaml.Node, i: int, seen_ids: dict[str, int],
            seen_urls: dict[str, str]) -> Outlet | None:
    before = len(p.items)  # before _mapping: a missing field must not reach Outlet(...)
    fields = _mapping(p, node, f"outlets[{i}]", OUTLET_KEYS)
    slug = None
    if "id" in fields:
        slug = _string(p, fields["id"], f"outlets[{i}].id", SLUG.match,
                       "use a slug of lowercase letters, digits, '-' or '_', e.g. 'tass'")
        if slug is not None and slug in seen_ids:
            p.add(fields["id"], f"outlets[{i}].id", f"duplicate id {slug!r} (also at line "
                  f"{seen_ids[slug]})", "give every outlet its own id")
        elif slug is not None:
            seen_ids[slug] = fields["id"].start_mark.line + 1
    key = f"outlets[{i}]" + (f" ({slug})" if slug else "")
    values: dict[str, Any] = {}
    for name in ("name", "country", "language", "owner"):
        if name in fields:
            values[name] = _string(p, fields[name], f"{key}.{name}")
    if "homepage" in fields:
        values["homepage"] = _string(p, fields["homepage"], f"{key}.homepage", _http_url,
                                     "use an absolute http:// or https:// URL")
    if "affiliation" in fields:
        values["affiliation"] = _string(
            p, fields["affiliation"], f"{key}.affiliation", AFFILIATIONS.__contains__,
            f"use one of {', '.join(AFFILIATIONS)}")
    feeds = _feeds(p, fields["feeds"], f"{key}.feeds", seen_urls) if "feeds" in fields else []
    enabled = _bool(p, fields["enabled"], f"{key}.enabled") if "enabled" in fields else True
    mph = _int(p, fields["max_per_host"], f"{key}.max_per_host", 1, 16) if "max_per_host" in fields else None
    interval = _duration(p, fields["interval"], f"{key}.interval") if "interval" in fields else None
    full_text = _bool(p, fields["full_text"], f"{key}.full_text") if "full_text" in fields else False
    if len(p.items) > before or slug is None or not fields:
        return None
    return Outlet(id=slug, feeds=tuple(feeds), enabled=enabled, max_per_host=mph,
                  interval=interval, full_text=full_text, **values)


def parse_feeds_yaml(text: str, path: str = "feeds.yaml") -> Config:
    """Validate feeds.yaml text. Raises ConfigError naming every problem found."""
    p = _Problems(path)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        # An unclosed quote or bracket is found at the end of the file; say where it began.
        context, cmark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
        where = f" ({context} that starts at line {cmark.line + 1})" if context and cmark else ""
        raise ConfigError([f"{path}:{line}: (syntax): {getattr(exc, 'problem', exc)}{where}. "
                           "Fix: correct the YAML syntax (indentation, quotes, colons)"]) from None
    if root is None:
        raise ConfigError([f"{path}:1: outlets: the file is empty. Fix: add an 'outlets:' list"])
    top = _mapping(p, root, "(top)", {"outlets": True, "defaults": False})
    defaults = Defaults()
    if "defaults" in top:
        d = _mapping(p, top["defaults"], "defaults", {"interval": False, "max_per_host": False})
        interval = _duration(p, d["interval"], "defaults.interval") if "interval" in d else None
        mph = _int(p, d["max_per_host"], "defaults.max_per_host", 1, 16) if "max_per_host" in d else None
        defaults = Defaults(interval=interval or defaults.interval,
                            max_per_host=mph or defaults.max_per_host)
    outlets: list[Outlet] = []
    node = top.get("outlets")
    if node is not None and (not isinstance(node, yaml.SequenceNode) or not node.value):
        p.add(node, "outlets", "expected a non-empty list of outlets", "add '- id: …' entries")
    elif node is not None:
        seen_ids: dict[str, int] = {}
        seen_urls: dict[str, str] = {}
        for i, onode in enumerate(node.value):
            outlet = _outlet(p, onode, i, seen_ids, seen_urls)
            if outlet is not None:
                outlets.append(outlet)
    if p.items:
        raise ConfigError(p.items)
    return Config(outlets=tuple(outlets), defaults=defaults, path=path)


def load_feeds(path: Path | str) -> Config:
    """Read and validate a feeds.yaml file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{path}:1: (file): not found. Fix: pass --feeds PATH or create "
                           "feeds.yaml (see README)"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{path}:1: (file): cannot be read ({exc}). Fix: save it as UTF-8 "
                           "text"]) from None
    return parse_feeds_yaml(text, str(path))
