//! A manifest that is missing or damaged while records of its index are stored: detected at
//! open (so that nothing is written over them), and restored by repair — exactly from the
//! backup record each commit writes beside it, or else rebuilt from the documents store.

use std::collections::HashSet;

use crate::engine::{
    DOCSTORE_PREFIX, EngineConfig, MANIFEST_BACKUP_KEY, ManifestRepair, SEGMENT_PREFIX,
};
use crate::error::{CoreError, Result};
use crate::manifest::{Manifest, SegmentEntry};
use crate::segment::Segment;
use crate::static_index::STORED_CHUNK_PREFIX;
use crate::storage::Storage;
use crate::text::Analyzer;

/// The record under `key`; `None` when it is missing or damaged beyond reading (a value that
/// is not bytes); other failures (the storage itself) are errors.
async fn readable<S: Storage>(storage: &S, key: &str) -> Result<Option<Vec<u8>>> {
    match storage.get(key).await {
        Ok(v) => Ok(v),
        Err(CoreError::Corrupt { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// `Ok` when `storage` holds no record of an index (nothing committed yet); else
/// `CORRUPT_DATA`: its manifest is gone, and opening it as empty would let the next commit
/// write a new index over the records (which `repair` can bring back).
pub(crate) async fn check_no_orphans<S: Storage>(storage: &S) -> Result<()> {
    let backup = storage.get(MANIFEST_BACKUP_KEY).await?.is_some();
    let mut found = 0usize;
    for prefix in [SEGMENT_PREFIX, DOCSTORE_PREFIX, STORED_CHUNK_PREFIX] {
        found += storage.list(prefix).await?.len();
    }
    if !backup && found == 0 {
        return Ok(());
    }
    Err(CoreError::Corrupt {
        what: "manifest".into(),
        reason: format!(
            "missing, while {found} records of the index{} are stored; nothing was changed \
             (open with repair to restore the index from them)",
            if backup {
                " and the manifest's backup"
            } else {
                ""
            }
        ),
    })
}

/// The manifest to repair from when the manifest record is missing or damaged: its backup if
/// that is intact, else one rebuilt from the documents store (every intact record a segment;
/// an id stored in several records is kept in the newest, by the generation each record
/// keeps). `None` when no record of an index is stored. Anything written by a newer format
/// (`UNSUPPORTED_VERSION`) stops it, nothing written: an older build must not rebuild a newer
/// build's index from the part it can read.
pub(crate) async fn lost_manifest<S: Storage>(
    storage: &S,
    config: &EngineConfig,
) -> Result<Option<(Manifest, ManifestRepair)>> {
    if let Some(bytes) = readable(storage, MANIFEST_BACKUP_KEY).await? {
        match Manifest::decode(&bytes) {
            Ok(m) => return Ok(Some((m, ManifestRepair::FromBackup))),
            Err(e @ CoreError::UnsupportedVersion { .. }) => return Err(e),
            Err(_) => {}
        }
    }
    let records = storage.list(DOCSTORE_PREFIX).await?;
    if records.is_empty() {
        if storage.list(SEGMENT_PREFIX).await?.is_empty() {
            return Ok(None);
        }
        return Err(CoreError::Corrupt {
            what: "manifest".into(),
            reason: "missing with its backup, and the documents store holds nothing to rebuild \
                     the index from"
                .into(),
        });
    }
    // How the index was built: from any intact segment meta file, else the caller's settings.
    let mut header = None;
    for key in storage.list(SEGMENT_PREFIX).await? {
        let id = &key[SEGMENT_PREFIX.len()..];
        if let Some(bytes) = readable(storage, &key).await? {
            match crate::static_index::stored_header(id, &bytes) {
                Ok(h) => {
                    header = Some(h);
                    break;
                }
                Err(e @ CoreError::UnsupportedVersion { .. }) => return Err(e),
                Err(_) => {}
            }
        }
    }
    let found_header = header.is_some();
    let header = header.unwrap_or_else(|| {
        Manifest::header(
            config.analyzer.clone(),
            config.vectors.metric,
            None::<crate::embed::ModelTag>,
        )
    });
    let analyzer = Analyzer::new(header.analyzer.clone());
    // Every intact record with the generation it was first stored at, newest first: where an
    // id is in several (an update, or a merge whose sources were not collected yet), the newest
    // version is the live one.
    let mut intact = Vec::new();
    for key in records {
        let id = key[DOCSTORE_PREFIX.len()..].to_owned();
        // A damaged record (not even bytes, say) is left where it is, and its documents are
        // lost to this repair (the count of documents shows it).
        let Some(record) = readable(storage, &key).await? else {
            continue;
        };
        let generation = match Segment::docstore_generation(&record, &id) {
            Ok(g) => g,
            Err(e @ CoreError::UnsupportedVersion { .. }) => return Err(e),
            Err(_) => continue,
        };
        let seg = match Segment::rebuild(&record, &id, &analyzer, &config.vectors) {
            Ok(seg) => seg,
            Err(e @ CoreError::UnsupportedVersion { .. }) => return Err(e),
            Err(_) => continue,
        };
        intact.push((generation, id, seg));
    }
    intact.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let newest = intact.first().map_or(0, |r| r.0);
    let mut seen: HashSet<String> = HashSet::new();
    let mut segments = Vec::new();
    for (_, id, seg) in intact {
        if seg.vectors().rows() > 0 && !found_header {
            return Err(CoreError::Corrupt {
                what: "manifest".into(),
                reason: "missing with its backup and every segment meta file: the model that \
                         made the stored vectors is unknown"
                    .into(),
            });
        }
        let deleted: Vec<u32> = seg
            .docs
            .iter()
            .enumerate()
            .filter(|(_, d)| !seen.insert(d.id.clone()))
            .map(|(i, _)| i as u32)
            .collect();
        segments.push(SegmentEntry {
            id,
            doc_count: seg.doc_count(),
            deleted,
        });
    }
    if segments.is_empty() {
        return Err(CoreError::Corrupt {
            what: "manifest".into(),
            reason: "missing with its backup, and no documents-store record is intact".into(),
        });
    }
    Ok(Some((
        Manifest {
            // Repair commits the next one: the sequence goes on from the newest record.
            generation: newest,
            segments,
            ..header
        },
        ManifestRepair::Rebuilt,
    )))
}
