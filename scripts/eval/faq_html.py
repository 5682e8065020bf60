"""FAQ pages (HTML) → question/answer entries, and answers → Markdown that `scry index` reads back
as one plain section each. Used by make_sets.py; the rules are stated in its docstring.

The HTML is read as a flat list of blocks (headings, paragraphs, list items, code), with page
chrome left out: <script>/<style>/<head>/<nav>/<header>/<footer>, and elements whose class is
one of DocBook's `navheader`/`navfooter`/`toc`, Sphinx's `sphinxsidebar`/`related`/`footer`/
`headerlink`, or whose role is navigation/search. Where a page marks its content with
role="main" (Sphinx), only that element is read.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

SKIP_TAGS = {"script", "style", "head", "nav", "noscript", "template", "header", "footer"}
SKIP_CLASSES = {"navheader", "navfooter", "toc", "sphinxsidebar", "related", "footer", "headerlink"}
BLOCK_TAGS = {
    "p", "li", "dt", "dd", "div", "pre", "tr", "td", "th", "table", "ul", "ol", "dl",
    "blockquote", "br", "section", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
}
VOID_TAGS = {"br", "img", "hr", "meta", "link", "input", "col", "area", "base", "wbr", "source"}
HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}


@dataclass
class Block:
    """kind: heading | question | para | item | code."""

    kind: str
    text: str
    own_text: str = ""  # text outside links (para/item), for the cross-reference rule
    level: int = 0
    anchor: str | None = None


def _ws(s: str) -> str:
    return " ".join(s.split())


class _Reader(HTMLParser):
    def __init__(self, dt_questions: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.dt_questions = dt_questions
        self.blocks: list[Block] = []
        self.skip: tuple[str, int] | None = None
        self.main_depth: int | None = None  # depth of role="main" when seen
        self.has_main = False
        self.depth = 0
        self.buf: list[str] = []
        self.own: list[str] = []
        self.link_depth = 0
        self.pre = 0
        self.item_pending = False
        self.heading: Block | None = None
        self.section_id: str | None = None
        self.dl_depth = 0

    # -- text collection
    def flush(self) -> None:
        if self.heading is not None:
            return
        text = _ws("".join(self.buf))
        own = _ws("".join(self.own))
        self.buf, self.own = [], []
        if text:
            kind = "item" if self.item_pending else "para"
            self.blocks.append(Block(kind, text, own))
            self.item_pending = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if self.skip is not None:
            if tag == self.skip[0] and tag not in VOID_TAGS:
                self.skip = (tag, self.skip[1] + 1)
            return
        classes = set((a.get("class") or "").split())
        if tag in SKIP_TAGS or classes & SKIP_CLASSES or a.get("role") in ("navigation", "search"):
            if tag not in VOID_TAGS:
                self.skip = (tag, 1)
            return
        if tag not in VOID_TAGS:
            self.depth += 1
        if a.get("role") == "main" and self.main_depth is None:
            self.main_depth = self.depth
            self.has_main = True
            self.blocks.clear()
        if tag in ("section", "div") and a.get("id"):
            self.section_id = a["id"]
        if tag == "dl":
            self.dl_depth += 1
        if tag in HEADINGS or (
            self.dt_questions and tag == "dt" and "hdlist1" in classes and self.dl_depth == 1
        ):
            self.flush()
            kind = "heading" if tag in HEADINGS else "question"
            anchor = a.get("id") or (self.section_id if tag in HEADINGS else None)
            self.section_id = None
            self.heading = Block(kind, "", level=HEADINGS.get(tag, 0), anchor=anchor)
            self.buf = []
            return
        if tag == "a" and self.heading is not None and self.heading.anchor is None:
            self.heading.anchor = a.get("id") or a.get("name")
        if tag == "a" and a.get("href"):
            self.link_depth += 1
        if tag == "pre":
            self.flush()
            self.pre += 1
            return
        if tag in BLOCK_TAGS and not self.pre:
            self.flush()
            if tag == "li":
                self.item_pending = True

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID_TAGS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if self.skip is not None:
            if tag == self.skip[0]:
                n = self.skip[1] - 1
                self.skip = None if n == 0 else (tag, n)
            return
        if tag in VOID_TAGS:
            return
        if self.main_depth is not None and self.depth == self.main_depth:
            self.flush()
            self.main_depth = -1  # past the main element: read nothing more
        self.depth -= 1
        if tag == "dl":
            self.dl_depth -= 1
        if self.heading is not None and (tag in HEADINGS or tag == "dt"):
            h = self.heading
            h.text = _ws("".join(self.buf)).rstrip("¶").strip()
            self.heading = None
            self.buf, self.own = [], []
            self.blocks.append(h)
            return
        if tag == "a" and self.link_depth:
            self.link_depth -= 1
        if tag == "pre" and self.pre:
            self.pre -= 1
            if not self.pre:
                code = "".join(self.buf).strip("\n")
                self.buf, self.own = [], []
                if code.strip():
                    self.blocks.append(Block("code", code, code))
            return
        if tag in BLOCK_TAGS and not self.pre:
            self.flush()

    def handle_data(self, data):
        if self.skip is not None or self.main_depth == -1:
            return
        self.buf.append(data)
        if not self.link_depth and self.heading is None:
            self.own.append(data)


def read_blocks(html: str, dt_questions: bool = False) -> list[Block]:
    r = _Reader(dt_questions)
    r.feed(html)
    r.close()
    r.flush()
    return r.blocks


NUMBER = re.compile(r"^\d+(\.\d+)*\.\s+")


@dataclass
class Entry:
    page: str  # corpus page path (no extension)
    source: str  # where the question is in the source package
    question: str
    blocks: list[Block] = field(default_factory=list)


def entries(blocks: list[Block], page: str, source_page: str, min_level: int) -> list[Entry]:
    """Question entries of one page: a `question` block (git's FAQ list), or a heading of level
    ≥ `min_level` whose text contains '?', starts an entry; its answer is every block up to the
    next heading or question of any level."""
    out: list[Entry] = []
    cur: Entry | None = None
    for b in blocks:
        if b.kind in ("heading", "question"):
            text = NUMBER.sub("", b.text).strip()
            is_q = b.kind == "question" or (b.level >= min_level and "?" in text)
            cur = None
            if is_q:
                src = f"{source_page}#{b.anchor}" if b.anchor else source_page
                cur = Entry(page, src, text)
                out.append(cur)
            continue
        if cur is not None:
            cur.blocks.append(b)
    return out


WORD = re.compile(r"\w+")


def words(text: str) -> int:
    return len(WORD.findall(text))


def own_words(e: Entry) -> int:
    """Words of the answer outside links (code included)."""
    return sum(words(b.own_text) for b in e.blocks)


def all_words(e: Entry) -> int:
    return sum(words(b.text) for b in e.blocks)


def plain(e: Entry) -> str:
    return "\n".join(b.text for b in e.blocks)


_ESCAPE = re.compile(r"([\\`*\[\]<>#|])")


def _escape(text: str) -> str:
    """Prose for markdown.rs: its special characters backslash-escaped (`|`, which it turns into
    a space whatever happens, is kept as it is), and nothing that starts a heading, a fence, a
    list item, a quote or a table rule at the start of the line."""
    t = _ESCAPE.sub(lambda m: m.group(1) if m.group(1) == "|" else "\\" + m.group(1), text)
    # markdown.rs strips `<!-- … -->` before anything else: break the opener.
    t = t.replace("\\<!--", "\\<!\\-\\-")
    if t[:1] in "-+>~" or t.startswith("|--") or t.startswith("| --"):
        t = "\\" + t
    return t


def answer_markdown(e: Entry) -> str:
    """The answer as Markdown: paragraphs, `- ` list items, fenced code."""
    parts: list[str] = []
    for b in e.blocks:
        if b.kind == "code":
            lines = [l.rstrip() for l in b.text.split("\n")]
            # A line that would close the fence, or a comment opener markdown.rs strips even
            # inside fences, is changed minimally.
            lines = [
                ("\u200b" + l if l.lstrip().startswith(("```", "~~~")) else l).replace("<!--", "<!-\u200b-")
                for l in lines
            ]
            parts.append("```\n" + "\n".join(lines) + "\n```")
        elif b.kind == "item":
            parts.append("- " + _escape(b.text))
        else:
            parts.append(_escape(b.text))
    return "\n\n".join(parts)
