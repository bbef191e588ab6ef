//! The .npy/.npz reader on any bytes: the first byte picks the extension and whether a matrix or
//! a label vector is read.
#![no_main]

#[path = "common/mod.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use zoorank_scores::io::{read_labels, read_matrix};

fuzz_target!(|data: &[u8]| {
    let Some((&flags, file)) = data.split_first() else {
        return;
    };
    let name = if flags & 1 == 0 { "x.npy" } else { "x.npz" };
    let path = common::put(common::scratch(), name, Some(file));
    if flags & 2 == 0 {
        if let Ok(m) = read_matrix(&path) {
            assert_eq!(m.data.len(), m.rows * m.cols);
        }
    } else {
        let _ = read_labels(&path);
    }
});
