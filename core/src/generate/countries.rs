//! What a lead of each country looks like: its people's usual names, a mobile phone plan valid
//! there, and the document types used there.
//!
//! Name lists are curated here rather than taken from the `fake` crate: its EN surnames are
//! invented ("Kshlerin", "Runolfsdottir"), its PT_BR lists mix in Spanish and English names, it
//! has no Spanish list, and it would pull a second `rand` major version. Each list keeps the most
//! frequent names of its source, minus those another list spells the same way (Patricia, Maria,
//! Daniel…), so a name always tells which list it came from.
//!
//! Phone plans follow the numbering plans as libphonenumber describes them (the core tests check
//! every generated number with the `phonenumber` port); area codes are those of large cities.

use std::sync::OnceLock;

use rand::Rng;

/// Given names and surnames of one language community.
pub(crate) struct NamePool {
    pub given_names: &'static [&'static str],
    pub surnames: &'static [&'static str],
    /// Built on first use: folding accents for every lead would slow the generator down.
    email_forms: OnceLock<EmailForms>,
}

/// The names lowercased and unaccented, in the same order.
struct EmailForms {
    given_names: Vec<String>,
    surnames: Vec<String>,
}

impl NamePool {
    const fn new(given_names: &'static [&'static str], surnames: &'static [&'static str]) -> Self {
        Self { given_names, surnames, email_forms: OnceLock::new() }
    }

    fn email_forms(&self) -> &EmailForms {
        self.email_forms.get_or_init(|| {
            let fold = |names: &[&str]| names.iter().map(|name| email_form(name)).collect();
            EmailForms { given_names: fold(self.given_names), surnames: fold(self.surnames) }
        })
    }

    /// A random given name and its email form.
    pub fn given_name<R: Rng + ?Sized>(&'static self, rng: &mut R) -> (&'static str, &'static str) {
        let index = rng.gen_range(0..self.given_names.len());
        (self.given_names[index], &self.email_forms().given_names[index])
    }

    /// A random surname and its email form.
    pub fn surname<R: Rng + ?Sized>(&'static self, rng: &mut R) -> (&'static str, &'static str) {
        let index = rng.gen_range(0..self.surnames.len());
        (self.surnames[index], &self.email_forms().surnames[index])
    }
}

/// Sources: US Social Security Administration, popular baby names by decade (given names);
/// US Census Bureau 2010, frequently occurring surnames (surnames).
#[rustfmt::skip]
pub(crate) static ENGLISH: NamePool = NamePool::new(
    &[
        "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "William", "Elizabeth",
        "Richard", "Barbara", "Joseph", "Susan", "Thomas", "Jessica", "Christopher", "Sarah", "Charles", "Karen",
        "Matthew", "Lisa", "Anthony", "Nancy", "Mark", "Betty", "Steven", "Ashley", "Andrew", "Emily", "Joshua",
        "Megan", "Ethan", "Olivia", "Noah", "Emma", "Liam", "Ava", "Mason", "Madison",
    ],
    &[
        "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson", "Taylor", "Moore",
        "Jackson", "White", "Harris", "Thompson", "Clark", "Lewis", "Robinson", "Walker", "Young", "Allen", "King",
        "Wright", "Scott", "Hill", "Green", "Adams", "Baker", "Campbell", "Mitchell",
    ],
);

/// Sources: Retraite Québec, most frequent given names; Institut de la statistique du Québec,
/// most frequent surnames in Quebec.
#[rustfmt::skip]
pub(crate) static FRENCH: NamePool = NamePool::new(
    &[
        "Jean", "Pierre", "Michel", "Luc", "Jacques", "François", "Stéphane", "Sébastien", "Mathieu", "Guillaume",
        "Étienne", "Benoît", "Olivier", "Félix", "Antoine", "Raphaël", "Maxime", "Louis", "Sylvie", "Nathalie",
        "Isabelle", "Geneviève", "Chantal", "Josée", "Mélanie", "Véronique", "Émilie", "Marie", "Julie", "Léa",
        "Chloé", "Rosalie", "Gabrielle", "Florence", "Noémie", "Zoé", "Béatrice", "Hélène",
    ],
    &[
        "Tremblay", "Gagnon", "Roy", "Côté", "Bouchard", "Gauthier", "Morin", "Lavoie", "Fortin", "Gagné", "Ouellet",
        "Pelletier", "Bélanger", "Lévesque", "Bergeron", "Leblanc", "Paquette", "Girard", "Simard", "Boucher", "Caron",
        "Beaulieu", "Cloutier", "Dubé", "Poirier", "Fournier", "Lapointe", "Leclerc", "Lefebvre", "Poulin",
    ],
);

/// Sources: INEGI / RENAPO (Mexico) and Registraduría Nacional del Estado Civil (Colombia), most
/// frequent given names and surnames of each.
#[rustfmt::skip]
pub(crate) static SPANISH: NamePool = NamePool::new(
    &[
        "José", "Juan", "Luis", "Carlos", "Jesús", "Miguel", "Francisco", "Alejandro", "Jorge", "Andrés", "Santiago",
        "Sebastián", "Diego", "Javier", "Fernando", "Ricardo", "Manuel", "Alberto", "Óscar", "Julián", "María",
        "Guadalupe", "Juana", "Margarita", "Verónica", "Leticia", "Rosa", "Sofía", "Valentina", "Camila", "Ximena",
        "Daniela", "Mariana", "Gabriela", "Alejandra", "Paola", "Natalia", "Isabella", "Luz", "Claudia",
    ],
    &[
        "Hernández", "García", "Martínez", "López", "González", "Pérez", "Rodríguez", "Sánchez", "Ramírez", "Cruz",
        "Flores", "Gómez", "Morales", "Vázquez", "Reyes", "Jiménez", "Torres", "Díaz", "Gutiérrez", "Ruiz", "Mendoza",
        "Aguilar", "Ortiz", "Moreno", "Castillo", "Rojas", "Vargas", "Muñoz", "Restrepo", "Ospina",
    ],
);

/// Source: IBGE, Censo 2010, "Nomes no Brasil": most frequent given names and surnames.
#[rustfmt::skip]
pub(crate) static PORTUGUESE: NamePool = NamePool::new(
    &[
        "João", "Antônio", "Paulo", "Pedro", "Lucas", "Luiz", "Marcos", "Gabriel", "Rafael", "Marcelo", "Bruno",
        "Eduardo", "Felipe", "Raimundo", "Rodrigo", "Manoel", "Mateus", "André", "Fábio", "Leonardo", "Gustavo",
        "Guilherme", "Leandro", "Tiago", "Márcio", "Sebastião", "Francisca", "Antônia", "Adriana", "Juliana", "Márcia",
        "Fernanda", "Aline", "Bruna", "Tatiane", "Luciana", "Vanessa", "Raimunda", "Vitória", "Larissa",
    ],
    &[
        "Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira", "Lima", "Gomes", "Costa",
        "Ribeiro", "Martins", "Carvalho", "Almeida", "Lopes", "Soares", "Fernandes", "Vieira", "Barbosa", "Rocha",
        "Dias", "Nascimento", "Andrade", "Moreira", "Nunes", "Marques", "Machado", "Mendes", "Freitas",
    ],
);

/// Mobile numbers of one country, written in E.164: `+`, country code, national number.
pub(crate) struct PhonePlan {
    pub country_code: &'static str,
    /// Leading digits of the national number: an area code, or a mobile operator prefix.
    pub prefixes: &'static [&'static str],
    pub national_length: u32,
    /// Lowest first digit after the prefix (North American exchanges never start with 0 or 1).
    pub lowest_next_digit: u64,
}

/// North American area codes of large cities; the exchange after them starts with 2-9.
const fn north_american(area_codes: &'static [&'static str]) -> PhonePlan {
    PhonePlan { country_code: "+1", prefixes: area_codes, national_length: 10, lowest_next_digit: 2 }
}

const UNITED_STATES_PHONES: PhonePlan = north_american(&[
    "201", "202", "206", "210", "212", "213", "214", "303", "305", "310", "312", "404", "407", "415", "480", "503",
    "512", "602", "612", "615", "617", "619", "646", "678", "702", "704", "713", "718", "773", "786", "813", "832",
    "917", "954", "972",
]);
const ENGLISH_CANADA_PHONES: PhonePlan = north_american(&[
    "204", "226", "236", "249", "250", "289", "306", "343", "403", "416", "431", "437", "506", "519", "548", "587",
    "604", "613", "639", "647", "705", "709", "778", "780", "782", "807", "825", "867", "902", "905",
]);
const QUEBEC_PHONES: PhonePlan = north_american(&["418", "438", "450", "514", "579", "581", "819", "873"]);
/// Ten digits since 2019, mobiles included: the area code, then the subscriber.
const MEXICO_PHONES: PhonePlan = PhonePlan {
    country_code: "+52",
    prefixes: &["55", "33", "81", "222", "442", "477", "614", "656", "664", "722", "844", "998", "999"],
    national_length: 10,
    lowest_next_digit: 0,
};
/// Mobile numbers are ten digits starting with an operator's 3xx.
const COLOMBIA_PHONES: PhonePlan = PhonePlan {
    country_code: "+57",
    prefixes: &[
        "300", "301", "302", "303", "304", "305", "310", "311", "312", "313", "314", "315", "316", "317", "318", "319",
        "320", "321", "322", "323", "350", "351",
    ],
    national_length: 10,
    lowest_next_digit: 0,
};
/// Two-digit area code (DDD), then the mobile 9 and eight digits.
const BRAZIL_PHONES: PhonePlan = PhonePlan {
    country_code: "+55",
    prefixes: &[
        "119", "129", "139", "159", "199", "219", "249", "279", "319", "419", "479", "489", "519", "619", "629", "719",
        "819", "859", "919", "929",
    ],
    national_length: 11,
    lowest_next_digit: 0,
};

/// People of one language in a country, with the phones they have there.
pub(crate) struct Community {
    pub names: &'static NamePool,
    pub phones: &'static PhonePlan,
    /// Relative share of the country's leads.
    pub weight: u32,
}

/// A set of the document types that profiles know, one bit each.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct DocumentKinds(u8);

/// Their names in `lead_management.document_types` (the seed rows), in bit order.
const DOCUMENT_TYPE_NAMES: [&str; 4] = ["National ID", "Passport", "Driver License", "Tax ID"];

impl DocumentKinds {
    pub const NONE: Self = Self(0);
    pub const NATIONAL_ID: Self = Self(1);
    pub const PASSPORT: Self = Self(1 << 1);
    pub const DRIVER_LICENSE: Self = Self(1 << 2);
    pub const TAX_ID: Self = Self(1 << 3);

    const fn with(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// The known type a `document_types.name` designates, trimmed and case-insensitively; none
    /// for types users added.
    pub fn named(name: &str) -> Self {
        let name = name.trim();
        DOCUMENT_TYPE_NAMES
            .iter()
            .position(|known| known.eq_ignore_ascii_case(name))
            .map_or(Self::NONE, |bit| Self(1 << bit))
    }

    pub fn intersects(self, other: Self) -> bool {
        self.0 & other.0 != 0
    }
}

pub(crate) struct CountryProfile {
    pub communities: &'static [Community],
    /// The document types used there; none: unknown, any will do.
    pub document_kinds: DocumentKinds,
}

impl CountryProfile {
    pub fn total_weight(&self) -> u32 {
        self.communities.iter().map(|community| community.weight).sum()
    }
}

static AMERICANS: &[Community] = &[Community { names: &ENGLISH, phones: &UNITED_STATES_PHONES, weight: 1 }];

static UNITED_STATES: CountryProfile = CountryProfile {
    communities: AMERICANS,
    // No national identity card there.
    document_kinds: DocumentKinds::PASSPORT.with(DocumentKinds::DRIVER_LICENSE).with(DocumentKinds::TAX_ID),
};

static CANADA: CountryProfile = CountryProfile {
    // About a fifth of Canadians have French as first official language (2021 census).
    communities: &[
        Community { names: &ENGLISH, phones: &ENGLISH_CANADA_PHONES, weight: 4 },
        Community { names: &FRENCH, phones: &QUEBEC_PHONES, weight: 1 },
    ],
    document_kinds: DocumentKinds::PASSPORT.with(DocumentKinds::DRIVER_LICENSE).with(DocumentKinds::TAX_ID),
};

static MEXICO: CountryProfile = CountryProfile {
    communities: &[Community { names: &SPANISH, phones: &MEXICO_PHONES, weight: 1 }],
    // INE voter card or CURP, RFC.
    document_kinds: DocumentKinds::NATIONAL_ID.with(DocumentKinds::PASSPORT).with(DocumentKinds::TAX_ID),
};

static COLOMBIA: CountryProfile = CountryProfile {
    communities: &[Community { names: &SPANISH, phones: &COLOMBIA_PHONES, weight: 1 }],
    // Cédula de ciudadanía, NIT.
    document_kinds: DocumentKinds::NATIONAL_ID.with(DocumentKinds::PASSPORT).with(DocumentKinds::TAX_ID),
};

static BRAZIL: CountryProfile = CountryProfile {
    communities: &[Community { names: &PORTUGUESE, phones: &BRAZIL_PHONES, weight: 1 }],
    // RG, CPF; the driver's licence (CNH) is a legal identity document there.
    document_kinds: DocumentKinds::NATIONAL_ID
        .with(DocumentKinds::PASSPORT)
        .with(DocumentKinds::DRIVER_LICENSE)
        .with(DocumentKinds::TAX_ID),
};

/// For countries users add: a valid US-style lead rather than an error, with any document type,
/// since which ones are used there is unknown.
static FALLBACK: CountryProfile = CountryProfile { communities: AMERICANS, document_kinds: DocumentKinds::NONE };

/// The profile of an ISO 3166-1 alpha-2 code (`lead_management.countries.code`), or a fallback.
pub(crate) fn profile_for(code: &str) -> &'static CountryProfile {
    match code {
        "US" => &UNITED_STATES,
        "CA" => &CANADA,
        "MX" => &MEXICO,
        "CO" => &COLOMBIA,
        "BR" => &BRAZIL,
        _ => &FALLBACK,
    }
}

/// A name lowercased, with accents dropped from the letters the name lists use (a test checks
/// they all become ASCII letters), so emails stay ASCII.
pub(crate) fn email_form(name: &str) -> String {
    name.chars().map(unaccented_lowercase).collect()
}

fn unaccented_lowercase(letter: char) -> char {
    match letter {
        'á' | 'à' | 'â' | 'ã' | 'Á' | 'À' | 'Â' => 'a',
        'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' => 'e',
        'í' | 'î' | 'ï' | 'Í' => 'i',
        'ó' | 'ô' | 'õ' | 'Ó' | 'Ô' => 'o',
        'ú' | 'ü' | 'Ú' => 'u',
        'ç' | 'Ç' => 'c',
        'ñ' | 'Ñ' => 'n',
        other => other.to_ascii_lowercase(),
    }
}
