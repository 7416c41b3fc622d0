//! Recall notices (product brief C4 "recalls and withdrawals"): the organizations
//! holding items of a recalled batch are found by forward trace of its lot and
//! notified. A notice is derived, not stored: it is every recalled batch whose
//! forward trace reaches the organization, so an organization that receives a
//! recalled item after the recall is notified too, and nothing can be "forgotten".

use domain::authz::Actor;
use domain::org::Role;
use serde::Serialize;

use crate::epcis::EpcisFailure;
use crate::epcis::trace::{Holder, Site};
use crate::{App, AppError, Result};

/// One recalled batch as an organization reached by it sees it.
#[derive(Debug, Clone, Serialize)]
pub struct RecallNotice {
    pub batch_id: i64,
    pub gtin: String,
    pub lot: String,
    pub product: String,
    pub manufacturer: String,
    pub recalled_on: Option<chrono::NaiveDate>,
    pub reason: Option<String>,
    /// The organizations the lot reached (for the manufacturer, regulators and
    /// admins; an other organization sees only itself here).
    pub reached: Vec<Holder>,
    /// Locations (GLN URIs) of the organization's own sites the lot reached.
    pub sites: Vec<String>,
}

/// Where a lot went: the organizations and the sites its forward trace reached.
#[derive(Debug, Clone, Serialize)]
pub struct Reach {
    pub organizations: Vec<Holder>,
    pub sites: Vec<Site>,
}

fn trace_error(e: EpcisFailure) -> AppError {
    match e {
        EpcisFailure::App(a) => a,
        other => AppError::Internal(other.to_string()),
    }
}

impl App {
    /// The organizations that items of `batch_id`'s lot reached (forward trace),
    /// seen with the platform's full visibility.
    pub async fn recall_reach(&self, batch_id: i64) -> Result<Reach> {
        let (batch, product) = self.batch_with_product(batch_id).await?;
        let t = self
            .trace_lot(&Actor::operator(), &product.gtin, &batch.lot)
            .await
            .map_err(trace_error)?;
        Ok(Reach {
            organizations: t.organizations,
            sites: t.sites,
        })
    }

    /// Recall notices for the actor's organization: every recalled batch whose
    /// forward trace reaches it (or made it, for the manufacturer). Regulators and
    /// admins see every recall.
    pub async fn recall_notices(&self, actor: &Actor) -> Result<Vec<RecallNotice>> {
        let sees_all = actor.admin || actor.has_role(Role::Regulator);
        let mut out = Vec::new();
        for product in self.store.list_products(None).await? {
            let recalled: Vec<store::Batch> = self
                .store
                .list_batches(product.id)
                .await?
                .into_iter()
                .filter(|b| b.recalled_on.is_some())
                .collect();
            if recalled.is_empty() {
                continue;
            }
            let maker = self.store.get_org(product.org_id).await?;
            for batch in recalled {
                let reach = self.recall_reach(batch.id).await?;
                let own = product.org_id == actor.org_id;
                let mine =
                    |h: &Option<Holder>| h.as_ref().is_some_and(|h| h.org_id == actor.org_id);
                let holds = reach.organizations.iter().any(|h| h.org_id == actor.org_id);
                if !(sees_all || own || holds) {
                    continue;
                }
                let own_sites = reach
                    .sites
                    .iter()
                    .filter(|s| sees_all || own || mine(&s.holder))
                    .map(|s| s.location.clone())
                    .collect();
                let reached = if sees_all || own {
                    reach.organizations
                } else {
                    reach
                        .organizations
                        .into_iter()
                        .filter(|h| h.org_id == actor.org_id)
                        .collect()
                };
                out.push(RecallNotice {
                    batch_id: batch.id,
                    gtin: product.gtin.clone(),
                    lot: batch.lot.clone(),
                    product: product.name.clone(),
                    manufacturer: maker.as_ref().map(|o| o.name.clone()).unwrap_or_default(),
                    recalled_on: batch.recalled_on,
                    reason: batch.recall_reason.clone(),
                    reached,
                    sites: own_sites,
                });
            }
        }
        Ok(out)
    }
}
