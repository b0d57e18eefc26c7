//! Realistic random leads for the simulator.
//!
//! Emails embed the document number, so distinct document numbers always give
//! distinct emails: the original simulator built emails from names alone
//! (about 42k combinations) and died on the first collision. Document number
//! collisions are left to the database, which skips duplicates.

use std::fmt;

use rand::seq::SliceRandom;
use rand::Rng;

/// Ids of the reference rows a lead may point at.
pub struct ReferenceIds<'a> {
    pub business_lines: &'a [i32],
    pub countries: &'a [i32],
    pub document_types: &'a [i32],
}

#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedLead {
    pub document_number: String,
    pub given_name: &'static str,
    pub surname: &'static str,
    pub phone: String,
    pub email: String,
    pub business_line_id: i32,
    pub country_id: i32,
    pub document_type_id: i32,
}

#[derive(Debug, Clone, PartialEq)]
pub enum GenerateError {
    /// The named reference list is empty, so no lead can point at it.
    NoReferenceRows(&'static str),
}

impl fmt::Display for GenerateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoReferenceRows(list) => {
                write!(f, "cannot generate leads: no {list} rows to reference")
            }
        }
    }
}

impl std::error::Error for GenerateError {}

// Letters only, so emails stay ASCII and the document number is the only
// digit run in them. Mix matches the countries served: US, CA, MX, CO, BR.
const GIVEN_NAMES: [&str; 40] = [
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "Michael",
    "Jennifer",
    "William",
    "Linda",
    "David",
    "Elizabeth",
    "Emily",
    "Daniel",
    "Sarah",
    "Matthew",
    "Olivia",
    "Ethan",
    "Chloe",
    "Liam",
    "Sophie",
    "Noah",
    "Maria",
    "Jose",
    "Juan",
    "Guadalupe",
    "Carlos",
    "Sofia",
    "Alejandro",
    "Valentina",
    "Diego",
    "Camila",
    "Andres",
    "Isabella",
    "Santiago",
    "Mariana",
    "Joao",
    "Ana",
    "Lucas",
    "Beatriz",
    "Gabriel",
    "Fernanda",
];

const SURNAMES: [&str; 40] = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Miller",
    "Davis",
    "Wilson",
    "Anderson",
    "Taylor",
    "Thomas",
    "Moore",
    "Martin",
    "Thompson",
    "White",
    "Tremblay",
    "Gagnon",
    "Roy",
    "Cote",
    "Bouchard",
    "Garcia",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Perez",
    "Sanchez",
    "Ramirez",
    "Torres",
    "Flores",
    "Rivera",
    "Gomez",
    "Diaz",
    "Morales",
    "Silva",
    "Santos",
    "Oliveira",
    "Souza",
    "Pereira",
];

const DOCUMENT_DIGITS: u32 = 10;
const EMAIL_DOMAIN: &str = "@example.com";

/// Generates `count` leads whose ids are drawn uniformly from `refs`.
///
/// # Errors
/// [`GenerateError::NoReferenceRows`] naming the first empty list in `refs`,
/// unless `count` is 0.
pub fn generate_leads<R: Rng + ?Sized>(
    rng: &mut R,
    count: usize,
    refs: &ReferenceIds,
) -> Result<Vec<GeneratedLead>, GenerateError> {
    if count == 0 {
        return Ok(Vec::new());
    }
    for (name, ids) in [
        ("business_lines", refs.business_lines),
        ("countries", refs.countries),
        ("document_types", refs.document_types),
    ] {
        if ids.is_empty() {
            return Err(GenerateError::NoReferenceRows(name));
        }
    }

    let mut leads = Vec::with_capacity(count);
    for _ in 0..count {
        leads.push(generate_one(rng, refs));
    }
    Ok(leads)
}

/// Builds one lead; the caller has checked every reference list is non-empty.
fn generate_one<R: Rng + ?Sized>(rng: &mut R, refs: &ReferenceIds) -> GeneratedLead {
    let lowest = 10u64.pow(DOCUMENT_DIGITS - 1);
    let mut document_number = String::with_capacity(DOCUMENT_DIGITS as usize);
    push_digits(&mut document_number, rng.gen_range(lowest..lowest * 10), DOCUMENT_DIGITS);

    let given_name = *GIVEN_NAMES.choose(rng).expect("names are non-empty");
    let surname = *SURNAMES.choose(rng).expect("names are non-empty");

    // North American shape, +1-NXX-NXX-XXXX: area code and exchange never
    // start with 0 or 1 there.
    let mut phone = String::with_capacity("+1-200-200-0000".len());
    phone.push_str("+1-");
    push_digits(&mut phone, rng.gen_range(200..1000), 3);
    phone.push('-');
    push_digits(&mut phone, rng.gen_range(200..1000), 3);
    phone.push('-');
    push_digits(&mut phone, rng.gen_range(0..10_000), 4);

    let email = email_for(given_name, surname, &document_number);

    let pick = |rng: &mut R, ids: &[i32]| *ids.choose(rng).expect("checked non-empty");
    GeneratedLead {
        business_line_id: pick(rng, refs.business_lines),
        country_id: pick(rng, refs.countries),
        document_type_id: pick(rng, refs.document_types),
        document_number,
        given_name,
        surname,
        phone,
        email,
    }
}

/// Appends `value` as exactly `width` zero-padded digits (value < 10^width),
/// skipping the formatting machinery on this hot path.
fn push_digits(buf: &mut String, value: u64, width: u32) {
    let mut divisor = 10u64.pow(width - 1);
    while divisor > 0 {
        buf.push(char::from(b'0' + (value / divisor % 10) as u8));
        divisor /= 10;
    }
}

/// `given.surname.document@example.com`, lowercased. Names hold letters only,
/// so the document number is recoverable from the email: distinct document
/// numbers can never share an email.
fn email_for(given_name: &str, surname: &str, document_number: &str) -> String {
    let dots = 2;
    let mut email =
        String::with_capacity(given_name.len() + surname.len() + document_number.len() + EMAIL_DOMAIN.len() + dots);
    push_lowercase(&mut email, given_name);
    email.push('.');
    push_lowercase(&mut email, surname);
    email.push('.');
    email.push_str(document_number);
    email.push_str(EMAIL_DOMAIN);
    email
}

fn push_lowercase(buf: &mut String, s: &str) {
    buf.extend(s.chars().map(|c| c.to_ascii_lowercase()));
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::rngs::SmallRng;
    use rand::SeedableRng;
    use std::collections::HashMap;

    const BUSINESS_LINES: [i32; 3] = [1, 2, 3];
    const COUNTRIES: [i32; 5] = [10, 20, 30, 40, 50];
    const DOCUMENT_TYPES: [i32; 2] = [7, 99];

    fn refs() -> ReferenceIds<'static> {
        ReferenceIds { business_lines: &BUSINESS_LINES, countries: &COUNTRIES, document_types: &DOCUMENT_TYPES }
    }

    fn is_document_number(s: &str) -> bool {
        s.len() == 10 && s.bytes().all(|b| b.is_ascii_digit()) && !s.starts_with('0')
    }

    /// Hand-written `^\+[0-9][0-9 -]{6,20}$`.
    fn is_phone(s: &str) -> bool {
        let b = s.as_bytes();
        b.len() >= 8
            && b.len() <= 22
            && b[0] == b'+'
            && b[1].is_ascii_digit()
            && b[2..].iter().all(|&c| c.is_ascii_digit() || c == b' ' || c == b'-')
    }

    /// Hand-written `^[^@\s]+@[^@\s]+\.[^@\s]+$`.
    fn is_email(s: &str) -> bool {
        let Some((local, domain)) = s.split_once('@') else {
            return false;
        };
        let clean = |part: &str| !part.is_empty() && !part.contains(['@', ' ', '\t', '\n', '\r']);
        clean(local)
            && domain.rsplit_once('.').is_some_and(|(host, tld)| clean(host) && clean(tld))
            && !domain.contains('@')
    }

    #[test]
    fn format_checkers_reject_bad_input() {
        assert!(!is_document_number("0123456789"));
        assert!(!is_document_number("123456789"));
        assert!(!is_document_number("12345678a0"));
        assert!(!is_phone("1-555-123-4567"));
        assert!(!is_phone("+-555-123-4567"));
        assert!(!is_phone("+1-555"));
        assert!(!is_email("a@b"));
        assert!(!is_email("a b@c.d"));
        assert!(!is_email("a@b@c.d"));
    }

    #[test]
    fn fields_have_expected_formats() {
        let mut rng = SmallRng::seed_from_u64(1);
        for lead in generate_leads(&mut rng, 2000, &refs()).unwrap() {
            assert!(is_document_number(&lead.document_number), "{lead:?}");
            assert!(is_phone(&lead.phone), "{lead:?}");
            assert!(is_email(&lead.email), "{lead:?}");
            assert!(lead.email.is_ascii());
            assert_eq!(lead.email, lead.email.to_ascii_lowercase());
            assert!(lead.email.contains(&lead.document_number));
            assert!(GIVEN_NAMES.contains(&lead.given_name));
            assert!(SURNAMES.contains(&lead.surname));
        }
    }

    #[test]
    fn name_sets_are_ascii_letters_without_duplicates() {
        for names in [&GIVEN_NAMES, &SURNAMES] {
            for (i, name) in names.iter().enumerate() {
                assert!(!name.is_empty() && name.bytes().all(|b| b.is_ascii_alphabetic()));
                assert!(!names[..i].contains(name), "duplicate {name}");
            }
        }
    }

    #[test]
    fn ids_come_from_reference_lists_and_all_get_used() {
        let mut rng = SmallRng::seed_from_u64(2);
        let leads = generate_leads(&mut rng, 1000, &refs()).unwrap();
        for lead in &leads {
            assert!(BUSINESS_LINES.contains(&lead.business_line_id));
            assert!(COUNTRIES.contains(&lead.country_id));
            assert!(DOCUMENT_TYPES.contains(&lead.document_type_id));
        }
        assert!(COUNTRIES.iter().all(|id| leads.iter().any(|l| l.country_id == *id)));
    }

    #[test]
    fn count_is_honoured() {
        let mut rng = SmallRng::seed_from_u64(3);
        for count in [1, 5, 37] {
            assert_eq!(generate_leads(&mut rng, count, &refs()).unwrap().len(), count);
        }
    }

    #[test]
    fn zero_count_needs_no_references() {
        let mut rng = SmallRng::seed_from_u64(4);
        let empty = ReferenceIds { business_lines: &[], countries: &[], document_types: &[] };
        assert_eq!(generate_leads(&mut rng, 0, &empty), Ok(Vec::new()));
    }

    #[test]
    fn empty_reference_list_is_named() {
        let mut rng = SmallRng::seed_from_u64(5);
        let cases = [
            (ReferenceIds { business_lines: &[], ..refs() }, "business_lines"),
            (ReferenceIds { countries: &[], ..refs() }, "countries"),
            (ReferenceIds { document_types: &[], ..refs() }, "document_types"),
        ];
        for (refs, name) in cases {
            let err = generate_leads(&mut rng, 1, &refs).unwrap_err();
            assert_eq!(err, GenerateError::NoReferenceRows(name));
            assert!(err.to_string().contains(name));
        }
    }

    #[test]
    fn same_seed_same_leads() {
        let a = generate_leads(&mut SmallRng::seed_from_u64(6), 50, &refs()).unwrap();
        let b = generate_leads(&mut SmallRng::seed_from_u64(6), 50, &refs()).unwrap();
        let c = generate_leads(&mut SmallRng::seed_from_u64(7), 50, &refs()).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    /// Generates `total` leads and asserts no email is shared by two distinct
    /// document numbers.
    fn assert_emails_unique_per_document(total: usize, seed: u64) {
        let mut rng = SmallRng::seed_from_u64(seed);
        let mut owner: HashMap<String, String> = HashMap::with_capacity(total);
        let batch = 10_000;
        for start in (0..total).step_by(batch) {
            let n = batch.min(total - start);
            for lead in generate_leads(&mut rng, n, &refs()).unwrap() {
                let doc = owner.entry(lead.email).or_insert(lead.document_number.clone());
                assert_eq!(*doc, lead.document_number);
            }
        }
    }

    #[test]
    fn emails_unique_per_document_100k() {
        assert_emails_unique_per_document(100_000, 8);
    }

    #[test]
    #[ignore = "slow in debug builds; run with --ignored"]
    fn emails_unique_per_document_1m() {
        assert_emails_unique_per_document(1_000_000, 9);
    }

    proptest! {
        #[test]
        fn distinct_documents_give_distinct_emails(
            g1 in 0..GIVEN_NAMES.len(), s1 in 0..SURNAMES.len(), d1 in 1_000_000_000u64..10_000_000_000,
            g2 in 0..GIVEN_NAMES.len(), s2 in 0..SURNAMES.len(), d2 in 1_000_000_000u64..10_000_000_000,
            same_names: bool,
        ) {
            prop_assume!(d1 != d2);
            let (g2, s2) = if same_names { (g1, s1) } else { (g2, s2) };
            let a = email_for(GIVEN_NAMES[g1], SURNAMES[s1], &d1.to_string());
            let b = email_for(GIVEN_NAMES[g2], SURNAMES[s2], &d2.to_string());
            prop_assert_ne!(a, b);
        }

        #[test]
        fn generated_batches_never_share_emails_across_documents(seed: u64, count in 1usize..200) {
            let leads = generate_leads(&mut SmallRng::seed_from_u64(seed), count, &refs()).unwrap();
            for (i, a) in leads.iter().enumerate() {
                for b in &leads[..i] {
                    if a.document_number != b.document_number {
                        prop_assert_ne!(&a.email, &b.email);
                    }
                }
            }
        }
    }
}
