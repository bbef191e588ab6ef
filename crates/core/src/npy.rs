//! Opening `.npy` streams from outside safely: the header is checked where the npyz parser
//! would hang (deeply nested brackets make it backtrack exponentially) or overflow, before
//! npyz reads it. Every reader of `.npy` / `.npz` input in the workspace opens through
//! [`open_checked`].

use npyz::NpyFile;
use std::io::Read;

/// Why a `.npy` stream could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum NpyOpenError {
    /// Reading failed, or npyz refused the stream (its message says why).
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The header is one npyz would hang or overflow on.
    #[error("bad .npy header: {0}")]
    Header(String),
}

/// The longest `.npy` header read. numpy's own reader refuses longer ones unless told otherwise
/// (its `max_header_size`), as the header is parsed as a Python literal.
pub const MAX_HEADER: usize = 10_000;

/// The deepest nesting of brackets read in a `.npy` header. numpy writes two levels for a plain
/// array (`{..., 'shape': (n, d)}`) and a few more for structured dtypes; npyz's header parser
/// backtracks exponentially in the depth of a malformed one (some 90 unclosed `[` take hours).
pub const MAX_NESTING: usize = 8;

/// A `.npy` stream after [`open_checked`]: the header bytes it read, then the rest.
pub type CheckedNpy<R> = NpyFile<std::io::Chain<std::io::Cursor<Vec<u8>>, R>>;

/// Reads a `.npy` stream's header and checks it where npyz would hang or overflow before
/// handing the stream to npyz: longer than [`MAX_HEADER`], nested deeper than
/// [`MAX_NESTING`], a string left open, or a shape with more elements than `u64` counts
/// ([`NpyOpenError::Header`]). Anything else wrong (magic, version, a missing key, a short file)
/// is left to npyz, whose error names it.
pub fn open_checked<R: Read>(mut r: R) -> Result<CheckedNpy<R>, NpyOpenError> {
    let mut head = Vec::new();
    let mut read = |n: usize, head: &mut Vec<u8>| -> Result<bool, NpyOpenError> {
        let before = head.len();
        r.by_ref()
            .take(n as u64)
            .read_to_end(head)
            .map_err(NpyOpenError::Io)?;
        Ok(head.len() == before + n)
    };
    // Magic (6), version (2), header length (2 bytes in version 1, 4 after).
    if read(8, &mut head)? && head.starts_with(b"\x93NUMPY") {
        let width = match head[6..8] {
            [1, 0] => 2,
            [2 | 3, 0] => 4,
            _ => 0,
        };
        if width > 0 && read(width, &mut head)? {
            let mut le = [0u8; 4];
            le[..width].copy_from_slice(&head[8..8 + width]);
            let len = u32::from_le_bytes(le) as usize;
            let header_err = NpyOpenError::Header;
            if len > MAX_HEADER {
                return Err(header_err(format!(
                    "{len} bytes long; numpy writes and reads at most {MAX_HEADER}"
                )));
            }
            let start = head.len();
            if read(len, &mut head)? {
                check_npy_header(&head[start..]).map_err(header_err)?;
            }
        }
    }
    NpyFile::new(std::io::Cursor::new(head).chain(r)).map_err(NpyOpenError::Io)
}

/// The index of the quote closing the string literal opened by the quote at `text[open]`
/// (`'...'`, `"..."` or tripled, backslash escapes), as Python's grammar reads it; `None` when
/// it is not closed (a one-quote string also ends unclosed at a line end).
fn string_end(text: &[u8], open: usize) -> Option<usize> {
    let q = text[open];
    let long = text.get(open..open + 3) == Some(&[q, q, q][..]);
    let mut i = open + if long { 3 } else { 1 };
    while i < text.len() {
        match text[i] {
            b'\\' => i += 1,
            b'\n' | b'\r' if !long => return None,
            c if c == q && (!long || text.get(i..i + 3) == Some(&[q, q, q][..])) => {
                return Some(if long { i + 2 } else { i })
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Checks a `.npy` header's text before it is parsed: bracket nesting at most
/// [`MAX_NESTING`] outside strings, every string closed, and a `shape` (when it is one npyz
/// reads) whose element count fits in `u64`.
fn check_npy_header(text: &[u8]) -> Result<(), String> {
    let mut depth = 0usize;
    let mut i = 0;
    while i < text.len() {
        match text[i] {
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(format!(
                        "brackets nested more than {MAX_NESTING} deep at byte {i}"
                    ));
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            b'\'' | b'"' => {
                i = string_end(text, i)
                    .ok_or_else(|| format!("the string opened at byte {i} is not closed"))?;
            }
            _ => {}
        }
        i += 1;
    }
    // npyz parses the text without one trailing line end.
    let text = text.strip_suffix(b"\n").unwrap_or(text);
    let Ok(py_literal::Value::Dict(entries)) = std::str::from_utf8(text)
        .map_err(|_| ())
        .and_then(|t| t.parse::<py_literal::Value>().map_err(|_| ()))
    else {
        return Ok(());
    };
    // Every `shape` entry: npyz keeps the last of repeated keys.
    for (key, value) in &entries {
        let (
            py_literal::Value::String(key),
            py_literal::Value::Tuple(d) | py_literal::Value::List(d),
        ) = (key, value)
        else {
            continue;
        };
        if key != "shape" {
            continue;
        }
        let dims: Vec<u64> = d
            .iter()
            .filter_map(|v| match v {
                py_literal::Value::Integer(n) => u64::try_from(n).ok(),
                _ => None,
            })
            .collect();
        if dims
            .iter()
            .try_fold(1u64, |n, &d| n.checked_mul(d))
            .is_none()
        {
            return Err(format!("shape {dims:?} has more than 2^64 elements"));
        }
    }
    Ok(())
}

/// A version-1 `.npy` stream whose header is `header` (padded with spaces and a line end),
/// followed by `data`: for tests of the readers that open through [`open_checked`].
#[doc(hidden)]
pub fn with_header(header: &str, data: &[u8]) -> Vec<u8> {
    let mut text = header.as_bytes().to_vec();
    while !(10 + text.len() + 1).is_multiple_of(64) {
        text.push(b' ');
    }
    text.push(b'\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend((text.len() as u16).to_le_bytes());
    out.extend(text);
    out.extend(data);
    out
}

/// The header of a `.npy` array of dtype `descr` (numpy's notation, e.g. `<f8`), in Fortran
/// or C order, of this shape; with [`with_header`], tests write any array numpy could, even
/// the dtypes and layouts the readers refuse.
#[doc(hidden)]
pub fn array_header(descr: &str, fortran: bool, shape: &[usize]) -> String {
    let shape = match shape {
        [n] => format!("({n},)"),
        s => format!(
            "({})",
            s.iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let fortran = if fortran { "True" } else { "False" };
    format!("{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {shape}, }}")
}

/// A header npyz's parser would take hours on: 90 unclosed brackets in the shape.
#[doc(hidden)]
pub fn nested_header() -> String {
    format!(
        "{{'descr': '<f8', 'fortran_order': False, 'shape': {}",
        "[".repeat(90)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_header_opens_and_a_hostile_one_is_refused_at_once() {
        let ok = with_header(
            "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }",
            &[0; 16],
        );
        let npy = open_checked(&ok[..]).unwrap();
        assert_eq!(npy.shape(), &[2]);
        let started = std::time::Instant::now();
        match open_checked(&with_header(&nested_header(), &[])[..]) {
            Err(NpyOpenError::Header(m)) => assert!(m.contains("nested"), "{m}"),
            other => panic!("expected a header error, got {:?}", other.map(|_| ())),
        }
        assert!(started.elapsed().as_secs() < 5);
        let huge = with_header(
            "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 2), }",
            &[],
        );
        assert!(matches!(
            open_checked(&huge[..]),
            Err(NpyOpenError::Header(_))
        ));
    }
}
