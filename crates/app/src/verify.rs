//! Verification of a scanned code: the resolver's answer.

use chrono::{DateTime, NaiveDate, Utc};
use domain::cert::{IssuerStatus, certificate_status};
use domain::product::ServiceLifeFrom;
use domain::verify::{CodeFacts, CodeState, Facts, Reason, RecallFacts, Verdict, decide};
use serde::Serialize;

use crate::{App, AppError, Result};

#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub verdict: Verdict,
    pub safe_to_use: bool,
    pub reasons: Vec<Reason>,
    pub code: ScannedCode,
    pub product: Option<ProductInfo>,
    pub manufacturer: Option<OrgInfo>,
    pub batch: Option<BatchInfo>,
    pub certificates: Vec<CertInfo>,
    pub use_by: Option<NaiveDate>,
    pub checked_at: DateTime<Utc>,
    /// Earlier informational look-ups of this code (known codes only).
    pub scans: Option<crate::scans::ScanSummary>,
}

/// Whether a verification is a scan to record (anyone looking at an item) or a
/// status check that records nothing and raises no alert (systems that only read).
#[derive(Debug, Clone)]
pub enum ScanMode {
    Record(crate::scans::ScanInput),
    StatusOnly,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScannedCode {
    pub gtin: String,
    pub lot: Option<String>,
    pub serial: String,
    pub digital_link: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProductInfo {
    pub gtin: String,
    pub name: String,
    pub category: String,
    pub standard: String,
    pub protection_class: Option<String>,
    pub service_life_months: Option<u32>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OrgInfo {
    pub id: i64,
    pub name: String,
    pub gln: Option<String>,
    pub uscc: Option<String>,
    pub city: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BatchInfo {
    pub lot: String,
    pub production_date: Option<NaiveDate>,
    pub expiry_date: Option<NaiveDate>,
    pub recalled_on: Option<NaiveDate>,
    pub recall_reason: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CertInfo {
    pub kind: String,
    pub number: String,
    pub issuer: String,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    pub status: &'static str,
}

impl App {
    /// Verifies a code given by its parts (as in a Digital Link path). Syntax errors
    /// are `Invalid`; a well-formed code nobody issued is verdict `unknown`, answered
    /// with the same lookups as a known one so timing does not tell them apart.
    pub async fn verify(
        &self,
        gtin: &str,
        lot: Option<&str>,
        serial: &str,
        mode: &ScanMode,
    ) -> Result<Outcome> {
        let gtin = gs1::Gtin::parse(gtin).map_err(|e| domain::DomainError::gs1("gtin", &e))?;
        let serial =
            gs1::Serial::parse(serial).map_err(|e| domain::DomainError::gs1("serial", &e))?;
        let lot = lot
            .map(|l| gs1::Lot::parse(l).map_err(|e| domain::DomainError::gs1("lot", &e)))
            .transpose()?;
        let now = self.clock.now();
        // One read for everything (product, code and batch, manufacturer,
        // certificates, the code's scan history and its batch's norm): the same
        // statements run whether or not the serial exists, so timing does not tell.
        let store::scans::VerifyRead {
            product,
            code,
            org: manufacturer,
            certificates,
            recent,
            code_buckets,
            batch_stats,
            shipped_regions,
        } = self
            .store
            .verify_read(
                gtin.as_str(),
                serial.as_str(),
                self.config.scans.history_limit,
            )
            .await?;
        let (manufacturer, certificates) = if product.is_some() {
            (manufacturer, certificates)
        } else {
            (None, Vec::new())
        };
        let scanned = ScannedCode {
            gtin: gtin.as_str().to_string(),
            lot: lot.as_ref().map(|l| l.as_str().to_string()),
            serial: serial.as_str().to_string(),
            digital_link: gs1::DigitalLink::sgtin(&gtin, lot.as_ref(), &serial)
                .to_uri(&self.config.public_base_url),
        };
        let facts = Facts {
            scanned_lot: scanned.lot.clone(),
            code: match (&product, &code) {
                (Some(p), Some(c)) => Some(code_facts(p, c)?),
                _ => None,
            },
        };
        let mut decision = decide(&facts, now.date_naive());
        let known = facts.code.is_some();
        let mut scans = None;
        if let (Some(p), Some(c)) = (&product, &code) {
            let input = match mode {
                ScanMode::Record(i) => Some(i.clone()),
                ScanMode::StatusOnly => None,
            };
            let place = input
                .as_ref()
                .map(|i| {
                    domain::scan::Place::coarse(
                        i.lat,
                        i.lon,
                        clean_place(&i.city),
                        clean_place(&i.region),
                    )
                })
                .unwrap_or_default();
            let scan = store::scans::NewScan {
                product_id: p.id,
                serial: c.serial.clone(),
                batch_id: c.batch.id,
                at: now,
                kind: store::scans::SCAN_INFORMATIONAL,
                org_id: None,
                step: None,
                lat: place.lat,
                lon: place.lon,
                city: place.city.clone(),
                region: place.region.clone(),
                place_key: place.bucket_key(),
            };
            let scrapped = facts
                .code
                .as_ref()
                .is_some_and(|f| f.state == CodeState::Scrapped);
            let eval = self.evaluate_with(
                &scan,
                scrapped,
                &recent,
                batch_stats,
                code_buckets,
                shipped_regions,
            );
            if input.is_some() {
                for (signal, between_auth) in &eval.signals {
                    // A clone indicator turns an otherwise usable answer into
                    // "suspicious"; recalled or scrapped items already say "do not use".
                    let usable = matches!(
                        decision.verdict,
                        Verdict::Genuine | Verdict::Expired | Verdict::NotReleased
                    );
                    if signal.makes_suspicious(*between_auth) && usable {
                        if decision.verdict == Verdict::Genuine {
                            decision.reasons.clear();
                        }
                        decision.verdict = Verdict::Suspicious;
                    }
                    decision.reasons.push(Reason {
                        code: signal.cause(),
                        message: signal.explain(false),
                        message_zh: signal.explain(true),
                    });
                }
                self.raise_alerts(&scan, p.org_id, &eval.signals).await?;
                self.queue_scan(scan);
            }
            scans = Some(eval.summary);
        }
        Ok(Outcome {
            verdict: decision.verdict,
            safe_to_use: decision.verdict.safe_to_use(),
            reasons: decision.reasons,
            code: scanned,
            // An unknown serial reveals nothing beyond "unknown": no product or
            // manufacturer details, so the answer cannot confirm a guessed GTIN's owner.
            product: product.as_ref().filter(|_| known).map(|p| ProductInfo {
                gtin: p.gtin.clone(),
                name: p.name.clone(),
                category: p.category.clone(),
                standard: p.standard.clone(),
                protection_class: p.protection_class.clone(),
                service_life_months: p.service_life_months,
            }),
            manufacturer: manufacturer.filter(|_| known).map(|o| OrgInfo {
                id: o.id,
                name: o.name,
                gln: o.gln,
                uscc: o.uscc,
                city: o.city,
            }),
            batch: code.as_ref().filter(|_| known).map(|c| BatchInfo {
                lot: c.batch.lot.clone(),
                production_date: c.batch.production_date,
                expiry_date: c.batch.expiry_date,
                recalled_on: c.batch.recalled_on,
                recall_reason: c.batch.recall_reason.clone(),
            }),
            certificates: if known {
                certificates
                    .into_iter()
                    .map(|c| CertInfo {
                        status: certificate_status(
                            IssuerStatus::parse(&c.status).unwrap_or(IssuerStatus::Suspended),
                            c.valid_from,
                            c.valid_until,
                            now.date_naive(),
                        )
                        .as_str(),
                        kind: c.kind,
                        number: c.number,
                        issuer: c.issuer,
                        valid_from: c.valid_from,
                        valid_until: c.valid_until,
                    })
                    .collect()
            } else {
                Vec::new()
            },
            use_by: decision.use_by,
            checked_at: now,
            scans,
        })
    }

    /// Verifies a code given in any GS1 form (Digital Link URI, element string, URN).
    pub async fn verify_text(&self, text: &str, mode: &ScanMode) -> Result<Outcome> {
        let data = gs1::parse_any(text).map_err(|e| domain::DomainError::gs1("code", &e))?;
        let (Some(gtin), Some(serial)) = (data.get("01"), data.get("21")) else {
            return Err(AppError::invalid(
                "code",
                "a verifiable code needs a GTIN (01) and a serial (21)",
            ));
        };
        self.verify(gtin, data.get("10"), serial, mode).await
    }
}

/// City and region names are free text from the caller: short, printable, trimmed.
fn clean_place(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.chars().count() <= 60 && !t.chars().any(char::is_control))
        .map(String::from)
}

fn code_facts(p: &store::Product, c: &store::CodeView) -> Result<CodeFacts> {
    let stored = CodeState::from_i16(c.state).ok_or_else(|| {
        AppError::Internal(format!("code {} has unknown state {}", c.serial, c.state))
    })?;
    // A batch released as a whole counts as commissioned.
    let state = if stored == CodeState::Issued && c.batch.released {
        CodeState::Active
    } else {
        stored
    };
    Ok(CodeFacts {
        state,
        lot: c.batch.lot.clone(),
        recalled: c.batch.recalled_on.map(|date| RecallFacts {
            date,
            reason: c.batch.recall_reason.clone().unwrap_or_default(),
        }),
        production_date: c.batch.production_date,
        expiry_date: c.batch.expiry_date,
        service_life_months: p.service_life_months,
        service_life_from: ServiceLifeFrom::parse(&p.service_life_from).unwrap_or_default(),
        first_use: c.first_use,
    })
}
