"""Regenerate ``reviews.csv`` from the hand-written phrase lists below.

Every phrase here was written for promobot's example; nothing comes from a public
data set. The output is deterministic (fixed seed, sorted inputs), so running this
script again reproduces the committed CSV byte for byte::

    python examples/sentiment_classifier/data/make_reviews.py

The mix is deliberately not trivial: besides plain reviews there are negations
("not bad", "not worth it"), reviews whose verdict comes after a "but", lukewarm
ones and a little sarcasm, so a bag-of-words model lands well short of 100 %.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

SEED = 20240611
PER_LABEL = 200
OUT = Path(__file__).with_name("reviews.csv")

PRODUCTS = [
    "this blender",
    "the headphones",
    "this phone case",
    "the vacuum",
    "this kettle",
    "the backpack",
    "this keyboard",
    "the charger",
    "these running shoes",
    "the desk lamp",
    "this coffee maker",
    "the router",
    "this rain jacket",
    "the tent",
    "the smartwatch",
    "this air fryer",
    "the office chair",
    "this mattress",
    "the webcam",
    "these earbuds",
    "the toaster",
    "this water bottle",
    "the printer",
    "this hair dryer",
]

MOVIES = [
    "this movie",
    "the film",
    "the sequel",
    "this documentary",
    "the series finale",
    "the new season",
    "this thriller",
    "the animated feature",
    "this comedy",
    "the remake",
    "the horror flick",
    "this period drama",
]

# Every list below is split by what it can describe: a product, a film, or either.
# Templates use {p} (a product), {m} (a film) or {s} (either); {P}/{M}/{S} capitalised.

# --- plain verdicts -------------------------------------------------------------

POS_ADJ = {
    "any": [
        "excellent",
        "fantastic",
        "wonderful",
        "superb",
        "brilliant",
        "outstanding",
        "lovely",
        "terrific",
        "impressive",
        "delightful",
        "great",
        "amazing",
        "a joy",
    ],
    "p": ["solid", "well made", "worth every penny", "sturdy", "handy", "reliable"],
    "m": ["charming", "gripping", "hilarious", "touching", "a masterpiece", "stunning"],
}

NEG_ADJ = {
    "any": [
        "terrible",
        "awful",
        "horrible",
        "dreadful",
        "disappointing",
        "garbage",
        "a letdown",
        "mediocre at best",
    ],
    "p": [
        "useless",
        "flimsy",
        "a waste of money",
        "poorly made",
        "cheap and nasty",
        "broken out of the box",
    ],
    "m": ["boring", "painful to sit through", "tedious", "a mess", "forgettable", "dull"],
}

POS_CLAUSES = {
    "p": [
        "works perfectly",
        "feels sturdy and well built",
        "arrived quickly and works like a charm",
        "is easy to set up",
        "has held up for months of daily use",
        "does exactly what it promises",
        "is quiet and reliable",
        "is comfortable to use all day",
        "still works great after a year",
        "exceeded my expectations",
        "was a great purchase",
        "made my mornings easier",
        "looks even better in person",
        "is simple to clean",
    ],
    "m": [
        "kept me hooked until the last scene",
        "has a gripping story",
        "made me laugh out loud",
        "is beautifully shot",
        "has a moving ending",
        "features a career best performance",
        "has a clever script",
        "left the whole theater cheering",
        "is worth watching twice",
        "has characters I genuinely cared about",
        "moves at a perfect pace",
        "has a soundtrack I still hum",
    ],
}

NEG_CLAUSES = {
    "p": [
        "broke after a day",
        "stopped working within a week",
        "feels cheap and rattles",
        "arrived damaged",
        "is loud and overheats",
        "fell apart after two uses",
        "never connected properly",
        "leaks everywhere",
        "died right after the return window closed",
        "is uncomfortable after ten minutes",
        "smells like burnt plastic",
        "keeps disconnecting",
        "was a complete waste of money",
        "looks nothing like the photos",
    ],
    "m": [
        "dragged on forever",
        "has a predictable plot",
        "put me to sleep",
        "is full of wooden acting",
        "has a pointless ending",
        "wastes a talented cast",
        "has dialogue that made me cringe",
        "felt like two hours of my life gone",
        "is a confusing mess",
        "has jokes that all fall flat",
        "made me walk out halfway",
        "is ugly and badly edited",
    ],
}

POS_OPENERS = [
    "Honestly,",
    "Five stars.",
    "So happy with this:",
    "Highly recommend.",
    "Pleasantly surprised,",
    "Wow,",
    "Can't complain,",
    "Really glad I gave it a chance:",
    "",
    "",
]

NEG_OPENERS = [
    "Sadly,",
    "One star.",
    "Stay away.",
    "Very disappointed,",
    "Ugh,",
    "Avoid.",
    "Regret it:",
    "What a shame,",
    "",
    "",
]

POS_VERBS = {
    "any": ["I loved", "I love", "We really enjoyed", "My kids adore", "I can recommend"],
    "p": ["I use", "I'm glad I bought"],
    "m": ["I'd rewatch"],
}
NEG_VERBS = {
    "any": ["I hated", "We hated", "I can't stand", "I gave up on"],
    "p": ["I regret buying", "I returned"],
    "m": ["I walked out of", "I fell asleep during"],
}

POS_TAILS = {
    "any": ["no regrets at all.", "totally worth it.", "telling all my friends."],
    "p": ["would buy again.", "great value.", "it gets used every day."],
    "m": ["would watch again.", "already planning a rewatch.", "go see it."],
}
NEG_TAILS = {
    "any": ["never again.", "what a disappointment.", "skip it."],
    "p": ["would not buy again.", "asking for a refund.", "save your money."],
    "m": ["would not watch again.", "I want those two hours back.", "not even on a plane."],
}

# --- negations ------------------------------------------------------------------

# "not" + a negative word, meant as praise.
NEGATED_NEG = {
    "any": [
        "not bad at all",
        "not disappointing in the slightest",
        "no complaints whatsoever",
        "never let me down",
        "not a letdown like I feared",
    ],
    "p": [
        "not a waste of money",
        "not flimsy like the cheaper ones",
        "not as loud as I feared",
        "not overpriced for what you get",
        "not once did it break",
    ],
    "m": [
        "never boring",
        "not too long at all",
        "not your usual predictable sequel",
        "not a dull moment",
    ],
}

# "not" + a positive word, meant as criticism.
NEGATED_POS = {
    "any": [
        "not great",
        "not good at all",
        "not what I hoped for",
        "not impressive",
        "not recommended",
        "nowhere near as good as the reviews say",
    ],
    "p": ["not worth it", "not worth the price", "never worked the way it should"],
    "m": ["not fun in the slightest", "not funny", "not worth the ticket"],
}

# --- hard cases -----------------------------------------------------------------

# Positive overall, but they mention a flaw first (the verdict is after "but").
MIXED_POS = [
    "The box was dented, but {p} works perfectly.",
    "Shipping was slow, but {p} is excellent.",
    "The first half is slow, but {m} has a moving ending.",
    "It is a bit pricey, but honestly {p} is worth it.",
    "The manual is useless, but {p} was easy to figure out and I love it.",
    "I expected to hate {s}, but it won me over.",
    "Reviews were harsh, yet {s} turned out great.",
    "Not the prettiest thing, but {p} does the job really well.",
    "The trailer looked boring, but {m} surprised me.",
    "Setup was annoying, but since then {p} has been flawless.",
    "A few cheesy lines, but {m} is still a delight.",
    "My partner found {m} a bit long, but I enjoyed every minute.",
]

# Negative overall, but they mention something good first.
MIXED_NEG = [
    "It looks nice, but {p} broke after a day.",
    "Great price, but {p} stopped working within a week.",
    "The cast is great, but {m} is a confusing mess.",
    "Fast shipping, but {p} was a letdown.",
    "I wanted to love {s}, but it was disappointing.",
    "The first episode was good, but {m} fell apart.",
    "Beautiful design, but {p} is uncomfortable to use.",
    "The reviews were great, yet {p} never worked for me.",
    "Good idea on paper, but {p} is poorly made.",
    "Customer service was friendly, but {p} is still useless.",
    "Lovely visuals, but {m} is boring.",
    "Solid start, but {m} goes nowhere.",
]

# Lukewarm reviews that lean one way; these are honestly ambiguous.
LUKEWARM_POS = [
    "{S} is fine. Does the job, nothing fancy.",
    "{P} is okay, better than I expected for the price.",
    "Decent. {S} gets the basics right.",
    "{S} is pretty good, a few minor quirks.",
    "Not perfect, but {s} is good enough for me.",
    "{P} is alright, I would probably buy it again.",
    "Four stars. {P} is nice, could be cheaper.",
    "Took a while to grow on me, now I like {s}.",
    "{M} is a decent way to spend a Sunday afternoon.",
]

LUKEWARM_NEG = [
    "{S} is okay I guess, but I expected more.",
    "Meh. {S} is just average.",
    "{S} is fine for a day, then it gets old.",
    "Two stars. {S} is forgettable.",
    "{P} is alright, but I would not buy it again.",
    "Nothing special about {p}, returned it.",
    "{P} was fine at first, not anymore.",
    "I don't hate {s}, but I don't like it either.",
    "{M} has a few good scenes and a lot of filler.",
]

# Sarcasm: positive words, negative meaning (and negative words used as praise).
SARCASM_NEG = [
    "Oh great, {p} broke again. Just wonderful.",
    "Wow, {p} lasted a whole week. Amazing quality.",
    "Love how {p} needs a restart every hour.",
    "Fantastic, another two hours of my life wasted on {m}.",
    "Brilliant, {p} arrived in three pieces.",
]
SARCASM_POS = [
    "I hate how much I love {s}.",
    "Terrible news for my wallet: {p} is so good I bought two.",
    "My only complaint about {m} is that it ended.",
    "Dangerously addictive, {m} ruined my sleep schedule in the best way.",
]


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _pick(rng: random.Random, options: dict[str, list[str]], kind: str) -> str:
    return rng.choice(options["any"] + options[kind])


def _plain(rng: random.Random, positive: bool) -> str:
    kind = rng.choice(["p", "m"])
    s = rng.choice(PRODUCTS if kind == "p" else MOVIES)
    if positive:
        clauses, openers, adjs, verbs, tails = (
            POS_CLAUSES,
            POS_OPENERS,
            POS_ADJ,
            POS_VERBS,
            POS_TAILS,
        )
    else:
        clauses, openers, adjs, verbs, tails = (
            NEG_CLAUSES,
            NEG_OPENERS,
            NEG_ADJ,
            NEG_VERBS,
            NEG_TAILS,
        )
    form = rng.randrange(4)
    if form == 0:
        text = f"{_cap(s)} is {_pick(rng, adjs, kind)}."
    elif form == 1:
        text = f"{_pick(rng, verbs, kind)} {s}, {_pick(rng, tails, kind)}"
    elif form == 2:
        text = f"{_cap(s)} {rng.choice(clauses[kind])}. {_cap(_pick(rng, tails, kind))}"
    else:
        text = f"{_cap(s)} {rng.choice(clauses[kind])} and is {_pick(rng, adjs, kind)}."
    first = rng.choice(openers)
    if first.endswith((",", ":")) and not text.startswith(("I ", "I'")):
        text = text[0].lower() + text[1:]
    return f"{first} {text}".strip()


def _negation(rng: random.Random, positive: bool) -> str:
    kind = rng.choice(["p", "m"])
    s = rng.choice(PRODUCTS if kind == "p" else MOVIES)
    phrase = _pick(rng, NEGATED_NEG if positive else NEGATED_POS, kind)
    form = rng.randrange(3)
    if form == 0 and not phrase.startswith(("no ", "never ", "not once")):
        return f"{_cap(s)} is {phrase}."
    if form == 1:
        return f"Honestly, {s}? {_cap(phrase)}."
    return f"{_cap(phrase)}, {s}."


def _template(rng: random.Random, templates: list[str]) -> str:
    p, m = rng.choice(PRODUCTS), rng.choice(MOVIES)
    s = rng.choice([p, m])
    return rng.choice(templates).format(p=p, m=m, s=s, P=_cap(p), M=_cap(m), S=_cap(s))


def _review(rng: random.Random, positive: bool) -> str:
    kind = rng.random()
    if kind < 0.44:
        return _plain(rng, positive)
    if kind < 0.62:
        return _negation(rng, positive)
    if kind < 0.82:
        return _template(rng, MIXED_POS if positive else MIXED_NEG)
    if kind < 0.95:
        return _template(rng, LUKEWARM_POS if positive else LUKEWARM_NEG)
    return _template(rng, SARCASM_POS if positive else SARCASM_NEG)


def generate(seed: int = SEED, per_label: int = PER_LABEL) -> list[tuple[str, int]]:
    rng = random.Random(seed)
    rows: list[tuple[str, int]] = []
    seen: set[str] = set()
    for label in (1, 0):
        count = 0
        while count < per_label:
            text = " ".join(_review(rng, positive=bool(label)).split())
            if text.lower() in seen:
                continue
            seen.add(text.lower())
            rows.append((text, label))
            count += 1
    rng.shuffle(rows)
    return rows


def main() -> None:
    rows = generate()
    with OUT.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["text", "label"])
        writer.writerows(rows)
    print(f"wrote {len(rows)} rows to {OUT}")


if __name__ == "__main__":
    main()
