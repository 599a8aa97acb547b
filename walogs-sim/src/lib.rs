//! Power-loss simulator (placeholder).
