//! The registry (master data): organizations, sites, product models, certificates,
//! batches. Inputs are plain deserializable structs; validation happens here, once.

use chrono::NaiveDate;
use domain::authz::{self, Actor};
use domain::cert::{CertificateKind, IssuerStatus};
use domain::error::require_text;
use domain::log_entry::LogEntry;
use domain::org::{Role, validate_company_prefix};
use domain::product::{PpeCategory, ServiceLifeFrom, validate_service_life_months};
use serde::Deserialize;
use serde_json::json;

use crate::{App, AppError, Result};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgInput {
    pub name: String,
    pub roles: Vec<String>,
    pub gln: Option<String>,
    pub uscc: Option<String>,
    #[serde(default)]
    pub company_prefixes: Vec<String>,
    pub city: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteInput {
    pub gln: String,
    pub name: String,
    pub city: Option<String>,
    pub region: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductInput {
    pub gtin: String,
    pub name: String,
    pub category: String,
    pub standard: String,
    pub protection_class: Option<String>,
    pub service_life_months: Option<u32>,
    pub service_life_from: Option<String>,
    /// Only administrators may register a product for another organization.
    pub org_id: Option<i64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateInput {
    pub gtin: String,
    pub kind: String,
    pub number: String,
    pub issuer: String,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    pub status: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchInput {
    pub gtin: String,
    pub lot: String,
    pub production_date: Option<NaiveDate>,
    pub expiry_date: Option<NaiveDate>,
}

fn opt_text(field: &str, v: &Option<String>, max: usize) -> Result<Option<String>> {
    match v {
        Some(s) if !s.trim().is_empty() => Ok(Some(require_text(field, s, max)?)),
        _ => Ok(None),
    }
}

fn log_fn<T: 'static>(
    kind: &'static str,
    time: chrono::DateTime<chrono::Utc>,
    actor: String,
    f: impl FnOnce(&T) -> (Vec<(String, String)>, serde_json::Value) + Send + 'static,
) -> store::LogFn<T> {
    Box::new(move |row: &T| {
        let (ids, record) = f(row);
        LogEntry::for_record(kind, time, &actor, ids, &record)
    })
}

/// The canonical record of an organization, as hashed into the log.
pub fn org_record(o: &store::Org) -> serde_json::Value {
    json!({"id": o.id, "name": o.name, "roles": o.roles, "gln": o.gln, "uscc": o.uscc,
           "company_prefixes": o.company_prefixes, "city": o.city})
}

/// The canonical record of a site, as hashed into the log (and re-checked by
/// `ppetrace audit --local`).
pub fn site_record(s: &store::Site) -> serde_json::Value {
    json!({"id": s.id, "org_id": s.org_id, "gln": s.gln, "name": s.name, "city": s.city, "region": s.region})
}

/// The canonical record of a product model, as hashed into the log.
pub fn product_record(p: &store::Product) -> serde_json::Value {
    json!({"id": p.id, "org_id": p.org_id, "gtin": p.gtin, "name": p.name, "category": p.category,
           "standard": p.standard, "protection_class": p.protection_class,
           "service_life_months": p.service_life_months, "service_life_from": p.service_life_from})
}

/// The canonical record of a certificate, as hashed into the log.
pub fn certificate_record(c: &store::Certificate) -> serde_json::Value {
    json!({"id": c.id, "org_id": c.org_id, "product_id": c.product_id, "kind": c.kind, "number": c.number,
           "issuer": c.issuer, "valid_from": c.valid_from, "valid_until": c.valid_until, "status": c.status})
}

/// The canonical record of a batch (its immutable fields), as hashed into the log.
pub fn batch_record(b: &store::Batch) -> serde_json::Value {
    json!({"id": b.id, "product_id": b.product_id, "lot": b.lot,
           "production_date": b.production_date, "expiry_date": b.expiry_date})
}

impl App {
    /// Registers an organization. `actor` is `None` only for the CLI bootstrap.
    pub async fn create_org(&self, actor: Option<&Actor>, input: &OrgInput) -> Result<store::Org> {
        if let Some(a) = actor {
            authz::manage_registry(a)?;
        }
        let name = require_text("name", &input.name, 200)?;
        let roles = input
            .roles
            .iter()
            .map(|r| r.parse::<Role>())
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let gln = match &input.gln {
            Some(g) => Some(
                gs1::Gln::parse(g)
                    .map_err(|e| domain::DomainError::gs1("gln", &e))?
                    .as_str()
                    .to_string(),
            ),
            None => None,
        };
        let uscc = match &input.uscc {
            Some(u) => Some(
                gs1::Uscc::parse(u)
                    .map_err(|e| domain::DomainError::gs1("uscc", &e))?
                    .as_str()
                    .to_string(),
            ),
            None => None,
        };
        for p in &input.company_prefixes {
            validate_company_prefix(p)?;
        }
        if roles.contains(&Role::Manufacturer) && input.company_prefixes.is_empty() {
            return Err(AppError::invalid(
                "company_prefixes",
                "a manufacturer needs at least one GS1 company prefix",
            ));
        }
        let city = opt_text("city", &input.city, 100)?;
        let now = self.clock.now();
        let actor_label = actor
            .map(Actor::label)
            .unwrap_or_else(|| "operator:cli".into());
        Ok(self
            .store
            .create_org(
                &store::NewOrg {
                    name,
                    roles,
                    gln,
                    uscc,
                    company_prefixes: input.company_prefixes.clone(),
                    city,
                    created_at: now,
                },
                log_fn("organization", now, actor_label, |o: &store::Org| {
                    (vec![("org".into(), o.id.to_string())], org_record(o))
                }),
            )
            .await?)
    }

    pub async fn get_org(&self, id: i64) -> Result<store::Org> {
        self.store
            .get_org(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("organization {id}")))
    }

    pub async fn create_site(
        &self,
        actor: &Actor,
        org_id: i64,
        input: &SiteInput,
    ) -> Result<store::Site> {
        authz::manage_org(actor, org_id)?;
        self.get_org(org_id).await?;
        let gln = gs1::Gln::parse(&input.gln).map_err(|e| domain::DomainError::gs1("gln", &e))?;
        let name = require_text("name", &input.name, 200)?;
        if let Some(lat) = input.latitude
            && !(-90.0..=90.0).contains(&lat)
        {
            return Err(AppError::invalid("latitude", "must be between -90 and 90"));
        }
        if let Some(lon) = input.longitude
            && !(-180.0..=180.0).contains(&lon)
        {
            return Err(AppError::invalid(
                "longitude",
                "must be between -180 and 180",
            ));
        }
        let now = self.clock.now();
        Ok(self
            .store
            .create_site(
                &store::NewSite {
                    org_id,
                    gln: gln.as_str().to_string(),
                    name,
                    city: opt_text("city", &input.city, 100)?,
                    region: opt_text("region", &input.region, 100)?,
                    latitude: input.latitude,
                    longitude: input.longitude,
                    created_at: now,
                },
                log_fn("site", now, actor.label(), |s: &store::Site| {
                    (
                        vec![
                            ("site".into(), s.id.to_string()),
                            ("gln".into(), s.gln.clone()),
                        ],
                        site_record(s),
                    )
                }),
            )
            .await?)
    }

    pub async fn create_product(
        &self,
        actor: &Actor,
        input: &ProductInput,
    ) -> Result<store::Product> {
        let owner = match input.org_id {
            Some(id) if id != actor.org_id => {
                if !actor.admin {
                    return Err(AppError::Forbidden(
                        "a manufacturer may only register its own products".into(),
                    ));
                }
                id
            }
            _ => actor.org_id,
        };
        authz::manage_products(actor, owner)?;
        let org = self.get_org(owner).await?;
        let gtin =
            gs1::Gtin::parse(&input.gtin).map_err(|e| domain::DomainError::gs1("gtin", &e))?;
        if !org
            .company_prefixes
            .iter()
            .any(|p| gtin.as_str()[1..].starts_with(p.as_str()))
        {
            return Err(AppError::invalid(
                "gtin",
                format!(
                    "GTIN {} is not under the organization's GS1 company prefixes",
                    gtin.as_str()
                ),
            ));
        }
        let category = PpeCategory::parse(&input.category)?;
        let standard = require_text("standard", &input.standard, 100)?;
        let months = input
            .service_life_months
            .map(validate_service_life_months)
            .transpose()?;
        let from = match &input.service_life_from {
            Some(s) => ServiceLifeFrom::parse(s)?,
            None => ServiceLifeFrom::default(),
        };
        let now = self.clock.now();
        Ok(self
            .store
            .create_product(
                &store::NewProduct {
                    org_id: owner,
                    gtin: gtin.as_str().to_string(),
                    name: require_text("name", &input.name, 200)?,
                    category: category.as_str().to_string(),
                    standard,
                    protection_class: opt_text("protection_class", &input.protection_class, 50)?,
                    service_life_months: months,
                    service_life_from: from.as_str().to_string(),
                    created_at: now,
                },
                log_fn("product", now, actor.label(), |p: &store::Product| {
                    (
                        vec![
                            ("product".into(), p.id.to_string()),
                            ("gtin".into(), p.gtin.clone()),
                        ],
                        product_record(p),
                    )
                }),
            )
            .await?)
    }

    pub async fn product_by_gtin(&self, gtin: &str) -> Result<store::Product> {
        let gtin = gs1::Gtin::parse(gtin).map_err(|e| domain::DomainError::gs1("gtin", &e))?;
        self.store
            .get_product_by_gtin(gtin.as_str())
            .await?
            .ok_or_else(|| AppError::NotFound(format!("product with GTIN {}", gtin.as_str())))
    }

    pub async fn create_certificate(
        &self,
        actor: &Actor,
        input: &CertificateInput,
    ) -> Result<store::Certificate> {
        let product = self.product_by_gtin(&input.gtin).await?;
        authz::register_certificate(actor, product.org_id)?;
        let kind = CertificateKind::parse(&input.kind)?;
        kind.validate_number(&input.number)?;
        domain::cert::validate_window(kind, input.valid_from, input.valid_until)?;
        let status = match &input.status {
            Some(s) => IssuerStatus::parse(s)?,
            None => IssuerStatus::Valid,
        };
        let now = self.clock.now();
        Ok(self
            .store
            .create_certificate(
                &store::NewCertificate {
                    org_id: product.org_id,
                    product_id: Some(product.id),
                    kind: kind.as_str().to_string(),
                    number: input.number.trim().to_string(),
                    issuer: require_text("issuer", &input.issuer, 200)?,
                    valid_from: input.valid_from,
                    valid_until: input.valid_until,
                    status: status.as_str().to_string(),
                    created_at: now,
                },
                log_fn(
                    "certificate",
                    now,
                    actor.label(),
                    |c: &store::Certificate| {
                        (
                            vec![
                                ("certificate".into(), c.id.to_string()),
                                ("number".into(), c.number.clone()),
                            ],
                            certificate_record(c),
                        )
                    },
                ),
            )
            .await?)
    }

    pub async fn create_batch(&self, actor: &Actor, input: &BatchInput) -> Result<store::Batch> {
        let product = self.product_by_gtin(&input.gtin).await?;
        authz::manage_products(actor, product.org_id)?;
        let lot = gs1::Lot::parse(&input.lot).map_err(|e| domain::DomainError::gs1("lot", &e))?;
        if let (Some(p), Some(e)) = (input.production_date, input.expiry_date)
            && e < p
        {
            return Err(AppError::invalid(
                "expiry_date",
                "must not be before production_date",
            ));
        }
        let now = self.clock.now();
        let gtin = product.gtin.clone();
        Ok(self
            .store
            .create_batch(
                &store::NewBatch {
                    product_id: product.id,
                    lot: lot.as_str().to_string(),
                    production_date: input.production_date,
                    expiry_date: input.expiry_date,
                    created_at: now,
                },
                log_fn("batch", now, actor.label(), move |b: &store::Batch| {
                    (
                        vec![
                            ("batch".into(), b.id.to_string()),
                            ("gtin".into(), gtin),
                            ("lot".into(), b.lot.clone()),
                        ],
                        batch_record(b),
                    )
                }),
            )
            .await?)
    }

    /// A batch with the product it belongs to; `NotFound` if either is missing.
    pub async fn batch_with_product(
        &self,
        batch_id: i64,
    ) -> Result<(store::Batch, store::Product)> {
        let batch = self
            .store
            .get_batch(batch_id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("batch {batch_id}")))?;
        let product = self
            .store
            .get_product(batch.product_id)
            .await?
            .ok_or_else(|| AppError::Internal(format!("batch {batch_id} has no product")))?;
        Ok((batch, product))
    }
}
