//! RegistryStore for SqliteStore.

use super::*;

/// Rows per multi-row `INSERT` of codes.
const CODES_PER_INSERT: usize = 100;

/// Inserts sorted serials with multi-row statements (one statement execution per
/// `CODES_PER_INSERT` codes instead of one per code); returns how many were new.
fn insert_sorted_codes(
    tx: &Connection,
    product_id: i64,
    batch_id: i64,
    sorted: &[&str],
) -> rusqlite::Result<u64> {
    let sql = |rows: usize| {
        let mut q = String::from(
            "INSERT OR IGNORE INTO codes (product_id, serial, batch_id, state) VALUES ",
        );
        for i in 0..rows {
            if i > 0 {
                q.push(',');
            }
            q.push_str(&format!("(?1, ?{}, ?2, 0)", i + 3));
        }
        q
    };
    let mut n = 0u64;
    let mut full = tx.prepare_cached(&sql(CODES_PER_INSERT))?;
    let mut chunks = sorted.chunks_exact(CODES_PER_INSERT);
    for chunk in &mut chunks {
        full.raw_bind_parameter(1, product_id)?;
        full.raw_bind_parameter(2, batch_id)?;
        for (i, s) in chunk.iter().enumerate() {
            full.raw_bind_parameter(i + 3, *s)?;
        }
        n += full.raw_execute()? as u64;
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut st = tx.prepare(&sql(rest.len()))?;
        st.raw_bind_parameter(1, product_id)?;
        st.raw_bind_parameter(2, batch_id)?;
        for (i, s) in rest.iter().enumerate() {
            st.raw_bind_parameter(i + 3, *s)?;
        }
        n += st.raw_execute()? as u64;
    }
    Ok(n)
}

#[async_trait]
impl crate::RegistryStore for SqliteStore {
    async fn create_org(&self, new: &NewOrg, log: LogFn<Org>) -> Result<Org> {
        owned!(new);
        let org = self
            .write(move |tx| {
                tx.execute(
                    "INSERT INTO organizations (name, roles, gln, uscc, company_prefixes, city, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![
                        new.name,
                        roles_to_text(&new.roles),
                        new.gln,
                        new.uscc,
                        new.company_prefixes.join(","),
                        new.city,
                        ts(&new.created_at)
                    ],
                )
                .map_err(db_err)?;
                let id = tx.last_insert_rowid();
                let row = tx.query_row(&format!("SELECT {ORG_COLS} FROM organizations WHERE id = ?1"), [id], org_row)
                    .map_err(db_err)?;
                append_log(tx, &log(&row)).map_err(db_err)?;
                Ok(row)
            })
            .await?;
        Ok(org)
    }

    async fn get_org(&self, id: i64) -> Result<Option<Org>> {
        self.read(move |c| {
            c.query_row(
                &format!("SELECT {ORG_COLS} FROM organizations WHERE id = ?1"),
                [id],
                org_row,
            )
            .optional()
            .map_err(db_err)
        })
        .await
    }

    async fn list_orgs(&self) -> Result<Vec<Org>> {
        self.read(|c| {
            let mut st = c
                .prepare(&format!("SELECT {ORG_COLS} FROM organizations ORDER BY id"))
                .map_err(db_err)?;
            let rows = st.query_map([], org_row).map_err(db_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
        })
        .await
    }

    async fn create_api_key(&self, new: &NewApiKey, log: LogFn<ApiKey>) -> Result<ApiKey> {
        owned!(new);
        let key = self
            .write(move |tx| {
                tx.execute(
                    "INSERT INTO api_keys (org_id, lookup, secret_sha256, admin, label, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![
                        new.org_id,
                        new.lookup,
                        new.secret_sha256,
                        new.admin,
                        new.label,
                        ts(&new.created_at)
                    ],
                )
                .map_err(db_err)?;
                let id = tx.last_insert_rowid();
                let row = tx
                    .query_row(
                        &format!("SELECT {KEY_COLS} FROM api_keys WHERE id = ?1"),
                        [id],
                        key_row,
                    )
                    .map_err(db_err)?;
                append_log(tx, &log(&row)).map_err(db_err)?;
                Ok(row)
            })
            .await?;
        Ok(key)
    }

    async fn find_api_key(&self, lookup: &str) -> Result<Option<ApiKey>> {
        let lookup = lookup.to_string();
        self.read(move |c| {
            c.query_row(
                &format!("SELECT {KEY_COLS} FROM api_keys WHERE lookup = ?1"),
                [lookup],
                key_row,
            )
            .optional()
            .map_err(db_err)
        })
        .await
    }

    async fn create_site(&self, new: &NewSite, log: LogFn<Site>) -> Result<Site> {
        owned!(new);
        let site = self
            .write(move |tx| {
                tx.execute(
                    "INSERT INTO sites (org_id, gln, name, city, region, latitude, longitude, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    params![new.org_id, new.gln, new.name, new.city, new.region, new.latitude, new.longitude, ts(&new.created_at)],
                )
                .map_err(db_err)?;
                let id = tx.last_insert_rowid();
                let row = tx.query_row(&format!("SELECT {SITE_COLS} FROM sites WHERE id = ?1"), [id], site_row)
                    .map_err(db_err)?;
                append_log(tx, &log(&row)).map_err(db_err)?;
                Ok(row)
            })
            .await?;
        Ok(site)
    }

    async fn get_site_by_gln(&self, gln: &str) -> Result<Option<Site>> {
        let gln = gln.to_string();
        self.read(move |c| {
            c.query_row(
                &format!("SELECT {SITE_COLS} FROM sites WHERE gln = ?1"),
                [gln],
                site_row,
            )
            .optional()
            .map_err(db_err)
        })
        .await
    }

    async fn list_sites(&self, org_id: i64) -> Result<Vec<Site>> {
        self.read(move |c| {
            let mut st = c
                .prepare(&format!(
                    "SELECT {SITE_COLS} FROM sites WHERE org_id = ?1 ORDER BY id"
                ))
                .map_err(db_err)?;
            let rows = st.query_map([org_id], site_row).map_err(db_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
        })
        .await
    }

    async fn create_product(&self, new: &NewProduct, log: LogFn<Product>) -> Result<Product> {
        owned!(new);
        let p = self
            .write(move |tx| {
                tx.execute(
                    "INSERT INTO products (org_id, gtin, name, category, standard, protection_class, service_life_months, service_life_from, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    params![new.org_id, new.gtin, new.name, new.category, new.standard, new.protection_class, new.service_life_months, new.service_life_from, ts(&new.created_at)],
                )
                .map_err(db_err)?;
                let id = tx.last_insert_rowid();
                let row = tx.query_row(&format!("SELECT {PRODUCT_COLS} FROM products WHERE id = ?1"), [id], product_row)
                    .map_err(db_err)?;
                append_log(tx, &log(&row)).map_err(db_err)?;
                Ok(row)
            })
            .await?;
        Ok(p)
    }

    async fn get_product(&self, id: i64) -> Result<Option<Product>> {
        self.read(move |c| {
            c.query_row(
                &format!("SELECT {PRODUCT_COLS} FROM products WHERE id = ?1"),
                [id],
                product_row,
            )
            .optional()
            .map_err(db_err)
        })
        .await
    }

    async fn get_product_by_gtin(&self, gtin: &str) -> Result<Option<Product>> {
        let gtin = gtin.to_string();
        self.read(move |c| {
            c.query_row(
                &format!("SELECT {PRODUCT_COLS} FROM products WHERE gtin = ?1"),
                [gtin],
                product_row,
            )
            .optional()
            .map_err(db_err)
        })
        .await
    }

    async fn list_products(&self, org_id: Option<i64>) -> Result<Vec<Product>> {
        self.read(move |c| {
            let mut st = c
                .prepare(&format!(
                    "SELECT {PRODUCT_COLS} FROM products WHERE (?1 IS NULL OR org_id = ?1) ORDER BY id"
                ))
                .map_err(db_err)?;
            let rows = st.query_map([org_id], product_row).map_err(db_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
        })
        .await
    }

    async fn create_certificate(
        &self,
        new: &NewCertificate,
        log: LogFn<Certificate>,
    ) -> Result<Certificate> {
        owned!(new);
        let cert = self
            .write(move |tx| {
                tx.execute(
                    "INSERT INTO certificates (org_id, product_id, kind, number, issuer, valid_from, valid_until, status, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    params![new.org_id, new.product_id, new.kind, new.number, new.issuer, date(&Some(new.valid_from)), date(&Some(new.valid_until)), new.status, ts(&new.created_at)],
                )
                .map_err(db_err)?;
                let id = tx.last_insert_rowid();
                let row = tx.query_row(&format!("SELECT {CERT_COLS} FROM certificates WHERE id = ?1"), [id], cert_row)
                    .map_err(db_err)?;
                append_log(tx, &log(&row)).map_err(db_err)?;
                Ok(row)
            })
            .await?;
        Ok(cert)
    }

    async fn list_certificates(&self, product_id: i64) -> Result<Vec<Certificate>> {
        self.read(move |c| {
            let mut st = c
                .prepare(&format!(
                    "SELECT {CERT_COLS} FROM certificates WHERE product_id = ?1 ORDER BY id"
                ))
                .map_err(db_err)?;
            let rows = st.query_map([product_id], cert_row).map_err(db_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
        })
        .await
    }

    async fn create_batch(&self, new: &NewBatch, log: LogFn<Batch>) -> Result<Batch> {
        owned!(new);
        let b = self
            .write(move |tx| {
                tx.execute(
                    "INSERT INTO batches (product_id, lot, production_date, expiry_date, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![new.product_id, new.lot, date(&new.production_date), date(&new.expiry_date), ts(&new.created_at)],
                )
                .map_err(db_err)?;
                let id = tx.last_insert_rowid();
                let row = tx.query_row(&format!("SELECT {BATCH_COLS} FROM batches WHERE id = ?1"), [id], batch_row)
                    .map_err(db_err)?;
                append_log(tx, &log(&row)).map_err(db_err)?;
                Ok(row)
            })
            .await?;
        Ok(b)
    }

    async fn get_batch(&self, id: i64) -> Result<Option<Batch>> {
        self.read(move |c| {
            c.query_row(
                &format!("SELECT {BATCH_COLS} FROM batches WHERE id = ?1"),
                [id],
                batch_row,
            )
            .optional()
            .map_err(db_err)
        })
        .await
    }

    async fn list_batches(&self, product_id: i64) -> Result<Vec<Batch>> {
        self.read(move |c| {
            let mut st = c
                .prepare(&format!(
                    "SELECT {BATCH_COLS} FROM batches WHERE product_id = ?1 ORDER BY id"
                ))
                .map_err(db_err)?;
            let rows = st.query_map([product_id], batch_row).map_err(db_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
        })
        .await
    }

    async fn insert_codes(
        &self,
        batch: &Batch,
        serials: &[String],
        issuance: Option<(&NewIssuance, &LogEntry)>,
    ) -> Result<u64> {
        let (product_id, batch_id) = (batch.product_id, batch.id);
        // The serials are copied (the write runs on the writer's thread) into one
        // buffer in ascending order: two allocations instead of one per serial.
        let mut refs: Vec<&str> = serials.iter().map(String::as_str).collect();
        if !refs.is_sorted() {
            refs.sort_unstable();
        }
        let mut text = String::with_capacity(refs.iter().map(|s| s.len()).sum());
        let mut ends = Vec::with_capacity(refs.len());
        for s in refs {
            text.push_str(s);
            ends.push(text.len());
        }
        let issuance = issuance.map(|(i, l)| (i.clone(), l.clone()));
        self.write(move |tx| {
            // Sorted keys walk both B-trees (the primary key and `codes_batch`)
            // leaf by leaf, so each leaf is written once per chunk and the
            // writer's usual cache holds the path being filled.
            let mut start = 0;
            let sorted: Vec<&str> = ends
                .iter()
                .map(|&end| {
                    let s = &text[start..end];
                    start = end;
                    s
                })
                .collect();
            let n = insert_sorted_codes(tx, product_id, batch_id, &sorted).map_err(db_err)?;
            if let Some((iss, entry)) = issuance {
                tx.execute(
                    "INSERT INTO code_issuances (batch_id, count, merkle_root, actor, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![iss.batch_id, iss.count as i64, iss.merkle_root, iss.actor, ts(&iss.created_at)],
                )
                .map_err(db_err)?;
                append_log(tx, &entry).map_err(db_err)?;
            }
            Ok(n)
        })
        .await
    }

    async fn batch_serials(
        &self,
        batch_id: i64,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<String>> {
        // One statement per shape, so each is a range scan of codes_batch
        // (batch_id, serial) whatever the bound values.
        let after = after.unwrap_or_default().to_string();
        self.read(move |c| {
            let mut st = c
                .prepare_cached(
                    "SELECT serial FROM codes WHERE batch_id = ?1 AND serial > ?2 ORDER BY serial LIMIT ?3",
                )
                .map_err(db_err)?;
            let rows = st
                .query_map(params![batch_id, after, limit], |r| r.get::<_, String>(0))
                .map_err(db_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
        })
        .await
    }

    async fn count_codes(&self, batch_id: i64) -> Result<u64> {
        self.read(move |c| {
            c.query_row(
                "SELECT COUNT(*) FROM codes WHERE batch_id = ?1",
                [batch_id],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n as u64)
            .map_err(db_err)
        })
        .await
    }

    async fn lookup_code(&self, product_id: i64, serial: &str) -> Result<Option<CodeView>> {
        let serial = serial.to_string();
        self.read(move |c| {
            let mut st = c
                .prepare_cached(&format!(
                    "SELECT c.serial, c.state, c.holder_org_id, c.first_use, {}
                     FROM codes c JOIN batches b ON b.id = c.batch_id
                     WHERE c.product_id = ?1 AND c.serial = ?2",
                    BATCH_COLS
                        .split(", ")
                        .map(|c| format!("b.{c}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
                .map_err(db_err)?;
            st.query_row(params![product_id, serial], |r| {
                Ok(CodeView {
                    serial: r.get(0)?,
                    state: r.get(1)?,
                    holder_org_id: r.get(2)?,
                    first_use: parse_date(r.get(3)?)?,
                    batch: batch_row_at(r, 4)?,
                })
            })
            .optional()
            .map_err(db_err)
        })
        .await
    }
}
