//! Markdown (CommonMark with tables, through `pulldown-cmark`) → sections at headings (ATX and
//! setext; `{#id}` after a heading gives its anchor), with inline markup reduced to text, and the
//! page's front matter: YAML between `---` lines or TOML between `+++` lines at the top.

use pulldown_cmark::{Event, MetadataBlockKind, Options, Parser, Tag, TagEnd};
use scry_core::MetaValue;

use super::{PageMeta, Section};

fn empty_section() -> Section {
    Section {
        level: 0,
        title: String::new(),
        anchor: None,
        body: String::new(),
    }
}

/// Ends the current line of `body` (no blank lines, nothing at the start).
fn new_line(body: &mut String) {
    if !body.is_empty() && !body.ends_with('\n') {
        body.push('\n');
    }
}

/// Splits Markdown into sections; text before the first heading is a level-0 section. Returns
/// the front matter too (empty without one).
pub fn parse(text: &str) -> (Vec<Section>, PageMeta) {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS
        | Options::ENABLE_PLUSES_DELIMITED_METADATA_BLOCKS;
    let mut out: Vec<Section> = Vec::new();
    let mut current = empty_section();
    let mut meta = PageMeta::default();
    // Where text goes: the heading being read, the front matter, or the body.
    let mut heading: Option<String> = None;
    let mut front: Option<(MetadataBlockKind, String)> = None;
    // Front matter is only what opens the page; a block like it later (pulldown-cmark reads one
    // anywhere, as Pandoc does) is text.
    let mut at_start = true;
    let flush = |s: &mut Section, out: &mut Vec<Section>| {
        s.body = s.body.trim().to_owned();
        if s.level > 0 || !s.body.is_empty() {
            out.push(std::mem::replace(s, empty_section()));
        }
    };
    for event in Parser::new_ext(text, options) {
        let opening = at_start;
        at_start = false;
        match event {
            Event::Start(Tag::MetadataBlock(kind)) if opening => {
                front = Some((kind, String::new()));
            }
            Event::End(TagEnd::MetadataBlock(_)) => match front.take() {
                Some((kind, block)) => meta = front_matter(kind, &block),
                None => new_line(&mut current.body),
            },
            Event::Start(Tag::Heading { level, id, .. }) => {
                flush(&mut current, &mut out);
                current.level = level as u8;
                current.anchor = id.map(|a| a.to_string());
                heading = Some(String::new());
            }
            Event::End(TagEnd::Heading(_)) => {
                current.title = heading.take().unwrap_or_default().trim().to_owned();
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some((_, block)) = &mut front {
                    block.push_str(&t);
                } else if let Some(h) = &mut heading {
                    h.push_str(&t);
                } else {
                    current.body.push_str(&t);
                }
            }
            Event::SoftBreak => match &mut heading {
                Some(h) => h.push(' '),
                None => current.body.push(' '),
            },
            Event::HardBreak => new_line(&mut current.body),
            // Inline HTML tags and comments, HTML blocks: not text.
            Event::Html(_) | Event::InlineHtml(_) => {}
            Event::Start(Tag::Item | Tag::TableRow | Tag::TableHead | Tag::CodeBlock(_)) => {
                new_line(&mut current.body);
            }
            Event::End(TagEnd::TableCell) => current.body.push(' '),
            Event::End(
                TagEnd::Paragraph
                | TagEnd::Item
                | TagEnd::CodeBlock
                | TagEnd::TableRow
                | TagEnd::TableHead
                | TagEnd::BlockQuote(_),
            ) => new_line(&mut current.body),
            _ => {}
        }
    }
    flush(&mut current, &mut out);
    for s in &mut out {
        // Code blocks end with their own newline; table cells with a space.
        s.body = s
            .body
            .lines()
            .map(str::trim_end)
            .filter(|l| !l.trim().is_empty())
            .collect::<Vec<_>>()
            .join("\n");
    }
    (out, meta)
}

/// The page's front matter: `title`, `tags` (or `keywords`: a list or one string), and every
/// other top-level key whose value is a string, number, boolean or list of those, as metadata
/// (nested tables are left out). Front matter that does not parse is ignored, as the generators
/// that read it would refuse it.
fn front_matter(kind: MetadataBlockKind, block: &str) -> PageMeta {
    let pairs: Vec<(String, Value)> = match kind {
        MetadataBlockKind::YamlStyle => yaml_pairs(block),
        MetadataBlockKind::PlusesStyle => toml_pairs(block),
    };
    let mut meta = PageMeta::default();
    for (key, value) in pairs {
        match (key.as_str(), value) {
            ("title", Value::Scalar(MetaValue::Text(t))) => meta.title = Some(t),
            // The page's language: its analyzer (and a field to filter on, as any other).
            // Not `language`, which often names a programming language.
            ("lang", Value::Scalar(MetaValue::Text(t))) => {
                meta.lang.get_or_insert(t.clone());
                meta.fields.insert(key, MetaValue::Text(t));
            }
            ("tags" | "keywords", Value::Scalar(MetaValue::Text(t))) => meta.tags.push(t),
            ("tags" | "keywords", Value::List(items)) => meta.tags.extend(items),
            (_, Value::Scalar(v)) => {
                meta.fields.insert(key, v);
            }
            (_, Value::List(items)) => {
                meta.fields.insert(key, MetaValue::List(items));
            }
        }
    }
    meta
}

/// A front matter value scry keeps.
enum Value {
    Scalar(MetaValue),
    List(Vec<String>),
}

/// A front matter list's element as text (lists of metadata are lists of strings).
fn list_item(value: MetaValue) -> String {
    match value {
        MetaValue::Text(s) => s,
        MetaValue::Number(n) => n.to_string(),
        MetaValue::Bool(b) => b.to_string(),
        MetaValue::List(l) => l.join(" "),
    }
}

fn yaml_pairs(block: &str) -> Vec<(String, Value)> {
    use yaml_rust2::{Yaml, YamlLoader};
    let scalar = |y: &Yaml| -> Option<MetaValue> {
        match y {
            Yaml::String(s) => Some(MetaValue::Text(s.clone())),
            Yaml::Integer(i) => Some(MetaValue::Number(*i as f64)),
            Yaml::Real(r) => r
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .map(MetaValue::Number),
            Yaml::Boolean(b) => Some(MetaValue::Bool(*b)),
            _ => None,
        }
    };
    if has_alias(block) {
        return Vec::new();
    }
    let Ok(docs) = YamlLoader::load_from_str(block) else {
        return Vec::new();
    };
    let Some(Yaml::Hash(map)) = docs.into_iter().next() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (k, v) in map {
        let Yaml::String(key) = k else { continue };
        if let Some(s) = scalar(&v) {
            out.push((key, Value::Scalar(s)));
        } else if let Yaml::Array(items) = v {
            let items: Vec<String> = items.iter().filter_map(scalar).map(list_item).collect();
            out.push((key, Value::List(items)));
        }
    }
    out
}

/// Whether YAML uses an alias (`*name`). yaml-rust2 copies the anchored value at each alias, so
/// nested aliases grow exponentially (a "billion laughs" page would exhaust memory): front
/// matter with aliases is left out (as front matter that does not parse is).
fn has_alias(block: &str) -> bool {
    use yaml_rust2::Event;
    let mut parser = yaml_rust2::parser::Parser::new_from_str(block);
    loop {
        match parser.next_token() {
            Ok((Event::Alias(_), _)) => return true,
            Ok((Event::StreamEnd, _)) | Err(_) => return false,
            Ok(_) => {}
        }
    }
}

fn toml_pairs(block: &str) -> Vec<(String, Value)> {
    use toml::Value as T;
    let scalar = |v: &T| -> Option<MetaValue> {
        match v {
            T::String(s) => Some(MetaValue::Text(s.clone())),
            T::Integer(i) => Some(MetaValue::Number(*i as f64)),
            T::Float(f) if f.is_finite() => Some(MetaValue::Number(*f)),
            T::Boolean(b) => Some(MetaValue::Bool(*b)),
            T::Datetime(d) => Some(MetaValue::Text(d.to_string())),
            _ => None,
        }
    };
    let Ok(table) = block.parse::<toml::Table>() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (key, v) in table {
        if let Some(s) = scalar(&v) {
            out.push((key, Value::Scalar(s)));
        } else if let T::Array(items) = v {
            let items = items.iter().filter_map(scalar).map(list_item).collect();
            out.push((key, Value::List(items)));
        }
    }
    out
}

/// Convenience for callers without front matter: the sections only.
pub fn sections(text: &str) -> Vec<Section> {
    parse(text).0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_markup_becomes_text() {
        let body = |md: &str| sections(md)[0].body.clone();
        assert_eq!(
            body("Use `fs.readFile()` and [the docs](https://x.y)."),
            "Use fs.readFile() and the docs."
        );
        assert_eq!(
            body("See [`Buffer`][] and ![logo](a.png)\n\n[`Buffer`]: https://b"),
            "See Buffer and logo"
        );
        assert_eq!(
            body("**bold** *em* snake_case <br> a < b"),
            "bold em snake_case  a < b"
        );
        assert_eq!(body("``code with ` inside``"), "code with ` inside");
        assert_eq!(body(r"escaped \* star"), "escaped * star");
    }

    #[test]
    fn headings_comments_fences_and_references() {
        let md = "Preamble.\n<!-- YAML\nadded: v1\n-->\n# Title\n\nText [link][ref].\n\n```js\n# not a heading\nconst x = 1;\n```\n\n## Sub ##\n\n> quoted\n* item one\n\n[ref]: https://example.com\n";
        let s = sections(md);
        assert_eq!(s.len(), 3);
        assert_eq!((s[0].level, s[0].body.as_str()), (0, "Preamble."));
        assert_eq!((s[1].level, s[1].title.as_str()), (1, "Title"));
        assert!(s[1].body.contains("# not a heading") && s[1].body.contains("const x = 1;"));
        assert!(!s[1].body.contains("YAML"));
        assert_eq!((s[2].level, s[2].title.as_str()), (2, "Sub"));
        assert_eq!(s[2].body, "quoted\nitem one");
        let wrapped = sections("# T\n\nA sentence that\nwraps over lines.\n\nNext paragraph.\n");
        assert_eq!(
            wrapped[0].body,
            "A sentence that wraps over lines.\nNext paragraph."
        );
    }

    #[test]
    fn setext_headings_anchors_and_tables() {
        let md = "Guide\n=====\n\nIntro.\n\nInstall {#setup}\n-------\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n### Usage {#use .x}\n\nRun it.\n";
        let s = sections(md);
        let heads: Vec<(u8, &str, Option<&str>)> = s
            .iter()
            .map(|s| (s.level, s.title.as_str(), s.anchor.as_deref()))
            .collect();
        assert_eq!(
            heads,
            [
                (1, "Guide", None),
                (2, "Install", Some("setup")),
                (3, "Usage", Some("use"))
            ]
        );
        assert_eq!(s[1].body, "a b\n1 2");
    }

    #[test]
    fn front_matter_yaml_and_toml() {
        let yaml = "---\ntitle: The guide\ntags: [fs, streams]\nversion: 20\ndraft: false\nauthor: Ann\nnested: {a: 1}\n---\n\n# Reading\n\nText.\n";
        let (s, meta) = parse(yaml);
        assert_eq!(meta.title.as_deref(), Some("The guide"));
        assert_eq!(meta.tags, ["fs", "streams"]);
        assert_eq!(meta.fields.get("version"), Some(&MetaValue::Number(20.0)));
        assert_eq!(meta.fields.get("draft"), Some(&MetaValue::Bool(false)));
        assert_eq!(
            meta.fields.get("author"),
            Some(&MetaValue::Text("Ann".into()))
        );
        assert!(!meta.fields.contains_key("nested"));
        assert_eq!(meta.lang, None);
        assert_eq!(s.len(), 1);
        // The page's language: its analyzer, and a field like any other (`language` is only a
        // field: it often names a programming language).
        let (_, meta) = parse("---\nlang: fr-CA\n---\n\nTexte.\n");
        assert_eq!(meta.lang.as_deref(), Some("fr-CA"));
        assert_eq!(
            meta.fields.get("lang"),
            Some(&MetaValue::Text("fr-CA".into()))
        );
        let (_, meta) = parse("---\nlanguage: python\n---\n\nCode.\n");
        assert_eq!(meta.lang, None);
        assert!(!s[0].body.contains("version"), "{:?}", s[0].body);
        let toml = "+++\ntitle = \"Setup\"\nkeywords = \"install\"\nweight = 3\n+++\n\nBody.\n";
        let (s, meta) = parse(toml);
        assert_eq!(meta.title.as_deref(), Some("Setup"));
        assert_eq!(meta.tags, ["install"]);
        assert_eq!(meta.fields.get("weight"), Some(&MetaValue::Number(3.0)));
        assert_eq!(s[0].body, "Body.");
        // Front matter that does not parse is left out, never indexed as text.
        let (s, meta) = parse("---\ntitle: [unclosed\n---\n\nBody.\n");
        assert_eq!(meta, PageMeta::default());
        assert_eq!(s[0].body, "Body.");
        // Aliases are left out: each one copies its anchor, so nesting them grows exponentially.
        let mut bomb = String::from(
            "---\na: &a [\"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\"]\n",
        );
        for (name, prev) in ["b", "c", "d", "e", "f", "g", "h", "i"]
            .iter()
            .zip(["a", "b", "c", "d", "e", "f", "g", "h"])
        {
            bomb.push_str(&format!("{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        }
        bomb.push_str("title: Bomb\n---\n\nBody.\n");
        let (s, meta) = parse(&bomb);
        assert_eq!(meta, PageMeta::default());
        assert_eq!(s[0].body, "Body.");
        let (_, meta) = parse("---\nbase: &b one\ncopy: *b\ntitle: T\n---\n");
        assert_eq!(meta.title, None);
        // A thematic break later in the page is not front matter.
        let (s, meta) = parse("Intro.\n\n---\ntitle: x\n---\n");
        assert_eq!(meta, PageMeta::default());
        assert!(s[0].body.contains("title: x"));
    }
}
