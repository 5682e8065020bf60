//! HTML → sections at `<h1>`…`<h6>` (and Sphinx's anchored API definitions), on html5ever's
//! standards-compliant parser (through `scraper`): every named character reference, implied end
//! tags, and `<script>`, `<style>` and comments read as a browser reads them.
//!
//! What is indexed, with attributes in the style of Pagefind's:
//! - `data-scry-body`: only the elements that carry it. Once one page of a folder has one, the
//!   folder's HTML pages without one are skipped (`folder.rs`), as Pagefind does.
//! - Without it: the page's `<main>` (or `role="main"`), else its outermost `<article>`s, else
//!   `<body>`.
//! - `data-scry-ignore` leaves an element's text out; `data-scry-ignore="all"` its metadata too.
//! - `data-scry-meta="name"` (the element's text), `"name:value"` (a value given as is) or
//!   `"name[attr]"` (an attribute's value), several separated by commas, on any element of the
//!   page: a field of every document of the page. `title` names the page instead.
//! - `data-scry-filter`, same forms: a field whose values over the page are collected into a
//!   list (a filter matches any of them); `tags` become the page's tags.
//!
//! Navigation chrome is left out wherever it is: `<nav>`, scripts and styles, page-level
//! `<header>`/`<footer>` (those inside an `<article>`, `<section>` or `<main>` are content),
//! hidden and `aria-hidden` elements, form controls, and the sidebars, tables of contents and
//! permalinks of Sphinx, MkDocs (and Material), Docusaurus, Hugo and Jekyll themes.
//!
//! The page is walked without recursion, and a page nesting elements deeper than [`MAX_DEPTH`]
//! is refused before it costs more than linear time.

use std::borrow::Cow;
use std::cell::Cell;
use std::collections::BTreeMap;
use std::rc::Rc;

use ego_tree::iter::Edge;
use ego_tree::{NodeId, NodeRef};
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::{
    BufferQueue, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use html5ever::tree_builder::{
    ElementFlags, NodeOrText, QuirksMode, TreeBuilder, TreeBuilderOpts, TreeSink,
};
use html5ever::{Attribute, QualName, TokenizerResult};
use scraper::{Html, HtmlTreeSink, Node};
use scry_core::MetaValue;

use super::{PageMeta, Section};

/// At most this many elements with `data-scry-meta` or `data-scry-filter` are read per page
/// (each reads its own text: a page of nested ones must not cost the square of its size).
const MAX_FIELD_ELEMENTS: usize = 64;

/// Elements whose content is never text of the page, or is the site's navigation.
const SKIPPED_ELEMENTS: &[&str] = &[
    "script", "style", "noscript", "template", "nav", "svg", "math", "iframe", "object", "canvas",
    "button", "select", "textarea", "input", "dialog",
];

/// Classes of navigation, tables of contents and permalinks in the common generators' themes.
const SKIPPED_CLASSES: &[&str] = &[
    // Sphinx (classic, alabaster, and the Read the Docs theme).
    "sphinxsidebar",
    "related",
    "footer",
    "headerlink",
    "wy-nav-side",
    "rst-footer-buttons",
    // MkDocs and Material for MkDocs (`headerlink` above).
    "md-header",
    "md-sidebar",
    "md-footer",
    "md-source-file",
    "md-clipboard",
    // Docusaurus.
    "hash-link",
    "theme-doc-sidebar-container",
    "theme-doc-toc-mobile",
    "theme-doc-toc-desktop",
    "theme-doc-footer",
    "pagination-nav",
    // Hugo (Docsy) and Jekyll (Just the Docs).
    "td-sidebar",
    "td-sidebar-toc",
    "td-page-meta",
    "side-bar",
    "anchor-heading",
];

/// Elements that end a line of text.
fn is_block(name: &str) -> bool {
    matches!(
        name,
        "p" | "br"
            | "li"
            | "div"
            | "tr"
            | "pre"
            | "dd"
            | "dt"
            | "dl"
            | "ul"
            | "ol"
            | "table"
            | "section"
            | "article"
            | "main"
            | "aside"
            | "blockquote"
            | "figure"
            | "figcaption"
            | "details"
            | "summary"
            | "hr"
            | "header"
            | "footer"
            | "address"
    )
}

fn heading_level(name: &str) -> Option<u8> {
    match name {
        "h1" => Some(1),
        "h2" => Some(2),
        "h3" => Some(3),
        "h4" => Some(4),
        "h5" => Some(5),
        "h6" => Some(6),
        _ => None,
    }
}

fn element(node: NodeRef<'_, Node>) -> Option<&scraper::node::Element> {
    node.value().as_element()
}

/// Whether an element's content is left out of the text (not its metadata: see `ignores_all`).
/// `in_content`: inside an `<article>`, `<section>` or `<main>` (there, headers and footers are
/// the content's own).
fn is_chrome(e: &scraper::node::Element, in_content: bool) -> bool {
    let name = e.name();
    SKIPPED_ELEMENTS.contains(&name)
        || (!in_content && matches!(name, "header" | "footer"))
        || e.attr("data-scry-ignore").is_some()
        || e.attr("hidden").is_some()
        || e.attr("aria-hidden").is_some_and(|v| v.eq_ignore_ascii_case("true"))
        || e.attr("role").is_some_and(|r| {
            ["navigation", "search", "banner", "contentinfo"]
                .iter()
                .any(|n| r.eq_ignore_ascii_case(n))
        })
        || e.classes().any(|c| SKIPPED_CLASSES.contains(&c))
        // Hugo's and Jekyll's permalinks: `<a class="anchor">` (Docusaurus puts `anchor` on the
        // heading itself).
        || (name == "a" && e.classes().any(|c| c == "anchor"))
}

fn ignores_all(e: &scraper::node::Element) -> bool {
    e.attr("data-scry-ignore")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("all"))
}

/// The elements whose content is indexed, and whether the page chose them (`data-scry-body`).
fn content_roots(doc: &Html) -> (Vec<NodeRef<'_, Node>>, bool) {
    let mut bodies = Vec::new();
    let mut main = None;
    let mut articles = Vec::new();
    let mut body = None;
    // The outermost element of each kind: nodes inside a chosen body (any kind) or an article
    // (articles only) are passed over.
    let mut in_body: Option<NodeId> = None;
    let mut in_article: Option<NodeId> = None;
    for edge in doc.tree.root().traverse() {
        match edge {
            Edge::Open(node) if in_body.is_none() => {
                let Some(e) = element(node) else { continue };
                if e.attr("data-scry-body").is_some() {
                    bodies.push(node);
                    in_body = Some(node.id());
                } else if main.is_none()
                    && (e.name() == "main"
                        || e.attr("role")
                            .is_some_and(|r| r.eq_ignore_ascii_case("main")))
                {
                    main = Some(node);
                } else if e.name() == "article" && in_article.is_none() {
                    articles.push(node);
                    in_article = Some(node.id());
                } else if e.name() == "body" && body.is_none() {
                    body = Some(node);
                }
            }
            Edge::Close(node) if in_body == Some(node.id()) => in_body = None,
            Edge::Close(node) if in_article == Some(node.id()) => in_article = None,
            _ => {}
        }
    }
    if !bodies.is_empty() {
        return (bodies, true);
    }
    let roots = if let Some(main) = main {
        vec![main]
    } else if !articles.is_empty() {
        articles
    } else {
        vec![body.unwrap_or_else(|| doc.tree.root())]
    };
    (roots, false)
}

/// At most this many entries are read from one `data-scry-meta` or `data-scry-filter`.
const MAX_FIELD_PARTS: usize = 32;
/// A field value taken from an element's text keeps at most this many bytes of it.
const MAX_FIELD_TEXT: usize = 1024;

/// The entries of one `data-scry-meta` / `data-scry-filter` of `node`: names and values.
fn field_entries(node: NodeRef<'_, Node>, spec: &str) -> Vec<(String, String)> {
    let Some(e) = element(node) else {
        return Vec::new();
    };
    let mut text: Option<String> = None;
    let mut out: Vec<(String, String)> = Vec::new();
    for part in spec.split(',').take(MAX_FIELD_PARTS) {
        let part = part.trim();
        // `name[attr]` first: an attribute name may hold a colon (`xlink:href`).
        let attr_form = part
            .strip_suffix(']')
            .and_then(|p| p.split_once('['))
            .filter(|(name, _)| !name.contains(':'));
        let (name, value) = if let Some((name, attr)) = attr_form {
            let Some(value) = e.attr(attr.trim()) else {
                continue;
            };
            (name.trim(), value.trim().to_owned())
        } else if let Some((name, value)) = part.split_once(':') {
            (name.trim(), value.trim().to_owned())
        } else {
            let text = text.get_or_insert_with(|| {
                let mut all = String::new();
                let words = scraper::ElementRef::wrap(node)
                    .into_iter()
                    .flat_map(|r| r.text())
                    .flat_map(str::split_whitespace);
                for word in words {
                    if all.len() + 1 + word.len() > MAX_FIELD_TEXT {
                        break;
                    }
                    if !all.is_empty() {
                        all.push(' ');
                    }
                    all.push_str(word);
                }
                all
            });
            (part, text.clone())
        };
        if !name.is_empty()
            && !value.is_empty()
            && !out.iter().any(|(n, v)| n == name && *v == value)
        {
            out.push((name.to_owned(), value));
        }
    }
    out
}

/// The page's metadata from `data-scry-meta` and `data-scry-filter`, anywhere in the page but
/// under `data-scry-ignore="all"`.
fn page_meta(doc: &Html) -> PageMeta {
    let mut meta = PageMeta::default();
    let mut filters: BTreeMap<String, (Vec<String>, std::collections::HashSet<String>)> =
        BTreeMap::new();
    let mut ignored: Option<NodeId> = None;
    let mut read = 0;
    for edge in doc.tree.root().traverse() {
        let node = match edge {
            Edge::Open(node) if ignored.is_none() => node,
            Edge::Close(node) if ignored == Some(node.id()) => {
                ignored = None;
                continue;
            }
            _ => continue,
        };
        let Some(e) = element(node) else { continue };
        if e.name() == "html" && meta.lang.is_none() {
            meta.lang = e
                .attr("lang")
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned);
        }
        if ignores_all(e) {
            ignored = Some(node.id());
            continue;
        }
        let (m, f) = (e.attr("data-scry-meta"), e.attr("data-scry-filter"));
        if m.is_none() && f.is_none() {
            continue;
        }
        read += 1;
        if read > MAX_FIELD_ELEMENTS {
            break;
        }
        for (name, value) in m.map(|s| field_entries(node, s)).unwrap_or_default() {
            if name == "title" {
                meta.title.get_or_insert(value);
            } else {
                meta.fields.entry(name).or_insert(MetaValue::Text(value));
            }
        }
        for (name, value) in f.map(|s| field_entries(node, s)).unwrap_or_default() {
            let (values, seen) = filters.entry(name).or_default();
            if seen.insert(value.clone()) {
                values.push(value);
            }
        }
    }
    for (name, (values, _)) in filters {
        if name == "tags" {
            meta.tags.extend(values);
        } else {
            meta.fields.insert(name, MetaValue::List(values));
        }
    }
    meta
}

/// Whether `node` holds text (other than white space).
fn has_text(node: NodeRef<'_, Node>) -> bool {
    node.descendants()
        .any(|d| d.value().as_text().is_some_and(|t| !t.trim().is_empty()))
}

/// The anchor of a heading: its own `id`; else the target of its permalink (Sphinx's and
/// MkDocs' `<a class="headerlink" href="#…">`, Docusaurus' `hash-link`, Hugo's `anchor`); else
/// an `<a id|name>` inside it (`<h2><a name="api"></a>API</h2>`); else the `id` of the section
/// it opens (older Sphinx puts a heading's anchor on its `<section id="…">`, with empty link
/// targets before the heading).
fn heading_anchor(node: NodeRef<'_, Node>) -> Option<String> {
    let e = element(node)?;
    if let Some(id) = e.attr("id") {
        return Some(id.to_owned());
    }
    // One pass over the heading: the first permalink wins, else the first named anchor.
    let mut named = None;
    for a in node
        .descendants()
        .filter_map(element)
        .filter(|a| a.name() == "a")
    {
        let is_permalink = a
            .classes()
            .any(|c| matches!(c, "headerlink" | "hash-link" | "anchor" | "anchor-heading"));
        if let Some(target) = a.attr("href").and_then(|h| h.strip_prefix('#'))
            && is_permalink
            && !target.is_empty()
        {
            return Some(target.to_owned());
        }
        if named.is_none() {
            named = a.attr("id").or_else(|| a.attr("name")).map(str::to_owned);
        }
    }
    if named.is_some() {
        return named;
    }
    // The heading opens its parent when only empty link targets come before it (a few at
    // most: a page of 100,000 empty headings must not look back over all of them).
    let mut before = node.prev_siblings();
    let opens_parent = before.by_ref().take(8).all(|s| !has_text(s)) && before.next().is_none();
    let parent = node.parent().and_then(element)?;
    (opens_parent && matches!(parent.name(), "section" | "div" | "article"))
        .then(|| parent.attr("id").map(str::to_owned))
        .flatten()
}

/// The section being read and the heading being read, if any.
struct Reader {
    out: Vec<Section>,
    current: Section,
    /// Heading open: its level, anchor, text so far, and node.
    heading: Option<(u8, Option<String>, String, NodeId)>,
}

impl Reader {
    fn text(&mut self, t: &str) {
        match &mut self.heading {
            Some((_, _, h, _)) => h.push_str(t),
            None => self.current.body.push_str(t),
        }
    }

    fn finish_heading(&mut self) {
        let Some((level, anchor, text, _)) = self.heading.take() else {
            return;
        };
        self.flush();
        self.current.level = level;
        self.current.title = normalise_ws(&text)
            .replace('\n', " ")
            .trim_end_matches(['¶', '\u{200b}'])
            .trim()
            .to_owned();
        self.current.anchor = anchor;
    }

    /// Ends the section being read (kept if it has a heading or text).
    fn flush(&mut self) {
        self.current.body = normalise_ws(&self.current.body);
        let done = std::mem::replace(&mut self.current, empty_section());
        if done.level > 0 || !done.body.is_empty() {
            self.out.push(done);
        }
    }
}

fn empty_section() -> Section {
    Section {
        level: 0,
        title: String::new(),
        anchor: None,
        body: String::new(),
    }
}

/// Whether `node` starts a section: a heading, or an API definition with an anchor (Sphinx's
/// `<dt id="os.path.join">`, level 7, below any heading).
fn section_level(node: NodeRef<'_, Node>) -> Option<u8> {
    let e = element(node)?;
    heading_level(e.name()).or_else(|| (e.name() == "dt" && e.attr("id").is_some()).then_some(7))
}

/// Whether an element inside a heading separates words (a block, a cell, an unclosed heading).
fn breaks_words(node: NodeRef<'_, Node>) -> bool {
    element(node).is_some_and(|e| {
        is_block(e.name()) || matches!(e.name(), "td" | "th") || section_level(node).is_some()
    })
}

/// Elements nested deeper than this make a page unreadable (`parse`'s error). Browsers stop
/// nesting at 512 (Chromium); html5ever does not stop, and its tree builder's scope checks
/// cost the depth of the open elements at every tag, so 100,000 nested `<div>`s would take
/// minutes. Checked as the page is built, so reading it stays linear in its size.
pub const MAX_DEPTH: usize = 1024;

/// Passes the tree builder's work to `scraper`'s DOM, and notes when an element would be put
/// deeper than [`MAX_DEPTH`].
struct DepthGuard {
    dom: HtmlTreeSink,
    too_deep: Rc<Cell<bool>>,
}

impl DepthGuard {
    /// Whether a node appended under `parent` would be too deep (walks at most `MAX_DEPTH`
    /// parents).
    fn check(&self, parent: NodeId) {
        let dom = self.dom.0.borrow();
        let depth = dom
            .tree
            .get(parent)
            .map_or(0, |p| p.ancestors().take(MAX_DEPTH).count() + 1);
        if depth >= MAX_DEPTH {
            self.too_deep.set(true);
        }
    }
}

/// Every method but the appends is the DOM's own.
impl TreeSink for DepthGuard {
    type Handle = NodeId;
    type Output = Html;
    type ElemName<'a> = <HtmlTreeSink as TreeSink>::ElemName<'a>;

    fn finish(self) -> Html {
        self.dom.finish()
    }
    fn parse_error(&self, msg: Cow<'static, str>) {
        self.dom.parse_error(msg);
    }
    fn get_document(&self) -> NodeId {
        self.dom.get_document()
    }
    fn elem_name<'a>(&'a self, target: &'a NodeId) -> Self::ElemName<'a> {
        self.dom.elem_name(target)
    }
    fn create_element(&self, name: QualName, attrs: Vec<Attribute>, flags: ElementFlags) -> NodeId {
        self.dom.create_element(name, attrs, flags)
    }
    fn create_comment(&self, text: StrTendril) -> NodeId {
        self.dom.create_comment(text)
    }
    fn create_pi(&self, target: StrTendril, data: StrTendril) -> NodeId {
        self.dom.create_pi(target, data)
    }
    fn append(&self, parent: &NodeId, child: NodeOrText<NodeId>) {
        self.check(*parent);
        self.dom.append(parent, child);
    }
    fn append_based_on_parent_node(
        &self,
        element: &NodeId,
        prev_element: &NodeId,
        child: NodeOrText<NodeId>,
    ) {
        self.check(*element);
        self.check(*prev_element);
        self.dom
            .append_based_on_parent_node(element, prev_element, child);
    }
    fn append_doctype_to_document(&self, name: StrTendril, public: StrTendril, system: StrTendril) {
        self.dom.append_doctype_to_document(name, public, system);
    }
    fn get_template_contents(&self, target: &NodeId) -> NodeId {
        self.dom.get_template_contents(target)
    }
    fn same_node(&self, x: &NodeId, y: &NodeId) -> bool {
        self.dom.same_node(x, y)
    }
    fn set_quirks_mode(&self, mode: QuirksMode) {
        self.dom.set_quirks_mode(mode);
    }
    fn append_before_sibling(&self, sibling: &NodeId, new_node: NodeOrText<NodeId>) {
        self.check(*sibling);
        self.dom.append_before_sibling(sibling, new_node);
    }
    fn add_attrs_if_missing(&self, target: &NodeId, attrs: Vec<Attribute>) {
        self.dom.add_attrs_if_missing(target, attrs);
    }
    fn remove_from_parent(&self, target: &NodeId) {
        self.dom.remove_from_parent(target);
    }
    fn reparent_children(&self, node: &NodeId, new_parent: &NodeId) {
        self.check(*new_parent);
        self.dom.reparent_children(node, new_parent);
    }
}

/// Passes tokens to the tree builder until the page is found too deep, then drops them (the
/// page is refused).
struct Stop<S> {
    builder: S,
    too_deep: Rc<Cell<bool>>,
}

impl<S: TokenSink> TokenSink for Stop<S> {
    type Handle = S::Handle;

    fn process_token(&self, token: Token, line: u64) -> TokenSinkResult<S::Handle> {
        if self.too_deep.get() {
            return TokenSinkResult::Continue;
        }
        self.builder.process_token(token, line)
    }
    fn end(&self) {
        self.builder.end();
    }
    fn adjusted_current_node_present_but_not_in_html_namespace(&self) -> bool {
        self.builder
            .adjusted_current_node_present_but_not_in_html_namespace()
    }
}

/// The page's DOM, or why it cannot be read.
fn parse_dom(html: &str) -> Result<Html, String> {
    let too_deep = Rc::new(Cell::new(false));
    let guard = DepthGuard {
        dom: HtmlTreeSink::new(Html::new_document()),
        too_deep: Rc::clone(&too_deep),
    };
    let builder = TreeBuilder::new(guard, TreeBuilderOpts::default());
    let tokenizer = Tokenizer::new(
        Stop {
            builder,
            too_deep: Rc::clone(&too_deep),
        },
        TokenizerOpts::default(),
    );
    let input = BufferQueue::default();
    input.push_back(StrTendril::from(html));
    // The tokenizer pauses after a `</script>` (for a browser to run it) and at a `<meta>`
    // naming an encoding (the text is UTF-8 already): go on to the end.
    while !matches!(tokenizer.feed(&input), TokenizerResult::Done) {}
    tokenizer.end();
    if too_deep.get() {
        return Err(format!(
            "its elements nest more than {MAX_DEPTH} deep (browsers stop at 512)"
        ));
    }
    Ok(tokenizer.sink.builder.sink.finish())
}

/// Splits HTML into sections, with what the page says of itself, and whether it chose its
/// content with `data-scry-body`; `Err` says why the page cannot be read.
pub fn parse(html: &str) -> Result<(Vec<Section>, PageMeta, bool), String> {
    let doc = parse_dom(html)?;
    let (roots, chosen) = content_roots(&doc);
    let mut r = Reader {
        out: Vec::new(),
        current: empty_section(),
        heading: None,
    };
    for root in roots {
        // A root's content starts a new line; a skipped subtree is passed over whole.
        r.text("\n");
        let mut skipped: Option<NodeId> = None;
        // How many `<article>`, `<section>` and `<main>` are open (see `is_chrome`); a root is
        // content.
        let mut content_depth = usize::from(
            element(root).is_some_and(|e| matches!(e.name(), "article" | "section" | "main"))
                || chosen,
        );
        for edge in root.traverse() {
            match edge {
                Edge::Open(node) if skipped.is_none() => match node.value() {
                    Node::Text(t) => r.text(t),
                    Node::Element(e) => {
                        if node.id() != root.id() && is_chrome(e, content_depth > 0) {
                            skipped = Some(node.id());
                            continue;
                        }
                        if node.id() != root.id()
                            && matches!(e.name(), "article" | "section" | "main")
                        {
                            content_depth += 1;
                        }
                        if r.heading.is_none()
                            && let Some(level) = section_level(node)
                        {
                            r.heading =
                                Some((level, heading_anchor(node), String::new(), node.id()));
                        } else if r.heading.is_some() {
                            // Its anchor was found when it opened (`heading_anchor`).
                            if breaks_words(node) {
                                r.text(" ");
                            }
                        } else if is_block(e.name()) {
                            r.text("\n");
                        } else if matches!(e.name(), "td" | "th") {
                            r.text(" ");
                        }
                    }
                    _ => {}
                },
                Edge::Close(node) if skipped == Some(node.id()) => skipped = None,
                Edge::Close(node) if skipped.is_none() => {
                    let Some(e) = element(node) else { continue };
                    if node.id() != root.id() && matches!(e.name(), "article" | "section" | "main")
                    {
                        content_depth -= 1;
                    }
                    if r.heading.as_ref().is_some_and(|h| h.3 == node.id()) {
                        r.finish_heading();
                    } else if r.heading.is_some() {
                        if breaks_words(node) {
                            r.text(" ");
                        }
                    } else if is_block(e.name()) {
                        r.text("\n");
                    }
                }
                _ => {}
            }
        }
        r.finish_heading();
    }
    r.flush();
    Ok((r.out, page_meta(&doc), chosen))
}

/// Collapses spaces within lines and blank lines to one.
fn normalise_ws(s: &str) -> String {
    let lines: Vec<String> = s
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect();
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sections(html: &str) -> Vec<Section> {
        parse(html).unwrap().0
    }

    fn one_line(sections: &[Section]) -> Vec<(u8, String, Option<String>, String)> {
        sections
            .iter()
            .map(|s| (s.level, s.title.clone(), s.anchor.clone(), s.body.clone()))
            .collect()
    }

    #[test]
    fn headings_text_entities_and_skipped_elements() {
        let html = r##"<html><head><meta http-equiv="Content-Type" content="text/html; charset=UTF-8" /><meta charset="utf-8"><title>Page title</title><style>h1{}</style><script>var x = "<h1>";</script></head><body>
<nav>Menu</nav><div class="sphinxsidebar" role="navigation"><div><h3>Next topic</h3></div></div><h1 id="top">File &amp; system<a class="headerlink" href="#top">¶</a></h1>
<p>Intro &lt;here&gt; &#169; &#x263A; &copy; &eacute;t&eacute; &hellip; &bogus; AT&T<p>Second paragraph, unclosed</p><!-- note -->
<h2><a name="api"></a>API</h2><ul><li>one<li>two</ul></body></html>"##;
        let s = sections(html);
        assert_eq!(
            one_line(&s),
            [
                (
                    1,
                    "File & system".into(),
                    Some("top".into()),
                    "Intro <here> © ☺ © été … &bogus; AT&T\nSecond paragraph, unclosed".into()
                ),
                (2, "API".into(), Some("api".into()), "one\ntwo".into()),
            ]
        );
        let sphinx = sections(
            r##"<section id="module-os.path"><span id="index-0"></span><h1>os.path<a class="headerlink" href="#module-os.path">¶</a></h1><p>Paths.</p></section><section id="old"><span id="x"></span><h2>Old Sphinx</h2></section>"##,
        );
        assert_eq!(
            (sphinx[0].title.as_str(), sphinx[0].anchor.as_deref()),
            ("os.path", Some("module-os.path"))
        );
        // No permalink: the section the heading opens names it (empty link targets before it).
        assert_eq!(sphinx[1].anchor.as_deref(), Some("old"));
        let api = sections(
            r##"<h2 id="m">Module</h2><p>Intro.</p><dl><dt id="os.path.join"><code>os.path.join</code>(<em>path</em>)<a class="headerlink" href="#os.path.join">¶</a></dt><dd><p>Join paths.</p></dd><dt>no id</dt><dd>Plain term.</dd></dl>"##,
        );
        assert_eq!(api.len(), 2);
        assert_eq!(
            (
                api[1].level,
                api[1].title.as_str(),
                api[1].anchor.as_deref()
            ),
            (7, "os.path.join(path)", Some("os.path.join"))
        );
        assert_eq!(api[1].body, "Join paths.\nno id\nPlain term.");
    }

    #[test]
    fn the_content_root_is_main_else_articles_else_body() {
        let main = r#"<body><div class="topbar">Site name<form><input value="q"><button>Go</button></form></div>
<aside>Sidebar links</aside><main><header><h1>Guide</h1><p class="lead">Lead.</p></header><p>Text.</p><footer>Page footer.</footer></main>
<div>Copyright 2026</div></body>"#;
        assert_eq!(
            one_line(&sections(main)),
            [(1, "Guide".into(), None, "Lead.\nText.\nPage footer.".into())]
        );
        let role = r#"<body><div class="nav">Links</div><div role="main"><h1>Role</h1><p>Body.</p></div></body>"#;
        assert_eq!(one_line(&sections(role))[0].3, "Body.");
        let articles = r#"<body><header><h1>Blog</h1></header><article><header><h2 id="a">First</h2></header><p>One.</p>
<article><p>Nested comment.</p></article></article><div>Between</div><article><h2 id="b">Second</h2><p>Two.</p></article></body>"#;
        assert_eq!(
            one_line(&sections(articles)),
            [
                (
                    2,
                    "First".into(),
                    Some("a".into()),
                    "One.\nNested comment.".into()
                ),
                (2, "Second".into(), Some("b".into()), "Two.".into()),
            ]
        );
        // Neither: the body, without page-level header, footer and navigation.
        let body = r#"<body><header>Site header</header><h1>Plain</h1><p>Text <span hidden>hidden</span><span aria-hidden="true">icon</span>kept.</p><footer>Site footer</footer></body>"#;
        assert_eq!(
            one_line(&sections(body)),
            [(1, "Plain".into(), None, "Text kept.".into())]
        );
    }

    #[test]
    fn scry_attributes_choose_ignore_and_describe() {
        let page = r#"<html><head><meta data-scry-meta="image[content]" content="/cover.png"></head><body>
<div class="chrome">Not chosen</div>
<div data-scry-body><h1 data-scry-meta="title">Shown title</h1>
<p>Chosen text. <span data-scry-ignore>Left out.</span></p>
<p data-scry-filter="version">v2</p><p data-scry-filter="version:v3, tags:howto">Also.</p>
<div data-scry-ignore="all"><p data-scry-filter="version">v9</p><p data-scry-meta="author">Hidden author</p></div>
<span data-scry-meta="author:Ann, date:2026-12-07, broken, empty:">x</span></div>
<main><p data-scry-body>Second chosen part.</p></main></body></html>"#;
        let (s, meta, chose) = parse(page).unwrap();
        assert!(chose);
        assert_eq!(meta.lang, None);
        let lang = r#"<html lang=" pt-BR "><body><p>Olá</p></body></html>"#;
        assert_eq!(parse(lang).unwrap().1.lang.as_deref(), Some("pt-BR"));
        assert_eq!(
            one_line(&s),
            [(
                1,
                "Shown title".into(),
                None,
                "Chosen text.\nv2\nAlso.\nx\nSecond chosen part.".into()
            )]
        );
        assert_eq!(meta.title.as_deref(), Some("Shown title"));
        assert_eq!(meta.tags, ["howto"]);
        let text = |s: &str| MetaValue::Text(s.into());
        assert_eq!(meta.fields.get("image"), Some(&text("/cover.png")));
        assert_eq!(meta.fields.get("author"), Some(&text("Ann")));
        assert_eq!(meta.fields.get("date"), Some(&text("2026-12-07")));
        // `broken` reads the element's text ("x"); an empty value is no field.
        assert_eq!(meta.fields.get("broken"), Some(&text("x")));
        assert!(!meta.fields.contains_key("empty"));
        assert_eq!(
            meta.fields.get("version"),
            Some(&MetaValue::List(vec!["v2".into(), "v3".into()]))
        );
    }

    #[test]
    fn review_cases_body_in_article_titles_anchors_and_attribute_names() {
        // A chosen body inside an <article> is still the chosen body.
        let (s, _, chose) = parse(
            "<article><p>Article intro.</p><div data-scry-body><h1>Chosen</h1></div></article>",
        )
        .unwrap();
        assert!(chose);
        assert_eq!(one_line(&s), [(1, "Chosen".into(), None, String::new())]);
        // A title ending in `#` keeps it (C#, F#).
        assert_eq!(sections("<h1>C#</h1><h2>F# ¶</h2>")[1].title, "F#");
        assert_eq!(sections("<h1>C#</h1>")[0].title, "C#");
        // An anchor inside the heading wins over the id of the element the heading opens.
        let s = sections(r#"<div id="content"><h2><a name="api"></a>API</h2></div>"#);
        assert_eq!(s[0].anchor.as_deref(), Some("api"));
        // `name[attr]` with a colon in the attribute's name.
        let svg = r##"<p data-scry-meta="icon[xlink:href], kind:a:b" xlink:href="#i">x</p>"##;
        let (_, meta, _) = parse(svg).unwrap();
        assert_eq!(meta.fields.get("icon"), Some(&MetaValue::Text("#i".into())));
        assert_eq!(
            meta.fields.get("kind"),
            Some(&MetaValue::Text("a:b".into()))
        );
    }

    #[test]
    fn permalinks_of_the_common_generators_name_headings() {
        // Docusaurus (anchor class on the heading, hash-link inside), MkDocs (headerlink),
        // Hugo and Jekyll (`a.anchor`, `a.anchor-heading`).
        let page = r##"<main><h2 class="anchor anchorWithStickyNavbar" id="setup">Setup<a href="#setup" class="hash-link" aria-label="Direct link">&#8203;</a></h2><p>A.</p>
<h2>Usage<a class="headerlink" href="#usage" title="Permanent link">&para;</a></h2><p>B.</p>
<h3><a class="anchor" href="#deep">#</a>Deep</h3><p>C.</p>
<h3>Jekyll<a href="#jekyll" class="anchor-heading" aria-labelledby="jekyll"><svg><use xlink:href="#svg-link"></use></svg></a></h3><p>D.</p></main>"##;
        let got: Vec<_> = sections(page)
            .into_iter()
            .map(|s| (s.title, s.anchor))
            .collect();
        assert_eq!(
            got,
            [
                ("Setup".to_owned(), Some("setup".to_owned())),
                ("Usage".to_owned(), Some("usage".to_owned())),
                ("Deep".to_owned(), Some("deep".to_owned())),
                ("Jekyll".to_owned(), Some("jekyll".to_owned())),
            ]
        );
    }

    #[test]
    fn hostile_nesting_and_field_floods_stay_linear() {
        // Deep pages: read up to MAX_DEPTH (walked without recursion), refused beyond it, in
        // time linear in their size (200,000 nested elements: a second here, where html5ever
        // alone takes minutes).
        let nested = |depth: usize, open: &str, close: &str| {
            format!("{}deep text{}", open.repeat(depth), close.repeat(depth))
        };
        let deepest = nested(MAX_DEPTH - 10, "<div>", "</div>");
        assert_eq!(sections(&deepest)[0].body, "deep text");
        for (open, close) in [("<div>", "</div>"), ("<span>", ""), ("<table><td>", "")] {
            let err = parse(&nested(200_000, open, close)).unwrap_err();
            assert!(err.contains("nest more than 1024 deep"), "{err}");
        }
        // Formatting elements reopened in every block (the parser's "reconstruct the active
        // formatting elements"): the depth the tree reaches is what counts.
        let formatting = format!(
            "{}{}",
            "<b id=1><i id=2><u id=3>".repeat(200),
            "<div>x".repeat(2000)
        );
        assert!(parse(&formatting).is_err());
        // One attribute of 50,000 entries over 100 KB of text, 300,000 filter values, 100,000
        // empty headings: bounded work (32 entries per attribute, 1 KB of text per value, a
        // set of values, a look-back of 8 siblings).
        let text = "word ".repeat(20_000);
        let many = format!(
            "<body data-scry-meta=\"{}\">{text}</body>",
            "a,".repeat(50_000)
        );
        let (_, meta, _) = parse(&many).unwrap();
        assert!(matches!(meta.fields.get("a"), Some(MetaValue::Text(t)) if t.len() <= 1024));
        let values: Vec<String> = (0..300_000).map(|i| format!("v:{i}")).collect();
        let filter = format!("<p data-scry-filter=\"{}\">x</p>", values.join(","));
        let (_, meta, _) = parse(&filter).unwrap();
        assert_eq!(
            meta.fields.get("v"),
            Some(&MetaValue::List((0..32).map(|i| i.to_string()).collect()))
        );
        let headings = "<h2></h2>".repeat(100_000);
        assert_eq!(sections(&headings).len(), 100_000);
        // Nested field elements each read their own text: only the first ones are read.
        let depth = MAX_DEPTH - 10;
        let flood = format!(
            "{}x{}",
            r#"<span data-scry-meta="m">"#.repeat(depth),
            "</span>".repeat(depth)
        );
        let (s, meta, _) = parse(&flood).unwrap();
        assert_eq!(s[0].body, "x");
        assert_eq!(meta.fields.get("m"), Some(&MetaValue::Text("x".into())));
        // Unclosed everything, stray end tags, a lone `<`: read as a browser reads it (all
        // inside the unclosed `<h1>`), not a failure.
        let broken = "<h1>Title<p>text</b></i><table><td>cell<h2>Next & more <";
        assert_eq!(
            one_line(&sections(broken)),
            [(
                1,
                "Title text cell Next & more <".into(),
                None,
                String::new()
            )]
        );
        let closed = "<h1>Title</h1><p>text</b></i><table><td>cell<td>two</table><h2>Next</h2>";
        assert_eq!(
            one_line(&sections(closed)),
            [
                (1, "Title".into(), None, "text\ncell two".into()),
                (2, "Next".into(), None, String::new()),
            ]
        );
    }
}
