//! Simulator I/O: the reference rows leads may point at, and one INSERT for a whole batch.

use lead_assigner_core::generate::{Country, DocumentType, GeneratedLead, References};
use pgrx::pg_sys;
use pgrx::spi::SpiClient;

use super::Statement;
use crate::errors::OrRaise;

/// Countries come with their ISO code and document types with their name: the generator picks
/// names, phones and document types by them.
static READ_REFERENCES: Statement = Statement {
    sql: "SELECT (SELECT coalesce(array_agg(business_line_id ORDER BY business_line_id), '{}') FROM lead_management.business_lines), \
                 countries.ids, countries.codes, document_types.ids, document_types.names \
          FROM (SELECT coalesce(array_agg(country_id ORDER BY country_id), '{}') AS ids, \
                       coalesce(array_agg(code ORDER BY country_id), '{}') AS codes \
                FROM lead_management.countries) AS countries, \
               (SELECT coalesce(array_agg(document_type_id ORDER BY document_type_id), '{}') AS ids, \
                       coalesce(array_agg(name ORDER BY document_type_id), '{}') AS names \
                FROM lead_management.document_types) AS document_types",
    arg_types: &[],
};

pub fn references(client: &mut SpiClient<'_>) -> References {
    let row = READ_REFERENCES.query(client, &[]).or_raise("reading reference rows").first();
    let ids = |column| -> Vec<i32> { row.get(column).or_raise("reading reference rows").unwrap_or_default() };
    let texts = |column| -> Vec<String> { row.get(column).or_raise("reading reference rows").unwrap_or_default() };
    References {
        business_lines: ids(1),
        countries: ids(2).into_iter().zip(texts(3)).map(|(id, code)| Country { id, code }).collect(),
        document_types: ids(4).into_iter().zip(texts(5)).map(|(id, name)| DocumentType { id, name }).collect(),
    }
}

/// Duplicates (document number or email already present, or twice in the batch) are skipped.
static INSERT_LEADS: Statement = Statement {
    sql: "INSERT INTO lead_management.leads \
          (document_number, given_name, surname, phone, email, business_line_id, country_id, document_type_id) \
          SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::int[], $8::int[]) \
          ON CONFLICT DO NOTHING",
    arg_types: &[
        pg_sys::TEXTARRAYOID,
        pg_sys::TEXTARRAYOID,
        pg_sys::TEXTARRAYOID,
        pg_sys::TEXTARRAYOID,
        pg_sys::TEXTARRAYOID,
        pg_sys::INT4ARRAYOID,
        pg_sys::INT4ARRAYOID,
        pg_sys::INT4ARRAYOID,
    ],
};

/// Returns how many were inserted.
pub fn insert_leads(client: &mut SpiClient<'_>, leads: &[GeneratedLead]) -> usize {
    if leads.is_empty() {
        return 0;
    }
    fn column<'a, T>(leads: &'a [GeneratedLead], field: impl Fn(&'a GeneratedLead) -> T) -> Vec<T> {
        leads.iter().map(field).collect()
    }
    INSERT_LEADS
        .run(
            client,
            &[
                column(leads, |l| l.document_number.as_str()).into(),
                column(leads, |l| l.given_name).into(),
                column(leads, |l| l.surname).into(),
                column(leads, |l| l.phone.as_str()).into(),
                column(leads, |l| l.email.as_str()).into(),
                column(leads, |l| l.business_line_id).into(),
                column(leads, |l| l.country_id).into(),
                column(leads, |l| l.document_type_id).into(),
            ],
        )
        .or_raise("inserting leads")
        .len()
}
