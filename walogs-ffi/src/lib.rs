//! C ABI for walogs (placeholder until the C ABI issue lands).
