//! Realistic random leads for the simulator: each lead's names, phone and document type are
//! those of its country (see `countries`).
//!
//! Emails embed the document number, so distinct document numbers always give
//! distinct emails: the original simulator built emails from names alone
//! (about 42k combinations) and died on the first collision. Document number
//! collisions are left to the database, which skips duplicates.

mod countries;

use std::fmt;

use rand::seq::SliceRandom;
use rand::Rng;

use countries::{profile_for, Community, CountryProfile, DocumentKinds, PhonePlan};

/// A `lead_management.countries` row.
pub struct Country {
    pub id: i32,
    /// ISO 3166-1 alpha-2: picks the names, phone plan and document types of its leads.
    pub code: String,
}

/// A `lead_management.document_types` row.
pub struct DocumentType {
    pub id: i32,
    pub name: String,
}

/// The reference rows a lead may point at.
pub struct References {
    pub business_lines: Vec<i32>,
    pub countries: Vec<Country>,
    pub document_types: Vec<DocumentType>,
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

const DOCUMENT_DIGITS: u32 = 10;
const EMAIL_DOMAIN: &str = "@example.com";

/// Generates `count` leads: country and business line drawn uniformly from `refs`, then names,
/// phone and document type coherent with the country.
///
/// # Errors
/// [`GenerateError::NoReferenceRows`] naming the first empty list in `refs`,
/// unless `count` is 0.
pub fn generate_leads<R: Rng + ?Sized>(
    rng: &mut R,
    count: usize,
    refs: &References,
) -> Result<Vec<GeneratedLead>, GenerateError> {
    if count == 0 {
        return Ok(Vec::new());
    }
    for (name, empty) in [
        ("business_lines", refs.business_lines.is_empty()),
        ("countries", refs.countries.is_empty()),
        ("document_types", refs.document_types.is_empty()),
    ] {
        if empty {
            return Err(GenerateError::NoReferenceRows(name));
        }
    }

    // Resolved once per batch: batches of 5 leads are the common case.
    let document_kinds: Vec<DocumentKinds> =
        refs.document_types.iter().map(|row| DocumentKinds::named(&row.name)).collect();
    let mut leads = Vec::with_capacity(count);
    for _ in 0..count {
        leads.push(generate_one(rng, refs, &document_kinds));
    }
    Ok(leads)
}

/// Builds one lead; the caller has checked every reference list is non-empty.
/// `document_kinds` are those of `refs.document_types`, in order.
fn generate_one<R: Rng + ?Sized>(rng: &mut R, refs: &References, document_kinds: &[DocumentKinds]) -> GeneratedLead {
    let lowest = 10u64.pow(DOCUMENT_DIGITS - 1);
    let mut document_number = String::with_capacity(DOCUMENT_DIGITS as usize);
    push_digits(&mut document_number, rng.gen_range(lowest..lowest * 10), DOCUMENT_DIGITS);

    let country = refs.countries.choose(rng).expect("checked non-empty");
    let profile = profile_for(&country.code);
    let community = pick_community(rng, profile);
    let (given_name, given_name_in_email) = community.names.given_name(rng);
    let (surname, surname_in_email) = community.names.surname(rng);
    let phone = phone_number(rng, community.phones);
    let email = email_for(given_name_in_email, surname_in_email, &document_number);

    GeneratedLead {
        business_line_id: *refs.business_lines.choose(rng).expect("checked non-empty"),
        country_id: country.id,
        document_type_id: pick_document_type(rng, &refs.document_types, document_kinds, profile.document_kinds),
        document_number,
        given_name,
        surname,
        phone,
        email,
    }
}

/// A community drawn by weight; most countries have one, and then no draw is needed.
fn pick_community<R: Rng + ?Sized>(rng: &mut R, profile: &'static CountryProfile) -> &'static Community {
    if let [only] = profile.communities {
        return only;
    }
    let mut ticket = rng.gen_range(0..profile.total_weight());
    for community in profile.communities {
        if ticket < community.weight {
            return community;
        }
        ticket -= community.weight;
    }
    unreachable!("the ticket is below the total weight")
}

/// A document type used in the country, drawn uniformly; any when the table has none of those.
fn pick_document_type<R: Rng + ?Sized>(
    rng: &mut R,
    rows: &[DocumentType],
    kinds: &[DocumentKinds],
    used_there: DocumentKinds,
) -> i32 {
    let usual = kinds.iter().filter(|kind| kind.intersects(used_there)).count();
    if usual == 0 {
        return rows.choose(rng).expect("checked non-empty").id;
    }
    let nth = rng.gen_range(0..usual);
    let mut usual_rows = rows.iter().zip(kinds).filter(|(_, kind)| kind.intersects(used_there));
    usual_rows.nth(nth).expect("nth is below the count").0.id
}

/// An E.164 number: `+`, country code, a prefix of the plan, then random digits up to its length.
fn phone_number<R: Rng + ?Sized>(rng: &mut R, plan: &PhonePlan) -> String {
    let prefix = *plan.prefixes.choose(rng).expect("phone plans have prefixes");
    let random_digits = plan.national_length - prefix.len() as u32;
    let end = 10u64.pow(random_digits);
    let start = plan.lowest_next_digit * (end / 10);
    let mut phone = String::with_capacity(plan.country_code.len() + plan.national_length as usize);
    phone.push_str(plan.country_code);
    phone.push_str(prefix);
    push_digits(&mut phone, rng.gen_range(start..end), random_digits);
    phone
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

/// `given.surname.document@example.com` from the names' email forms, lowercase ASCII letters
/// only, so the document number is recoverable from the email: distinct document numbers can
/// never share an email.
fn email_for(given_name: &str, surname: &str, document_number: &str) -> String {
    let dots = 2;
    let mut email =
        String::with_capacity(given_name.len() + surname.len() + document_number.len() + EMAIL_DOMAIN.len() + dots);
    email.push_str(given_name);
    email.push('.');
    email.push_str(surname);
    email.push('.');
    email.push_str(document_number);
    email.push_str(EMAIL_DOMAIN);
    email
}

#[cfg(test)]
mod tests {
    use super::countries::{email_form, NamePool, ENGLISH, FRENCH, PORTUGUESE, SPANISH};
    use super::*;
    use proptest::prelude::*;
    use rand::rngs::SmallRng;
    use rand::SeedableRng;
    use std::collections::HashMap;

    const BUSINESS_LINES: [i32; 3] = [1, 2, 3];
    /// The seed rows of `lead_management.countries`, under other ids.
    const COUNTRIES: [(i32, &str); 5] = [(10, "US"), (20, "CA"), (30, "MX"), (40, "CO"), (50, "BR")];
    const DOCUMENT_TYPES: [(i32, &str); 4] =
        [(1, "National ID"), (2, "Passport"), (3, "Driver License"), (4, "Tax ID")];
    static POOLS: [&NamePool; 4] = [&ENGLISH, &FRENCH, &SPANISH, &PORTUGUESE];

    fn references(countries: &[(i32, &str)], document_types: &[(i32, &str)]) -> References {
        References {
            business_lines: BUSINESS_LINES.to_vec(),
            countries: countries.iter().map(|&(id, code)| Country { id, code: code.to_owned() }).collect(),
            document_types: document_types
                .iter()
                .map(|&(id, name)| DocumentType { id, name: name.to_owned() })
                .collect(),
        }
    }

    fn refs() -> References {
        references(&COUNTRIES, &DOCUMENT_TYPES)
    }

    fn code_of(country_id: i32) -> &'static str {
        COUNTRIES.iter().find(|(id, _)| *id == country_id).expect("a seeded country").1
    }

    /// The name pools of a country's people.
    fn pools_of(code: &str) -> Vec<&'static NamePool> {
        match code {
            "US" => vec![&ENGLISH],
            "CA" => vec![&ENGLISH, &FRENCH],
            "MX" | "CO" => vec![&SPANISH],
            "BR" => vec![&PORTUGUESE],
            other => panic!("no pools for {other}"),
        }
    }

    fn all_names(pool: &NamePool) -> impl Iterator<Item = &'static str> + '_ {
        pool.given_names.iter().chain(pool.surnames).copied()
    }

    fn is_document_number(s: &str) -> bool {
        s.len() == 10 && s.bytes().all(|b| b.is_ascii_digit()) && !s.starts_with('0')
    }

    /// Hand-written E.164, `^\+[1-9][0-9]{7,14}$`.
    fn is_e164(s: &str) -> bool {
        let b = s.as_bytes();
        (9..=16).contains(&b.len())
            && b[0] == b'+'
            && (b'1'..=b'9').contains(&b[1])
            && b[2..].iter().all(u8::is_ascii_digit)
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
        assert!(!is_e164("1-555-123-4567"));
        assert!(!is_e164("+1-555-123-4567"));
        assert!(!is_e164("+0123456789"));
        assert!(!is_e164("+1555"));
        assert!(!is_e164("+1234567890123456"));
        assert!(!is_email("a@b"));
        assert!(!is_email("a b@c.d"));
        assert!(!is_email("a@b@c.d"));
    }

    #[test]
    fn fields_have_expected_formats() {
        let mut rng = SmallRng::seed_from_u64(1);
        for lead in generate_leads(&mut rng, 2000, &refs()).unwrap() {
            assert!(is_document_number(&lead.document_number), "{lead:?}");
            assert!(is_e164(&lead.phone), "{lead:?}");
            assert!(is_email(&lead.email), "{lead:?}");
            assert!(lead.email.is_ascii());
            assert_eq!(lead.email, lead.email.to_ascii_lowercase());
            let expected = format!("{}.{}.", email_form(lead.given_name), email_form(lead.surname));
            assert!(lead.email.starts_with(&expected), "{lead:?}");
            assert!(lead.email.contains(&lead.document_number));
        }
    }

    #[test]
    fn names_are_letters_that_fold_to_ascii_and_each_belongs_to_one_pool() {
        let mut owner: HashMap<String, usize> = HashMap::new();
        for (pool_index, pool) in POOLS.iter().enumerate() {
            for names in [pool.given_names, pool.surnames] {
                assert!(!names.is_empty());
                for name in names {
                    assert!(!name.is_empty() && name.chars().all(char::is_alphabetic), "{name}");
                    let folded = email_form(name);
                    assert!(folded.bytes().all(|b| b.is_ascii_lowercase()), "{name} folds to {folded}");
                    // Also catches a name listed twice in a pool.
                    if let Some(first) = owner.insert(folded, pool_index) {
                        panic!("{name} is in pool {first} and pool {pool_index}");
                    }
                }
            }
        }
    }

    #[test]
    fn known_countries_have_profiles_with_valid_plans() {
        for (_, code) in COUNTRIES {
            let profile = profile_for(code);
            assert!(!std::ptr::eq(profile, profile_for("XX")), "{code} falls back");
            assert!(profile.total_weight() > 0 && profile.document_kinds != DocumentKinds::NONE);
            for community in profile.communities {
                let plan = community.phones;
                assert!(plan.prefixes.iter().all(|prefix| prefix.len() < plan.national_length as usize));
            }
        }
    }

    #[test]
    fn ids_come_from_reference_lists_and_all_get_used() {
        let mut rng = SmallRng::seed_from_u64(2);
        let leads = generate_leads(&mut rng, 1000, &refs()).unwrap();
        for lead in &leads {
            assert!(BUSINESS_LINES.contains(&lead.business_line_id));
            assert!(COUNTRIES.iter().any(|(id, _)| *id == lead.country_id));
            assert!(DOCUMENT_TYPES.iter().any(|(id, _)| *id == lead.document_type_id));
        }
        assert!(COUNTRIES.iter().all(|(id, _)| leads.iter().any(|l| l.country_id == *id)));
        assert!(BUSINESS_LINES.iter().all(|id| leads.iter().any(|l| l.business_line_id == *id)));
    }

    /// The document type ids each country got over `count` leads.
    fn document_types_used(refs: &References, count: usize) -> HashMap<i32, Vec<i32>> {
        let mut used: HashMap<i32, Vec<i32>> = HashMap::new();
        for lead in generate_leads(&mut SmallRng::seed_from_u64(3), count, refs).unwrap() {
            let types = used.entry(lead.country_id).or_default();
            if !types.contains(&lead.document_type_id) {
                types.push(lead.document_type_id);
            }
        }
        used.values_mut().for_each(|types| types.sort_unstable());
        used
    }

    #[test]
    fn document_types_are_those_used_in_the_country() {
        // National ID 1, Passport 2, Driver License 3, Tax ID 4; a user-added 9 nobody's profile names.
        let refs = references(
            &COUNTRIES,
            &[(1, "National ID"), (2, " passport "), (3, "Driver License"), (4, "TAX ID"), (9, "Cédula")],
        );
        let used = document_types_used(&refs, 5000);
        assert_eq!(used[&10], [2, 3, 4], "US");
        assert_eq!(used[&20], [2, 3, 4], "CA");
        assert_eq!(used[&30], [1, 2, 4], "MX");
        assert_eq!(used[&40], [1, 2, 4], "CO");
        assert_eq!(used[&50], [1, 2, 3, 4], "BR");
    }

    #[test]
    fn a_country_without_its_usual_document_types_gets_any() {
        let refs = references(&[(30, "MX")], &[(7, "Residence Permit"), (8, "Driver License")]);
        assert_eq!(document_types_used(&refs, 500)[&30], [7, 8]);
    }

    #[test]
    fn countries_added_by_users_fall_back_to_valid_leads_with_any_document_type() {
        let refs = references(&[(60, "XX")], &[(1, "National ID"), (9, "Cédula")]);
        let leads = generate_leads(&mut SmallRng::seed_from_u64(4), 500, &refs).unwrap();
        for lead in &leads {
            assert!(is_e164(&lead.phone) && lead.phone.starts_with("+1"), "{lead:?}");
            assert!(ENGLISH.given_names.contains(&lead.given_name) && ENGLISH.surnames.contains(&lead.surname));
        }
        assert_eq!(document_types_used(&refs, 500)[&60], [1, 9]);
    }

    #[test]
    fn canada_has_both_communities_with_their_own_area_codes() {
        let refs = references(&[(20, "CA")], &DOCUMENT_TYPES);
        let leads = generate_leads(&mut SmallRng::seed_from_u64(5), 5000, &refs).unwrap();
        let quebec = ["+1418", "+1438", "+1450", "+1514", "+1579", "+1581", "+1819", "+1873"];
        let french = leads.iter().filter(|lead| FRENCH.surnames.contains(&lead.surname)).count();
        for lead in &leads {
            let in_quebec = quebec.iter().any(|area| lead.phone.starts_with(area));
            assert_eq!(FRENCH.given_names.contains(&lead.given_name), in_quebec, "{lead:?}");
            assert_eq!(FRENCH.surnames.contains(&lead.surname), in_quebec, "{lead:?}");
        }
        // One in five by weight: 1000 expected, six standard deviations either side.
        assert!((830..=1170).contains(&french), "{french} French Canadians in 5000");
    }

    #[test]
    fn count_is_honoured() {
        let mut rng = SmallRng::seed_from_u64(6);
        for count in [1, 5, 37] {
            assert_eq!(generate_leads(&mut rng, count, &refs()).unwrap().len(), count);
        }
    }

    #[test]
    fn zero_count_needs_no_references() {
        let mut rng = SmallRng::seed_from_u64(7);
        assert_eq!(generate_leads(&mut rng, 0, &references(&[], &[])), Ok(Vec::new()));
    }

    #[test]
    fn empty_reference_list_is_named() {
        let mut rng = SmallRng::seed_from_u64(8);
        let cases = [
            (References { business_lines: Vec::new(), ..refs() }, "business_lines"),
            (references(&[], &DOCUMENT_TYPES), "countries"),
            (references(&COUNTRIES, &[]), "document_types"),
        ];
        for (refs, name) in cases {
            let err = generate_leads(&mut rng, 1, &refs).unwrap_err();
            assert_eq!(err, GenerateError::NoReferenceRows(name));
            assert!(err.to_string().contains(name));
        }
    }

    #[test]
    fn same_seed_same_leads() {
        let a = generate_leads(&mut SmallRng::seed_from_u64(9), 50, &refs()).unwrap();
        let b = generate_leads(&mut SmallRng::seed_from_u64(9), 50, &refs()).unwrap();
        let c = generate_leads(&mut SmallRng::seed_from_u64(10), 50, &refs()).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    /// What libphonenumber (its `phonenumber` port) says of every phone, and which pools every
    /// name comes from, over 100,000 leads of the seeded countries.
    #[test]
    fn leads_are_coherent_with_their_country_100k() {
        use phonenumber::{country, Type};
        let database = &*phonenumber::metadata::DATABASE;
        let mut rng = SmallRng::seed_from_u64(11);
        for _ in 0..10 {
            for lead in generate_leads(&mut rng, 10_000, &refs()).unwrap() {
                let code = code_of(lead.country_id);
                let number = phonenumber::parse(None, &lead.phone).unwrap_or_else(|e| panic!("{lead:?}: {e}"));
                assert!(number.is_valid(), "invalid phone: {lead:?}");
                assert_eq!(number.country().id(), Some(code.parse::<country::Id>().unwrap()), "{lead:?}");
                let kind = number.number_type(database);
                assert!(matches!(kind, Type::Mobile | Type::FixedLineOrMobile), "{kind:?}: {lead:?}");

                let own = pools_of(code);
                assert!(own.iter().any(|pool| pool.given_names.contains(&lead.given_name)), "{lead:?}");
                assert!(own.iter().any(|pool| pool.surnames.contains(&lead.surname)), "{lead:?}");
                let mut foreign = POOLS.iter().filter(|pool| !own.iter().any(|own| std::ptr::eq(*own, **pool)));
                assert!(
                    !foreign.any(|pool| all_names(pool).any(|name| [lead.given_name, lead.surname].contains(&name)))
                );
            }
        }
    }

    /// Generates `total` leads and asserts no email is shared by two distinct
    /// document numbers.
    fn assert_emails_unique_per_document(total: usize, seed: u64) {
        let mut rng = SmallRng::seed_from_u64(seed);
        let refs = refs();
        let mut owner: HashMap<String, String> = HashMap::with_capacity(total);
        let batch = 10_000;
        for start in (0..total).step_by(batch) {
            let n = batch.min(total - start);
            for lead in generate_leads(&mut rng, n, &refs).unwrap() {
                let doc = owner.entry(lead.email).or_insert(lead.document_number.clone());
                assert_eq!(*doc, lead.document_number);
            }
        }
    }

    #[test]
    fn emails_unique_per_document_100k() {
        assert_emails_unique_per_document(100_000, 12);
    }

    #[test]
    #[ignore = "slow in debug builds; run with --ignored"]
    fn emails_unique_per_document_1m() {
        assert_emails_unique_per_document(1_000_000, 13);
    }

    fn every_name() -> Vec<&'static str> {
        POOLS.iter().flat_map(|pool| all_names(pool)).collect()
    }

    proptest! {
        #[test]
        fn distinct_documents_give_distinct_emails(
            names in prop::collection::vec(prop::sample::select(every_name()), 4),
            d1 in 1_000_000_000u64..10_000_000_000,
            d2 in 1_000_000_000u64..10_000_000_000,
            same_names: bool,
        ) {
            prop_assume!(d1 != d2);
            let (g2, s2) = if same_names { (names[0], names[1]) } else { (names[2], names[3]) };
            let a = email_for(&email_form(names[0]), &email_form(names[1]), &d1.to_string());
            let b = email_for(&email_form(g2), &email_form(s2), &d2.to_string());
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
