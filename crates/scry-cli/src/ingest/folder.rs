//! A whole input folder into documents: walk it, read each file (up to the document size
//! limit), split it into sections and check each document. A file or section that cannot
//! become a document is skipped with its reason instead of failing the run.

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};

use scry_core::Document;
use scry_core::document::MAX_TEXT_BYTES;

use super::{Kind, Skip, UrlRule, WalkOptions, find_files, kind, page_documents, sections};

/// What [`read_folder`] found.
#[derive(Debug, Clone, Default)]
pub struct Collected {
    /// Valid documents with distinct ids, in file order.
    pub docs: Vec<Document>,
    /// Files and sections skipped, with the reason.
    pub skipped: Vec<Skip>,
    /// Links to folders that were not followed.
    pub links_not_followed: Vec<PathBuf>,
    /// Pages (kept ones) by the language they declare (`PageMeta::lang`'s primary subtag,
    /// lowercased).
    pub langs: std::collections::BTreeMap<String, usize>,
}

/// At most this many characters of an id in a message.
const SHOWN_ID_CHARS: usize = 80;

fn shown(id: &str) -> String {
    if id.chars().count() <= SHOWN_ID_CHARS {
        id.to_owned()
    } else {
        format!("{}…", id.chars().take(SHOWN_ID_CHARS).collect::<String>())
    }
}

/// Reads at most [`MAX_TEXT_BYTES`] of `path`; `Err` says why the file is skipped.
fn read_limited(path: &Path) -> Result<Vec<u8>, String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let too_big =
        |n: u64| format!("{n} bytes is over the {MAX_TEXT_BYTES}-byte limit of one document");
    let len = file.metadata().map_err(|e| e.to_string())?.len();
    if len > MAX_TEXT_BYTES as u64 {
        return Err(too_big(len));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    // The file may grow while it is read.
    file.take(MAX_TEXT_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() > MAX_TEXT_BYTES {
        return Err(too_big(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Every document of the indexable files under `folder` (non-UTF-8 text read lossily).
pub fn read_folder(
    folder: &Path,
    rule: &UrlRule,
    options: &WalkOptions,
) -> std::io::Result<Collected> {
    let walk = find_files(folder, options)?;
    let mut out = Collected {
        skipped: walk.skipped,
        links_not_followed: walk.links_not_followed,
        ..Default::default()
    };
    // Each page's documents, then which to keep: once a page chose its content with
    // `data-scry-body`, HTML pages without one are left out (as Pagefind does).
    let mut pages = Vec::new();
    let mut chose_body = false;
    for path in walk.files {
        let Some(kind) = kind(&path) else {
            continue;
        };
        let bytes = match read_limited(&path) {
            Ok(b) => b,
            Err(reason) => {
                out.skipped.push(Skip { path, reason });
                continue;
            }
        };
        let text = String::from_utf8_lossy(&bytes);
        let rel = path.strip_prefix(folder).unwrap_or(&path);
        let ext = rel
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_owned();
        let page = rel.with_extension("").to_string_lossy().replace('\\', "/");
        let (sections, meta) = match sections(kind, &text) {
            Ok(page) => page,
            Err(reason) => {
                out.skipped.push(Skip { path, reason });
                continue;
            }
        };
        let page_chose = meta.chose_body;
        chose_body |= page_chose;
        // Counted by primary subtag (`de-CH` and `de` are one language to a stemmer), an ISO
        // 639 code of 2 or 3 letters: anything else is not a language tag.
        let lang = meta.lang.as_deref().and_then(|l| {
            let primary = l.split(['-', '_']).next()?.trim().to_ascii_lowercase();
            let code =
                (2..=3).contains(&primary.len()) && primary.bytes().all(|b| b.is_ascii_lowercase());
            code.then_some(primary)
        });
        let docs = page_documents(&page, &ext, (sections, meta), rule);
        pages.push((path, kind, page_chose, lang, docs));
    }
    let mut ids = HashSet::new();
    for (path, kind, page_chose, lang, docs) in pages {
        if chose_body && kind == Kind::Html && !page_chose {
            out.skipped.push(Skip {
                path,
                reason: "no element has data-scry-body, and other pages of the folder have one"
                    .to_owned(),
            });
            continue;
        }
        if let Some(lang) = lang {
            *out.langs.entry(lang).or_default() += 1;
        }
        for doc in docs {
            let problem = match doc.validate() {
                Err(e) => Some(e.to_string()),
                Ok(()) if ids.contains(&doc.id) => Some(format!(
                    "section {:?} has the id of a section of an earlier file",
                    shown(&doc.id)
                )),
                Ok(()) => None,
            };
            match problem {
                Some(reason) => out.skipped.push(Skip {
                    path: path.clone(),
                    reason,
                }),
                None => {
                    ids.insert(doc.id.clone());
                    out.docs.push(doc);
                }
            }
        }
    }
    Ok(out)
}
