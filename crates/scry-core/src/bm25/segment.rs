//! The text part of a segment: one [`FieldIndex`] per field, built from analysed documents.

use super::field::{FieldBuilder, FieldIndex};
use crate::codec::{DecodeError, Reader};
use crate::text::Analyzer;

/// Number of text fields.
pub const FIELD_COUNT: usize = 4;

/// The text fields of a document, each indexed separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// The title.
    Title = 0,
    /// The heading path (section titles above the text).
    Headings = 1,
    /// The main text.
    Body = 2,
    /// Tags / keywords.
    Tags = 3,
}

impl Field {
    /// All fields in storage order.
    pub const ALL: [Field; FIELD_COUNT] = [Field::Title, Field::Headings, Field::Body, Field::Tags];
}

/// Per-document `(term, positions)` lists of one field, for rebuilding during merges.
pub type UnpackedField = Vec<Vec<(String, Vec<u32>)>>;

/// Text of one document, per field.
pub type FieldTexts<'a> = [&'a str; FIELD_COUNT];

/// Immutable text index of a segment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TextSegment {
    pub(crate) fields: [FieldIndex; FIELD_COUNT],
}

impl TextSegment {
    /// The index of one field.
    pub fn field(&self, f: Field) -> &FieldIndex {
        &self.fields[f as usize]
    }

    /// Number of documents.
    pub fn doc_count(&self) -> u32 {
        self.fields[0].doc_count()
    }

    /// Appends the encoded segment text index.
    pub fn encode(&self, out: &mut Vec<u8>) {
        for f in &self.fields {
            f.encode(out);
        }
    }

    /// Decodes and validates.
    pub fn decode(r: &mut Reader<'_>, doc_count: u32) -> Result<Self, DecodeError> {
        Ok(Self {
            fields: [
                FieldIndex::decode(r, doc_count)?,
                FieldIndex::decode(r, doc_count)?,
                FieldIndex::decode(r, doc_count)?,
                FieldIndex::decode(r, doc_count)?,
            ],
        })
    }
}

/// Builds a [`TextSegment`] document by document.
#[derive(Debug, Default)]
pub struct TextSegmentBuilder {
    fields: [FieldBuilder; FIELD_COUNT],
}

impl TextSegmentBuilder {
    /// A builder with no documents.
    pub fn new() -> Self {
        Self::default()
    }

    /// Analyses and adds the next document.
    pub fn add(&mut self, analyzer: &Analyzer, texts: FieldTexts<'_>) {
        for (builder, text) in self.fields.iter_mut().zip(texts) {
            let tokens = analyzer.analyze(text);
            let length = tokens.iter().filter(|t| !t.part).count() as u32;
            builder.add(tokens.iter().map(|t| (t.term.as_str(), t.position)), length);
        }
    }

    /// Adds the next document by copying document `doc` of `from` (for merges).
    pub fn add_from(
        &mut self,
        unpacked: &mut [UnpackedField; FIELD_COUNT],
        from: &TextSegment,
        doc: u32,
    ) {
        for (i, builder) in self.fields.iter_mut().enumerate() {
            let postings = std::mem::take(&mut unpacked[i][doc as usize]);
            builder.add_postings(postings, from.fields[i].length(doc));
        }
    }

    /// Per-field, per-document postings of `segment`, for [`Self::add_from`].
    pub fn unpack(segment: &TextSegment) -> [UnpackedField; FIELD_COUNT] {
        [
            FieldBuilder::unpack(&segment.fields[0]),
            FieldBuilder::unpack(&segment.fields[1]),
            FieldBuilder::unpack(&segment.fields[2]),
            FieldBuilder::unpack(&segment.fields[3]),
        ]
    }

    /// Encodes into an immutable segment.
    pub fn build(self) -> TextSegment {
        let [a, b, c, d] = self.fields;
        TextSegment {
            fields: [a.build(), b.build(), c.build(), d.build()],
        }
    }
}
