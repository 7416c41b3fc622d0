//! The wider demo catalogue: eight more manufacturers across the PPE categories of
//! GB 39800.1-2020, each with a certified product model, two batches of coded items
//! and shipments to the distributor carton by carton. It gives the portal, the
//! statistics and the tamper-evident log (hundreds of entries) something real to show.

use chrono::Duration;

use super::{Party, uscc, with_check};
use crate::lifecycle::StepInput;
use crate::registry::{BatchInput, CertificateInput, OrgInput, ProductInput};
use crate::{App, Result};

struct Maker {
    name: &'static str,
    city: &'static str,
    lat: f64,
    lon: f64,
    region: &'static str,
    product: &'static str,
    category: &'static str,
    standard: &'static str,
    class: &'static str,
    life_months: u32,
    life_from: &'static str,
}

const MAKERS: &[Maker] = &[
    Maker {
        name: "Suzhou Clearbreath Respirator Co. 苏州清息呼吸防护有限公司",
        city: "Suzhou",
        lat: 31.30,
        lon: 120.59,
        region: "91320500",
        product: "KN95 self-priming filter respirator 自吸过滤式防颗粒物呼吸器",
        category: "respiratory",
        standard: "GB 2626-2019",
        class: "KN95",
        life_months: 36,
        life_from: "manufacture",
    },
    Maker {
        name: "Jinjiang Safety Footwear Co. 晋江安全鞋业有限公司",
        city: "Quanzhou",
        lat: 24.78,
        lon: 118.55,
        region: "91350500",
        product: "SB-P steel-toe safety shoe 钢包头防刺穿安全鞋",
        category: "foot",
        standard: "GB 21148-2020",
        class: "SB P",
        life_months: 24,
        life_from: "first_use",
    },
    Maker {
        name: "Gaomi Protective Gloves Co. 高密防护手套有限公司",
        city: "Weifang",
        lat: 36.38,
        lon: 119.75,
        region: "91370700",
        product: "Cut-resistant gloves level C 防切割手套",
        category: "hand",
        standard: "GB 24541-2022",
        class: "Level C",
        life_months: 12,
        life_from: "first_use",
    },
    Maker {
        name: "Danyang Optical Safety Co. 丹阳光学防护有限公司",
        city: "Zhenjiang",
        lat: 32.00,
        lon: 119.58,
        region: "91321100",
        product: "Impact goggles 防冲击护目镜",
        category: "eye_face",
        standard: "GB 14866-2023",
        class: "Impact grade",
        life_months: 36,
        life_from: "manufacture",
    },
    Maker {
        name: "Tianjin Quietwork Hearing Protection 天津静工听力防护公司",
        city: "Tianjin",
        lat: 39.13,
        lon: 117.20,
        region: "91120000",
        product: "Earmuff SNR 30 dB 耳罩",
        category: "hearing",
        standard: "GB/T 23466-2009",
        class: "SNR 30",
        life_months: 48,
        life_from: "first_use",
    },
    Maker {
        name: "Xinxiang Flameguard Garments 新乡阻燃服装有限公司",
        city: "Xinxiang",
        lat: 35.30,
        lon: 113.93,
        region: "91410700",
        product: "Flame-retardant coverall 阻燃防护服",
        category: "body_clothing",
        standard: "GB 8965.1-2020",
        class: "Class A",
        life_months: 36,
        life_from: "first_use",
    },
    Maker {
        name: "Shanghai Skyline Fall Protection 上海天际防坠落设备公司",
        city: "Shanghai",
        lat: 31.23,
        lon: 121.47,
        region: "91310000",
        product: "Self-retracting lifeline 速差自控器",
        category: "fall_protection",
        standard: "GB 24544-2023",
        class: "Type 1",
        life_months: 60,
        life_from: "first_use",
    },
    Maker {
        name: "Shenyang Gasmask Works 沈阳防毒面具厂",
        city: "Shenyang",
        lat: 41.80,
        lon: 123.43,
        region: "91210100",
        product: "Full-face gas mask with filter 全面罩过滤式防毒面具",
        category: "respiratory",
        standard: "GB 2890-2022",
        class: "Full face",
        life_months: 60,
        life_from: "manufacture",
    },
];

/// Items per batch and per shipped carton.
const ITEMS_PER_BATCH: u64 = 30;
const CARTON: usize = 5;

impl App {
    /// Seeds [`MAKERS`], shipping every batch to `distributor` carton by carton.
    pub(super) async fn seed_demo_catalog(&self, distributor: &Party) -> Result<()> {
        let today = self.clock.today();
        let none = |_: u64| {};
        for (i, m) in MAKERS.iter().enumerate() {
            let prefix = format!("69601{i}4");
            let party = self
                .demo_party(
                    OrgInput {
                        name: m.name.into(),
                        roles: vec!["manufacturer".into()],
                        gln: Some(with_check(&format!("{prefix}00000"))?),
                        uscc: Some(uscc(m.region, &format!("MA0CP{i}0{i}"))?),
                        company_prefixes: vec![prefix.clone()],
                        city: Some(m.city.into()),
                    },
                    &format!("{} factory", m.city),
                    &format!("{prefix}00001"),
                    m.city,
                    m.lat,
                    m.lon,
                )
                .await?;
            let product = self
                .create_product(
                    &party.actor,
                    &ProductInput {
                        gtin: with_check(&format!("0{prefix}00001"))?,
                        name: m.product.into(),
                        category: m.category.into(),
                        standard: m.standard.into(),
                        protection_class: Some(m.class.into()),
                        service_life_months: Some(m.life_months),
                        service_life_from: Some(m.life_from.into()),
                        org_id: None,
                    },
                )
                .await?;
            let issued = today - Duration::days(200 + 30 * i as i64);
            self.create_certificate(
                &party.actor,
                &CertificateInput {
                    gtin: product.gtin.clone(),
                    kind: "la_mark".into(),
                    number: format!("24-0{}-00{:04}", i + 2, 311 * (i + 1)),
                    issuer:
                        "Special Safety Mark Management Center 特种劳动防护用品安全标志管理中心"
                            .into(),
                    valid_from: issued,
                    valid_until: issued + Duration::days(4 * 365),
                    status: None,
                },
            )
            .await?;
            for (b, age_days) in [(1u32, 120i64), (2, 20)] {
                let batch = self
                    .create_batch(
                        &party.actor,
                        &BatchInput {
                            gtin: product.gtin.clone(),
                            lot: format!("L{}{b:02}", 25 - b),
                            production_date: Some(today - Duration::days(age_days)),
                            expiry_date: None,
                        },
                    )
                    .await?;
                self.issue_codes(&party.actor, batch.id, ITEMS_PER_BATCH, &none)
                    .await?;
                self.release_batch(&party.actor, batch.id, &party.site_gln)
                    .await?;
                let uris = self
                    .demo_uris(&batch, &product, ITEMS_PER_BATCH as u32)
                    .await?;
                for carton in uris.chunks(CARTON) {
                    let step =
                        |step: &str, site: &str, dest: Option<&str>, src: Option<&str>| StepInput {
                            step: step.into(),
                            items: carton.to_vec(),
                            site_gln: site.into(),
                            destination_gln: dest.map(String::from),
                            source_gln: src.map(String::from),
                            event_time: None,
                        };
                    self.record_step(
                        &party.actor,
                        &step(
                            "shipping",
                            &party.site_gln,
                            Some(&distributor.site_gln),
                            None,
                        ),
                    )
                    .await?;
                    self.record_step(
                        &distributor.actor,
                        &step(
                            "receiving",
                            &distributor.site_gln,
                            None,
                            Some(&party.site_gln),
                        ),
                    )
                    .await?;
                }
            }
        }
        Ok(())
    }

    /// Digital Link URIs of the first `n` codes of a batch.
    async fn demo_uris(
        &self,
        batch: &store::Batch,
        product: &store::Product,
        n: u32,
    ) -> Result<Vec<String>> {
        let internal = |e: gs1::Gs1Error| crate::AppError::Internal(e.to_string());
        let gtin = gs1::Gtin::parse(&product.gtin).map_err(internal)?;
        let lot = gs1::Lot::parse(&batch.lot).map_err(internal)?;
        self.store
            .batch_serials(batch.id, None, n)
            .await?
            .iter()
            .map(|s| Ok(self.code_uri(&gtin, &lot, &gs1::Serial::parse(s).map_err(internal)?)))
            .collect()
    }
}
