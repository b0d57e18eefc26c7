//! The pure core of lead_assigner: no PostgreSQL types, no I/O.
//! The extension reads rows, calls into here, and writes back what comes out.

pub mod assign;
pub mod bounds;
pub mod eligibility;
pub mod generate;
pub mod schedule;
pub mod weights;
