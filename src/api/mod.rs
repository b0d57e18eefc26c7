//! The SQL API: argument checks with clear errors, the locking, then db + core.

mod assign;
mod insight;
mod lifecycle;
mod maintenance;
mod schedule;
pub(crate) mod simulate;
