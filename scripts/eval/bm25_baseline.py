#!/usr/bin/env python3
"""BM25 baseline from PyPI for the evaluation sets (issue 25): rank_bm25's BM25Okapi (k1 1.5,
b 0.75) over the documents scry indexes, title + headings + body + tags as one text, lower-cased
`\\w+` tokens, no stemming or stop words. Prints nDCG@10 per set.

  pip install rank-bm25==0.2.2
  target/release/scry index corpora/eval/debian-faq --out /tmp/d-site --state /tmp/d-state \\
      --dump /tmp/debian-faq.jsonl
  scripts/eval/bm25_baseline.py /tmp/debian-faq.jsonl:tests/eval/debian-faq.jsonl [DUMP:QUERIES ...]
"""
import json
import math
import re
import sys

from rank_bm25 import BM25Okapi


def tokens(text):
    return re.findall(r"\w+", text.lower())


def ndcg10(ranked, relevant):
    relevant = set(relevant)
    dcg = sum(1 / math.log2(i + 2) for i, x in enumerate(ranked[:10]) if x in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(relevant), 10)))
    return dcg / ideal if ideal else 0.0


def main():
    for pair in sys.argv[1:]:
        dump, queries = pair.split(":")
        docs = [json.loads(line) for line in open(dump, encoding="utf-8") if line.strip()]
        ids = [d["id"] for d in docs]
        texts = [
            " ".join([d.get("title") or "", " ".join(d.get("headings") or []),
                      d.get("body") or "", " ".join(d.get("tags") or [])])
            for d in docs
        ]
        bm25 = BM25Okapi([tokens(t) for t in texts])
        judged = [json.loads(line) for line in open(queries, encoding="utf-8") if line.strip()]
        total = 0.0
        for q in judged:
            scores = bm25.get_scores(tokens(q["query"]))
            top = sorted(range(len(ids)), key=lambda i: -scores[i])[:10]
            total += ndcg10([ids[i] for i in top], q["relevant"])
        print(f"{queries}: rank_bm25 nDCG@10 {total / max(len(judged), 1):.4f} ({len(judged)} queries)")


if __name__ == "__main__":
    main()
