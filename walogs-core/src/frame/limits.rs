//! Input limits: what one entry, one atomic batch and one frame may hold. Checked before
//! anything is written, so an oversize input changes nothing.

use super::{MAX_BATCH_SIZE, MAX_ENTRY_SIZE, batch_body_len};
use crate::error::WalError;

/// Refuse an entry larger than [`MAX_ENTRY_SIZE`].
pub(crate) fn check_entry_size(len: usize) -> Result<(), WalError> {
    if len > MAX_ENTRY_SIZE {
        return Err(WalError::EntryTooLarge {
            size: len,
            max: MAX_ENTRY_SIZE,
        });
    }
    Ok(())
}

/// Check the limits of one frame holding `entries`: at least one entry, each within
/// [`MAX_ENTRY_SIZE`], and several together within [`MAX_BATCH_SIZE`].
pub(crate) fn check_frame<T: AsRef<[u8]>>(entries: &[T]) -> Result<(), WalError> {
    if entries.is_empty() {
        return Err(WalError::invalid("a batch must hold at least one entry"));
    }
    for e in entries {
        check_entry_size(e.as_ref().len())?;
    }
    if entries.len() > 1 {
        let body = batch_body_len(entries.iter().map(|e| e.as_ref().len()));
        if body > MAX_BATCH_SIZE || entries.len() > u32::MAX as usize {
            return Err(WalError::EntryTooLarge {
                size: body,
                max: MAX_BATCH_SIZE,
            });
        }
    }
    Ok(())
}

/// How many of `entries` (at least one) fit in one batch frame.
pub(crate) fn fitting_in_one_frame<T: AsRef<[u8]>>(entries: &[T]) -> usize {
    let mut body = 4usize;
    entries
        .iter()
        .take_while(|e| {
            body += 4 + e.as_ref().len();
            body <= MAX_BATCH_SIZE
        })
        .count()
        .max(1)
}
