"""What a person sees of GitHub Markdown, for the tests: rendered by cmark-gfm (cmarkgfm,
the C library GitHub renders comments with), then read as GitHub shows it.

`seen(markdown)` gives the rendered page's elements, its visible text, and what GitHub
would act on after rendering: the @mentions and #references its filters find in the text
outside code and links. Raw HTML is rendered (the unsafe option), so a tag that got
through is an element here, not a comment that hides it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

import cmarkgfm
from cmarkgfm.cmark import Options

WORD_JOINER = "\u2060"

# GitHub's mention filter (html-pipeline's MentionFilter): `@` after a non-word character
# or the start, then a login or `org/team`; and its issue references.
MENTION = re.compile(r"(?:^|[^A-Za-z0-9_`])@([A-Za-z0-9][A-Za-z0-9-]*(?:/[A-Za-z0-9][\w-]*)?)")
REFERENCE = re.compile(r"(?:^|[^A-Za-z0-9_&])#([0-9]+)\b")
# Showdown's (the MLflow UI's) mention rule, on the Markdown source.
SHOWDOWN_MENTION = re.compile(r"(?:^|\s)(\\)?@([a-z\d]+(?:[a-z\d._-]+?[a-z\d]+)*)", re.I)


@dataclass
class Seen:
    tags: list[str] = field(default_factory=list)  # every element, in order
    links: list[str] = field(default_factory=list)  # every href and src
    text: str = ""  # the visible text, word joiners left out
    acted_on: str = ""  # text outside code and links: where GitHub finds mentions

    @property
    def mentions(self) -> list[str]:
        return MENTION.findall(self.acted_on)

    @property
    def references(self) -> list[str]:
        return REFERENCE.findall(self.acted_on)


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.seen = Seen()
        self._inert = 0  # depth inside code, pre and a
        self._text: list[str] = []
        self._acted: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.seen.tags.append(tag)
        self.seen.links += [v or "" for k, v in attrs if k in ("href", "src")]
        if tag in ("code", "pre", "a"):
            self._inert += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("code", "pre", "a"):
            self._inert -= 1

    def handle_data(self, data: str) -> None:
        self._text.append(data)
        self._acted.append(" " if self._inert else data)

    def handle_comment(self, data: str) -> None:
        self.seen.tags.append("<!--")

    def handle_decl(self, decl: str) -> None:
        self.seen.tags.append("<!")

    def close(self) -> None:
        super().close()
        self.seen.text = "".join(self._text).replace(WORD_JOINER, "")
        self.seen.acted_on = "".join(self._acted)


def render(markdown: str) -> str:
    return cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)


def seen(markdown: str) -> Seen:
    reader = _Reader()
    reader.feed(render(markdown))
    reader.close()
    return reader.seen


def visible(markdown: str) -> str:
    """The visible text, each run of whitespace one space."""
    return " ".join(seen(markdown).text.split())
