//! Long random seeded runs (placeholder).
