//! The demo data set behind `ppetrace serve --demo`: a helmet maker, a harness maker,
//! a distributor, an employer, a regulator, certificates, batches, a few hundred coded
//! items with supply-chain events, one recalled batch and one expired batch, and (in
//! [`catalog`]) eight more manufacturers across the PPE categories. Dates are relative
//! to the clock so the verdicts stay true whenever the demo runs. `serve --demo`
//! starts with several hundred entries in the tamper-evident log.

use chrono::{Duration, NaiveDate};
use domain::authz::Actor;

mod catalog;

use crate::lifecycle::StepInput;
use crate::registry::{BatchInput, CertificateInput, OrgInput, ProductInput, SiteInput};
use crate::{App, AppError, Result};

/// What the demo prints for a person to try.
#[derive(Debug, Clone)]
pub struct DemoInfo {
    pub genuine_url: String,
    pub recalled_url: String,
    pub expired_url: String,
    pub fake_url: String,
    pub admin_key: String,
    pub manufacturer_key: String,
    pub employer_key: String,
    /// The regulator's API key (registers, draws, mailbox handlers).
    pub regulator_key: String,
    /// Console users (role, username, password).
    pub console_users: Vec<crate::users::DemoUser>,
}

fn with_check(body: &str) -> Result<String> {
    let d = gs1::check_digit(body).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(format!("{body}{d}"))
}

fn uscc(prefix8: &str, org8: &str) -> Result<String> {
    let internal = |e: gs1::Gs1Error| AppError::Internal(e.to_string());
    let org = format!(
        "{org8}{}",
        gs1::uscc::org_code_check_char(org8).map_err(internal)?
    );
    let body = format!("{prefix8}{org}");
    Ok(format!(
        "{body}{}",
        gs1::uscc::uscc_check_char(&body).map_err(internal)?
    ))
}

struct Party {
    actor: Actor,
    key: String,
    site_gln: String,
}

impl App {
    async fn demo_party(
        &self,
        org: OrgInput,
        site_name: &str,
        site_body: &str,
        city: &str,
        lat: f64,
        lon: f64,
    ) -> Result<Party> {
        let o = self.create_org(None, &org).await?;
        let key = self.create_api_key(None, o.id, false, "demo key").await?;
        let actor = self.authenticate(&key.secret).await?;
        let site_gln = with_check(site_body)?;
        self.create_site(
            &actor,
            o.id,
            &SiteInput {
                gln: site_gln.clone(),
                name: site_name.into(),
                city: Some(city.into()),
                region: None,
                latitude: Some(lat),
                longitude: Some(lon),
            },
        )
        .await?;
        Ok(Party {
            actor,
            key: key.secret,
            site_gln,
        })
    }

    /// Seeds the demo into an empty store.
    pub async fn seed_demo(&self) -> Result<DemoInfo> {
        if !self.store.list_orgs().await?.is_empty() {
            return Err(AppError::Conflict(
                "the demo needs an empty database".into(),
            ));
        }
        let today = self.clock.today();
        let days = |n: i64| -> NaiveDate { today - Duration::days(n) };

        let operator = self
            .create_org(
                None,
                &OrgInput {
                    name: "ppetrace platform operator".into(),
                    roles: vec![],
                    gln: None,
                    uscc: None,
                    company_prefixes: vec![],
                    city: Some("Beijing".into()),
                },
            )
            .await?;
        let admin = self
            .create_api_key(None, operator.id, true, "demo administrator")
            .await?;

        let org = |name: &str,
                   roles: &[&str],
                   gln: String,
                   uscc: String,
                   prefixes: &[&str],
                   city: &str| OrgInput {
            name: name.into(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            gln: Some(gln),
            uscc: Some(uscc),
            company_prefixes: prefixes.iter().map(|p| p.to_string()).collect(),
            city: Some(city.into()),
        };
        let helmets = self
            .demo_party(
                org(
                    "Haicheng Helmet Works Co., Ltd. 海城安全帽有限公司",
                    &["manufacturer"],
                    with_check("690123400000")?,
                    uscc("91210381", "MA0HX001")?,
                    &["6901234"],
                    "Anshan",
                ),
                "Haicheng factory",
                "690123400001",
                "Anshan",
                40.85,
                122.74,
            )
            .await?;
        let harness = self
            .demo_party(
                org(
                    "Zhongyuan Fall Arrest Equipment Co. 中原防坠落设备公司",
                    &["manufacturer"],
                    with_check("692123400000")?,
                    uscc("91410100", "MA0YA002")?,
                    &["6921234"],
                    "Zhengzhou",
                ),
                "Zhengzhou plant",
                "692123400001",
                "Zhengzhou",
                34.75,
                113.62,
            )
            .await?;
        let distributor = self
            .demo_party(
                org(
                    "North China Safety Supply 华北劳保供应",
                    &["distributor"],
                    with_check("693123400000")?,
                    uscc("91130100", "MA0DH003")?,
                    &[],
                    "Shijiazhuang",
                ),
                "Shijiazhuang warehouse",
                "693123400001",
                "Shijiazhuang",
                38.04,
                114.51,
            )
            .await?;
        let employer = self
            .demo_party(
                org(
                    "Jiangbei Construction Group 江北建工集团",
                    &["employer"],
                    with_check("694123400000")?,
                    uscc("91420100", "MA0JB004")?,
                    &[],
                    "Wuhan",
                ),
                "Jiangbei tower site",
                "694123400001",
                "Wuhan",
                30.59,
                114.30,
            )
            .await?;
        let regulator = self
            .demo_party(
                org(
                    "Hubei Emergency Management Department 湖北省应急管理厅",
                    &["regulator"],
                    with_check("695123400000")?,
                    uscc("11420000", "00001101")?,
                    &[],
                    "Wuhan",
                ),
                "Wuhan office",
                "695123400001",
                "Wuhan",
                30.55,
                114.34,
            )
            .await?;

        let helmet = self
            .create_product(
                &helmets.actor,
                &ProductInput {
                    gtin: with_check("0690123400001")?,
                    name: "HX-3 ABS safety helmet 安全帽".into(),
                    category: "head".into(),
                    standard: "GB 2811-2019".into(),
                    protection_class: Some("Class Y (ordinary)".into()),
                    service_life_months: Some(30),
                    service_life_from: Some("manufacture".into()),
                    org_id: None,
                },
            )
            .await?;
        let harness_model = self
            .create_product(
                &harness.actor,
                &ProductInput {
                    gtin: with_check("0692123400001")?,
                    name: "ZY-5 full-body harness 全身式安全带".into(),
                    category: "fall_protection".into(),
                    standard: "GB 6095-2021".into(),
                    protection_class: Some("Type A".into()),
                    service_life_months: Some(60),
                    service_life_from: Some("first_use".into()),
                    org_id: None,
                },
            )
            .await?;
        self.create_certificate(
            &helmets.actor,
            &CertificateInput {
                gtin: helmet.gtin.clone(),
                kind: "la_mark".into(),
                number: "23-01-004217".into(),
                issuer: "Special Safety Mark Management Center 特种劳动防护用品安全标志管理中心"
                    .into(),
                valid_from: days(400),
                valid_until: days(400) + Duration::days(4 * 365),
                status: None,
            },
        )
        .await?;
        self.create_certificate(
            &harness.actor,
            &CertificateInput {
                gtin: harness_model.gtin.clone(),
                kind: "eu_type_examination".into(),
                number: "0299/PSA/24-1187".into(),
                issuer: "Notified Body 0299".into(),
                valid_from: days(300),
                valid_until: days(300) + Duration::days(5 * 365 - 2),
                status: None,
            },
        )
        .await?;

        let batch = |gtin: &str, lot: &str, produced: i64, expiry: Option<NaiveDate>| BatchInput {
            gtin: gtin.into(),
            lot: lot.into(),
            production_date: Some(days(produced)),
            expiry_date: expiry,
        };
        let none = |_: u64| {};
        // Current helmets: genuine.
        let h_ok = self
            .create_batch(&helmets.actor, &batch(&helmet.gtin, "HX25A", 60, None))
            .await?;
        self.issue_codes(&helmets.actor, h_ok.id, 200, &none)
            .await?;
        self.release_batch(&helmets.actor, h_ok.id, &helmets.site_gln)
            .await?;
        // A batch recalled for cracking shells.
        let h_bad = self
            .create_batch(&helmets.actor, &batch(&helmet.gtin, "HX24R", 200, None))
            .await?;
        self.issue_codes(&helmets.actor, h_bad.id, 50, &none)
            .await?;
        self.release_batch(&helmets.actor, h_bad.id, &helmets.site_gln)
            .await?;
        // Old helmets past their 30-month service life.
        let h_old = self
            .create_batch(&helmets.actor, &batch(&helmet.gtin, "HX22C", 1000, None))
            .await?;
        self.issue_codes(&helmets.actor, h_old.id, 20, &none)
            .await?;
        self.release_batch(&helmets.actor, h_old.id, &helmets.site_gln)
            .await?;
        // Harnesses, commissioned item by item.
        let f_ok = self
            .create_batch(
                &harness.actor,
                &batch(
                    &harness_model.gtin,
                    "ZY25B",
                    30,
                    Some(today + Duration::days(3650)),
                ),
            )
            .await?;
        self.issue_codes(&harness.actor, f_ok.id, 60, &none).await?;

        let uris = |b: &store::Batch, p: &store::Product, n: u32| {
            let b = b.clone();
            let p = p.clone();
            async move {
                let serials = self.store.batch_serials(b.id, None, n).await?;
                let gtin =
                    gs1::Gtin::parse(&p.gtin).map_err(|e| AppError::Internal(e.to_string()))?;
                let lot = gs1::Lot::parse(&b.lot).map_err(|e| AppError::Internal(e.to_string()))?;
                serials
                    .iter()
                    .map(|s| {
                        let serial =
                            gs1::Serial::parse(s).map_err(|e| AppError::Internal(e.to_string()))?;
                        Ok(self.code_uri(&gtin, &lot, &serial))
                    })
                    .collect::<Result<Vec<String>>>()
            }
        };
        let helmet_uris = uris(&h_ok, &helmet, 40).await?;
        let recalled_uris = uris(&h_bad, &helmet, 20).await?;
        let harness_uris = uris(&f_ok, &harness_model, 60).await?;

        let step =
            |step: &str, items: &[String], site: &str, dest: Option<&str>, src: Option<&str>| {
                StepInput {
                    step: step.into(),
                    items: items.to_vec(),
                    site_gln: site.into(),
                    destination_gln: dest.map(String::from),
                    source_gln: src.map(String::from),
                    event_time: None,
                }
            };
        self.record_step(
            &harness.actor,
            &step(
                "commissioning",
                &harness_uris,
                &harness.site_gln,
                None,
                None,
            ),
        )
        .await?;
        // Factory → distributor → employer, for helmets, recalled helmets and harnesses.
        for (maker, items) in [
            (&helmets, &helmet_uris),
            (&helmets, &recalled_uris),
            (&harness, &harness_uris),
        ] {
            self.record_step(
                &maker.actor,
                &step(
                    "shipping",
                    items,
                    &maker.site_gln,
                    Some(&distributor.site_gln),
                    None,
                ),
            )
            .await?;
            self.record_step(
                &distributor.actor,
                &step(
                    "receiving",
                    items,
                    &distributor.site_gln,
                    None,
                    Some(&maker.site_gln),
                ),
            )
            .await?;
            let half = &items[..items.len() / 2];
            self.record_step(
                &distributor.actor,
                &step(
                    "shipping",
                    half,
                    &distributor.site_gln,
                    Some(&employer.site_gln),
                    None,
                ),
            )
            .await?;
            self.record_step(
                &employer.actor,
                &step(
                    "receiving",
                    half,
                    &employer.site_gln,
                    None,
                    Some(&distributor.site_gln),
                ),
            )
            .await?;
        }
        // One worn-out harness scrapped by the employer.
        self.record_step(
            &employer.actor,
            &step(
                "scrapping",
                &harness_uris[..1],
                &employer.site_gln,
                None,
                None,
            ),
        )
        .await?;
        self.seed_demo_catalog(&distributor).await?;
        self.recall_batch(&helmets.actor, h_bad.id, "Shell cracks in cold-impact test at -20 °C; stop use and return 帽壳低温冲击试验开裂，请停止使用并退回", None)
            .await?;

        let old_serial = self.store.batch_serials(h_old.id, None, 1).await?;
        let expired_url = match old_serial.first() {
            Some(s) => {
                let gtin = gs1::Gtin::parse(&helmet.gtin)
                    .map_err(|e| AppError::Internal(e.to_string()))?;
                let lot =
                    gs1::Lot::parse(&h_old.lot).map_err(|e| AppError::Internal(e.to_string()))?;
                let serial =
                    gs1::Serial::parse(s).map_err(|e| AppError::Internal(e.to_string()))?;
                self.code_uri(&gtin, &lot, &serial)
            }
            None => return Err(AppError::Internal("demo batch has no codes".into())),
        };
        let fake = {
            let gtin =
                gs1::Gtin::parse(&helmet.gtin).map_err(|e| AppError::Internal(e.to_string()))?;
            let lot = gs1::Lot::parse("HX25A").map_err(|e| AppError::Internal(e.to_string()))?;
            let serial = domain::serial::generate(&mut rand::rng());
            self.code_uri(&gtin, &lot, &serial)
        };
        let first = |v: &[String]| {
            v.first()
                .cloned()
                .ok_or_else(|| AppError::Internal("demo batch has no codes".into()))
        };
        // The employer's PPE ledger (see ledger.rs).
        self.seed_demo_ledger(
            &employer.actor,
            &employer.site_gln,
            &helmet_uris,
            &recalled_uris,
            &harness_uris,
        )
        .await?;
        let console_users = self
            .seed_demo_users(
                &regulator.actor,
                helmets.actor.org_id,
                employer.actor.org_id,
            )
            .await?;
        Ok(DemoInfo {
            console_users,
            genuine_url: first(&helmet_uris[helmet_uris.len() / 2..])?,
            recalled_url: first(&recalled_uris)?,
            expired_url,
            fake_url: fake,
            admin_key: admin.secret,
            manufacturer_key: helmets.key,
            employer_key: employer.key,
            regulator_key: regulator.key,
        })
    }
}
