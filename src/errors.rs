//! Errors users see: a SQLSTATE, a message, and a hint they can act on.

use pgrx::pg_sys::panic::ErrorReport;
use pgrx::{PgLogLevel, PgSqlErrorCode};

/// Raises an ERROR; PostgreSQL aborts the transaction, so nothing half-done survives.
pub fn raise(code: PgSqlErrorCode, message: impl Into<String>, hint: impl Into<String>) -> ! {
    ErrorReport::new(code, message.into(), "lead_assigner").set_hint(hint).report(PgLogLevel::ERROR);
    unreachable!("an ERROR report does not return")
}

/// Unwraps an SPI result; an SPI failure is an internal error, reported as such.
pub trait OrRaise<T> {
    fn or_raise(self, what: &str) -> T;
}

impl<T, E: std::fmt::Display> OrRaise<T> for Result<T, E> {
    fn or_raise(self, what: &str) -> T {
        self.unwrap_or_else(|error| {
            raise(
                PgSqlErrorCode::ERRCODE_INTERNAL_ERROR,
                format!("lead_assigner: {what} failed: {error}"),
                "This is a bug in lead_assigner; please report it with the server log.",
            )
        })
    }
}
