"""The fact catalogue: facts.yaml -> frozen ``Fact`` objects, validated.

Usage::

    catalogue = load_facts("facts.yaml")      # raises ConfigError listing every problem
    catalogue.get("russian_airstrikes").actor  # ('Russia', 'Russian', 'Moscow', ...)

Terms are plain text in the language of ``narratives.terms`` (facts.yaml's header explains
it to researchers); every problem in the file is reported at once as
``file:line: key: what. Fix: how``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import yaml

from .config import _describe, _mapping, _Problems, _scalar, _string
from .errors import ConfigError
from .terms import TermError, covers, first_words, parse_term, term_key

# --------------------------------------------------------------------------- the catalogue

DEFAULT_CUES = (
    "deny", "denial", "reject", "dismiss", "refute", "claim", "allege", "allegedly", "reportedly",
    "purportedly", "unverified", "unconfirmed", "no evidence", "could not be verified",
    "could not be independently verified", "could not independently verify", "fake", "staged",
    "provocation", "hoax", "false flag", "fabricate", "disinformation", "propaganda", "so-called",
)  # fmt: skip
DEFAULT_REFERENCES = (
    "they", "their", "it", "its", "he", "his", "she", "the jet", "the warplane", "the aircraft",
    "the plane", "the bomber", "the helicopter", "the drone", "the pilot", "the force", "the troop",
    "the army", "the military", "the ministry", "the government", "the regime", "the group",
    "the militant", "the fighter", "the soldier", "these forces", "those forces",
)  # fmt: skip
DEFAULT_BLAME = (
    "blame", "carried out by", "conducted by", "responsible", "responsibility", "attributed to",
    "accuse", "was behind", "were behind",
)  # fmt: skip
DEFAULT_EXCLUDE = (
    "pro-Russian", "pro-Russia", "pro-Kremlin", "pro-Moscow", "anti-Russian", "Russian-made",
    "Russian-built", "Soviet-made", "Russian-backed", "Russia-backed", "Moscow-backed",
    "Russian-speaking", "Russian-language", "Russian-brokered", "Russia-brokered",
)  # fmt: skip
DEFAULT_VEHICLES = (
    "jet", "warplane", "aircraft", "plane", "bomber", "helicopter", "gunship", "drone", "UAV",
    "unmanned aerial vehicle", "aviation", "Aerospace Forces", "pilot", "quadcopter", "MiG", "Sukhoi",
    "Su-24", "Su-25", "Su-34", "Su-35", "Mi-8", "Mi-17", "Mi-24", "Mi-28", "Ka-52", "L-39", "F-15", "F-16",
    "F-35",
)  # fmt: skip
DEFAULT_ATTACKS = (
    "strike", "struck", "hit", "bomb", "bombard", "pound", "fire", "shoot", "shot", "shell", "raid",
    "attack", "target", "destroy", "damage", "kill", "killed", "wound", "injure", "launch", "blast",
    "explode", "explosion", "missile", "rocket", "munition", "canister", "cylinder", "barrel", "payload", "sortie",
    "chlorine", "gas", "chemical", "explosive", "grenade", "intercept", "downed", "repel",
    "slam", "ablaze", "hunt", "удар*", "атак*", "бомб*", "обстрел*", "قصف*", "غارة", "غارات", "استهدف*",
)  # fmt: skip
DEFAULT_GENERIC = ("strike", "struck", "hit", "attack")
#: Facts.yaml ``theatres:`` and ``other_actors:`` have no built-in default: without them the
#: theatre and other-actor rules (narratives.facts) are off.


@dataclass(frozen=True)
class Variant:
    """Another way to say a fact: its own action words with its own context groups, all in one
    sentence ("families ... heading for ... the camps": a movement, a refuge, people)."""

    action: tuple[str, ...]
    context: tuple[tuple[str, ...], ...] = ()
    # wars where this rule counts, when not the fact's ("hostage" in Ukraine, where the
    # fact's "captivity" would be prisoners of war): () = the fact's topics
    topics: tuple[str, ...] = ()


@dataclass(frozen=True)
class Fact:
    """One named rule: an action, optionally by an actor, optionally in a context."""

    id: str
    label: str
    description: str
    actor: tuple[str, ...]
    action: tuple[str, ...]
    context: tuple[tuple[str, ...], ...] = ()
    topics: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()  # phrases inside which this fact's terms do not count
    # places where an unattributed report of the action is plausibly this actor's: when given,
    # an agentless mention needs the article to name one ("drones hit Belgorod" may be
    # Ukraine's; "drones hit Odesa" is not)
    agentless_in: tuple[str, ...] = ()
    also: tuple[Variant, ...] = ()  # more (action, context) rules that report this fact
    # actor terms that say the act too ("the Aerospace Forces delivered a strike" is an air
    # strike by Russia's air force): also in ``action``, so a match of one is attributed
    actor_action: tuple[str, ...] = ()


@dataclass(frozen=True)
class SecondOpinion:
    """Thresholds of the trained second opinion (``narratives.action_model``; facts.yaml's
    ``second_opinion:``). For the facts without an actor: a rule mention scoring below
    ``veto`` is dropped, an article scoring above ``rescue`` carries the fact. For those
    with one: an agent-deleted article whose sentence scores above ``attribute`` for "names
    the actor as the doer" is attributed; an article the rules found nothing in whose
    sentence scores above ``hold`` for the action is ``unresolved`` (no verdict); a rule
    mention scoring below ``veto_actor`` for the action is dropped; a hold scoring above
    ``deleted``, no actor of the fact named in its sentence or the one before, is
    ``agentless``. None: off."""

    veto: float
    rescue: float
    hold: float | None = None
    attribute: float | None = None
    veto_actor: float | None = None  # ``veto`` for the facts with an actor
    deleted: float | None = None  # a hold above it, no actor of the fact named near it: agentless


@dataclass(frozen=True)
class FactCatalogue:
    """The facts and the shared vocabularies (cues, back-references, blame, exclusions)."""

    facts: tuple[Fact, ...]
    path: str = "<memory>"
    cues: tuple[str, ...] = DEFAULT_CUES
    references: tuple[str, ...] = DEFAULT_REFERENCES
    blame: tuple[str, ...] = DEFAULT_BLAME
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    # vehicles are an action only in a sentence that also has an attack word: "Russian jets
    # bombed" is an air strike, "counted Russian jets over the camp" is not
    vehicles: tuple[str, ...] = DEFAULT_VEHICLES
    attacks: tuple[str, ...] = DEFAULT_ATTACKS
    # action words that do not say how ("struck"): a fact matched by them alone yields to a fact
    # with the same actors matched by a word that does ("a guided bomb struck" is an air strike,
    # not a missile strike)
    generic: tuple[str, ...] = DEFAULT_GENERIC
    # topic -> terms naming its theatre (places, parties); an agentless mention of a fact with
    # topics needs the article to name one of its theatres (see narratives.facts)
    theatres: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # perpetrators that are no fact's actor ("Turkish drones", "coalition jets"): a sentence
    # naming one carries no agentless mention
    other_actors: tuple[str, ...] = ()
    # thresholds of the trained second opinion (action_model.py); None: the rules decide alone
    second_opinion: SecondOpinion | None = None

    @cached_property
    def _by_id(self) -> dict[str, Fact]:
        return {f.id: f for f in self.facts}

    def get(self, fact_id: str) -> Fact:
        try:
            return self._by_id[fact_id]
        except KeyError:
            raise KeyError(f"no fact {fact_id!r} in {self.path} (known: {', '.join(self.ids())})") from None

    def ids(self) -> tuple[str, ...]:
        return tuple(f.id for f in self.facts)


# --------------------------------------------------------------------------- validation

FACT_ID = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
TOPIC = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
TOP_KEYS = {
    "facts": True,
    "cues": False,
    "references": False,
    "blame": False,
    "exclude": False,
    "other_actors": False,
    "theatres": False,
    "vehicles": False,
    "attacks": False,
    "generic": False,
    "second_opinion": False,
}
SECOND_OPINION_KEYS = {"veto": True, "rescue": True, "hold": False, "attribute": False, "veto_actor": False,
                       "deleted": False}
FACT_KEYS = {
    "id": True,
    "label": True,
    "description": True,
    "actor": False,
    "action": True,
    "context": False,
    "topics": False,
    "exclude": False,
    "agentless_in": False,
    "also": False,
    "actor_action": False,
}
VARIANT_KEYS = {"action": True, "context": False, "topics": False}
# libyaml's parser when PyYAML has it: ten times faster, and `compare EVENT` reads the
# catalogue on every call (its digest tells whether the stored comparison is current).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SAME = "plurals, -ed/-ing forms, possessives and hyphen/space variants are matched automatically"


def _terms(p: _Problems, node: yaml.Node, key: str) -> tuple[tuple[str, yaml.Node], ...] | None:
    """A non-empty list of valid, distinct terms: ((text, node), ...), or None after a problem."""
    if not isinstance(node, yaml.SequenceNode) or not node.value:
        got = "an empty list" if isinstance(node, yaml.SequenceNode) else _describe(node)
        p.add(
            node,
            key,
            f"expected a non-empty list of terms, got {got}",
            "write [term, term, ...]; leave the key out if there is nothing to list",
        )
        return None
    before, out = len(p.items), []  # out: (text, node, index)
    # Only pairs whose first words agree can cover one another (terms.first_words): index
    # the kept terms by the forms their matches start with and by their own first forms,
    # so a list of hundreds of terms is not checked pair by pair.
    starts: dict[str, list[int]] = {}  # form -> kept terms whose matches can start with it
    owns: dict[str, list[int]] = {}  # form -> kept terms whose own first word has it
    unindexed: list[int] = []  # kept terms starting with a stem or an acronym
    for i, tnode in enumerate(node.value):
        text = _string(p, tnode, f"{key}[{i}]", fix="write the term as text")
        if text is None:
            continue
        try:
            parse_term(text)
        except TermError as exc:
            p.add(tnode, f"{key}[{i}]", exc.what, exc.fix)
            continue
        first, own = first_words(text)
        if first is None:
            candidates: Iterable[int] = range(len(out))
        else:
            candidates = sorted({*unindexed, *(j for f in own for j in starts.get(f, ())),
                                 *(j for f in first for j in owns.get(f, ()))})
        for seen, snode, k in (out[j] for j in candidates):
            redundant = covers(seen, text)
            if redundant or covers(text, seen):
                # Report the redundant one, naming where the term that covers it is.
                dup = (text, tnode, i, seen, snode) if redundant else (seen, snode, k, text, tnode)
                p.add(
                    dup[1],
                    f"{key}[{dup[2]}]",
                    f"{dup[0]!r} is already matched by {dup[3]!r} (line {dup[4].start_mark.line + 1})",
                    f"remove {dup[0]!r}: {_SAME}",
                )
                break
        else:
            (unindexed if first is None else []).append(len(out))
            for f in first or ():
                starts.setdefault(f, []).append(len(out))
            for f in own:
                owns.setdefault(f, []).append(len(out))
            out.append((text, tnode, i))
    return tuple((t, n) for t, n, _ in out) if len(p.items) == before else None


def _fact(p: _Problems, node: yaml.Node, i: int, seen: dict[str, int], slugs: _Slugs) -> Fact | None:
    before = len(p.items)
    fields = _mapping(p, node, f"facts[{i}]", FACT_KEYS)
    fid = None
    if "id" in fields:
        fid = _string(
            p,
            fields["id"],
            f"facts[{i}].id",
            FACT_ID.match,
            "use a slug of lowercase letters, digits and '_', e.g. 'russian_airstrikes'",
        )
        if fid is not None and fid in seen:
            p.add(
                fields["id"],
                f"facts[{i}].id",
                f"duplicate id {fid!r} (also at line {seen[fid]})",
                "give every fact its own id",
            )
        elif fid is not None:
            seen[fid] = fields["id"].start_mark.line + 1
    key = f"facts[{i}]" + (f" ({fid})" if fid else "")
    label = _string(p, fields["label"], f"{key}.label") if "label" in fields else None
    description = _string(p, fields["description"], f"{key}.description") if "description" in fields else None
    groups: dict[str, tuple[tuple[str, yaml.Node], ...] | None] = {}
    for name in ("actor", "action", "exclude", "agentless_in", "actor_action"):
        if name in fields:
            groups[name] = _terms(p, fields[name], f"{key}.{name}")
    context = _context(p, fields["context"], f"{key}.context") if "context" in fields else []
    # One term in two groups of a rule would make every match of it count for both; an actor
    # term among a rule's words would make every match of it attributed.
    actor = ("actor", groups.get("actor"))
    rules = [[actor, ("action", groups.get("action"))] + [(f"context[{k}]", g) for k, g in enumerate(context)]]
    also = []
    for named, variant in _also(p, fields["also"], key, slugs) if "also" in fields else ():
        rules.append([actor, *named])
        if variant is not None:
            also.append(variant)
    for named in rules:
        owner: dict[tuple[str, ...], str] = {}
        for name, terms in named:
            for text, tnode in terms or ():
                other = owner.setdefault(term_key(text), name)
                if other != name:
                    p.add(
                        tnode,
                        f"{key}.{name}",
                        f"{text!r} is also listed under {other}",
                        "keep the term in one group: an actor term that is also an action makes every "
                        "match attributed",
                    )
    both = _actor_actions(p, groups, key)
    topics = _topics(p, fields["topics"], key, slugs) if "topics" in fields else []
    if len(p.items) > before or fid is None or label is None or description is None:
        return None
    return Fact(
        id=fid,
        label=label,
        description=description,
        actor=tuple(t for t, _ in groups.get("actor") or ()),
        action=tuple(t for t, _ in groups.get("action") or ()) + both,
        context=tuple(tuple(t for t, _ in g or ()) for g in context),
        topics=tuple(topics),
        exclude=tuple(t for t, _ in groups.get("exclude") or ()),
        agentless_in=tuple(t for t, _ in groups.get("agentless_in") or ()),
        also=tuple(also),
        actor_action=both,
    )


def _actor_actions(p: _Problems, groups: dict[str, tuple[tuple[str, yaml.Node], ...] | None],
                   key: str) -> tuple[str, ...]:
    """A fact's ``actor_action:`` terms, each one of its actor terms (which the action check
    above has kept out of its action and context groups)."""
    actors = {term_key(t) for t, _ in groups.get("actor") or ()}
    out = []
    for text, tnode in groups.get("actor_action") or ():
        if term_key(text) in actors:
            out.append(text)
        else:
            p.add(tnode, f"{key}.actor_action", f"{text!r} is not one of the fact's actor terms",
                  "add it to actor: too -- actor_action marks actor terms that also say the act")
    return tuple(out)


_Group = tuple[tuple[str, yaml.Node], ...] | None  # a term list as _terms gives it


#: (key, node) of every valid topic slug the facts name, kept for the check against
#: ``theatres:``, which is made even beside facts with other problems.
_Slugs = list[tuple[str, yaml.Node]]


def _topics(p: _Problems, tnode: yaml.Node, key: str, slugs: _Slugs) -> list[str]:
    """A ``topics:`` list of slugs (a fact's, or one of its ``also:`` rules'); each valid one
    is also added to ``slugs``."""
    if not isinstance(tnode, yaml.SequenceNode):
        p.add(tnode, f"{key}.topics", f"expected a list, got {_describe(tnode)}", "write topics: [syria]")
        return []
    topics = []
    for k, item in enumerate(tnode.value):
        topic = _string(p, item, f"{key}.topics[{k}]", TOPIC.match, "use a slug such as syria or ukraine")
        if topic is not None:
            topics.append(topic)
            slugs.append((f"{key}.topics[{k}]", item))
    return topics


def _also(p: _Problems, anode: yaml.Node, key: str,
          slugs: _Slugs) -> list[tuple[list[tuple[str, _Group]], Variant | None]]:
    """A fact's ``also:`` rules: each rule's named term groups (for the one-group-per-term
    check) and the rule itself (None when its action is missing or wrong)."""
    if not isinstance(anode, yaml.SequenceNode) or not anode.value:
        p.add(anode, f"{key}.also", f"expected a list of rules, got {_describe(anode)}",
              "write also: [{action: [...], context: [[...], [...]]}], or leave the key out")
        return []
    out = []
    for k, vnode in enumerate(anode.value):
        vkey = f"{key}.also[{k}]"
        fields = _mapping(p, vnode, vkey, VARIANT_KEYS)
        action = _terms(p, fields["action"], f"{vkey}.action") if "action" in fields else None
        context = _context(p, fields["context"], f"{vkey}.context") if "context" in fields else []
        topics = _topics(p, fields["topics"], vkey, slugs) if "topics" in fields else []
        named = [(f"also[{k}].action", action)] + [(f"also[{k}].context[{j}]", g) for j, g in enumerate(context)]
        variant = (Variant(tuple(t for t, _ in action), tuple(tuple(t for t, _ in g or ()) for g in context),
                           tuple(topics))
                   if action is not None else None)
        out.append((named, variant))
    return out


def _context(p: _Problems, cnode: yaml.Node, key: str) -> list[tuple[tuple[str, yaml.Node], ...] | None]:
    """A list of term groups (``context:``), each a list of terms that must also occur."""
    if (
        not isinstance(cnode, yaml.SequenceNode)
        or not cnode.value
        or not all(isinstance(g, yaml.SequenceNode) for g in cnode.value)
    ):
        p.add(
            cnode,
            key,
            f"expected a list of term lists, got {_describe(cnode)}",
            "write context: [[hospital, clinic]] -- each inner list is one group that must also occur",
        )
        return []
    return [_terms(p, g, f"{key}[{k}]") for k, g in enumerate(cnode.value)]


def parse_facts_yaml(text: str, path: str = "facts.yaml") -> FactCatalogue:
    """Validate facts.yaml text. Raises ConfigError naming every problem found."""
    p = _Problems(path)
    try:
        root = yaml.compose(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise ConfigError(
            [
                f"{path}:{line}: (syntax): {getattr(exc, 'problem', exc)}. "
                "Fix: correct the YAML syntax (indentation, quotes, colons)"
            ]
        ) from None
    if root is None:
        raise ConfigError([f"{path}:1: facts: the file is empty. Fix: add a 'facts:' list"])
    top = _mapping(p, root, "(top)", TOP_KEYS)
    shared: dict[str, tuple[str, ...]] = {}
    for name in ("cues", "references", "blame", "exclude", "other_actors", "vehicles", "attacks", "generic"):
        if name in top:
            terms = _terms(p, top[name], name)
            shared[name] = tuple(t for t, _ in terms or ())
    theatres: list[tuple[str, tuple[str, ...]]] = []
    if "theatres" in top:
        for topic, tnode in _mapping(p, top["theatres"], "theatres", {}, any_key=True).items():
            if not TOPIC.match(topic):
                p.add(
                    tnode, f"theatres.{topic}", f"{topic!r} is not a topic slug", "use a slug such as syria"
                )
                continue
            terms = _terms(p, tnode, f"theatres.{topic}")
            theatres.append((topic, tuple(t for t, _ in terms or ())))
    facts: list[Fact] = []
    slugs: _Slugs = []
    node = top.get("facts")
    if node is not None and (not isinstance(node, yaml.SequenceNode) or not node.value):
        p.add(node, "facts", "expected a non-empty list of facts", "add '- id: …' entries")
    elif node is not None:
        seen: dict[str, int] = {}
        for i, fnode in enumerate(node.value):
            fact = _fact(p, fnode, i, seen, slugs)
            if fact is not None:
                facts.append(fact)
    if theatres:
        # Checked beside the file's other problems, so that a typo in a slug shows with them.
        known = {tnode.value for _, tnode in slugs}
        for topic, _ in theatres:
            if topic not in known:
                p.add(top["theatres"], f"theatres.{topic}", "no fact has this topic", "fix the slug or remove it")
        # A topic with no theatre would quietly leave the fact's mentions there unchecked, or
        # (beside one that has) drop them as another war's: a misspelt slug must not do that.
        names = [t for t, _ in theatres]
        for key, tnode in slugs:
            if tnode.value not in names:
                p.add(tnode, key, f"topic {tnode.value!r} is not one of theatres: ({', '.join(names)})",
                      f"use one of those slugs, or add 'theatres: {{{tnode.value}: [places, parties]}}'")
    opinion = _second_opinion(p, top["second_opinion"]) if "second_opinion" in top else None
    if p.items:
        raise ConfigError(p.items)
    return FactCatalogue(facts=tuple(facts), path=path, theatres=tuple(theatres), second_opinion=opinion,
                         **shared)


def _second_opinion(p: _Problems, node: yaml.Node) -> SecondOpinion | None:
    """``second_opinion: {veto: 0.1, rescue: 0.8, hold: 0.7, attribute: 0.95, veto_actor: 0.02,
    deleted: 0.8}``: probabilities, veto below rescue; all but ``veto`` and ``rescue`` may be
    left out (then off)."""
    fields = _mapping(p, node, "second_opinion", SECOND_OPINION_KEYS)
    values = {}
    for name, example in (("veto", 0.1), ("rescue", 0.8), ("hold", 0.7), ("attribute", 0.95), ("veto_actor", 0.05),
                          ("deleted", 0.9)):
        vnode = fields.get(name)
        if vnode is None:
            continue  # reported as missing when required
        value = _scalar(vnode) if isinstance(vnode, yaml.ScalarNode) else None
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            p.add(vnode, f"second_opinion.{name}", f"expected a probability from 0 to 1, got {_describe(vnode)}",
                  f"write e.g. '{name}: {example}'")
        else:
            values[name] = float(value)
    if not {"veto", "rescue"} <= values.keys() or len(values) < len(fields):
        return None
    if values["veto"] >= values["rescue"]:
        p.add(node, "second_opinion", f"veto ({values['veto']}) must be below rescue ({values['rescue']})",
              "e.g. 'second_opinion: {veto: 0.1, rescue: 0.8}'")
        return None
    return SecondOpinion(**values)


def default_facts_path() -> Path:
    """facts.yaml in the working directory, else the default catalogue installed with the package.

    The package's copy is the repository's facts.yaml (``narratives/facts.yaml`` links to it
    and a wheel holds its bytes), so a pip-installed narratives compares out of the box and
    a researcher's own catalogue in the working directory takes precedence.
    """
    here = Path("facts.yaml")
    return here if here.is_file() else Path(__file__).resolve().parent / "facts.yaml"


def load_facts(path: Path | str) -> FactCatalogue:
    """Read and validate a facts.yaml file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            [f"{path}:1: (file): not found. Fix: pass --facts PATH to an existing catalogue, or leave --facts out for the default one"]
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{path}:1: (file): cannot be read ({exc}). Fix: save it as UTF-8 text"]) from None
    return parse_facts_yaml(text, str(path))
