//! The HTML reader on the real output of two documentation generators: Sphinx 8.2.3 (alabaster)
//! and MkDocs 1.6.1 with Material 9.6.14, both built from the same small site
//! (`tests/fixtures/sites/source`, rebuilt by `scripts/make_site_fixtures.sh`). Every section
//! becomes a document with the generator's own anchor, and none of the themes' navigation,
//! search box, table of contents, permalinks or footer is indexed.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::path::{Path, PathBuf};

use scry_cli::ingest::{self, UrlRule, WalkOptions};
use scry_core::{Document, MetaValue};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

fn read(folder: &Path) -> ingest::Collected {
    let rule = UrlRule {
        prefix: "/".into(),
        extension: None,
    };
    ingest::read_folder(folder, &rule, &WalkOptions::default()).unwrap()
}

fn site(name: &str) -> Vec<Document> {
    let collected = read(&Path::new(ROOT).join("tests/fixtures/sites").join(name));
    assert!(collected.skipped.is_empty(), "{:?}", collected.skipped);
    collected.docs
}

fn find<'a>(docs: &'a [Document], id: &str) -> &'a Document {
    docs.iter()
        .find(|d| d.id == id)
        .unwrap_or_else(|| panic!("no document {id}"))
}

/// Text of the themes' chrome, in the pages: none may be in a document.
const CHROME: &[&str] = &[
    "Navigation",
    "Quick search",
    "Powered by",
    "Sphinx",
    "Alabaster",
    "Made with",
    "Material for MkDocs",
    "Skip to content",
    "Table of contents",
    "Back to top",
    "Search",
    "©",
    "¶",
    "Previous",
    "Next",
];

fn assert_no_chrome(docs: &[Document]) {
    for d in docs {
        for text in [&d.title, &d.body] {
            for chrome in CHROME {
                // The search page is a page of the site; only its own text is indexed.
                if d.id.starts_with("search") && *chrome == "Search" {
                    continue;
                }
                assert!(!text.contains(chrome), "{chrome:?} in {}: {text:?}", d.id);
            }
        }
    }
}

/// The two pages both sites have, with the anchors each generator writes.
fn assert_install_and_api(docs: &[Document], install: &str, anchors: [&str; 2]) {
    let requirements = find(docs, &format!("{install}#requirements"));
    assert_eq!(requirements.title, "Requirements");
    assert_eq!(requirements.headings, ["Installing Widgets"]);
    assert_eq!(
        requirements.body,
        "A terminal that understands ANSI colours. Café owners & their customers are welcome."
    );
    let pip = find(docs, &format!("{install}#installing-with-pip"));
    assert_eq!(
        pip.body,
        "Run pip install widgets inside a virtual environment.\nNote\nThe wheel is pure Python; no \
         compiler is needed."
    );
    assert_eq!(
        pip.url.as_deref(),
        Some(format!("/{install}.html#installing-with-pip").as_str())
    );
    let [render, palette] = anchors;
    let render = find(docs, render);
    assert_eq!(
        render.body.lines().next(),
        Some("Draws the chart described by template and returns it as text.")
    );
    assert_eq!(render.headings, ["API reference"]);
    assert_eq!(
        find(docs, palette).body,
        "A sequence of colours used in turn for each series."
    );
}

#[test]
fn sphinx_output_becomes_sections_with_sphinx_anchors() {
    let docs = site("sphinx");
    assert_no_chrome(&docs);
    assert_install_and_api(
        &docs,
        "install",
        ["api#widgets.render", "api#widgets.Palette"],
    );
    // The API definitions are sections of their own, titled by their signature, below the
    // page's heading (whose permalink Sphinx points at the module's target).
    let ids: Vec<&str> = docs
        .iter()
        .filter(|d| d.id.starts_with("api#"))
        .map(|d| d.id.as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "api#module-widgets",
            "api#widgets.render",
            "api#widgets.Palette"
        ]
    );
    assert_eq!(
        find(&docs, "api#widgets.render").title,
        "widgets.render(template, *, strict=False)"
    );
    // The index page's text, its table of contents included (it is the page's content).
    assert!(
        find(&docs, "index#widgets")
            .body
            .starts_with("Widgets draws small charts in a terminal.")
    );
}

#[test]
fn mkdocs_material_output_becomes_sections_with_its_anchors() {
    let docs = site("mkdocs");
    assert_no_chrome(&docs);
    assert_install_and_api(
        &docs,
        "install/index",
        [
            "api/index#rendertemplate-strictfalse",
            "api/index#palettecolours",
        ],
    );
    // Code blocks are text of their section; Material's copy button is not.
    assert!(
        find(&docs, "api/index#rendertemplate-strictfalse")
            .body
            .ends_with("chart = render(\"bars\", strict=True)")
    );
    assert_eq!(
        find(&docs, "index#widgets").body,
        "Widgets draws small charts in a terminal."
    );
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("scry-sites-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn data_scry_body_on_one_page_leaves_out_the_pages_without_it() {
    let dir = scratch("body");
    std::fs::write(
        dir.join("chosen.html"),
        r#"<body><div>Chrome</div><article data-scry-body data-scry-filter="kind:guide"><h1>Chosen</h1><p>Kept.</p></article></body>"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("other.html"),
        "<body><main><h1>Other</h1><p>Not chosen.</p></main></body>",
    )
    .unwrap();
    std::fs::write(dir.join("notes.md"), "# Notes\n\nMarkdown is not HTML.\n").unwrap();
    let collected = read(&dir);
    let ids: Vec<&str> = collected.docs.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["chosen#chosen", "notes#notes"]);
    assert_eq!(
        collected.docs[0].metadata.get("kind"),
        Some(&MetaValue::List(vec!["guide".into()]))
    );
    assert_eq!(collected.skipped.len(), 1);
    assert!(collected.skipped[0].path.ends_with("other.html"));
    assert!(collected.skipped[0].reason.contains("data-scry-body"));
    std::fs::remove_dir_all(&dir).unwrap();
}
