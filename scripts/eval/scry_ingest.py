"""A Python port of how `scry index` turns a Markdown file into documents, so that evaluation sets
can name the ids it will produce without running it.

Ported from crates/scry-cli/src/ingest/: markdown.rs (`sections`, `inline`), slug.rs (`slug`,
`Slugger`) and mod.rs (`page_documents`: one document per non-empty section, id
`<page path without extension>#<anchor>`, a section before any heading has the page as its id).
folder.rs drops a document whose id an earlier file already produced. Only Markdown is ported
(the HTML the evaluation corpora copy verbatim is never named by id). If the Rust side changes,
`make_sets.py check` (against `scry index --dump`) is how to notice.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field


@dataclass
class Section:
    level: int
    title: str = ""
    body: str = ""


@dataclass
class Doc:
    id: str
    title: str
    headings: list[str] = field(default_factory=list)
    body: str = ""


def _is_alnum(c: str) -> bool:
    # Rust's char::is_alphanumeric (Alphabetic or Numeric); str.isalnum() agrees on every
    # character these corpora contain.
    return c.isalnum()


def slug(text: str) -> str:
    """slug.rs `slug`: lower-case, runs of non-alphanumerics become one `-`, trimmed."""
    out: list[str] = []
    dash = False
    for c in text.lower():
        if _is_alnum(c):
            if dash and out:
                out.append("-")
            dash = False
            out.append(c)
        else:
            dash = True
    return "".join(out)


class Slugger:
    """slug.rs `Slugger`: unique anchors within one page (`x`, `x-1`, `x-2`, …)."""

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}

    def slug(self, heading: str) -> str:
        return self.reserve(slug(heading) or "section")

    def reserve(self, anchor: str) -> str:
        n = self.seen.get(anchor, 0)
        out = anchor if n == 0 else f"{anchor}-{n}"
        self.seen[anchor] = n + 1
        if out != anchor:
            self.seen.setdefault(out, 1)
        return out


def _strip_comments(text: str) -> str:
    out = []
    rest = text
    while True:
        i = rest.find("<!--")
        if i < 0:
            break
        out.append(rest[:i])
        j = rest.find("-->", i + 4)
        if j < 0:
            rest = ""
            break
        rest = rest[j + 3 :]
    out.append(rest)
    return "".join(out)


def _is_ascii_punct(c: str) -> bool:
    return len(c) == 1 and c.isascii() and not c.isalnum() and c.isprintable() and not c.isspace()


def inline(line: str) -> str:
    """markdown.rs `inline`: code spans, links, images, emphasis, inline HTML → text."""
    chars = line
    n = len(chars)
    out: list[str] = []
    i = 0

    def run_at(j: int) -> int:
        k = j
        while k < n and chars[k] == "`":
            k += 1
        return k - j

    while i < n:
        c = chars[i]
        if c == "`":
            run = run_at(i)
            close = None
            for j in range(i + run, n):
                if run_at(j) == run and (j == 0 or chars[j - 1] != "`"):
                    close = j
                    break
            if close is not None:
                out.append(chars[i + run : close])
                i = close + run
            else:
                i += run
        elif c == "!" and i + 1 < n and chars[i + 1] == "[":
            i += 1
        elif c == "[":
            close = chars.find("]", i + 1)
            if close < 0:
                out.append(c)
                i += 1
                continue
            out.append(inline(chars[i + 1 : close]))
            i = close + 1
            if i < n and chars[i] in "([":
                end = ")" if chars[i] == "(" else "]"
                j = chars.find(end, i + 1)
                if j >= 0:
                    i = j + 1
        elif c == "<":
            is_tag = i + 1 < n and ((chars[i + 1].isascii() and chars[i + 1].isalpha()) or chars[i + 1] == "/")
            j = chars.find(">", i + 1)
            if is_tag and j >= 0:
                i = j + 1
            else:
                out.append(c)
                i += 1
        elif c == "*":
            i += 1
        elif c == "\\" and i + 1 < n and _is_ascii_punct(chars[i + 1]):
            out.append(chars[i + 1])
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _heading(line: str):
    hashes = len(line) - len(line.lstrip("#"))
    if not 1 <= hashes <= 6:
        return None
    rest = line[hashes:]
    if not (rest == "" or rest.startswith(" ") or rest.startswith("\t")):
        return None
    return hashes, rest.strip().rstrip("#").strip()


def _is_reference_definition(line: str) -> bool:
    t = line.lstrip()
    if not t.startswith("["):
        return False
    i = t.find("]:")
    return i >= 0 and "]" not in t[1:i]


def _lines(text: str) -> list[str]:
    """Rust `str::lines`: split at `\\n`, drop a trailing `\\r`, no empty last line."""
    parts = text.split("\n")
    if parts and parts[-1] == "":
        parts.pop()
    return [p[:-1] if p.endswith("\r") else p for p in parts]


def sections(text: str) -> list[Section]:
    """markdown.rs `sections`: split at ATX headings; text before the first one is level 0."""
    text = _strip_comments(text)
    out: list[Section] = []
    cur = Section(0)
    fence = None

    def flush() -> None:
        nonlocal cur
        cur.body = cur.body.strip()
        if cur.level > 0 or cur.body:
            out.append(cur)
            cur = Section(0)

    for line in _lines(text):
        trimmed = line.lstrip()
        if fence is not None:
            if trimmed.startswith(fence):
                fence = None
            else:
                cur.body += line.rstrip() + "\n"
            continue
        if trimmed.startswith("```") or trimmed.startswith("~~~"):
            fence = trimmed[:3]
            if cur.body and not cur.body.endswith("\n"):
                cur.body += "\n"
            continue
        h = _heading(line)
        if h is not None:
            flush()
            cur.level = h[0]
            cur.title = inline(h[1]).strip()
            continue
        if _is_reference_definition(line) or trimmed.startswith("|--") or trimmed.startswith("| --"):
            continue
        t = trimmed
        while t.startswith(">"):
            t = t[1:].lstrip()
        item = False
        for marker in ("* ", "- ", "+ "):
            if t.startswith(marker):
                t = t[len(marker) :]
                item = True
        plain = inline(t).replace("|", " ").strip()
        if not plain:
            if cur.body and not cur.body.endswith("\n"):
                cur.body += "\n"
            continue
        if item and cur.body and not cur.body.endswith("\n"):
            cur.body += "\n"
        elif cur.body and not cur.body.endswith("\n"):
            cur.body += " "
        cur.body += plain
    flush()
    return out


def page_documents(page: str, secs: list[Section]) -> list[Doc]:
    """mod.rs `page_documents` (ids, titles, heading paths and bodies; URLs left out)."""
    slugs = Slugger()
    stack: list[tuple[int, str]] = []
    page_title = next((s.title for s in secs if s.level > 0), page.rsplit("/", 1)[-1])
    out = []
    for s in secs:
        while stack and stack[-1][0] >= s.level and s.level > 0:
            stack.pop()
        headings = [t for _, t in stack]
        if s.level > 0:
            stack.append((s.level, s.title))
        title = s.title if s.title else page_title
        if not title.strip() and not s.body.strip():
            continue
        if s.level == 0:
            anchor = ""
        else:
            anchor = slugs.slug(s.title)
        doc_id = f"{page}#{anchor}" if anchor else page
        out.append(Doc(doc_id, title, headings, s.body))
    return out


def markdown_folder(root: str) -> list[Doc]:
    """Every document of the Markdown files under `root`, in `scry index`'s file order
    (sorted paths, hidden entries skipped); a repeated id is dropped as folder.rs does."""
    files = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for f in filenames:
            if not f.startswith(".") and f.lower().endswith((".md", ".markdown")):
                files.append(os.path.join(dirpath, f))
    # walkdir + PathBuf ordering compares path components, not strings.
    files.sort(key=lambda p: os.path.relpath(p, root).split(os.sep))
    seen = set()
    out = []
    for path in files:
        rel = os.path.relpath(path, root).replace(os.sep, "/")
        page = re.sub(r"\.[^./]*$", "", rel)
        with open(path, "rb") as f:
            text = f.read().decode("utf-8", "replace")
        for d in page_documents(page, sections(text)):
            if d.id in seen:
                continue
            seen.add(d.id)
            out.append(d)
    return out
