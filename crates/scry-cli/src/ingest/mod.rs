//! Turning a folder of documentation (Markdown, HTML, plain text) into documents: one per
//! section, with its title, heading path, anchor and URL.

pub mod folder;
pub mod html;
pub mod markdown;
pub mod slug;
pub mod walk;

use std::path::Path;

pub use folder::{Collected, read_folder};
use scry_core::{Document, MetaValue};
pub use walk::{Skip, Walk, WalkOptions, find_files};

/// One section of a page, before it becomes a [`Document`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// Heading level (1–6; 7 for an anchored API definition; 0 for text before any heading).
    pub level: u8,
    /// Heading text (plain).
    pub title: String,
    /// Explicit anchor from the source (HTML `id`), if any.
    pub anchor: Option<String>,
    /// Plain text of the section.
    pub body: String,
}

/// What a page says of itself beyond its sections (Markdown front matter).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageMeta {
    /// The page's title (for its text before the first heading, and its documents' headings).
    pub title: Option<String>,
    /// Tags of every document of the page (`tags` or `keywords`).
    pub tags: Vec<String>,
    /// Other fields, as metadata of every document of the page (filters); `page` and `level`
    /// are scry's own and win.
    pub fields: std::collections::BTreeMap<String, MetaValue>,
    /// The page's language as it declares it (`<html lang>`, front matter `lang`), a BCP 47
    /// tag.
    pub lang: Option<String>,
    /// An HTML page chose the content it indexes with `data-scry-body` (then a folder's pages
    /// without it are skipped: [`read_folder`]).
    pub chose_body: bool,
}

/// How paths become URLs.
#[derive(Debug, Clone)]
pub struct UrlRule {
    /// Prefix put before every page path (e.g. `/docs/`).
    pub prefix: String,
    /// Extension pages are served with (`html`); `None` keeps the source extension.
    pub extension: Option<String>,
}

/// What kind of source a file is, by extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `.md`, `.markdown`
    Markdown,
    /// `.html`, `.htm`
    Html,
    /// `.txt`, `.rst`
    Text,
}

/// The kind of `path`, if indexable.
pub fn kind(path: &Path) -> Option<Kind> {
    match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
        "md" | "markdown" => Some(Kind::Markdown),
        "html" | "htm" => Some(Kind::Html),
        "txt" | "rst" => Some(Kind::Text),
        _ => None,
    }
}

/// Splits one file's text into sections, with what the page says of itself; `Err` says why
/// the page cannot be read (an HTML page nested too deep).
pub fn sections(kind: Kind, text: &str) -> Result<(Vec<Section>, PageMeta), String> {
    Ok(match kind {
        Kind::Markdown => markdown::parse(text),
        Kind::Html => {
            let (sections, mut meta, chose_body) = html::parse(text)?;
            meta.chose_body = chose_body;
            (sections, meta)
        }
        Kind::Text => (
            vec![Section {
                level: 0,
                title: String::new(),
                anchor: None,
                body: text.trim().to_owned(),
            }],
            PageMeta::default(),
        ),
    })
}

/// Documents for one page: a document per non-empty section, ids `<page>#<anchor>`.
pub fn page_documents(
    page: &str,
    source_ext: &str,
    (sections, meta): (Vec<Section>, PageMeta),
    rule: &UrlRule,
) -> Vec<Document> {
    let ext = rule.extension.as_deref().unwrap_or(source_ext);
    let page_url = format!("{}{page}.{ext}", rule.prefix);
    let mut slugs = slug::Slugger::default();
    // Heading path: the titles of the enclosing sections, by level.
    let mut stack: Vec<(u8, String)> = Vec::new();
    let page_title = meta.title.clone().unwrap_or_else(|| {
        sections
            .iter()
            .find(|s| s.level > 0)
            .map(|s| s.title.clone())
            .unwrap_or_else(|| page.rsplit('/').next().unwrap_or(page).to_owned())
    });
    let mut out = Vec::new();
    for s in sections {
        while stack
            .last()
            .is_some_and(|(l, _)| *l >= s.level && s.level > 0)
        {
            stack.pop();
        }
        let headings: Vec<String> = stack.iter().map(|(_, t)| t.clone()).collect();
        if s.level > 0 {
            stack.push((s.level, s.title.clone()));
        }
        let title = if s.title.is_empty() {
            page_title.clone()
        } else {
            s.title.clone()
        };
        if title.trim().is_empty() && s.body.trim().is_empty() {
            continue;
        }
        let anchor = match &s.anchor {
            Some(a) => slugs.reserve(a),
            None if s.level == 0 => String::new(),
            None => slugs.slug(&s.title),
        };
        let (id, url) = if anchor.is_empty() {
            (page.to_owned(), page_url.clone())
        } else {
            (format!("{page}#{anchor}"), format!("{page_url}#{anchor}"))
        };
        let mut metadata = meta.fields.clone();
        metadata.insert("page".to_owned(), MetaValue::Text(page.to_owned()));
        metadata.insert("level".to_owned(), MetaValue::Number(f64::from(s.level)));
        out.push(Document {
            id,
            title,
            headings,
            body: s.body,
            tags: meta.tags.clone(),
            url: Some(url),
            metadata,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_become_documents_with_heading_paths() {
        let md = "# File system\n\nIntro.\n\n## Promises API\n\nAll about promises.\n\n### `fsPromises.readFile(path)`\n\nReads a file.\n\n## Callback API\n\nCallbacks.\n";
        let rule = UrlRule {
            prefix: "/api/".into(),
            extension: Some("html".into()),
        };
        let docs = page_documents("fs", "md", markdown::parse(md), &rule);
        let got: Vec<_> = docs
            .iter()
            .map(|d| (d.id.as_str(), d.title.as_str(), d.headings.join(" > ")))
            .collect();
        assert_eq!(
            got,
            [
                ("fs#file-system", "File system", String::new()),
                ("fs#promises-api", "Promises API", "File system".to_owned()),
                (
                    "fs#fspromises-readfile-path",
                    "fsPromises.readFile(path)",
                    "File system > Promises API".to_owned()
                ),
                ("fs#callback-api", "Callback API", "File system".to_owned()),
            ]
        );
        assert_eq!(
            docs[2].url.as_deref(),
            Some("/api/fs.html#fspromises-readfile-path")
        );
        assert_eq!(docs[2].body, "Reads a file.");
    }

    #[test]
    fn front_matter_gives_title_tags_and_filters() {
        let md = "---
title: Streams guide
tags: [io, streams]
version: 20
page: not ours
---

Why streams.

## Backpressure

Slow down.
";
        let rule = UrlRule {
            prefix: "/".into(),
            extension: None,
        };
        let docs = page_documents(
            "guides/streams",
            "md",
            sections(Kind::Markdown, md).unwrap(),
            &rule,
        );
        assert_eq!(docs.len(), 2);
        // The text before the first heading takes the page's title; the heading path too.
        assert_eq!(
            (docs[0].title.as_str(), docs[0].body.as_str()),
            ("Streams guide", "Why streams.")
        );
        assert_eq!(docs[1].title, "Backpressure");
        for d in &docs {
            assert_eq!(d.tags, ["io", "streams"]);
            assert_eq!(d.metadata.get("version"), Some(&MetaValue::Number(20.0)));
            // scry's own fields win over the page's.
            assert_eq!(
                d.metadata.get("page"),
                Some(&MetaValue::Text("guides/streams".into()))
            );
        }
    }
}
