#!/usr/bin/env python3
"""Builds the ranking evaluation sets (issue 25, item 1) by fixed rules: the corpora under
corpora/eval/ (not committed; scripts/corpora.py calls `make_sets.py corpora`) and the judged
queries under tests/eval/ (committed). Deterministic: the same packages give the same bytes.

Sources (fetched by scripts/corpora.py from Debian packages):
  corpora/debian-faq/html/*.en.html   debian-faq 11.1          tuning
  corpora/git/doc/gitfaq.html, *.html git-doc 2.39             tuning
  corpora/nodejs/api/*.md             nodejs-doc 18            tuning
  corpora/python/html/faq/*.html      python3.11-doc           HELD OUT: confirm only, never tune

Question → answer sets
  Questions. Debian FAQ and Python FAQ: every heading of level ≥ 2 whose text contains '?'
  (the Debian FAQ's numbering "3.1.5. " is removed); level 1 is the page title. gitfaq: every
  entry of its question lists (`<dt class="hdlist1">` of a top-level list); three of its 20
  entries are stated problems without '?' ("I'm on Windows and my text files are detected as
  binary.") and are kept with kind "statement" (all others: kind "question").
  Answers. The blocks after the question up to the next heading or question of any level
  (a sub-question's text belongs to the sub-question, not to its parent). Paragraphs, list
  items and code are kept; page chrome (navigation, tables of contents, sidebars, permalink
  signs) is left out (faq_html.py).
  Excluded. An answer with fewer than 8 words outside its links: empty, a pure cross-reference
  ("See the Unicode HOWTO.", "See the next question.", "Further information is maintained in
  the <link>."), or too short to be found ("No, but it helps. :)"). Then duplicates: a question
  whose normalised text (lower-case words) or whose answer text repeats an earlier one (page
  order, then document order) is dropped.
  Corpus. One Markdown file per FAQ page, one `## §` section per kept answer, the answer text
  below it. The heading is deliberately empty of words: a passage is the answer alone, as in
  issue 25's measurement; the question is never indexed. `scry index` gives such sections the
  ids `<page>#section`, `<page>#section-1`, … in file order (slug.rs: a heading without letters
  or digits is "section", repeats get -1, -2, …); each query's "relevant" is that one id, and
  "source" says where the question is in the package's HTML. Answers keep their links' text,
  so a cross-reference can quote another question word for word (DocBook writes "Section
  12.1, “What other documentation exists…”"): such a query lists the answers that quote it
  under "quoted_by" (they point to the answer; they are not judged relevant).
  Sets: corpora/eval/debian-faq (pages basic-defs, choosing, …) → tests/eval/debian-faq.jsonl;
  corpora/eval/gitfaq (page gitfaq) → tests/eval/gitfaq.jsonl; corpora/eval/git-all = the same
  gitfaq.md + every git-doc HTML page except gitfaq.html, copied as they are (the manual pages,
  guides, howto/ and technical/, indexed by scry's own HTML reader as distractors) →
  tests/eval/gitfaq-all.jsonl (the same queries and ids). Held out: corpora/eval/python-faq
  (pages faq/general, faq/programming, …) → tests/eval/python-faq.jsonl; corpora/eval/python-all
  = the same faq/*.md + every page of the Python docs except faq/, copied as HTML →
  tests/eval/python-faq-all.jsonl.

Node.js short keywords (tests/eval/node-short.jsonl, 1–3 words), over corpora/nodejs/api as
`scry index` reads it (scry_ingest.py, checked against `scry index --dump`). Only sections with
a body of at least 5 words are relevant. Kinds:
  api            An API section's title (`fs.readFile(path[, options], callback)`,
                 `Class: net.Socket`, `Static method: Buffer.from(…)`, `napi_create_date`) names
                 a member: the last part of its dotted name ("readFile"). Query = that name,
                 when it has ≥ 4 characters and is not a plain word: it has a lower-case letter
                 before a capital (camelCase), two capitals in a row, '_' or a digit ("main",
                 "post", "Event" are left out). Relevant = every API section naming the same
                 member (case sensitive); kept when that is at most 3 sections.
  api-qualified  The full dotted name ("fs.readFile", "dns.setDefaultResultOrder") of an API
                 section whose name has ≥ 2 parts; relevant = the sections with that exact
                 dotted name, at most 3.
  code           Titles that are error or deprecation codes ("ERR_INVALID_ARG_TYPE",
                 "DEP0019: …" → "DEP0019"); relevant = the sections titled with that code.
  cli            Command-line options and environment variables of cli.md
                 ("--unhandled-rejections=mode" → "--unhandled-rejections",
                 "NODE_TLS_REJECT_UNAUTHORIZED=value" → "NODE_TLS_REJECT_UNAUTHORIZED");
                 relevant = the sections with the same option name.
  heading        Prose headings (not code-like, not a code): their words (lower-cased, "i/o"
                 and "node.js" kept whole) less STOP words, in heading order ("strict assertion
                 mode"); kept when 2 or 3 words remain and no other section's title, code-like
                 ones included, has the same set of words split at punctuation ("Crypto
                 constants" is dropped: `crypto.constants` is also a title).
  Each kind's candidates are ordered by sha1(kind + query) and the first SHORT_QUOTA[kind]
  taken; a query already taken by an earlier kind is skipped.

Node.js long natural-language questions (tests/eval/node-long.jsonl, 8–30 words). The first
sentence of a section's prose (lines that are parameter lists, "Stability:", "Returns:",
"Type:", signatures or code are skipped; the sentence has ≥ 6 words and no braces) is rewritten
by the first matching template (the kind):
  event       "The 'close' event is emitted when X" / "Emitted when X"
              → "Which event is emitted when X?"
  which       "The <name> method|function|property|class|module|option|… <verb> <rest>" (NOUNS;
              the next word a verb: AUX, or a third-person form of VERBS, SUBJECT_VERBS or
              DESCRIBING) → "Which method <verb> <rest>?" (the name is dropped)
  check       "Returns true if X" / "Indicates|Determines whether X" → "How can I check whether
              X?" (a trailing ", false otherwise" is cut)
  what-does   A sentence opening with a describing verb (DESCRIBING: "Provides general utility
              methods …") → "What provides general utility methods …?"
  how         A sentence opening with a verb from VERBS, third person or imperative, optionally
              after an adverb, not followed by "to" ("Asynchronously reads the entire contents
              of a file") → "How do I asynchronously read the entire contents of a file?";
              "Returns X" → "How do I get X?"; a third-person verb after and/or takes its base
              form ("Sets or clears" → "set or clear"). An imperative-looking word followed by
              "of" or, within five words, by is/are/… opens a noun phrase and does not match
              ("Transform streams are …", "Use of the API is …").
  what-does   "<Subject> provides|allows|enables|defines|… X" (SUBJECT_VERBS or DESCRIBING, no
              finite verb in the subject) → "What provides X?"
  what-is     Property sections only (`stats.dev`): a noun phrase that starts with The/A/An and
              has no verb before a relative word ("The numeric identifier of the device
              containing the file") → "What is the numeric identifier of the device containing
              the file?"
The sentence ends at the first '.', '!', '?' or ':' followed by a space ("i.e.", "e.g.", "etc.",
"vs." do not end it) and is cut before ", see …" / "; see …".
Then identifiers (dotted, camelCase, snake_case or called) that the section's own title names
(`fs.readFile`, `readFile`) are removed from the question, so it describes the API rather than naming it. Relevant = the section and
every section with the same first sentence (at most 5; otherwise dropped). Candidates are
ordered by sha1(id); up to LONG_QUOTA["prose"] come from prose sections and the rest from API
sections, LONG_TOTAL in all; duplicate questions are dropped.

Usage:
  scripts/eval/make_sets.py corpora   write corpora/eval/* (skipped while its stamp is current)
  scripts/eval/make_sets.py queries   write corpora/eval/* and tests/eval/*.jsonl
  scripts/eval/make_sets.py check     regenerate in memory; compare with tests/eval/*.jsonl;
                                      check every relevant id against the written corpora (and,
                                      with --dump-dir D, against `scry index --dump` files
                                      D/<set>.jsonl); print the statistics
"""
from __future__ import annotations

import argparse
import glob
import hashlib
import json
import os
import re
import shutil
import sys
from collections import defaultdict

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faq_html as F  # noqa: E402
import scry_ingest as I  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPORA = os.path.join(ROOT, "corpora")
EVAL_CORPORA = os.path.join(CORPORA, "eval")
TESTS = os.path.join(ROOT, "tests", "eval")
HERE = os.path.dirname(os.path.abspath(__file__))

MIN_OWN_WORDS = 8
ANSWER_HEADING = "## §"

SHORT_QUOTA = {"api": 70, "api-qualified": 40, "code": 30, "cli": 30, "heading": 30}
LONG_QUOTA = {"prose": 100}
LONG_TOTAL = 200

STOP = set(
    "a an and are as at be but by can do does for from how i if in into is it its my no not of "
    "on or such that the their then there these they this to use using was what when where which "
    "while why will with you your".split()
)


# ---------------------------------------------------------------- FAQ sets


def _source_pages(pattern: str) -> list[str]:
    return sorted(glob.glob(pattern))


def _read(path: str) -> str:
    with open(path, "rb") as f:
        return f.read().decode("utf-8", "replace")


def _norm_words(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def _keep(entries: list[F.Entry]) -> tuple[list[F.Entry], dict]:
    """The exclusion and dedupe rules; returns the kept entries and what was dropped."""
    dropped = {"short": [], "duplicate": []}
    seen_q, seen_a = set(), set()
    out = []
    for e in entries:
        if F.own_words(e) < MIN_OWN_WORDS:
            dropped["short"].append(e.question)
            continue
        q, a = _norm_words(e.question), _norm_words(F.plain(e))
        if q in seen_q or a in seen_a:
            dropped["duplicate"].append(e.question)
            continue
        seen_q.add(q)
        seen_a.add(a)
        out.append(e)
    return out, dropped


def debian_entries() -> list[F.Entry]:
    out = []
    for path in _source_pages(os.path.join(CORPORA, "debian-faq", "html", "*.en.html")):
        name = os.path.basename(path)
        page = name[: -len(".en.html")]
        out += F.entries(F.read_blocks(_read(path)), page, name, 2)
    return out


def git_entries() -> list[F.Entry]:
    doc = os.path.join(CORPORA, "git", "doc")
    es = F.entries(F.read_blocks(_read(os.path.join(doc, "gitfaq.html")), True), "gitfaq", "gitfaq.html", 99)
    # The HTML carries no anchor on the question; gitfaq.txt has them ([[anchor]] before each).
    txt = os.path.join(doc, "gitfaq.txt")
    if os.path.exists(txt):
        anchors = {}
        lines = _read(txt).split("\n")
        for i, line in enumerate(lines[:-1]):
            m = re.fullmatch(r"\[\[([\w-]+)\]\]", line.strip())
            if m and lines[i + 1].rstrip().endswith("::"):
                q = re.sub(r"`|linkgit:|\[\d\]", "", lines[i + 1].rstrip()[:-2])
                anchors[_norm_words(q)] = m.group(1)
        for e in es:
            a = anchors.get(_norm_words(e.question.replace("\u2019", "'")))
            if a:
                e.source = f"gitfaq.html#{a}"
    return es


def python_entries() -> list[F.Entry]:
    out = []
    for path in _source_pages(os.path.join(CORPORA, "python", "html", "faq", "*.html")):
        name = os.path.basename(path)
        if name == "index.html":
            continue
        page = "faq/" + name[: -len(".html")]
        out += F.entries(F.read_blocks(_read(path)), page, "faq/" + name, 2)
    return out


def faq_pages(entries: list[F.Entry]) -> dict[str, list[tuple[F.Entry, str]]]:
    """Page → [(entry, id)] with the ids `scry index` gives `## §` sections."""
    pages: dict[str, list[tuple[F.Entry, str]]] = defaultdict(list)
    slugs: dict[str, I.Slugger] = defaultdict(I.Slugger)
    for e in entries:
        anchor = slugs[e.page].slug(ANSWER_HEADING[3:])
        pages[e.page].append((e, f"{e.page}#{anchor}"))
    return pages


def page_markdown(items: list[tuple[F.Entry, str]]) -> str:
    return "\n\n".join(f"{ANSWER_HEADING}\n\n{F.answer_markdown(e)}" for e, _ in items) + "\n"


def faq_queries(pages) -> list[dict]:
    items = [(e, doc_id) for v in pages.values() for e, doc_id in v]
    answers = [(doc_id, _norm_words(F.plain(e))) for e, doc_id in items]
    out = []
    for e, doc_id in items:
        kind = "question" if "?" in e.question else "statement"
        q = {"query": e.question, "relevant": [doc_id], "kind": kind, "source": e.source}
        words = _norm_words(e.question)
        quoted = [i for i, a in answers if i != doc_id and f" {words} " in f" {a} "]
        if quoted:
            q["quoted_by"] = quoted
        out.append(q)
    return out


FAQ_SETS = {
    # set: (entries, query files, distractor source folder or None, excluded from it)
    "debian-faq": (debian_entries, ["debian-faq"], None, None),
    "gitfaq": (git_entries, ["gitfaq"], None, None),
    "git-all": (git_entries, ["gitfaq-all"], ("git", "doc"), lambda rel: rel == "gitfaq.html"),
    "python-faq": (python_entries, ["python-faq"], None, None),
    "python-all": (
        python_entries,
        ["python-faq-all"],
        ("python", "html"),
        lambda rel: rel.startswith("faq/"),
    ),
}


def build_faq(name: str):
    make, _, _, _ = FAQ_SETS[name]
    kept, dropped = _keep(make())
    pages = faq_pages(kept)
    return pages, dropped


def write_faq_corpus(name: str, pages) -> None:
    _, _, distract, excluded = FAQ_SETS[name]
    dst = os.path.join(EVAL_CORPORA, name)
    shutil.rmtree(dst, ignore_errors=True)
    os.makedirs(dst)
    if distract:
        src = os.path.join(CORPORA, *distract)
        for path in sorted(glob.glob(os.path.join(src, "**", "*.html"), recursive=True)):
            rel = os.path.relpath(path, src).replace(os.sep, "/")
            if excluded(rel):
                continue
            target = os.path.join(dst, rel)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copyfile(path, target)
    for page, items in pages.items():
        target = os.path.join(dst, page + ".md")
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w", encoding="utf-8", newline="\n") as f:
            f.write(page_markdown(items))


# ---------------------------------------------------------------- Node.js sets


def node_docs() -> list[I.Doc]:
    return I.markdown_folder(os.path.join(CORPORA, "nodejs", "api"))


def stable(key: str) -> str:
    return hashlib.sha1(key.encode()).hexdigest()


API = re.compile(
    r"^(?:(?:Static method|Class|Method|Property): )?(?:new )?"
    r"([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)(\(.*\))?$"
)
CODE = re.compile(r"^((?:ERR|DEP)[A-Z0-9_]*\d*[A-Z0-9_]*)(?::.*)?$")
CLI = re.compile(r"^(--[a-z0-9][a-z0-9-]*|-[a-zA-Z])(?:[=, ].*)?$")
ENV = re.compile(r"^([A-Z][A-Z0-9_]{2,})=.*$")


HEADING_WORD = re.compile(r"[a-z0-9]+(?:[/.'-][a-z0-9]+)*")


def api_name(title: str) -> str | None:
    if CODE.match(title) or ENV.match(title):
        return None
    m = API.match(title)
    return m.group(1) if m else None


def _body_words(d: I.Doc) -> int:
    return len(re.findall(r"\w+", d.body))


def looks_like_code(title: str) -> bool:
    return bool(re.search(r"[()\[\]'`_{}=]|^[\w$]+\.[\w$.]+|^Class:|^Event:|^new |^--?\w|^[A-Z0-9_]{4,}$", title)) or any(
        re.search(r"[a-z][A-Z]", w) for w in title.split()
    )


def short_candidates(docs: list[I.Doc]) -> dict[str, list[dict]]:
    cands: dict[str, list[dict]] = defaultdict(list)
    ok = [d for d in docs if "#" in d.id and _body_words(d) >= 5]
    # api / api-qualified
    by_member, by_chain = defaultdict(list), defaultdict(list)
    for d in ok:
        chain = api_name(d.title)
        if not chain:
            continue
        by_member[chain.split(".")[-1]].append(d.id)
        if "." in chain:
            by_chain[chain].append(d.id)
    title = {d.id: d.title for d in ok}
    for member, ids in by_member.items():
        if len(member) < 4 or len(ids) > 3:
            continue
        if not re.search(r"[a-z][A-Z]|[A-Z][A-Z]|_|\d", member):
            continue  # a word ("main", "post", "Event") rather than a name only the API has
        cands["api"].append({"query": member, "relevant": sorted(ids), "kind": "api", "source": sorted(ids)[0]})
    for chain, ids in by_chain.items():
        if len(ids) <= 3:
            cands["api-qualified"].append(
                {"query": chain, "relevant": sorted(ids), "kind": "api-qualified", "source": sorted(ids)[0]}
            )
    # code
    by_code = defaultdict(list)
    for d in ok:
        m = CODE.match(d.title)
        if m and re.search(r"\d|_", m.group(1)):
            by_code[m.group(1)].append(d.id)
    for code, ids in by_code.items():
        if len(ids) <= 3:
            cands["code"].append({"query": code, "relevant": sorted(ids), "kind": "code", "source": sorted(ids)[0]})
    # cli
    by_opt = defaultdict(list)
    for d in ok:
        if not d.id.startswith("cli#"):
            continue
        m = CLI.match(d.title) or ENV.match(d.title)
        if m:
            by_opt[m.group(1)].append(d.id)
    for opt, ids in by_opt.items():
        if len(ids) <= 3 and len(opt) >= 4:
            cands["cli"].append({"query": opt, "relevant": sorted(ids), "kind": "cli", "source": sorted(ids)[0]})
    # heading keywords
    by_words = defaultdict(list)
    for d in docs:
        if "#" not in d.id:
            continue
        ws = [w for w in re.findall(r"[a-z0-9]+", d.title.lower()) if w not in STOP]
        by_words[" ".join(sorted(set(ws)))].append(d)
    for ds in by_words.values():
        d = ds[0]
        ws = [w for w in HEADING_WORD.findall(d.title.lower()) if w not in STOP]
        key = " ".join(dict.fromkeys(ws))
        n = len(key.split())
        prose = not looks_like_code(d.title) and not CODE.match(d.title)
        if 2 <= n <= 3 and len(ds) == 1 and prose and _body_words(d) >= 5:
            cands["heading"].append({"query": key, "relevant": [ds[0].id], "kind": "heading", "source": ds[0].id})
    return cands


def node_short(docs: list[I.Doc]) -> list[dict]:
    cands = short_candidates(docs)
    out, seen = [], set()
    for kind, quota in SHORT_QUOTA.items():
        n = 0
        for q in sorted(cands[kind], key=lambda q: stable(kind + q["query"])):
            if n == quota:
                break
            if q["query"].lower() in seen:
                continue
            seen.add(q["query"].lower())
            out.append(q)
            n += 1
    return sorted(out, key=lambda q: (q["source"], q["query"]))


# -- long questions

SKIP_LINE = re.compile(
    r"^(Stability:|Returns:|Type:|Default:|Added in|\[in\]|\[out\]|napi_status|NAPI_EXTERN|"
    r"[{*|`$#<]|//|import |const |let |var |function |async |class |new |require\(|"
    r"[\w.$\[\]]+ \{|\w+\(|See |Alias |An alias|This is an alias)"
)
SENTENCE = re.compile(r"(.+?[.!?:])(?:\s|$)")

VERBS = {
    # third person → base form; imperative base forms map to themselves
    v: b
    for b in (
        "abort accept access add allocate allow append apply assert associate attach bind block "
        "calculate call cancel change check clear clone close compare compile compress compute "
        "configure connect construct convert copy count create decode decompress decrypt define "
        "delete deserialize destroy detach determine disable disconnect dispatch emit enable "
        "encode encrypt end enqueue ensure enter establish evaluate execute exit export extend "
        "fetch fill flush force format generate get handle hash import increase decrease "
        "initialize insert inspect install instruct invoke iterate join keep kill limit list "
        "listen load lock log look make mark measure merge move notify open override parse pass "
        "pause perform pipe poll prepare prevent print process produce provide push put query "
        "read receive record redirect reference register reject release reload remove rename "
        "render replace report request reset resolve restore resume retrieve return run save "
        "schedule search seek send serialize set setup share shut sign skip sort specify split "
        "start stop store subscribe suspend switch synchronize take terminate test throw "
        "trace track transfer transform trigger truncate try turn unlink unlock unpipe unref "
        "unregister unsubscribe update upgrade use validate verify wait watch wrap write yield cause "
        "identify indicate permit consider include require behave act"
    ).split()
    for v in {b, (b[:-1] + "ies") if re.search(r"[^aeiou]y$", b) else (b + "es") if re.search(r"(s|sh|ch|x|z)$", b) else b + "s"}
}
ADVERB = re.compile(r"^[A-Z][a-z]+ly$")
SUBJECT_VERBS = {
    "provides", "allows", "enables", "defines", "describes", "exposes", "implements", "supports",
    "contains", "lets", "represents", "offers", "adds", "makes", "controls", "determines",
    "specifies", "documents", "explains", "covers",
}
NOUNS = (
    "method", "function", "property", "class", "module", "option", "options", "hook", "event",
    "constructor", "API", "APIs", "value", "flag", "field", "callback", "object", "static method",
    "setting", "argument", "parameter", "interface", "object's",
)
FINITE = {
    "is", "are", "was", "were", "will", "can", "may", "must", "should", "has", "have", "does",
    "do", "returns", "provides", "allows",
}
RELATIVE = {"that", "which", "who", "whose", "when", "where", "if", "to", "for"}


ABBREVIATIONS = ("i.e.", "e.g.", "etc.", "vs.", "approx.")


def first_sentence(body: str) -> str:
    for line in body.split("\n"):
        line = line.strip()
        if not line or SKIP_LINE.match(line):
            continue
        for i, a in enumerate(ABBREVIATIONS):
            line = line.replace(a, f"\x00{i}\x00")
        m = SENTENCE.match(line)
        s = (m.group(1) if m else line).strip()
        for i, a in enumerate(ABBREVIATIONS):
            s = s.replace(f"\x00{i}\x00", a)
        s = re.split(r"[,;] see ", s)[0]
        if s.endswith(":"):
            continue
        if len(s.split()) >= 6 and not re.search(r"[{}]", s):
            return s
        return ""
    return ""


def _lower_first(s: str) -> str:
    w = s.split(" ", 1)
    if w[0].isupper() and len(w[0]) > 1:  # an acronym stays
        return s
    return w[0][:1].lower() + w[0][1:] + (" " + w[1] if len(w) > 1 else "")


AUX = {"is", "are", "was", "were", "can", "will", "may", "must", "should", "has", "have", "does", "did"}
DESCRIBING = {
    "provides", "represents", "contains", "describes", "defines", "exposes", "implements",
    "encapsulates", "holds", "offers", "documents", "explains", "covers",
}


def _third_person(w: str) -> bool:
    return (w in VERBS and VERBS[w] != w) or w in SUBJECT_VERBS or w in DESCRIBING


def _verb_next(words: list[str]) -> bool:
    """Whether `words` open with a finite verb (after an optional adverb)."""
    if words and ADVERB.match(words[0].capitalize()) and len(words) > 1:
        words = words[1:]
    if not words:
        return False
    w = words[0]
    return w in AUX or _third_person(w)


def _base_after_conjunction(words: list[str]) -> list[str]:
    """"sets or clears" → "set or clear": a third-person verb after and/or takes its base form."""
    out = list(words)
    for i in range(1, len(out)):
        if out[i - 1] in ("and", "or") and out[i] in VERBS and VERBS[out[i]] != out[i]:
            out[i] = VERBS[out[i]]
    return out


def is_property(title: str) -> bool:
    m = API.match(title)
    return bool(m and m.group(2) is None and "." in m.group(1) and not title.startswith(("Class:", "new ")))


def rewrite(sentence: str, title: str) -> tuple[str, str] | None:
    s = sentence.rstrip(".!?:").strip()
    m = re.match(r"^The '?[\w:.-]+'? event is (?:emitted|fired|triggered) (.+)$", s) or re.match(
        r"^Emitted ((?:when|after|if|once|whenever|before|each time) .+)$", s
    )
    if m:
        return "event", f"Which event is emitted {m.group(1)}?"
    nouns = "|".join(re.escape(n) for n in sorted(NOUNS, key=len, reverse=True))
    m = re.match(rf"^(?:The|An?) (?:\S+ )?({nouns}) (.+)$", s)
    if m and _verb_next(m.group(2).split()):
        return "which", f"Which {m.group(1)} {m.group(2)}?"
    m = re.match(r"^(?:Returns|Is) `?true`? (?:if|when) (.+)$", s) or re.match(
        r"^(?:Indicates|Determines|Checks|Tests|Returns) (?:whether|if) (.+)$", s
    )
    if m:
        return "check", f"How can I check whether {re.sub(r',? (?:and |or )?`?false`? otherwise$', '', m.group(1))}?"
    words = s.split(" ")
    adv = ""
    if ADVERB.match(words[0]) and len(words) > 1:
        adv, words = words[0].lower() + " ", words[1:]
    first = words[0].lower() if words else ""
    if len(words) > 2 and words[0][:1].isupper() and words[1] != "to":
        rest = " ".join(_base_after_conjunction(words[1:]))
        if first in DESCRIBING:
            return "what-does", f"What {adv}{first} {' '.join(words[1:])}?"
        if first == "returns":
            return "how", f"How do I {adv}get {rest}?"
        if first in VERBS and not (
            VERBS[first] == first and (words[1] == "of" or set(w.lower() for w in words[1:6]) & AUX)
        ):
            # (an imperative "Transform streams are …" is a noun phrase, not an instruction)
            return "how", f"How do I {adv}{VERBS[first]} {rest}?"
    m = re.match(r"^(.{3,80}?) (\w+) (.+)$", s)
    if m and m.group(2) in SUBJECT_VERBS | DESCRIBING and not set(m.group(1).lower().split()) & (FINITE | AUX):
        return "what-does", f"What {m.group(2)} {m.group(3)}?"
    if is_property(title) and words and words[0] in ("The", "A", "An"):
        lead = []
        for w in words:
            if w.lower() in RELATIVE:
                break
            lead.append(w.lower())
        if not any(w in FINITE or w in AUX or _third_person(w) for w in lead):
            return "what-is", f"What is {_lower_first(s)}?"
    return None


def _title_identifiers(title: str) -> set[str]:
    out = set()
    for t in re.findall(r"[\w$.]+", title):
        if re.search(r"[a-z][A-Z]|[._]\w", t):
            out.add(t.lower().strip("."))
            out.add(t.lower().strip(".").split(".")[-1])
    return out


def _strip_identifiers(question: str, title: str) -> str:
    named = _title_identifiers(title)
    kept = []
    for tok in question.rstrip("?").split(" "):
        core = tok.strip(".,;:!?()'\"`[]{}").lower()
        core_base = core[:-2] if core.endswith("()") else core
        if core and (core in named or core_base in named or core.split(".")[-1].rstrip("()") in named) and re.search(r"[a-z][A-Z]|[._(]\w|\(\)", tok.strip(".,;:!?'\"`")):
            continue
        kept.append(tok)
    q = " ".join(kept).rstrip(" ,;:")
    return re.sub(r"\s+([?,.;:])(?=\s|$)", r"\1", q) + "?"


def node_long(docs: list[I.Doc]) -> list[dict]:
    by_sentence = defaultdict(list)
    firsts = {}
    for d in docs:
        if "#" not in d.id:
            continue
        s = first_sentence(d.body)
        if s:
            firsts[d.id] = s
            by_sentence[_norm_words(s)].append(d.id)
    prose, api = [], []
    seen = set()
    for d in sorted(docs, key=lambda d: stable(d.id)):
        s = firsts.get(d.id)
        if not s:
            continue
        r = rewrite(s, d.title)
        if not r:
            continue
        kind, q = r
        q = _strip_identifiers(q, d.title)
        n = len(q.split())
        if n < 8 or n > 30:
            continue
        relevant = sorted(by_sentence[_norm_words(s)])
        key = _norm_words(q)
        if len(relevant) > 5 or key in seen:
            continue
        seen.add(key)
        item = {"query": q, "relevant": relevant, "kind": kind, "source": d.id}
        (api if looks_like_code(d.title) else prose).append(item)
    picked = prose[: LONG_QUOTA["prose"]]
    picked += api[: LONG_TOTAL - len(picked)]
    return sorted(picked, key=lambda q: q["source"])


# ---------------------------------------------------------------- output and checks


def stamp_value() -> str:
    h = hashlib.sha256()
    for f in ("make_sets.py", "faq_html.py", "scry_ingest.py"):
        h.update(open(os.path.join(HERE, f), "rb").read())
    for name in ("debian-faq", "git", "python"):
        p = os.path.join(CORPORA, name, ".complete")
        h.update(open(p, "rb").read() if os.path.exists(p) else b"-")
    return h.hexdigest()


def all_sets():
    """Everything, in memory: {query file: queries}, {corpus: pages}, dropped."""
    files, corpora, dropped = {}, {}, {}
    for name, (_, qfiles, _, _) in FAQ_SETS.items():
        pages, drop = build_faq(name)
        corpora[name] = pages
        dropped[name] = drop
        for qf in qfiles:
            files[qf] = faq_queries(pages)
    docs = node_docs()
    files["node-short"] = node_short(docs)
    files["node-long"] = node_long(docs)
    return files, corpora, dropped, docs


def write_corpora(force: bool = False) -> dict:
    stamp = os.path.join(EVAL_CORPORA, ".complete")
    value = stamp_value()
    if not force and os.path.exists(stamp) and open(stamp).read().strip() == value:
        print("ok      corpora/eval")
        return {}
    missing = [n for n in ("debian-faq", "git", "python") if not os.path.exists(os.path.join(CORPORA, n, ".complete"))]
    if missing:
        sys.exit(f"make_sets: corpora missing ({', '.join(missing)}): run scripts/corpora.py first")
    if os.path.exists(stamp):
        os.remove(stamp)
    corpora = {}
    for name in FAQ_SETS:
        pages, _ = build_faq(name)
        write_faq_corpus(name, pages)
        corpora[name] = pages
    with open(stamp, "w") as f:
        f.write(value + "\n")
    print("wrote   corpora/eval: " + ", ".join(f"{n} ({sum(len(v) for v in p.values())} answers)" for n, p in corpora.items()))
    return corpora


def dumps(queries: list[dict]) -> str:
    return "".join(json.dumps(q, ensure_ascii=False) + "\n" for q in queries)


def overlap(queries: list[dict], titles: dict[str, str]) -> float:
    """Mean share of a query's words (less STOP words) that occur in its relevant sections'
    titles (title words split at punctuation and camelCase, lower-cased)."""

    def toks(s: str) -> set[str]:
        s = re.sub(r"([a-z])([A-Z])", r"\1 \2", s)
        return {w for w in re.findall(r"[a-z0-9]+", s.lower()) if w not in STOP}

    vals = []
    for q in queries:
        qt = toks(q["query"])
        if not qt:
            continue
        ht = set().union(*(toks(titles.get(r, "")) for r in q["relevant"]))
        vals.append(len(qt & ht) / len(qt))
    return sum(vals) / len(vals)


def body_overlap(queries: list[dict], bodies: dict[str, str]) -> float:
    """Mean share of a query's words (less STOP words) that occur in its relevant sections'
    text (title and body)."""

    def toks(s: str) -> set[str]:
        return {w for w in re.findall(r"[a-z0-9]+", s.lower()) if w not in STOP}

    vals = []
    for q in queries:
        qt = toks(q["query"])
        if qt:
            bt = set().union(*(toks(bodies.get(r, "")) for r in q["relevant"]))
            vals.append(len(qt & bt) / len(qt))
    return sum(vals) / len(vals)


def check(dump_dir: str | None) -> int:
    files, corpora, dropped, docs = all_sets()
    bad = 0
    for name, queries in files.items():
        path = os.path.join(TESTS, name + ".jsonl")
        have = open(path, encoding="utf-8").read() if os.path.exists(path) else None
        if have != dumps(queries):
            print(f"DIFFERS tests/eval/{name}.jsonl (run make_sets.py queries)")
            bad += 1
    # Ids: the written FAQ corpora, read back with the port of scry's Markdown reader.
    for name, (_, qfiles, _, _) in FAQ_SETS.items():
        folder = os.path.join(EVAL_CORPORA, name)
        got = {d.id: d for d in I.markdown_folder(folder)} if os.path.isdir(folder) else {}
        want = [i for items in corpora[name].values() for _, i in items]
        missing = [i for i in want if i not in got]
        extra = [i for i in got if i not in set(want)]
        if missing or extra:
            print(f"IDS     corpora/eval/{name}: {len(missing)} relevant ids not produced, {len(extra)} unexpected")
            bad += 1
        titled = [i for i in want if i in got and got[i].title != "§"]
        if titled:
            print(f"TITLES  corpora/eval/{name}: {len(titled)} answers have a title")
            bad += 1
    node_ids = {d.id for d in docs}
    for name in ("node-short", "node-long"):
        lost = [r for q in files[name] for r in q["relevant"] if r not in node_ids]
        if lost:
            print(f"IDS     {name}: {len(lost)} relevant ids not in corpora/nodejs/api")
            bad += 1
    if dump_dir:
        targets = {n: qf[0] for n, (_, qf, _, _) in FAQ_SETS.items()}
        targets["nodejs"] = "node-short"
        for corpus, qf in targets.items():
            p = os.path.join(dump_dir, corpus + ".jsonl")
            if not os.path.exists(p):
                continue
            ids = {json.loads(l)["id"] for l in open(p, encoding="utf-8")}
            qfs = [qf] + (["node-long"] if corpus == "nodejs" else [])
            lost = [r for f in qfs for q in files[f] for r in q["relevant"] if r not in ids]
            print(f"dump    {corpus}: {len(ids)} documents; {len(lost)} relevant ids missing")
            bad += bool(lost)
    # Statistics.
    titles = {d.id: d.title for d in docs}
    print(f"{'set':16} {'queries':>7} {'words/q':>7} kinds")
    for name, queries in files.items():
        kinds = defaultdict(int)
        for q in queries:
            kinds[q["kind"]] += 1
        mean = sum(len(q["query"].split()) for q in queries) / max(1, len(queries))
        print(f"{name:16} {len(queries):7d} {mean:7.2f} {dict(kinds)}")
    for name, d in dropped.items():
        print(f"dropped {name}: {len(d['short'])} short/cross-reference, {len(d['duplicate'])} duplicate")
    nq = [json.loads(l) for l in open(os.path.join(TESTS, "node-queries.jsonl"), encoding="utf-8")]
    bodies = {d.id: d.title + " " + d.body for d in docs}
    for pages in corpora.values():
        bodies.update({i: F.plain(e) for items in pages.values() for e, i in items})
    print("overlap: share of a query's words (less STOP) in its relevant sections' titles / text")
    named = [("node-queries", nq)] + [(n, files[n]) for n in ("node-short", "node-long", "debian-faq", "gitfaq", "python-faq")]
    for name, qs in named:
        t = f"{overlap(qs, titles):.3f}" if name.startswith("node") else "  -  "
        print(f"  {name:14} {t}  {body_overlap(qs, bodies):.3f}")
    for name in ("debian-faq", "gitfaq", "python-faq"):
        n = sum("quoted_by" in q for q in files[name])
        print(f"quoted  {name}: {n} questions appear word for word in another answer (quoted_by)")
    return bad


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("command", choices=["corpora", "queries", "check"])
    ap.add_argument("--force", action="store_true", help="rewrite corpora/eval even if current")
    ap.add_argument("--dump-dir", help="check ids against `scry index --dump` files <set>.jsonl here")
    args = ap.parse_args()
    if args.command == "corpora":
        write_corpora(args.force)
    elif args.command == "queries":
        write_corpora(args.force)
        files, _, _, _ = all_sets()
        os.makedirs(TESTS, exist_ok=True)
        for name, queries in files.items():
            with open(os.path.join(TESTS, name + ".jsonl"), "w", encoding="utf-8", newline="\n") as f:
                f.write(dumps(queries))
            print(f"wrote   tests/eval/{name}.jsonl ({len(queries)} queries)")
    else:
        sys.exit(1 if check(args.dump_dir) else 0)


if __name__ == "__main__":
    main()
