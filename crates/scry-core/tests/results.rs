//! The result model: pages (`offset`), the match set's size, facets and sorting by a field, on
//! the Node.js docs sample; natively and in headless Chrome.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod common;

use std::collections::{BTreeMap, HashSet};

use common::sample_docs;
use scry_core::hybrid::{Fusion, HybridParams};
use scry_core::{
    CoreError, Document, Engine, EngineConfig, Filter, HashEmbedder, Hit, MetaValue, Mode,
    SearchOptions, Sort,
};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

/// Queries with few and with many matches in the sample.
const QUERIES: [&str; 6] = [
    "stream data",
    "file system",
    "buffer",
    "create a server that listens",
    "event emitter listener",
    "zlib",
];

/// The sample with metadata: `group` (the id's first letter), `since` (a number, missing on
/// every fifth document), `tags` (lists of one or two), `stable` (a boolean).
fn docs() -> Vec<Document> {
    let mut docs = sample_docs();
    for (i, d) in docs.iter_mut().enumerate() {
        let first = d.id.chars().next().unwrap().to_string();
        d.metadata.insert("group".into(), MetaValue::Text(first));
        if i % 5 != 0 {
            d.metadata
                .insert("since".into(), MetaValue::Number((i % 7) as f64 + 0.5));
        }
        let mut tags = vec![if i % 2 == 0 { "even" } else { "odd" }.to_owned()];
        if i % 3 == 0 {
            tags.push("three".into());
        }
        d.metadata.insert("tags".into(), MetaValue::List(tags));
        d.metadata
            .insert("stable".into(), MetaValue::Bool(i % 4 != 0));
    }
    docs
}

/// An engine over [`docs`] with hash-embedded vectors; hybrid search fuses `candidates` from
/// each list (few, so that full-text matches fall beyond them).
fn engine(fusion: Fusion, candidates: usize) -> (Engine, HashEmbedder) {
    let config = EngineConfig {
        hybrid: HybridParams {
            fusion,
            candidates,
            ..Default::default()
        },
        ..Default::default()
    };
    let mut e = Engine::new(config).unwrap();
    let mut emb = HashEmbedder::new(64).unwrap();
    e.add_embedded(docs(), &mut emb).unwrap();
    (e, emb)
}

fn ids(hits: &[Hit]) -> Vec<String> {
    hits.iter().map(|h| h.id.clone()).collect()
}

fn opts(mode: Mode, k: usize) -> SearchOptions {
    SearchOptions {
        k,
        mode,
        ..Default::default()
    }
}

fn query(e: &Engine, emb: &mut HashEmbedder, q: &str, o: &SearchOptions) -> scry_core::Results {
    e.query_embedded_with(&mut Default::default(), q, emb, o)
        .unwrap()
}

/// Every page of `k` results of `o` until an empty one (checking that no document comes twice).
fn all_pages(
    e: &Engine,
    emb: &mut HashEmbedder,
    q: &str,
    o: &SearchOptions,
    k: usize,
) -> Vec<String> {
    let mut out = Vec::new();
    for page in 0.. {
        let p = SearchOptions {
            k,
            offset: page * k,
            ..o.clone()
        };
        let hits = ids(&query(e, emb, q, &p).hits);
        if hits.is_empty() {
            break;
        }
        out.extend(hits);
    }
    assert_eq!(
        out.iter().collect::<HashSet<_>>().len(),
        out.len(),
        "{q:?}: a repeat"
    );
    out
}

#[test]
fn pages_are_slices_of_one_ranking_in_every_mode_and_fusion() {
    for fusion in Fusion::ALL {
        // Hybrid fuses 8 candidates of each list; the other full-text matches follow.
        let (e, mut emb) = engine(fusion, 8);
        for mode in [Mode::Text, Mode::Vector, Mode::Hybrid] {
            for q in QUERIES {
                let base = opts(mode, 1);
                let by3 = all_pages(&e, &mut emb, q, &base, 3);
                let by6 = all_pages(&e, &mut emb, q, &base, 6);
                assert_eq!(by6, by3, "{fusion:?} {mode:?} {q:?}");
                if mode != Mode::Text {
                    assert!(by3.len() >= 8, "{fusion:?} {mode:?} {q:?}: {}", by3.len());
                }
                // The first page is what a search without an offset returns.
                let first = ids(&query(&e, &mut emb, q, &opts(mode, 6)).hits);
                assert_eq!(first, by6[..by6.len().min(6)], "{fusion:?} {mode:?} {q:?}");
                // Counting changes nothing about the pages, nor does asking for facets.
                let counted = SearchOptions {
                    count: true,
                    facets: vec!["group".into()],
                    ..base
                };
                let by6_counted = all_pages(&e, &mut emb, q, &counted, 6);
                let r = query(&e, &mut emb, q, &SearchOptions { k: 6, ..counted });
                if mode == Mode::Vector {
                    // A counted vector search ranks hybrid's candidates only.
                    assert_eq!(by6_counted, by6[..8], "{fusion:?} {q:?}");
                } else {
                    assert_eq!(by6_counted, by6, "{fusion:?} {mode:?} {q:?}");
                }
                assert_eq!(
                    r.total,
                    Some(by6_counted.len()),
                    "{fusion:?} {mode:?} {q:?}"
                );
            }
        }
    }
}

#[test]
fn the_total_is_every_full_text_match_plus_the_vector_candidates() {
    let (e, mut emb) = engine(Fusion::Coverage, 8);
    for q in QUERIES {
        // A search deep enough to return every full-text match, without counting.
        let text: HashSet<String> = ids(&query(&e, &mut emb, q, &opts(Mode::Text, 1000)).hits)
            .into_iter()
            .collect();
        let counted = SearchOptions {
            count: true,
            ..opts(Mode::Text, 3)
        };
        let r = query(&e, &mut emb, q, &counted);
        assert_eq!(r.total, Some(text.len()), "{q:?}");
        assert!(r.facets.is_empty());
        // Hybrid: the text matches and the 8 vector candidates.
        let vector: HashSet<String> = ids(&query(&e, &mut emb, q, &opts(Mode::Vector, 8)).hits)
            .into_iter()
            .collect();
        let union: HashSet<String> = text.union(&vector).cloned().collect();
        assert!(union.len() > text.len(), "{q:?}: the vectors add documents");
        let hybrid = SearchOptions {
            count: true,
            ..opts(Mode::Hybrid, 3)
        };
        assert_eq!(
            query(&e, &mut emb, q, &hybrid).total,
            Some(union.len()),
            "{q:?}"
        );
        // Every member can be paged to.
        let paged: HashSet<String> = all_pages(&e, &mut emb, q, &opts(Mode::Hybrid, 1), 3)
            .into_iter()
            .collect();
        assert_eq!(paged, union, "{q:?}");
        // Vector mode ranks the hybrid candidate count.
        let v = SearchOptions {
            count: true,
            ..opts(Mode::Vector, 3)
        };
        assert_eq!(query(&e, &mut emb, q, &v).total, Some(8), "{q:?}");
    }
    // No counting, no total.
    assert_eq!(
        query(&e, &mut emb, "buffer", &opts(Mode::Text, 3)).total,
        None
    );
}

/// Facet counts computed from the documents of a deep search's hits.
fn expected_facets(e: &Engine, hits: &[String], field: &str) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for id in hits {
        match e.get(id).unwrap().metadata.get(field) {
            Some(MetaValue::Text(s)) => *counts.entry(s.clone()).or_default() += 1,
            Some(MetaValue::Number(n)) => *counts.entry(n.to_string()).or_default() += 1,
            Some(MetaValue::Bool(b)) => *counts.entry(b.to_string()).or_default() += 1,
            Some(MetaValue::List(items)) => {
                for item in items.iter().collect::<HashSet<_>>() {
                    *counts.entry(item.clone()).or_default() += 1;
                }
            }
            None => {}
        }
    }
    counts
}

#[test]
fn facets_count_the_match_set_under_the_filter() {
    let (e, mut emb) = engine(Fusion::Coverage, 8);
    let fields = ["group", "since", "tags", "stable", "missing"];
    let odd: Filter = serde_json::from_str(r#"{"tags": "odd"}"#).unwrap();
    for filter in [None, Some(odd)] {
        for mode in [Mode::Text, Mode::Hybrid] {
            for q in QUERIES {
                let base = SearchOptions {
                    filter: filter.clone(),
                    ..opts(mode, 2)
                };
                let all = all_pages(&e, &mut emb, q, &base, 2);
                let o = SearchOptions {
                    facets: fields.map(String::from).to_vec(),
                    ..base.clone()
                };
                let r = query(&e, &mut emb, q, &o);
                assert_eq!(r.total, Some(all.len()));
                assert_eq!(r.facets.len(), fields.len());
                for (facet, field) in r.facets.iter().zip(fields) {
                    assert_eq!(facet.field, field);
                    let want = expected_facets(&e, &all, field);
                    let got: BTreeMap<String, usize> = facet.values.iter().cloned().collect();
                    assert_eq!(got, want, "{mode:?} {q:?} {field}");
                    assert_eq!(facet.distinct, want.len());
                    // Most documents first.
                    assert!(facet.values.windows(2).all(|w| w[0].1 >= w[1].1));
                }
                if filter.is_some() {
                    let tags = &r.facets[2].values;
                    assert!(tags.iter().all(|(v, _)| v != "even"), "{tags:?}");
                }
            }
        }
    }
}

#[test]
fn sorting_orders_the_whole_match_set_by_a_field() {
    let (e, mut emb) = engine(Fusion::Coverage, 8);
    for mode in [Mode::Text, Mode::Hybrid] {
        for q in QUERIES {
            let relevance = all_pages(&e, &mut emb, q, &opts(mode, 7), 7);
            for descending in [false, true] {
                let sort = Some(Sort {
                    field: "since".into(),
                    descending,
                });
                // The expected order: a stable sort of the relevance ranking, documents
                // without the field last.
                let key = |id: &String| match e.get(id).unwrap().metadata.get("since") {
                    Some(MetaValue::Number(n)) => Some(*n),
                    _ => None,
                };
                let mut want = relevance.clone();
                want.sort_by(|a, b| match (key(a), key(b)) {
                    (Some(x), Some(y)) if descending => y.total_cmp(&x),
                    (Some(x), Some(y)) => x.total_cmp(&y),
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (None, None) => std::cmp::Ordering::Equal,
                });
                let mut paged = Vec::new();
                for page in 0.. {
                    let o = SearchOptions {
                        sort: sort.clone(),
                        offset: page * 7,
                        ..opts(mode, 7)
                    };
                    let r = query(&e, &mut emb, q, &o);
                    assert_eq!(r.total, Some(relevance.len()));
                    if r.hits.is_empty() {
                        break;
                    }
                    paged.extend(ids(&r.hits));
                }
                assert_eq!(paged, want, "{mode:?} {q:?} descending {descending}");
            }
        }
    }
}

#[test]
fn bad_pages_sorts_and_facets_are_typed_errors() {
    let (e, mut emb) = engine(Fusion::Coverage, 8);
    let mut scratch = Default::default();
    let mut run = |o: SearchOptions| e.query_embedded_with(&mut scratch, "buffer", &mut emb, &o);
    let invalid = |r: Result<scry_core::Results, CoreError>, name: &str| match r {
        Err(CoreError::InvalidParameter { name: n, .. }) => assert_eq!(n, name),
        other => panic!("{name}: {other:?}"),
    };
    invalid(
        run(SearchOptions {
            offset: 10_001,
            ..opts(Mode::Text, 10)
        }),
        "offset",
    );
    invalid(
        run(SearchOptions {
            sort: Some(Sort {
                field: "since".into(),
                descending: false,
            }),
            diversify: Some(0.5),
            ..opts(Mode::Text, 10)
        }),
        "sort",
    );
    invalid(
        run(SearchOptions {
            facets: vec![String::new()],
            ..opts(Mode::Text, 10)
        }),
        "facets",
    );
    invalid(
        run(SearchOptions {
            facets: vec!["a".into(); 33],
            ..opts(Mode::Text, 10)
        }),
        "facets",
    );
    invalid(
        run(SearchOptions {
            sort: Some(Sort {
                field: "x".repeat(257),
                descending: true,
            }),
            ..opts(Mode::Text, 10)
        }),
        "sort",
    );
    // A page past the end is empty, not an error; the total is still there.
    let r = run(SearchOptions {
        offset: 10_000,
        count: true,
        ..opts(Mode::Hybrid, 10)
    })
    .unwrap();
    assert!(r.hits.is_empty());
    assert!(r.total.unwrap() > 0);
}

#[test]
fn hits_carry_the_metadata_asked_for() {
    let (e, mut emb) = engine(Fusion::Coverage, 8);
    let with = |metadata: Option<Vec<String>>| SearchOptions {
        metadata,
        ..opts(Mode::Hybrid, 12)
    };
    let none = query(&e, &mut emb, "stream data", &with(None));
    assert!(none.hits.iter().all(|h| h.metadata.is_empty()));
    let all = query(&e, &mut emb, "stream data", &with(Some(Vec::new())));
    assert_eq!(ids(&all.hits), ids(&none.hits));
    for h in &all.hits {
        assert_eq!(h.metadata, e.get(&h.id).unwrap().metadata, "{}", h.id);
        assert_eq!(
            h.metadata.len(),
            if h.metadata.contains_key("since") {
                4
            } else {
                3
            }
        );
    }
    let some = query(
        &e,
        &mut emb,
        "stream data",
        &with(Some(vec!["since".into(), "absent".into()])),
    );
    let mut without = 0;
    for h in &some.hits {
        let want: BTreeMap<String, MetaValue> = e
            .get(&h.id)
            .unwrap()
            .metadata
            .get_key_value("since")
            .map(|(k, v)| (k.clone(), v.clone()))
            .into_iter()
            .collect();
        without += usize::from(want.is_empty());
        assert_eq!(h.metadata, want, "{}", h.id);
    }
    assert!(without < some.hits.len(), "some hits have the field");
    let bad = e.query_embedded_with(
        &mut Default::default(),
        "stream",
        &mut emb,
        &with(Some(vec![String::new()])),
    );
    assert!(matches!(
        bad,
        Err(CoreError::InvalidParameter {
            name: "metadata",
            ..
        })
    ));
}
