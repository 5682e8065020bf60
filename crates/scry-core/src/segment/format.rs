//! The envelope of every stored blob: magic, format version, length, CRC-32 — checked before a
//! single byte of the body is interpreted.
//!
//! Layout (little-endian): `magic[8] | version u16 | flags u16 | body_len u32 | body | crc32 u32`
//! where the CRC covers everything before it.

use crate::error::{CoreError, Result};

/// Bytes of header before the body.
pub const HEADER_BYTES: usize = 16;

const fn crc_table() -> [u32; 256] {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
}

static CRC_TABLE: [u32; 256] = crc_table();

/// CRC-32 (IEEE 802.3, as zlib computes it).
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for &b in bytes {
        c = CRC_TABLE[((c ^ u32::from(b)) & 0xFF) as usize] ^ (c >> 8);
    }
    c ^ 0xFFFF_FFFF
}

/// A 128-bit content hash (two independent 64-bit FNV-1a lanes), as 32 hex digits. Used to name
/// immutable blobs; not a security boundary (integrity is the CRC's job).
pub fn content_id(bytes: &[u8]) -> String {
    let mut a: u64 = 0xcbf2_9ce4_8422_2325;
    let mut b: u64 = 0x6c62_272e_07bb_0142;
    for &x in bytes {
        a = (a ^ u64::from(x)).wrapping_mul(0x0000_0100_0000_01b3);
        b = (b ^ u64::from(x))
            .wrapping_mul(0x0000_0100_0000_0193)
            .rotate_left(5);
    }
    a ^= bytes.len() as u64;
    format!("{a:016x}{b:016x}")
}

/// Wraps `body` in the envelope.
pub fn seal(magic: &[u8; 8], version: u16, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_BYTES + body.len() + 4);
    out.extend_from_slice(magic);
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(body);
    let crc = crc32(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// Checks the envelope and returns `(version, body)`. `what` names the blob in errors.
pub fn open<'a>(
    bytes: &'a [u8],
    magic: &[u8; 8],
    supported: u16,
    what: &str,
) -> Result<(u16, &'a [u8])> {
    let corrupt = |reason: String| CoreError::Corrupt {
        what: what.to_owned(),
        reason,
    };
    if bytes.len() < HEADER_BYTES + 4 {
        return Err(corrupt(format!(
            "{} bytes is shorter than the header",
            bytes.len()
        )));
    }
    if &bytes[..8] != magic {
        return Err(corrupt("bad magic: not a scry blob of this kind".into()));
    }
    let body_len = u32::from_le_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]) as usize;
    if HEADER_BYTES + body_len + 4 != bytes.len() {
        return Err(corrupt(format!(
            "length field says {body_len} body bytes but the blob has {}",
            bytes.len().saturating_sub(HEADER_BYTES + 4)
        )));
    }
    let stored = u32::from_le_bytes([
        bytes[bytes.len() - 4],
        bytes[bytes.len() - 3],
        bytes[bytes.len() - 2],
        bytes[bytes.len() - 1],
    ]);
    let actual = crc32(&bytes[..bytes.len() - 4]);
    if stored != actual {
        return Err(corrupt(format!(
            "checksum mismatch (stored {stored:08x}, computed {actual:08x})"
        )));
    }
    // The envelope is the same in every version, so damage is reported as damage, and only an
    // intact blob can claim to be from a newer version.
    let version = u16::from_le_bytes([bytes[8], bytes[9]]);
    if version > supported || version == 0 {
        return Err(CoreError::UnsupportedVersion {
            what: what.to_owned(),
            found: version,
            supported,
        });
    }
    // Reserved: written as zero. A reader that skipped them would read a blob whose writer gave
    // them a meaning as if they had none (found by `damaged_segments_fail_cleanly`).
    if bytes[10] != 0 || bytes[11] != 0 {
        return Err(corrupt("reserved header bytes are not zero".into()));
    }
    Ok((version, &bytes[HEADER_BYTES..HEADER_BYTES + body_len]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_header_bytes_must_be_zero() {
        let mut blob = seal(b"SCRYTST\0", 1, b"body");
        assert!(open(&blob, b"SCRYTST\0", 1, "t").is_ok());
        blob[10] = 1;
        let end = blob.len() - 4;
        let crc = crc32(&blob[..end]);
        blob[end..].copy_from_slice(&crc.to_le_bytes());
        let err = open(&blob, b"SCRYTST\0", 1, "t").unwrap_err();
        assert_eq!(err.code(), "CORRUPT_DATA");
    }

    #[test]
    fn crc_matches_zlib() {
        assert_eq!(crc32(b""), 0);
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn every_single_damage_is_detected() {
        let blob = seal(b"SCRYTEST", 1, b"hello segment");
        assert_eq!(
            open(&blob, b"SCRYTEST", 1, "t").unwrap(),
            (1, &b"hello segment"[..])
        );
        for i in 0..blob.len() {
            for bit in [0x01u8, 0x80] {
                let mut bad = blob.clone();
                bad[i] ^= bit;
                let err = open(&bad, b"SCRYTEST", 1, "t").unwrap_err();
                assert_eq!(err.code(), "CORRUPT_DATA", "flip byte {i}");
            }
        }
        for len in 0..blob.len() {
            let err = open(&blob[..len], b"SCRYTEST", 1, "t").unwrap_err();
            assert_eq!(err.code(), "CORRUPT_DATA", "truncated to {len}");
        }
        let newer = seal(b"SCRYTEST", 2, b"x");
        assert_eq!(
            open(&newer, b"SCRYTEST", 1, "t").unwrap_err().code(),
            "UNSUPPORTED_VERSION"
        );
        assert_eq!(
            open(&blob, b"SCRYELSE", 1, "t").unwrap_err().code(),
            "CORRUPT_DATA"
        );
    }

    #[test]
    fn content_ids_differ_for_different_bytes() {
        assert_ne!(content_id(b"a"), content_id(b"b"));
        assert_eq!(content_id(b"abc").len(), 32);
    }
}
