#!/usr/bin/env python3
"""Builds an evaluation set (judged queries) from a documentation dump, by fixed rules.

Input: the JSON-lines dump of `scry index FOLDER --out DIR --dump DOCS.jsonl` (one document per
section: id, title, headings, body). Output: JSON lines {"query", "relevant", "kind", "source"}.

Two kinds of queries, both *rephrased* so that they do not simply repeat the section's title:
  description  Sections documenting an API (title looks like code: `fs.readFile(path)`): the first
               prose sentence of the section, lower-cased, with the API's own identifier words
               removed ("Asynchronously reads the entire contents of a file." →
               "asynchronously reads the entire contents of a file"). Sections with the same
               first sentence (fs.readFile / fsPromises.readFile / filehandle.readFile) are all
               relevant.
  heading      Prose sections ("Handling events only once"): the heading turned into a question by
               rule ("how do i handle events only once"), plus the page's name for context.
Sampling is deterministic (sha1 of the id), so the set is stable.

Usage: scripts/eval/make_queries.py DOCS.jsonl OUT.jsonl [--max N]
"""
import argparse
import hashlib
import json
import re
from collections import defaultdict

SKIP_START = (
    "see ", "alias of", "alias for", "type:", "returns:", "default:", "stability:", "added in",
    "this method", "this property", "the `", "an alias", "deprecated", "this is an alias",
    "this function is", "this api", "this event",
)
STOP = set("a an and are as at be but by for if in into is it no not of on or such that the their then there these they this to was will with".split())
GERUND = re.compile(r"^([a-z]+)ing\b")


def first_sentence(body: str) -> str:
    for line in body.split("\n"):
        line = line.strip()
        if not line or line.startswith(("{", "*", "-", "|", "`", "//", "import ", "const ", "$ ")):
            continue
        if re.match(r"^[A-Za-z_.]+ \{", line):  # "options {Object}" parameter lists
            continue
        m = re.match(r"(.+?[.!?])(\s|$)", line)
        sentence = m.group(1) if m else line
        if len(sentence.split()) >= 4:
            return sentence
    return ""


def looks_like_code(title: str) -> bool:
    return bool(re.search(r"[()\[\]]|^[\w$]+\.[\w$.]+|^Class:|^Event:|^new |^`", title))


def ident_words(title: str) -> set[str]:
    words = set()
    for tok in re.findall(r"[A-Za-z_$][\w$]*", title):
        words.add(tok.lower())
        for part in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+", tok):
            words.add(part.lower())
    return words


def norm(s: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", s.lower())).strip()


def is_identifier(tok: str) -> bool:
    return bool(re.search(r"[a-z][A-Z]|[._(]\w", tok))


def describe(sentence: str, title: str) -> str:
    """The sentence without the identifiers it shares with the title (`fs.readFile`,
    `frameError`): describe the API, do not name it."""
    named = {t.lower() for t in re.findall(r"[\w$.]+", title) if is_identifier(t)}
    kept = []
    for tok in sentence.split():
        core = tok.strip(".,;:!?()'\"`[]{}")
        if is_identifier(core) and (core.lower() in named or core.lower().split(".")[-1] in {n.split(".")[-1] for n in named}):
            continue
        kept.append(tok)
    return norm(" ".join(kept))


def question(title: str, page: str) -> str:
    t = norm(title)
    if not t:
        return ""
    m = GERUND.match(t)
    if m:
        stem = m.group(1)
        # "handling" → "handle", "running" → "run", "using" → "use"
        if len(stem) > 2 and stem[-1] == stem[-2]:
            stem = stem[:-1]
        elif stem.endswith(("at", "ur", "ov", "ndl", "us", "iz", "ag", "rc", "ch", "in")):
            stem += "e"
        return f"how do i {stem}{t[len(m.group(0)):]} in {page}".strip()
    return f"what is {t} in {page}"


def stable(key: str) -> int:
    return int(hashlib.sha1(key.encode()).hexdigest()[:8], 16)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("docs")
    ap.add_argument("out")
    ap.add_argument("--max", type=int, default=400)
    args = ap.parse_args()
    docs = [json.loads(l) for l in open(args.docs, encoding="utf-8")]
    by_sentence = defaultdict(list)
    firsts = {}
    for d in docs:
        s = first_sentence(d.get("body", ""))
        if s:
            firsts[d["id"]] = s
            by_sentence[norm(s)].append(d["id"])
    queries = []
    seen = set()
    for d in sorted(docs, key=lambda d: stable(d["id"])):
        title = d.get("title", "")
        page = d["id"].split("#")[0].split("/")[-1].replace("_", " ").replace("-", " ")
        s = firsts.get(d["id"], "")
        if looks_like_code(title):
            if not s or s.lower().startswith(SKIP_START) or len(s.split()) > 30:
                continue
            q = describe(s, title)
            if len(q.split()) < 4:
                continue
            relevant = sorted(set(by_sentence[norm(s)]))
            kind = "description"
        else:
            if len(title.split()) < 2 or len(title.split()) > 8 or "#" not in d["id"]:
                continue
            q = question(title, page)
            relevant = [d["id"]]
            kind = "heading"
        if q in seen or len(relevant) > 5:
            continue
        seen.add(q)
        queries.append({"query": q, "relevant": relevant, "kind": kind, "source": d["id"]})
    # Balance the kinds, then cap.
    desc = [q for q in queries if q["kind"] == "description"]
    head = [q for q in queries if q["kind"] == "heading"]
    half = args.max // 2
    picked = desc[:half] + head[: args.max - min(half, len(desc))]
    picked = picked[: args.max]
    with open(args.out, "w", encoding="utf-8") as f:
        for q in sorted(picked, key=lambda q: q["source"]):
            f.write(json.dumps(q, ensure_ascii=False) + "\n")
    print(f"wrote {len(picked)} queries ({sum(q['kind'] == 'description' for q in picked)} description, "
          f"{sum(q['kind'] == 'heading' for q in picked)} heading) to {args.out}")


if __name__ == "__main__":
    main()
