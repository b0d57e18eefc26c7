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

/// Every writing function calls this first. A hot standby cannot write, and without it the
/// caller would get PostgreSQL's internal "cannot assign TransactionIds during recovery" from
/// deep inside; this says where writes go instead.
pub fn refuse_on_standby(function: &str) {
    // SAFETY: reads shared memory state; callable in any backend at any time.
    if unsafe { pgrx::pg_sys::RecoveryInProgress() } {
        raise(
            PgSqlErrorCode::ERRCODE_READ_ONLY_SQL_TRANSACTION,
            format!("{function}() writes, and this server is a read-only hot standby"),
            "Connect to the primary, e.g. with a connection string that lists every node and target_session_attrs=read-write. Reads (explain_lead(), preview_assignments(), seller_availability(), the views) work on any node.",
        )
    }
}
