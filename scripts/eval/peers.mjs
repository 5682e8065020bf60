#!/usr/bin/env node
// A peer's full-text quality on scry's evaluation sets, measured the way `scry eval` measures
// scry (nDCG@10, MRR@10, recall@10 and @100, binary relevance; crates/scry-cli/src/eval.rs):
// MiniSearch 7.2.0 from npm over the same documents, fields and queries.
//
// Usage: node scripts/eval/peers.mjs --docs DUMP.jsonl --queries SET.jsonl [--name NAME]
// DUMP.jsonl is what `scry index <corpus> --out X --dump DUMP.jsonl` writes (one document per
// line, the ids the queries judge). Prints one JSON line per configuration. MiniSearch's
// ranking is plain JavaScript with no platform-dependent part: the same numbers in Node and in
// a browser.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import MiniSearch from 'minisearch';

const { values } = parseArgs({
  options: {
    docs: { type: 'string' },
    queries: { type: 'string' },
    name: { type: 'string', default: '' },
  },
});
if (!values.docs || !values.queries) {
  console.error('usage: peers.mjs --docs DUMP.jsonl --queries SET.jsonl [--name NAME]');
  process.exit(2);
}

const lines = (path) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l));

const docs = lines(values.docs).map((d) => ({
  id: d.id,
  title: d.title ?? '',
  headings: (d.headings ?? []).join(' '),
  body: d.body ?? '',
  tags: (d.tags ?? []).join(' '),
}));
const queries = lines(values.queries);

/** nDCG@k, reciprocal rank and recall@k of one ranking (binary gains), as scry's eval.rs. */
function score(ranked, relevant, k) {
  const rel = new Set(relevant);
  const top = ranked.slice(0, k);
  let dcg = 0;
  top.forEach((id, i) => {
    if (rel.has(id)) dcg += 1 / Math.log2(i + 2);
  });
  let idcg = 0;
  for (let i = 0; i < Math.min(rel.size, k); i++) idcg += 1 / Math.log2(i + 2);
  const first = top.findIndex((id) => rel.has(id));
  const found = top.filter((id) => rel.has(id)).length;
  return { ndcg: dcg / idcg, rr: first < 0 ? 0 : 1 / (first + 1), recall: found / rel.size };
}

const CONFIGS = {
  // MiniSearch as its README sets it up: BM25+ over the fields, OR of the terms.
  minisearch: {},
  // The configuration its documentation suggests for search-as-you-type.
  'minisearch-prefix-fuzzy': { prefix: true, fuzzy: 0.2 },
  // Title boosted as scry boosts it by default.
  'minisearch-boosted': { boost: { title: 5, headings: 2, tags: 1.5 } },
};

const engine = new MiniSearch({ fields: ['title', 'headings', 'body', 'tags'], idField: 'id' });
engine.addAll(docs);
for (const [config, options] of Object.entries(CONFIGS)) {
  const sums = { ndcg: 0, rr: 0, recall: 0, recall100: 0 };
  for (const q of queries) {
    const ranked = engine.search(q.query, options).map((r) => r.id);
    const at10 = score(ranked, q.relevant, 10);
    sums.ndcg += at10.ndcg;
    sums.rr += at10.rr;
    sums.recall += at10.recall;
    sums.recall100 += score(ranked, q.relevant, 100).recall;
  }
  const n = Math.max(queries.length, 1);
  const round = (x) => Math.round((x / n) * 1000) / 1000;
  console.log(
    JSON.stringify({
      set: values.name,
      peer: config,
      queries: queries.length,
      documents: docs.length,
      'ndcg@10': round(sums.ndcg),
      'mrr@10': round(sums.rr),
      'recall@10': round(sums.recall),
      'recall@100': round(sums.recall100),
    }),
  );
}
