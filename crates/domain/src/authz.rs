//! Who may do what. The HTTP layer authenticates; these rules decide.

use serde::Serialize;

use crate::org::Role;

/// An authenticated caller: an API key (or console user) acting for one organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actor {
    pub key_id: i64,
    pub org_id: i64,
    pub roles: Vec<Role>,
    /// Platform administrators manage the registry of organizations.
    pub admin: bool,
}

impl Actor {
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// The platform operator at the command line (direct database access). Logged
    /// as `operator:cli`.
    pub fn operator() -> Actor {
        Actor {
            key_id: 0,
            org_id: 0,
            roles: Vec::new(),
            admin: true,
        }
    }

    /// A short, non-secret label for logs and the tamper-evident log.
    pub fn label(&self) -> String {
        if self.key_id == 0 {
            return "operator:cli".to_string();
        }
        format!("org:{}/key:{}", self.org_id, self.key_id)
    }
}

/// Why an authenticated actor was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denied(pub String);

pub type Decision = Result<(), Denied>;

fn deny(msg: impl Into<String>) -> Decision {
    Err(Denied(msg.into()))
}

/// Only platform administrators register organizations and issue their first keys.
pub fn manage_registry(actor: &Actor) -> Decision {
    if actor.admin {
        Ok(())
    } else {
        deny("only a platform administrator may register organizations")
    }
}

/// An organization manages its own sites, keys and profile; admins manage any.
pub fn manage_org(actor: &Actor, org_id: i64) -> Decision {
    if actor.admin || actor.org_id == org_id {
        Ok(())
    } else {
        deny("an organization may only manage its own records")
    }
}

/// Product models, certificates and batches belong to a manufacturer.
pub fn manage_products(actor: &Actor, owner_org_id: i64) -> Decision {
    if actor.admin {
        return Ok(());
    }
    if !actor.has_role(Role::Manufacturer) {
        return deny("only a manufacturer may manage product models, batches and codes");
    }
    if actor.org_id != owner_org_id {
        return deny("a manufacturer may only act on its own products and batches");
    }
    Ok(())
}

/// Certificates may be registered by the product's manufacturer, a laboratory or a
/// regulator (who issue or check them).
pub fn register_certificate(actor: &Actor, product_owner: i64) -> Decision {
    if actor.admin || actor.has_role(Role::Regulator) || actor.has_role(Role::Lab) {
        return Ok(());
    }
    manage_products(actor, product_owner)
}

/// A recall is ordered by the batch's manufacturer or by a regulator.
pub fn recall_batch(actor: &Actor, owner_org_id: i64) -> Decision {
    if actor.has_role(Role::Regulator) {
        return Ok(());
    }
    manage_products(actor, owner_org_id)
}

/// Supply-chain steps are recorded by the organization that performs them, at one of
/// its own sites: commissioning only by the item's manufacturer.
pub fn record_step(
    actor: &Actor,
    step_needs_owner: bool,
    owner_org_id: i64,
    site_org_id: i64,
) -> Decision {
    if step_needs_owner && actor.org_id != owner_org_id {
        return deny("only the item's manufacturer may commission it");
    }
    if actor.org_id != site_org_id {
        return deny("events may only be recorded at the actor's own sites");
    }
    if actor.roles.is_empty() {
        return deny("the organization has no supply-chain role");
    }
    Ok(())
}

/// The employer's PPE ledger (items, workers, exports) is handled only by the
/// employer organization that owns the site or the record: no other organization,
/// and not platform administrators either (worker names are the employer's alone).
pub fn manage_ledger(actor: &Actor, owner_org_id: i64) -> Decision {
    if !actor.has_role(Role::Employer) {
        return deny("only an employer keeps a PPE ledger");
    }
    if actor.org_id != owner_org_id {
        return deny("a PPE ledger is handled only by the employer that owns it");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(org: i64, roles: &[Role], admin: bool) -> Actor {
        Actor {
            key_id: 1,
            org_id: org,
            roles: roles.to_vec(),
            admin,
        }
    }

    #[test]
    fn manufacturers_act_only_on_their_own_products() {
        let a = actor(1, &[Role::Manufacturer], false);
        assert!(manage_products(&a, 1).is_ok());
        assert!(manage_products(&a, 2).is_err());
        let d = actor(1, &[Role::Distributor], false);
        assert!(manage_products(&d, 1).is_err());
        assert!(manage_products(&actor(9, &[], true), 1).is_ok());
    }

    #[test]
    fn regulators_recall_any_batch_but_do_not_manage_products() {
        let r = actor(5, &[Role::Regulator], false);
        assert!(recall_batch(&r, 1).is_ok());
        assert!(manage_products(&r, 1).is_err());
    }

    #[test]
    fn steps_happen_at_own_sites() {
        let e = actor(3, &[Role::Employer], false);
        assert!(record_step(&e, false, 1, 3).is_ok());
        assert!(record_step(&e, false, 1, 4).is_err());
        assert!(record_step(&e, true, 1, 3).is_err());
    }

    #[test]
    fn only_admins_register_organizations() {
        assert!(manage_registry(&actor(1, &[Role::Regulator], false)).is_err());
        assert!(manage_registry(&actor(1, &[], true)).is_ok());
    }

    #[test]
    fn ledgers_belong_to_their_employer_only() {
        let e = actor(3, &[Role::Employer], false);
        assert!(manage_ledger(&e, 3).is_ok());
        assert!(manage_ledger(&actor(4, &[Role::Employer], false), 3).is_err());
        assert!(manage_ledger(&actor(3, &[Role::Manufacturer], false), 3).is_err());
        assert!(manage_ledger(&actor(9, &[], true), 3).is_err());
        assert!(manage_ledger(&actor(5, &[Role::Regulator], false), 3).is_err());
    }
}
