//! The Application Identifier table and per-AI value validation.
//!
//! The table is plain data ([`AI_TABLE`]): to support another AI add one [`AiDef`] line.
//! Each entry gives the AI, its data title, whether it has a predefined length (no FNC1
//! separator needed after it in a barcode), the components of its value (character set,
//! length, content check), the mandatory associations (`req`), the invalid pairs (`ex`)
//! and its role in GS1 Digital Link (primary key and the allowed key-qualifier sequences).
//! The facts follow the GS1 General Specifications and the GS1 Barcode Syntax Dictionary.

use crate::check::{self, Charset};
use crate::error::Gs1Error;

/// A content check applied to one component of an AI value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lint {
    /// Trailing GS1 mod-10 check digit.
    Csum,
    /// Trailing GS1 check character pair (GMN).
    CsumAlpha,
    /// `YYMMDD`, a real calendar date.
    Yymmdd,
    /// `YYMMDD`, where `DD` may be `00`.
    Yymmd0,
    /// `YYMMDDHH`.
    Yymmddhh,
    /// `HHMM`.
    Hhmm,
    /// `MM` or `MMSS` (optional minutes and seconds).
    Mmoptss,
    /// The single digit `0`.
    Zero,
    /// A number without leading zeros.
    NoZeroPrefix,
    /// `PPTT`: piece number PP of total TT, 1 <= PP <= TT.
    PieceOfTotal,
    /// `0` or `1`.
    YesNo,
    /// An ISO 3166-1 numeric country code.
    Iso3166,
    /// An ISO 3166-1 numeric country code or `999`.
    Iso3166Or999,
    /// Up to five ISO 3166-1 numeric country codes.
    Iso3166List,
    /// An ISO 3166-1 alpha-2 country code.
    Iso3166Alpha2,
}

/// One component of an AI's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Component {
    /// Allowed characters.
    pub charset: Charset,
    /// Minimum length.
    pub min: u8,
    /// Maximum length.
    pub max: u8,
    /// An optional final component.
    pub optional: bool,
    /// Content check.
    pub lint: Option<Lint>,
}

impl Component {
    const fn new(charset: Charset, min: u8, max: u8) -> Self {
        Component {
            charset,
            min,
            max,
            optional: false,
            lint: None,
        }
    }
    const fn lint(mut self, lint: Lint) -> Self {
        self.lint = Some(lint);
        self
    }
    const fn csum(self) -> Self {
        self.lint(Lint::Csum)
    }
    const fn opt(mut self) -> Self {
        self.optional = true;
        self
    }
}

/// Fixed-length numeric component.
const fn n(len: u8) -> Component {
    Component::new(Charset::Numeric, len, len)
}
/// Variable-length numeric component (1..=max).
const fn nv(max: u8) -> Component {
    Component::new(Charset::Numeric, 1, max)
}
/// Fixed-length CSET 82 component.
const fn x(len: u8) -> Component {
    Component::new(Charset::Cset82, len, len)
}
/// Variable-length CSET 82 component (1..=max).
const fn xv(max: u8) -> Component {
    Component::new(Charset::Cset82, 1, max)
}
/// Variable-length CSET 39 component (1..=max).
const fn yv(max: u8) -> Component {
    Component::new(Charset::Cset39, 1, max)
}
/// Variable-length CSET 64 component (1..=max).
const fn zv(max: u8) -> Component {
    Component::new(Charset::Cset64, 1, max)
}

/// An Application Identifier definition.
#[derive(Debug, Clone, Copy)]
pub struct AiDef {
    /// The AI, or for a family the AI without its last digit (see `last_digit`).
    pub ai: &'static str,
    /// For a family such as 3100-3105: the inclusive range of the last AI digit.
    pub last_digit: Option<(u8, u8)>,
    /// GS1 data title.
    pub title: &'static str,
    /// Predefined length: no FNC1 separator is needed after this AI.
    pub predefined: bool,
    /// Value components.
    pub components: &'static [Component],
    /// Mandatory associations: for every group, one AI matching a pattern must be present.
    pub req: &'static [&'static [&'static str]],
    /// Invalid pairs: AIs matching these patterns must not be present.
    pub ex: &'static [&'static str],
    /// GS1 Digital Link primary key: the allowed key-qualifier sequences (may be empty).
    pub dl_key: Option<&'static [&'static [&'static str]]>,
}

impl AiDef {
    const fn new(ai: &'static str, title: &'static str, components: &'static [Component]) -> Self {
        AiDef {
            ai,
            last_digit: None,
            title,
            predefined: false,
            components,
            req: &[],
            ex: &[],
            dl_key: None,
        }
    }
    /// Predefined length (no FNC1 needed after it).
    const fn fixed(mut self) -> Self {
        self.predefined = true;
        self
    }
    const fn family(mut self, lo: u8, hi: u8) -> Self {
        self.last_digit = Some((lo, hi));
        self
    }
    const fn req(mut self, req: &'static [&'static [&'static str]]) -> Self {
        self.req = req;
        self
    }
    const fn ex(mut self, ex: &'static [&'static str]) -> Self {
        self.ex = ex;
        self
    }
    const fn key(mut self, qualifiers: &'static [&'static [&'static str]]) -> Self {
        self.dl_key = Some(qualifiers);
        self
    }

    /// `true` when this entry defines `ai`.
    pub fn matches(&self, ai: &str) -> bool {
        match self.last_digit {
            None => self.ai == ai,
            Some((lo, hi)) => {
                ai.len() == self.ai.len() + 1
                    && ai.starts_with(self.ai)
                    && ai
                        .as_bytes()
                        .last()
                        .is_some_and(|b| (b'0' + lo..=b'0' + hi).contains(b))
            }
        }
    }

    /// Minimum and maximum total value length.
    pub fn length_range(&self) -> (usize, usize) {
        let min = self
            .components
            .iter()
            .filter(|c| !c.optional)
            .map(|c| usize::from(c.min))
            .sum();
        let max = self.components.iter().map(|c| usize::from(c.max)).sum();
        (min, max)
    }

    /// `true` when the value has a single fixed length.
    pub fn is_fixed_length(&self) -> bool {
        let (min, max) = self.length_range();
        min == max
    }

    /// `true` when this AI is a GS1 Digital Link primary key.
    pub fn is_dl_primary_key(&self) -> bool {
        self.dl_key.is_some()
    }
}

const NONE: &[&[&str]] = &[];
/// Trade item associations used by many attributes.
const TRADE: &[&[&str]] = &[&["01", "02", "8006", "8026"]];
const TRADE_NO_02: &[&[&str]] = &[&["01", "8006"]];
const TRADE_0102: &[&[&str]] = &[&["01", "02"]];
const LOGISTIC: &[&[&str]] = &[&["00", "01"]];

/// The Application Identifier table.
pub static AI_TABLE: &[AiDef] = &[
    AiDef::new("00", "SSCC", &[n(18).csum()]).fixed().key(NONE),
    AiDef::new("01", "GTIN", &[n(14).csum()])
        .fixed()
        .ex(&["02", "255", "37"])
        .key(&[&["22", "10", "21"], &["235"]]),
    AiDef::new("02", "CONTENT", &[n(14).csum()])
        .fixed()
        .req(&[&["37"]]),
    AiDef::new("10", "BATCH/LOT", &[xv(20)]).req(TRADE),
    AiDef::new("11", "PROD DATE", &[n(6).lint(Lint::Yymmd0)])
        .fixed()
        .req(TRADE),
    AiDef::new("12", "DUE DATE", &[n(6).lint(Lint::Yymmd0)])
        .fixed()
        .req(&[&["8020"]]),
    AiDef::new("13", "PACK DATE", &[n(6).lint(Lint::Yymmd0)])
        .fixed()
        .req(TRADE),
    AiDef::new("15", "BEST BEFORE or BEST BY", &[n(6).lint(Lint::Yymmd0)])
        .fixed()
        .req(TRADE),
    AiDef::new("16", "SELL BY", &[n(6).lint(Lint::Yymmd0)])
        .fixed()
        .req(TRADE),
    AiDef::new("17", "USE BY OR EXPIRY", &[n(6).lint(Lint::Yymmd0)])
        .fixed()
        .req(&[&["01", "02", "255", "8006", "8026"]]),
    AiDef::new("20", "VARIANT", &[n(2)]).fixed().req(TRADE),
    AiDef::new("21", "SERIAL", &[xv(20)])
        .req(TRADE_NO_02)
        .ex(&["235"]),
    AiDef::new("22", "CPV", &[xv(20)]).req(&[&["01"]]),
    AiDef::new("235", "TPX", &[xv(28)]).req(&[&["01"]]),
    AiDef::new("240", "ADDITIONAL ID", &[xv(30)]).req(TRADE),
    AiDef::new("241", "CUST. PART No.", &[xv(30)]).req(TRADE),
    AiDef::new("242", "MTO VARIANT", &[nv(6)]).req(TRADE),
    AiDef::new("243", "PCN", &[xv(20)]).req(&[&["01"]]),
    AiDef::new("250", "SECONDARY SERIAL", &[xv(30)]).req(&[&["01", "8006"], &["21"]]),
    AiDef::new("251", "REF. TO SOURCE", &[xv(30)]).req(TRADE_NO_02),
    AiDef::new("253", "GDTI", &[n(13).csum(), xv(17).opt()]).key(NONE),
    AiDef::new("254", "GLN EXTENSION COMPONENT", &[xv(20)]).req(&[&["414"]]),
    AiDef::new("255", "GCN", &[n(13).csum(), nv(12).opt()])
        .ex(&["01", "02", "415", "8006", "8020", "8026"])
        .key(NONE),
    AiDef::new("30", "VAR. COUNT", &[nv(8)]).req(TRADE_0102),
    // Trade measures (net weight, dimensions, volumes): 310n-316n, 320n-329n, 350n-357n, 360n-369n.
    AiDef::new("310", "NET WEIGHT (kg)", &[n(6)])
        .fixed()
        .family(0, 5)
        .req(TRADE_0102)
        .ex(&["310n"]),
    AiDef::new("311", "LENGTH (m)", &[n(6)])
        .fixed()
        .family(0, 5)
        .req(TRADE_0102)
        .ex(&["311n"]),
    AiDef::new("312", "WIDTH (m)", &[n(6)])
        .fixed()
        .family(0, 5)
        .req(TRADE_0102)
        .ex(&["312n"]),
    AiDef::new("313", "HEIGHT (m)", &[n(6)])
        .fixed()
        .family(0, 5)
        .req(TRADE_0102)
        .ex(&["313n"]),
    AiDef::new("314", "AREA (m²)", &[n(6)])
        .fixed()
        .family(0, 5)
        .req(TRADE_0102)
        .ex(&["314n"]),
    AiDef::new("315", "NET VOLUME (l)", &[n(6)])
        .fixed()
        .family(0, 5)
        .req(TRADE_0102)
        .ex(&["315n"]),
    AiDef::new("316", "NET VOLUME (m³)", &[n(6)])
        .fixed()
        .family(0, 5)
        .req(TRADE_0102)
        .ex(&["316n"]),
    AiDef::new("320", "NET WEIGHT (lb)", &[n(6)])
        .fixed()
        .family(0, 5)
        .req(TRADE_0102)
        .ex(&["320n"]),
    // Logistic measures: 330n-336n.
    AiDef::new("330", "GROSS WEIGHT (kg)", &[n(6)])
        .fixed()
        .family(0, 5)
        .req(LOGISTIC)
        .ex(&["330n"]),
    AiDef::new("331", "LENGTH (m), log", &[n(6)])
        .fixed()
        .family(0, 5)
        .req(LOGISTIC)
        .ex(&["331n"]),
    AiDef::new("332", "WIDTH (m), log", &[n(6)])
        .fixed()
        .family(0, 5)
        .req(LOGISTIC)
        .ex(&["332n"]),
    AiDef::new("333", "HEIGHT (m), log", &[n(6)])
        .fixed()
        .family(0, 5)
        .req(LOGISTIC)
        .ex(&["333n"]),
    AiDef::new("334", "AREA (m²), log", &[n(6)])
        .fixed()
        .family(0, 5)
        .req(LOGISTIC)
        .ex(&["334n"]),
    AiDef::new("335", "VOLUME (l), log", &[n(6)])
        .fixed()
        .family(0, 5)
        .req(LOGISTIC)
        .ex(&["335n"]),
    AiDef::new("336", "VOLUME (m³), log", &[n(6)])
        .fixed()
        .family(0, 5)
        .req(LOGISTIC)
        .ex(&["336n"]),
    AiDef::new("37", "COUNT", &[nv(8)]).req(&[&["00"], &["02", "8026"]]),
    AiDef::new("400", "ORDER NUMBER", &[xv(30)]),
    AiDef::new("401", "GINC", &[xv(30)]).key(NONE),
    AiDef::new("402", "GSIN", &[n(17).csum()]).key(NONE),
    AiDef::new("403", "ROUTE", &[xv(30)]).req(&[&["00"]]),
    AiDef::new("410", "SHIP TO LOC", &[n(13).csum()]).fixed(),
    AiDef::new("411", "BILL TO", &[n(13).csum()]).fixed(),
    AiDef::new("412", "PURCHASE FROM", &[n(13).csum()]).fixed(),
    AiDef::new("413", "SHIP FOR LOC", &[n(13).csum()]).fixed(),
    AiDef::new("414", "LOC No.", &[n(13).csum()])
        .fixed()
        .key(&[&["254"], &["7040"]]),
    AiDef::new("415", "PAY TO", &[n(13).csum()])
        .fixed()
        .req(&[&["8020"]])
        .key(&[&["8020"]]),
    AiDef::new("416", "PROD/SERV LOC", &[n(13).csum()]).fixed(),
    AiDef::new("417", "PARTY", &[n(13).csum()])
        .fixed()
        .key(&[&["7040"]]),
    AiDef::new("420", "SHIP TO POST", &[xv(20)]).ex(&["421"]),
    AiDef::new("421", "SHIP TO POST", &[n(3).lint(Lint::Iso3166), xv(9)]),
    AiDef::new("422", "ORIGIN", &[n(3).lint(Lint::Iso3166)])
        .req(TRADE)
        .ex(&["426"]),
    AiDef::new(
        "423",
        "COUNTRY - INITIAL PROCESS",
        &[nv(15).lint(Lint::Iso3166List)],
    )
    .req(TRADE_0102)
    .ex(&["426"]),
    AiDef::new("424", "COUNTRY - PROCESS", &[n(3).lint(Lint::Iso3166)])
        .req(TRADE_0102)
        .ex(&["426"]),
    AiDef::new(
        "425",
        "COUNTRY - DISASSEMBLY",
        &[nv(15).lint(Lint::Iso3166List)],
    )
    .req(TRADE_0102)
    .ex(&["426"]),
    AiDef::new("426", "COUNTRY - FULL PROCESS", &[n(3).lint(Lint::Iso3166)]).req(TRADE_0102),
    AiDef::new("427", "ORIGIN SUBDIVISION", &[xv(3)]).req(&[&["01", "02"], &["422"]]),
    AiDef::new("4307", "SHIP TO COUNTRY", &[x(2).lint(Lint::Iso3166Alpha2)]).req(&[&["00"]]),
    AiDef::new("4317", "RTN TO COUNTRY", &[x(2).lint(Lint::Iso3166Alpha2)]).req(&[&["00"]]),
    AiDef::new("4321", "DANGEROUS GOODS", &[n(1).lint(Lint::YesNo)]).req(&[&["00"]]),
    AiDef::new("7001", "NSN", &[n(13)]).req(TRADE),
    AiDef::new("7002", "MEAT CUT", &[xv(30)]).req(TRADE_0102),
    AiDef::new(
        "7003",
        "EXPIRY TIME",
        &[n(6).lint(Lint::Yymmdd), n(4).lint(Lint::Hhmm)],
    )
    .req(TRADE_0102),
    AiDef::new("7004", "ACTIVE POTENCY", &[nv(4)]).req(&[&["01"], &["10"]]),
    AiDef::new("7006", "FIRST FREEZE DATE", &[n(6).lint(Lint::Yymmdd)]).req(TRADE_0102),
    AiDef::new(
        "7007",
        "HARVEST DATE",
        &[n(6).lint(Lint::Yymmdd), n(6).lint(Lint::Yymmdd).opt()],
    )
    .req(TRADE_0102),
    AiDef::new(
        "7011",
        "TEST BY DATE",
        &[n(6).lint(Lint::Yymmdd), n(4).lint(Lint::Hhmm).opt()],
    )
    .req(TRADE_0102),
    AiDef::new("7020", "REFURB LOT", &[xv(20)]).req(&[&["01", "8006"], &["416"]]),
    AiDef::new("7021", "FUNC STAT", &[xv(20)]).req(TRADE_NO_02),
    AiDef::new("7022", "REV STAT", &[xv(20)]).req(&[&["7021"]]),
    AiDef::new("7023", "GIAI - ASSEMBLY", &[xv(30)]),
    AiDef::new(
        "703",
        "PROCESSOR # s",
        &[n(3).lint(Lint::Iso3166Or999), xv(27)],
    )
    .family(0, 9)
    .req(TRADE_0102),
    AiDef::new("7040", "UIC+EXT", &[n(1), x(1), x(1), x(1)]),
    AiDef::new("7230", "CERT # 1", &[x(2), xv(28)]).req(&[&["01", "8004"]]),
    AiDef::new("7231", "CERT # 2", &[x(2), xv(28)]).req(&[&["01", "8004"]]),
    AiDef::new("7232", "CERT # 3", &[x(2), xv(28)]).req(&[&["01", "8004"]]),
    AiDef::new("7240", "PROTOCOL", &[xv(20)]).req(TRADE_NO_02),
    AiDef::new("7241", "AIDC MEDIA TYPE", &[n(2)]).req(&[&["8017", "8018"]]),
    AiDef::new("7242", "VCN", &[xv(25)]).req(&[&["8017", "8018"]]),
    AiDef::new("8002", "CMT No.", &[xv(20)]),
    AiDef::new(
        "8003",
        "GRAI",
        &[n(1).lint(Lint::Zero), n(13).csum(), xv(16).opt()],
    )
    .key(NONE),
    AiDef::new("8004", "GIAI", &[xv(30)]).key(&[&["7040"]]),
    AiDef::new("8005", "PRICE PER UNIT", &[n(6)]).req(TRADE_0102),
    AiDef::new(
        "8006",
        "ITIP",
        &[n(14).csum(), n(4).lint(Lint::PieceOfTotal)],
    )
    .ex(&["01", "37"])
    .key(&[&["22", "10", "21"]]),
    AiDef::new("8007", "IBAN", &[xv(34)]).req(&[&["415"]]),
    AiDef::new(
        "8008",
        "PROD TIME",
        &[
            n(8).lint(Lint::Yymmddhh),
            Component::new(Charset::Numeric, 2, 4)
                .lint(Lint::Mmoptss)
                .opt(),
        ],
    )
    .req(TRADE_0102),
    AiDef::new("8009", "OPTSEN", &[xv(50)]).req(LOGISTIC),
    AiDef::new("8010", "CPID", &[yv(30)]).key(&[&["8011"]]),
    AiDef::new("8011", "CPID SERIAL", &[nv(12).lint(Lint::NoZeroPrefix)]).req(&[&["8010"]]),
    AiDef::new("8012", "VERSION", &[xv(20)]).req(TRADE_NO_02),
    AiDef::new("8013", "GMN", &[xv(25).lint(Lint::CsumAlpha)]).key(NONE),
    AiDef::new("8017", "GSRN - PROVIDER", &[n(18).csum()])
        .ex(&["8018"])
        .key(&[&["8019"]]),
    AiDef::new("8018", "GSRN - RECIPIENT", &[n(18).csum()])
        .ex(&["8017"])
        .key(&[&["8019"]]),
    AiDef::new("8019", "SRIN", &[nv(10)]).req(&[&["8017", "8018"]]),
    AiDef::new("8020", "REF No.", &[xv(25)]).req(&[&["415"]]),
    AiDef::new(
        "8026",
        "ITIP CONTENT",
        &[n(14).csum(), n(4).lint(Lint::PieceOfTotal)],
    )
    .req(&[&["37"]])
    .ex(&["02", "8006"]),
    AiDef::new("8030", "DIGSIG", &[zv(90)]).req(&[&[
        "00", "01", "253", "255", "8003", "8004", "8006", "8010", "8017", "8018",
    ]]),
    AiDef::new("8200", "PRODUCT URL", &[xv(70)]).req(&[&["01"]]),
    AiDef::new("90", "INTERNAL", &[xv(30)]),
    AiDef::new("9", "INTERNAL", &[xv(90)]).family(1, 9),
];

/// Looks up the definition of `ai`.
pub fn lookup(ai: &str) -> Option<&'static AiDef> {
    AI_TABLE.iter().find(|d| d.matches(ai))
}

/// Looks up `ai`, failing with [`Gs1Error::UnknownAi`].
pub fn require(ai: &str) -> Result<&'static AiDef, Gs1Error> {
    if ai.is_empty() || !ai.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Gs1Error::syntax(
            None,
            format!("{ai:?} is not an Application Identifier (2 to 4 digits)"),
        ));
    }
    lookup(ai).ok_or_else(|| Gs1Error::UnknownAi { ai: ai.into() })
}

/// The GS1 data title of `ai`, if known.
pub fn title(ai: &str) -> Option<&'static str> {
    lookup(ai).map(|d| d.title)
}

/// Finds the AI at the start of `s` (2 to 4 digits) by table lookup.
pub fn ai_prefix(s: &str) -> Option<(&'static AiDef, usize)> {
    (2..=4).find_map(|len| {
        let head = s.get(..len)?;
        if !head.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        lookup(head).map(|d| (d, len))
    })
}

/// `true` when `ai` matches `pattern`, where `n` in the pattern stands for any digit.
pub fn pattern_matches(pattern: &str, ai: &str) -> bool {
    pattern.len() == ai.len()
        && pattern
            .bytes()
            .zip(ai.bytes())
            .all(|(p, a)| p == a || (p == b'n' && a.is_ascii_digit()))
}

/// Validates `value` as the value of `ai`: length, character set, check digits, dates.
pub fn validate_value(ai: &str, value: &str) -> Result<(), Gs1Error> {
    let def = require(ai)?;
    validate_with(def, ai, value)
}

pub(crate) fn validate_with(def: &AiDef, ai: &str, value: &str) -> Result<(), Gs1Error> {
    if value.is_empty() {
        return Err(Gs1Error::Empty { field: ai.into() });
    }
    // All GS1 character sets are ASCII; report the first non-ASCII character.
    if let Some((i, ch)) = value.chars().enumerate().find(|(_, c)| !c.is_ascii()) {
        let allowed = def
            .components
            .iter()
            .map(|c| c.charset)
            .find(|c| *c != Charset::Numeric)
            .unwrap_or(Charset::Numeric)
            .name();
        return Err(Gs1Error::Character {
            field: ai.into(),
            ch,
            position: i + 1,
            allowed,
        });
    }
    let (min, max) = def.length_range();
    if value.len() < min || value.len() > max {
        return Err(Gs1Error::Length {
            field: ai.into(),
            expected: if min == max {
                min.to_string()
            } else {
                format!("{min} to {max}")
            },
            actual: value.len(),
        });
    }
    let mut offset = 0;
    for comp in def.components {
        let rest = &value[offset..];
        if rest.is_empty() && comp.optional {
            break;
        }
        let take = if comp.min == comp.max {
            usize::from(comp.max)
        } else {
            rest.len().min(usize::from(comp.max))
        };
        if rest.len() < take || take < usize::from(comp.min) {
            return Err(Gs1Error::Length {
                field: ai.into(),
                expected: if min == max {
                    min.to_string()
                } else {
                    format!("{min} to {max}")
                },
                actual: value.len(),
            });
        }
        let part = &rest[..take];
        if let Some((i, ch)) = part
            .chars()
            .enumerate()
            .find(|(_, c)| !comp.charset.contains(*c))
        {
            return Err(Gs1Error::Character {
                field: ai.into(),
                ch,
                position: offset + i + 1,
                allowed: comp.charset.name(),
            });
        }
        if let Some(lint) = comp.lint {
            apply_lint(lint, ai, part)?;
        }
        offset += take;
    }
    if offset != value.len() {
        return Err(Gs1Error::Length {
            field: ai.into(),
            expected: format!("{min} to {max}"),
            actual: value.len(),
        });
    }
    Ok(())
}

fn apply_lint(lint: Lint, ai: &str, part: &str) -> Result<(), Gs1Error> {
    let bad = |reason: &str| Gs1Error::syntax(Some(ai), reason);
    match lint {
        Lint::Csum => check::verify_check_digit(ai, part),
        Lint::CsumAlpha => check::verify_check_pair(ai, part),
        Lint::Yymmdd => check::check_yymmdd(ai, part, false),
        Lint::Yymmd0 => check::check_yymmdd(ai, part, true),
        Lint::Yymmddhh => {
            check::check_yymmdd(ai, part.get(..6).unwrap_or(""), false)?;
            check::check_hhmm(ai, part.get(6..).unwrap_or(""))
        }
        Lint::Hhmm => check::check_hhmm(ai, part),
        Lint::Mmoptss => {
            let b = part.as_bytes();
            let ok = (b.len() == 2 || b.len() == 4)
                && b.chunks(2).all(|c| c.first().is_some_and(|d| *d <= b'5'));
            if ok {
                Ok(())
            } else {
                Err(Gs1Error::Date {
                    field: ai.into(),
                    value: part.into(),
                    reason: "expected MM or MMSS, each 00-59".into(),
                })
            }
        }
        Lint::Zero => {
            if part == "0" {
                Ok(())
            } else {
                Err(bad("must start with the digit 0"))
            }
        }
        Lint::NoZeroPrefix => {
            if part.len() > 1 && part.starts_with('0') {
                Err(bad("must not start with 0"))
            } else {
                Ok(())
            }
        }
        Lint::PieceOfTotal => {
            let b = part.as_bytes();
            let num = |i: usize| {
                b.get(i..i + 2)
                    .map(|d| d.iter().fold(0u32, |a, x| a * 10 + u32::from(x - b'0')))
            };
            match (num(0), num(2)) {
                (Some(p), Some(t)) if p >= 1 && t >= 1 && p <= t => Ok(()),
                _ => Err(bad("piece number must be between 01 and the total")),
            }
        }
        Lint::Iso3166 | Lint::Iso3166Or999 => {
            if crate::iso3166::is_numeric_code(part)
                || (lint == Lint::Iso3166Or999 && part == "999")
            {
                Ok(())
            } else {
                Err(bad(&format!(
                    "{part:?} is not an ISO 3166-1 numeric country code"
                )))
            }
        }
        Lint::Iso3166List => {
            let ok = part.len().is_multiple_of(3)
                && part
                    .as_bytes()
                    .chunks(3)
                    .all(|c| std::str::from_utf8(c).is_ok_and(crate::iso3166::is_numeric_code));
            if ok {
                Ok(())
            } else {
                Err(bad("must be 1 to 5 ISO 3166-1 numeric country codes"))
            }
        }
        Lint::Iso3166Alpha2 => {
            if crate::iso3166::is_alpha2_code(part) {
                Ok(())
            } else {
                Err(bad(&format!(
                    "{part:?} is not an ISO 3166-1 alpha-2 country code"
                )))
            }
        }
        Lint::YesNo => {
            if part == "0" || part == "1" {
                Ok(())
            } else {
                Err(bad("must be 0 or 1"))
            }
        }
    }
}

/// Checks the mandatory associations and invalid pairs over a complete set of AIs.
pub fn check_associations<'a>(ais: impl Iterator<Item = &'a str> + Clone) -> Result<(), Gs1Error> {
    for ai in ais.clone() {
        let def = require(ai)?;
        for group in def.req {
            let satisfied = ais
                .clone()
                .any(|other| group.iter().any(|p| pattern_matches(p, other)));
            if !satisfied {
                return Err(Gs1Error::MissingAssociation {
                    ai: ai.into(),
                    requires: group
                        .iter()
                        .map(|p| format!("({p})"))
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
        }
        for pattern in def.ex {
            // An AI is not exclusive of itself when a pattern matches it.
            if let Some(other) = ais
                .clone()
                .find(|other| *other != ai && pattern_matches(pattern, other))
            {
                return Err(Gs1Error::InvalidPair {
                    ai: ai.into(),
                    other: other.into(),
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_consistent() {
        for d in AI_TABLE {
            assert!(!d.components.is_empty(), "{}", d.ai);
            // Only the last component may be variable-length or optional.
            let n = d.components.len();
            for (i, c) in d.components.iter().enumerate() {
                if i + 1 < n {
                    assert!(
                        c.min == c.max && !c.optional || d.ai == "7007" || d.ai == "8008",
                        "{}",
                        d.ai
                    );
                }
            }
            // Predefined-length AIs have a fixed length.
            if d.predefined {
                assert!(d.is_fixed_length(), "{}", d.ai);
            }
            // Qualifiers and patterns name known AIs.
            for seq in d.dl_key.unwrap_or(&[]) {
                for q in *seq {
                    assert!(lookup(q).is_some(), "{} qualifier {q}", d.ai);
                }
            }
        }
        // No two entries define the same AI.
        for (i, a) in AI_TABLE.iter().enumerate() {
            for b in &AI_TABLE[i + 1..] {
                for probe in [a.ai.to_string(), format!("{}0", a.ai), format!("{}9", a.ai)] {
                    assert!(!(a.matches(&probe) && b.matches(&probe)), "{probe}");
                }
            }
        }
    }
}
