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
/// that is intact, else one rebuilt from the documents store (every intact record a segment,
/// in key order; an id stored in several records is kept where it comes first). `None` when
/// no record of an index is stored.
pub(crate) async fn lost_manifest<S: Storage>(
    storage: &S,
    config: &EngineConfig,
) -> Result<Option<(Manifest, ManifestRepair)>> {
    if let Some(bytes) = readable(storage, MANIFEST_BACKUP_KEY).await?
        && let Ok(m) = Manifest::decode(&bytes)
    {
        return Ok(Some((m, ManifestRepair::FromBackup)));
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
        if let Some(bytes) = readable(storage, &key).await?
            && let Ok(h) = crate::static_index::stored_header(id, &bytes)
        {
            header = Some(h);
            break;
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
    let mut seen: HashSet<String> = HashSet::new();
    let mut segments = Vec::new();
    for key in records {
        let id = key[DOCSTORE_PREFIX.len()..].to_owned();
        // A damaged record (not even bytes, say) is left where it is.
        let Some(record) = readable(storage, &key).await? else {
            continue;
        };
        // A damaged record cannot be read: it is left where it is, and its documents are lost
        // to this repair (reported by the count of documents).
        let Ok(seg) = Segment::rebuild(&record, &id, &analyzer, &config.vectors) else {
            continue;
        };
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
            generation: 0,
            segments,
            ..header
        },
        ManifestRepair::Rebuilt,
    )))
}
