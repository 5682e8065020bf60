//! A cursor over untrusted bytes: every read is bounds-checked and returns a typed error.

/// Why decoding failed (turned into `CoreError::Corrupt` with context by callers).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The input ended before a value did.
    #[error("unexpected end of data at byte {0}")]
    Truncated(usize),
    /// A varint is longer than its type allows.
    #[error("varint overflow at byte {0}")]
    VarintOverflow(usize),
    /// A length or count is implausibly large for the remaining input.
    #[error("length {len} at byte {at} exceeds the {remaining} bytes left")]
    BadLength {
        /// The length read.
        len: u64,
        /// Where it was read.
        at: usize,
        /// Bytes remaining.
        remaining: usize,
    },
    /// Bytes that should be UTF-8 are not.
    #[error("invalid UTF-8 at byte {0}")]
    Utf8(usize),
    /// A value is out of its valid range.
    #[error("invalid value at byte {at}: {what}")]
    Invalid {
        /// Where.
        at: usize,
        /// What is wrong.
        what: String,
    },
}

/// Reads values from a byte slice, front to back.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, pos: 0 }
    }

    /// Current offset.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    /// True when everything has been read.
    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// An error for an invalid value at the current position.
    pub fn invalid(&self, what: impl Into<String>) -> DecodeError {
        DecodeError::Invalid {
            at: self.pos,
            what: what.into(),
        }
    }

    /// Takes the next `n` bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if n > self.remaining() {
            return Err(DecodeError::Truncated(self.pos));
        }
        let out = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    /// Reads a fixed-size array.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    /// Reads one byte.
    pub fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take(1)?[0])
    }

    /// Reads a little-endian u16.
    pub fn u16(&mut self) -> Result<u16, DecodeError> {
        Ok(u16::from_le_bytes(self.array()?))
    }

    /// Reads a little-endian u32.
    pub fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    /// Reads a little-endian u64.
    pub fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    /// Reads a little-endian f32.
    pub fn f32(&mut self) -> Result<f32, DecodeError> {
        Ok(f32::from_le_bytes(self.array()?))
    }

    /// Reads an unsigned LEB128 varint of at most 64 bits.
    pub fn varint(&mut self) -> Result<u64, DecodeError> {
        let start = self.pos;
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            let bits = u64::from(b & 0x7f);
            if shift == 63 && bits > 1 {
                return Err(DecodeError::VarintOverflow(start));
            }
            v |= bits << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(DecodeError::VarintOverflow(start))
    }

    /// Reads a varint that must fit in u32.
    pub fn varint_u32(&mut self) -> Result<u32, DecodeError> {
        let at = self.pos;
        let v = self.varint()?;
        u32::try_from(v).map_err(|_| DecodeError::VarintOverflow(at))
    }

    /// Reads a count of items that each take at least `min_item_bytes` bytes, rejecting counts
    /// the remaining input cannot hold (so a corrupt count cannot trigger a huge allocation).
    pub fn count(&mut self, min_item_bytes: usize) -> Result<usize, DecodeError> {
        let at = self.pos;
        let n = self.varint()?;
        let need = n.saturating_mul(min_item_bytes.max(1) as u64);
        if need > self.remaining() as u64 {
            return Err(DecodeError::BadLength {
                len: n,
                at,
                remaining: self.remaining(),
            });
        }
        Ok(n as usize)
    }

    /// Reads a varint length and that many bytes.
    pub fn bytes(&mut self) -> Result<&'a [u8], DecodeError> {
        let n = self.count(1)?;
        self.take(n)
    }

    /// Reads a varint length and that many bytes of UTF-8.
    pub fn str(&mut self) -> Result<&'a str, DecodeError> {
        let at = self.pos;
        std::str::from_utf8(self.bytes()?).map_err(|_| DecodeError::Utf8(at))
    }
}

#[cfg(test)]
mod tests {
    use super::super::varint::*;
    use super::*;

    #[test]
    fn varints_round_trip_at_the_edges() {
        let values = [
            0,
            1,
            127,
            128,
            255,
            300,
            16_383,
            16_384,
            u32::MAX as u64,
            u64::MAX,
        ];
        let mut buf = Vec::new();
        for v in values {
            put_varint(&mut buf, v);
        }
        let mut r = Reader::new(&buf);
        for v in values {
            assert_eq!(r.varint().unwrap(), v);
        }
        assert!(r.is_empty());
    }

    #[test]
    fn malformed_input_is_an_error_not_a_panic() {
        assert_eq!(
            Reader::new(&[0x80]).varint(),
            Err(DecodeError::Truncated(1))
        );
        assert_eq!(
            Reader::new(&[0xff; 11]).varint(),
            Err(DecodeError::VarintOverflow(0))
        );
        assert!(matches!(
            Reader::new(&[0x05, 1]).bytes(),
            Err(DecodeError::BadLength { .. })
        ));
        assert_eq!(Reader::new(&[1, 2]).u32(), Err(DecodeError::Truncated(0)));
        assert!(matches!(
            Reader::new(&[2, 0xff, 0xfe]).str(),
            Err(DecodeError::Utf8(0))
        ));
        let mut big = Vec::new();
        put_varint(&mut big, u64::MAX);
        assert!(matches!(
            Reader::new(&big).count(8),
            Err(DecodeError::BadLength { .. })
        ));
    }
}
