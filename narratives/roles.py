"""Whose action is it: the role of an actor word in a sentence (pure; used by ``facts.py``).

Usage::

    actor_role(tokens, start, end, actions)   # ("agent" | "target" | "source", index of a source's verb)
    nearest(actions, own, rivals, words) # is the action nearer this fact's actor than a rival's?

Word lists, not parsing: an actor right after "on"/"against", before "positions"/"grid" or
after "a deployment point of" is a target, and one before "air defences" defends; one
followed within a few words by "said"/"condemned", by a reaction ("has not commented",
"concerned over reports") or by a spokesman ("Russia's envoy") is a source; one
that intercepts or repels the weapons defends (a "target": not the doer); a place name in
capitals at the start is a dateline. Each rule is a list researchers can read.
"""

from __future__ import annotations

from .terms import Tokens

#: Before these a pronoun is someone's speech, not the agent ("Residents said their homes were bombed").
SPEECH = frozenset(
    "said says say told tells added adds reported reports stated states according claimed claims "
    "alleged believe believed believes fear feared fears think thought thinks hope hoped".split()
)

#: Actors at most this many words apart, joined by one of these words, act together.
_JOINED = 4
_JOINERS = frozenset("and with alongside allied allies".split())
#: An actor word right after these is the target of the action, not its perpetrator.
_TARGET_BEFORE = frozenset("on against targeting targeted".split())
#: Verbs of an attack done: what a source claims when it speaks of its own strike
#: (``narratives.facts``; not "say they target only militants", "says it targeted a depot" (an
#: aim) or "said it had destroyed a facility" (what was destroyed, not that it was struck)) ...
STRUCK = frozenset("hit struck attacked bombed shelled".split())
#: ... and, with raids, what makes an actor right after one, with nothing between, the one it
#: was done to: "one of its aircraft had struck a Hamas gunman", "drones hit Russian positions".
_STRUCK_BEFORE = STRUCK | frozenset("raided stormed".split())
#: ... and so it is right after these when no action term follows it ("fuel to Russian
#: forces", "in Ukraine"; but "killed in Russian strikes" names the perpetrator).
_PLACE_BEFORE = frozenset(
    "to in into near across inside toward towards borders bordering "
    # ... "homes in and around Kyiv", "the crossing between Israel and Gaza"
    "around outside throughout within between".split()
)
_DETERMINERS = frozenset("the a an".split())
#: ... but not after an office sitting there: "the Defence Ministry in Moscow says its strike".
_SEATED = frozenset("ministry government command headquarters leadership authorities".split())
#: A "since" at most this many words before an actor dates what was told before it, unless an
#: action term starts before this many words after the actor's start (``_since_clause``).
_SINCE_REACH = 8
_SINCE_AFTER = 4
#: ... unless the preposition follows one of these: the actor is then the accused ("blamed on
#: government forces", "attributed to Russia", "charges against the Israeli leaders").
_ACCUSED_AFTER = frozenset(
    "blame blamed blaming attributed attribute charge charges case accusation accusations allegation "
    "allegations complaint warrant warrants evidence".split()
)
#: ... and right before these ("Hezbollah positions", "Ukraine's grid", "Turkish bases").
_NOT_AGENT_AFTER = frozenset(
    "position positions target targets stronghold strongholds base bases post posts outpost outposts "
    "fighter fighters member members commander commanders depot depots tunnel tunnels site sites "
    "infrastructure facility facilities grid grids energy power city cities town towns village villages "
    "region regions territory soil border civilian civilians home homes port ports refinery refineries "
    "plant plants airfield airfields harvest grain economy export exports people population capital "
    "east south north west northeast northwest southeast southwest front frontline "
    "industry industries enterprise enterprises factory factories workshop workshops "
    # ... and a depot's contents ("Ukraine hits Russian fuel depot")
    "fuel oil ammunition "
    # ... and its lines ("drones pounding Russian supply lines")
    "supply supplies logistics "
    # ... and what it runs ("the army hospital", "a Ukrainian school")
    "hospital hospitals clinic clinics school schools "
    # ... and its interceptors ("a Ukrainian interceptor hit the building")
    "interceptor interceptors "
    # ... and people who carry no arms: "Ukrainian medics described symptoms", "Israeli
    # demonstrators gathered near the crossing", "Ukraine's prosecutor-general"
    "medics doctors nurses surgeons paramedics rescuers demonstrators protesters volunteers residents "
    "families relatives patients specialists investigators prosecutor prosecutors "
    # ... and places it owns or that bear its name: "Israeli crossing stays shut", "before it could
    # leave the Damascus countryside"
    "crossing crossings countryside outskirts suburbs".split()
)
#: ... also two words on, after one of these ("Ukraine's second-largest city").
_RANKS = frozenset("second third fourth fifth largest biggest main major key principal chief".split())
#: ... (a word further on, not these: verbs as often, "Kyiv regime targets homes"; and the base
#: the aircraft flew from, "warplanes from the Russian air base at Hmeimim bombed Idlib")
_NOT_FURTHER = frozenset("target targets base bases".split())
#: ... but "Israeli fighter jets" are aircraft, not fighters.
_AIRCRAFT = frozenset("jet jets plane planes aircraft bomber bombers".split())
#: ... and before these two words ("enterprises of the Ukrainian military-industrial complex").
_NOT_AGENT_AFTER2 = frozenset({("military", "industrial"), ("defence", "industry"), ("defense", "industry"),
                               ("arms", "industry")})
#: An actor right after one of these opens a clause describing a place or thing ("a warehouse
#: where the Ukrainian military stored weapons", "a port that the Kyiv regime uses"): unless
#: an action term follows at once ("the town where Russian jets struck"), it did not act.
_RELATIVE = frozenset("where which that whom whose".split())
#: ... "at once": within this many words ("where Ukrainian troops regularly shell ...").
_RELATIVE_REACH = 3
#: ... but "that" after these (up to ``_REPORT_REACH`` words back) opens what was said or
#: found, where the actor may well act ("the commission found that Russian forces had
#: shelled ...", "said on Thursday that the Israeli military's raid ...").
_REPORT_REACH = 3
_THAT_REPORTS = SPEECH | frozenset(
    "found find finds concluded concludes established showed show shows confirmed confirms suggested "
    "suggests noted notes insisted insists denied denies deny announced announces clear evidence "
    # nouns that open what was alleged: "rejected allegations that the Syrian army had used ..."
    "allegation allegations accusation accusations claim claims report reports charge charges "
    "assertion assertions "
    # ... and participles of reporting ("reports claiming that army helicopters had dropped ...")
    "claiming alleging saying stating reporting suggesting showing confirming".split()
)
#: An actor whose phrase ends, within ``_SOURCE_REACH`` words, at one of these is a source:
#: "Turkey said", "Ukraine's air force said", "Ukrainian officials in Kharkiv reported".
#: Reactions to someone's report: "Moscow concerned over reports of a strike", "Russia's
#: defence ministry has not commented on the strike", "allegations Moscow has not addressed".
#: A hedge after one ("reportedly killed") is the report's, not the reacting actor's denial.
REACTIONS = frozenset("commented comment comments addressed demanded demands expressed expresses concerned".split())
#: ... and one that has not answered: "the Israeli military did not respond to a request for
#: comment" (but "Israel responded with air strikes" acts).
_ANSWER = frozenset("respond responded reply replied answer answered".split())
#: ... also with one of these between: "the Israeli military did not immediately respond".
_ANSWER_ADVERBS = frozenset("immediately yet publicly directly".split())
#: ... or has made none: "Russian officials did not say where the drone was launched from,
#: and Ukraine made no statement".
_NO_STATEMENT = frozenset("statement statements announcement".split())
_SOURCE_VERBS = SPEECH | REACTIONS | frozenset(
    "condemned condemns accused accuses blamed blames warned urged called speaks spoke "
    # ... and who hails or doubts it ("Hamas and Islamic Jihad both praised it", "Moscow sees
    # no grounds to trust the reports")
    "praised praises hailed hails welcomed welcomes sees doubts doubted questioned questions "
    # ... and who claims, alleges or reports it ("Ukrainian officials claim that a clinic was hit",
    # "as Ukrainian officials report growing use of tear gas")
    "claim allege alleges report "
    # ... and who blames as the clause's participle ("with Moscow and Kyiv each blaming the other")
    "blaming accusing "
    # ... and who names what was hit ("what the Israeli military described as rocket launchers")
    "described describes".split()
)
#: ... and within its own clause (up to a comma, semicolon or colon): "it blames Ukraine;
#: Kyiv has made no comment" leaves Ukraine the accused, whatever the next clause says.
_SOURCE_REACH = 5
#: An actor followed by one of these speaks through it, and is a source whatever the verb:
#: "Russia's permanent representative to the UN demanded ...", "the Russian Foreign Ministry".
_SPEAKERS = frozenset(
    "representative representatives envoy envoys ambassador ambassadors spokesman spokeswoman "
    "spokesperson embassy diplomat diplomats permanent foreign mission centre center reconciliation "
    # ... and its press ("Ukrainian channels claimed that a hospital was hit", "Russian state
    # media described the strike as ..."): they report an act, they do not do it
    "media channels outlets press journalists reporters newspapers newspaper television broadcaster "
    # ... and those who tell what others did ("Ukrainian Telegram channels", "Russian experts
    # showed the attack had been staged")
    "telegram experts".split()
)
#: ... also after "state": "Syrian state television said".
_STATE = "state"
#: An actor right after "by"/"from" after one of these said something: "statements by the Kiev
#: regime about a strike", "claims from Moscow".
_SAID_BY = frozenset(
    "statement statements claim claims allegation allegations remark remarks comment comments "
    "assertion assertions accusation accusations report reports finding findings conclusion conclusions "
    # ... and what it gave: "the closure reason given by COGAT is mortar fire"
    "given".split()
)
#: An actor that rejects someone's claims reports them ("Russia's Defence Ministry rejected
#: Ukrainian claims that a school had been bombed"); it acts only if it then speaks of itself
#: ("rejected claims that its jets ..."). "Damascus denied using barrel bombs" stays an agent.
_DISMISS = frozenset("rejected rejects reject dismissed dismisses dismiss refuted refutes refute".split())
#: Who intercepts, downs or repels the weapons defends against the attack; it does not make it.
DEFEND = frozenset("intercepted intercepts intercept intercepting downed repelled repels repel".split())
#: ... and who shoots them down ("said it had shot down 41 drones").
_SHOOT = frozenset("shot shoot shoots shooting".split())
#: An actor right after a reporting verb and before one of these is the source of an inverted
#: attribution ("a legitimate target, say Russian lawmakers").
_PEOPLE = frozenset(
    "lawmakers legislators deputies senators officials official sources source media diplomats experts "
    "analysts politicians bloggers commentators authorities".split()
)
#: An actor right after "at" is a target ("fired at Ukraine"), unless one of these follows:
#: "turned back at Israeli checkpoints" names the posts' owner.
_POSTS = frozenset("checkpoint checkpoints crossing crossings roadblock roadblocks".split())
#: Who destroys weapons by the count ("destroyed 34 drones") shoots them down (``defends``).
_DESTROY = frozenset("destroyed destroy destroys".split())
_WEAPONS = frozenset("drone drones uav uavs missile missiles rocket rockets projectile projectiles".split())
#: An actor's positions after "from" are where the fire came from: it fired.
_ORIGINS = frozenset("position positions territory side lines".split())
#: A people's name in the plural after one of these is those counted, the victims ("wounding
#: three Israelis"), not an army.
_COUNTED = frozenset(
    "two three four five six seven eight nine ten eleven twelve dozen dozens hundreds thousands "
    "several many".split()
)
#: An actor after "of the" after one of these is a place: "the territory of the Russian Federation".
_PLACE_OF = frozenset(
    "territory territories soil region regions border borders "
    # ... and so is the strike's target: "hit a gathering of Ukrainian officers", "a deployment
    # point of Ukrainian troops", "positions of the Syrian army"
    "gathering gatherings concentration concentrations cluster clusters accumulation accumulations "
    "point points position positions base bases depot depots post posts outpost outposts "
    "headquarters".split()
)
#: ... and one after "of the" after one of these is spoken of, it does not act: "to tarnish the
#: image of the army".
_SPOKEN_OF = frozenset("image reputation credibility honour honor name".split())
#: An actor after "by" after one of these uses a place, it does not strike it ("port
#: facilities used by the Kyiv regime").
_USED_BY = frozenset("used operated run controlled held owned occupied".split())
#: A source verb right after the actor and followed by one of these is passive: the actor is
#: the accused, not the speaker ("Russia accused of using banned chemicals", "Israel blamed
#: for the blast", "Syria condemned over gas attack").
_PASSIVE_AFTER = frozenset("of for over".split())
_ACCUSING = frozenset("accused accuses blamed blames condemned condemns".split())
#: A group that claims an attack by name made it ("the Qassam Brigades claimed the launch in a
#: statement"); not one that claims what the attack did ("bloggers claim the strike targeted a
#: hotel"): the attack word ends the claim's clause or is followed by one of ``_CLAIM_ENDS``.
_CLAIMING = frozenset("claimed claims claim".split())
_CLAIMED = frozenset("attack attacks launch launches barrage barrages strike strikes bombing operation".split())
_CLAIM_ENDS = frozenset("in on for via through and with as".split())


def defends(words: list[str], v: int) -> bool:
    """Whether words[v] starts a defence: "intercepted", "downed", "shot down", "destroyed 34
    drones" (weapons counted as they are destroyed are shot down)."""
    if words[v] in _DESTROY and v + 1 < len(words) and (words[v + 1].isdigit() or words[v + 1] in _COUNTED):
        return bool(_WEAPONS.intersection(words[v + 2 : v + 5]))
    return words[v] in DEFEND or (words[v] in _SHOOT and v + 1 < len(words) and words[v + 1] == "down")


def ends_clause(between: str) -> bool:
    """Whether the text between two words ends a clause: a comma, semicolon or colon."""
    return "," in between or ";" in between or ":" in between


def gap(a: tuple[int, int], b: tuple[int, int]) -> int:
    """Words between two spans (0 when they touch or overlap)."""
    return max(0, b[0] - a[1], a[0] - b[1])


def nearest(
    actions: list[tuple[int, int]],
    own: list[tuple[int, int]],
    rivals: list[tuple[int, int]],
    words: list[str],
) -> bool:
    """Whether some action term is at least as close to one of the fact's own actors as to any
    rival actor: in "Ukrainian officials said the blast was caused by Russian missiles" the
    missiles are Russian, not Ukrainian. Actors joined by "and"/"with" a few words apart act
    together ("Russian and Syrian jets", "government forces and their Russian allies")."""
    for o in own:
        for r in rivals:
            if o[0] < r[1] and r[0] < o[1]:  # one phrase: "Syrian and Russian warplanes"
                return True
            between = words[min(o[1], r[1]) : max(o[0], r[0])]
            if len(between) <= _JOINED and _JOINERS.intersection(between):
                return True
    return any(min(gap(a, o) for o in own) <= min(gap(a, r) for r in rivals) for a in actions)


def next_word(tokens: Tokens, end: int) -> int:
    """Index of the word after ``end``, past a possessive "s" ("Ukraine's grid" -> grid)."""
    if end < len(tokens.words) and tokens.words[end] == "s" and tokens.gaps[end - 1] in ("'", "\u2019"):
        return end + 1
    return end


def actor_role(tokens: Tokens, start: int, end: int, actions: set[int]) -> tuple[str, int]:
    """("agent" | "target" | "source", index of the source's verb or -1) of the actor words
    start..end-1. ``actions``: where action terms start. A target: "strikes on Hezbollah
    positions", "Ukraine's grid", "fuel to Russian forces"; a source: "Turkey said",
    "Ukrainian officials in Kharkiv said", "according to Syrian military sources"."""
    words = tokens.words
    if _since_clause(tokens, start, actions):
        return "target", -1
    k = start - 1
    while k >= 0 and words[k] in _DETERMINERS:
        k -= 1
    before = words[k] if k >= 0 else ""
    preceding = words[k - 1] if k > 0 else ""
    nxt = next_word(tokens, end)
    after = words[nxt] if nxt < len(words) else ""
    if (before == "to" and preceding == "according") or (before in ("by", "from") and preceding in _SAID_BY):
        return "source", k
    if before in SPEECH and after in _PEOPLE:
        return "source", k
    if before == "by" and preceding in _USED_BY:
        return "target", -1
    if before == "from" and after in _ORIGINS:
        return "agent", -1  # "the shells were fired from Ukrainian positions"
    if (before.isdigit() or before in _COUNTED) and words[end - 1].endswith("s"):
        return "target", -1  # people counted: "wounding three Israelis", "12 Ukrainians"
    after2 = words[nxt + 1] if nxt + 1 < len(words) else ""
    if after in _SPEAKERS:  # "Russia's envoy demanded ...": its speaker, whose verb may come late
        return "source", nxt
    if after == _STATE and after2 in _SPEAKERS:
        return "source", nxt + 1
    if after == "air" and after2.startswith(("defence", "defense")):
        return "target", -1  # "Russian air defences destroyed a further 14 drones": it defends
    if before == "of" and (preceding in _PLACE_OF or preceding in _SPOKEN_OF):
        return "target", -1
    if before == "at" and k == start - 1 and after not in _POSTS:  # "fired at Ukraine"; not "at an Israeli checkpoint"
        return "target", -1
    if (before in _RELATIVE and not actions.intersection(range(end, end + _RELATIVE_REACH))
            and not (before == "that" and _THAT_REPORTS.intersection(words[max(0, k - _REPORT_REACH) : k]))):
        return "target", -1
    # ... but "a rocket attack by Hamas fighters": after "by", its fighters did it
    if (after in _NOT_AGENT_AFTER and after2 not in _AIRCRAFT and before != "by") or (after, after2) in _NOT_AGENT_AFTER2 or (
        # ... a word further on, when it is no action ("Ukrainian army positions", "Ukraine's
        # second-largest city")
        after2 in _NOT_AGENT_AFTER and after2 not in _NOT_FURTHER and nxt not in actions and before != "by"
    ) or (
        # ... or after a rank: "Ukraine's second-largest city", "Russia's main air base"
        after in _RANKS and _NOT_AGENT_AFTER.intersection(words[nxt + 1 : nxt + 3]) and before != "by"
    ) or (
        preceding not in _ACCUSED_AFTER
        and (before in _TARGET_BEFORE
             or (before in _PLACE_BEFORE and nxt not in actions and not (before == "in" and preceding in _SEATED))
             or (before in _STRUCK_BEFORE and not tokens.gaps[k].strip()))
    ):
        return "target", -1
    for v in range(nxt, min(nxt + _SOURCE_REACH, len(words))):
        if v in actions or ends_clause(tokens.gaps[v - 1]):
            break
        if defends(words, v):  # "Russian air defences intercepted 22 Ukrainian drones"
            return "target", -1
        if words[v] in _DISMISS and _SAID_BY.intersection(words[v + 1 : v + 4]):
            return "source", v
        if words[v] in _ANSWER and (words[v - 1] == "not" or (words[v - 1] in _ANSWER_ADVERBS and words[v - 2] == "not")):
            return "source", v
        if words[v] in _NO_STATEMENT and words[v - 1] == "no":  # "and Ukraine made no statement"
            return "source", v
        if words[v] in _SOURCE_VERBS:
            if v + 1 < len(words) and words[v + 1] in _PASSIVE_AFTER and words[v] in _ACCUSING:
                return "agent", -1
            if v + 1 < len(words) and words[v + 1] == "responsibility":
                return "agent", -1  # "Islamic Jihad claimed responsibility for the barrage"
            if words[v] in _CLAIMING and _claims_attack(tokens, v):
                return "agent", -1
            return "source", v
    return "agent", -1


def _since_clause(tokens: Tokens, start: int, actions: set[int]) -> bool:
    """Whether the actor at ``start`` is in a "since" clause that dates an action told before it
    ("the hospital had been hit twice since the city was retaken by Ukrainian troops", "a habit
    kept since Russia's full-scale invasion began"): the clause says when, not who did the act.
    Not when an action term follows the "since" ("since Russian jets bombed the town")."""
    words = tokens.words
    for c in range(start - 1, max(-1, start - _SINCE_REACH - 1), -1):
        if c < start - 1 and ends_clause(tokens.gaps[c]):
            return False
        if words[c] == "since":
            return any(a < c for a in actions) and not any(c < a < start + _SINCE_AFTER for a in actions)
    return False


def _claims_attack(tokens: Tokens, v: int) -> bool:
    """Whether the claim verb at ``v`` claims an attack by name (``_CLAIMED``)."""
    words = tokens.words
    n = v + 1 + (words[v + 1 : v + 2] in (["the"], ["this"], ["that"]))
    return n < len(words) and words[n] in _CLAIMED and (
        n + 1 >= len(words) or words[n + 1] in _CLAIM_ENDS or any(c in tokens.gaps[n] for c in ".,;:"))


def _capitals(tokens: Tokens, start: int, end: int) -> bool:
    return all(tokens.raw[k].isupper() and len(tokens.raw[k]) > 1 for k in range(start, end))


def dateline(tokens: Tokens, start: int, end: int, term: str) -> bool:
    """Whether a place name written in capitals ("MOSCOW —") is a dateline: where the report
    was filed, not who acted. Acronym terms (VKS) are not. So is the country after a city in
    capitals at the start ("KHARKIV, Ukraine (Kestrel) —", "IDLIB, Syria —"): the dateline
    ends at a dash or a parenthesis."""
    if term.isupper():
        return False
    if _capitals(tokens, start, end):  # "MOSCOW —", "BEIRUT (Kestrel)", "KYIV, Ukraine"; not "MOSCOW'S"
        return end >= len(tokens.raw) or _dateline_end(tokens.gaps[end - 1])
    if start == 0 or end >= len(tokens.raw) or not _capitals(tokens, 0, start):
        return False
    return "," in tokens.gaps[start - 1] and _dateline_end(tokens.gaps[end - 1])


def _dateline_end(gap: str) -> bool:
    """Whether the text after a dateline's place is a comma, a parenthesis or a dash."""
    return any(c in gap for c in ",(\u2014\u2013") or (gap.strip() == "-" and " " in gap)
