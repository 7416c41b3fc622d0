//! The authorisation matrix: every route the HTTP layer serves × every kind of
//! caller → allowed or denied, checked with real requests against a real server.
//!
//! The routes are enumerated from the router's source: every `.route("PATH",
//! get(…).post(…))` in `crates/web/src/**/*.rs`. A route without a row in
//! [`matrix`] fails `every_route_has_a_rule`, naming the route; a row whose route
//! no longer exists fails it too. A new route therefore cannot ship without someone
//! deciding who may call it.
//!
//! Callers: anonymous, manufacturer A (owner of the product, batch, codes and
//! events used), manufacturer B, a distributor, an employer (the inspected
//! target's organization), an inspector (a regulator's API key linked to an
//! inspector record), a case handler (a regulator's API key registered as a
//! mailbox handler), the regulator's own key, and a platform administrator.
//!
//! Each caller holds an API key (all but the anonymous one) and, where its
//! organization can have one, a logged-in console user of its own kind: manufacturer
//! A (console role `manufacturer`), manufacturer B (`manufacturer` and `admin`: its
//! organization's user administrator as docs/web.md and `serve --demo` set one up,
//! created by the platform administrator), the employer (`employer`), the inspector
//! (`inspector`, its key registered as inspector I2), the case handler
//! (`case_handler`, its key registered as a mailbox handler), the regulator
//! (`regulator`) and the administrator (`admin`, in the operator's organization). A
//! distributor-only organization fits no console role, so the distributor has no
//! console user. API rows send the caller's key as a bearer token; console rows
//! (`console(…)`) send only the session cookie, and every console form carries the
//! session's CSRF token.
//!
//! "Denied" means, for a caller without credentials for the row (no key on an API
//! row; no console session on a console row): 401, or for a console GET a 303 to
//! `/console/login`. For everyone else: 403, or 404 where a route hides whether a
//! record exists from those who may not see it (marked `Hide`). "Allowed" means any
//! answer but 401, 403 or a 5xx (and, for a console GET, not a redirect to the login
//! page): the check is that authorisation let the request through, not that every
//! input was valid. Denied callers are tried first, so allowed writes cannot change
//! what they see.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, TimeZone, Utc};
use ed25519_dalek::{Signer, SigningKey};
use reqwest::StatusCode;
use serde_json::{Value, json};
use testkit::{
    Maker, TestApp, issue_codes, register_maker, register_org, register_site, with_check,
};

// ------------------------------------------------------------------ callers

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Who {
    Anonymous,
    MakerA,
    MakerB,
    Distributor,
    Employer,
    Inspector,
    CaseHandler,
    Regulator,
    Admin,
}
use Who::*;

const EVERYONE: &[Who] = &[
    Anonymous,
    MakerA,
    MakerB,
    Distributor,
    Employer,
    Inspector,
    CaseHandler,
    Regulator,
    Admin,
];
/// Every authenticated caller.
const KEYED: &[Who] = &[
    MakerA,
    MakerB,
    Distributor,
    Employer,
    Inspector,
    CaseHandler,
    Regulator,
    Admin,
];
/// Keys of the regulator's organization that are not inspectors' keys.
const REGULATOR: &[Who] = &[CaseHandler, Regulator];
/// Every caller with a console user (all but the anonymous one and the distributor).
const CONSOLE_USERS: &[Who] = &[
    MakerA,
    MakerB,
    Employer,
    Inspector,
    CaseHandler,
    Regulator,
    Admin,
];
/// The employer, the only caller whose ledger the fixtures hold.
const EMPLOYER: &[Who] = &[Employer];

// ------------------------------------------------------------------ the matrix

/// How a denied, authenticated caller is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Deny {
    /// 403.
    Forbid,
    /// 404: the route does not reveal that the record exists.
    Hide,
    /// 403, or 400 naming this field: a caller of the right kind acting outside its
    /// own scope (another manufacturer's GS1 company prefix) is told which input is not theirs.
    Field(&'static str),
}

enum Body {
    Empty,
    Json(Value),
    Raw(&'static str, String),
    Form(Vec<(&'static str, String)>),
    Multipart(Vec<(&'static str, String)>),
}

struct Req {
    url: String,
    body: Body,
    headers: Vec<(&'static str, &'static str)>,
}

fn req(url: impl Into<String>) -> Req {
    Req {
        url: url.into(),
        body: Body::Empty,
        headers: Vec::new(),
    }
}

impl Req {
    fn json(mut self, v: Value) -> Req {
        self.body = Body::Json(v);
        self
    }
    fn raw(mut self, ct: &'static str, s: String) -> Req {
        self.body = Body::Raw(ct, s);
        self
    }
}

/// How a row's request is authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Via {
    /// The caller's API key as a bearer token.
    Key,
    /// The caller's console session cookie; forms carry its CSRF token.
    Console,
}

struct Row {
    method: &'static str,
    route: &'static str,
    allow: &'static [Who],
    deny: Deny,
    via: Via,
    /// The request for a caller; `n` is unique per request (for unique names).
    make: fn(&World, Who, u64) -> Req,
}

const fn row(
    method: &'static str,
    route: &'static str,
    allow: &'static [Who],
    make: fn(&World, Who, u64) -> Req,
) -> Row {
    Row {
        method,
        route,
        allow,
        deny: Deny::Forbid,
        via: Via::Key,
        make,
    }
}

/// A row of a console route: the caller's console session, not its key.
const fn console(
    method: &'static str,
    route: &'static str,
    allow: &'static [Who],
    make: fn(&World, Who, u64) -> Req,
) -> Row {
    Row {
        method,
        route,
        allow,
        deny: Deny::Forbid,
        via: Via::Console,
        make,
    }
}

/// A console form (the CSRF token is added when the request is sent).
fn form(url: impl Into<String>, fields: Vec<(&'static str, String)>) -> Req {
    Req {
        url: url.into(),
        body: Body::Form(fields),
        headers: Vec::new(),
    }
}

const fn hidden(
    method: &'static str,
    route: &'static str,
    allow: &'static [Who],
    make: fn(&World, Who, u64) -> Req,
) -> Row {
    Row {
        method,
        route,
        allow,
        deny: Deny::Hide,
        via: Via::Key,
        make,
    }
}

const CTX: &str = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld";

fn epcis_doc(w: &World, n: u64) -> String {
    json!({"@context": CTX, "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-03-01T08:00:00Z",
        "epcisBody": {"eventList": [epcis_event(w, n)]}})
    .to_string()
}

fn epcis_event(w: &World, n: u64) -> Value {
    json!({"type": "ObjectEvent", "eventTime": format!("2026-03-01T08:{:02}:{:02}Z", (n / 60) % 60, n % 60),
        "eventTimeZoneOffset": "+08:00", "epcList": [w.codes[0].clone()], "action": "OBSERVE",
        "bizStep": "inspecting", "readPoint": {"id": format!("urn:epc:id:sgln:{}.00001.{n}", w.a_prefix)}})
}

/// Every route × caller. Order matters only where a row's allowed write changes
/// what a later row sees (release before recall, seed before run).
fn matrix() -> Vec<Row> {
    vec![
        // ---- health, pages, resolver, the log: public
        row("GET", "/healthz", EVERYONE, |_, _, _| req("/healthz")),
        row("GET", "/", EVERYONE, |_, _, _| req("/")),
        row("GET", "/verify", EVERYONE, |_, _, _| req("/verify")),
        row("GET", "/assets/site.css", EVERYONE, |_, _, _| {
            req("/assets/site.css")
        }),
        row("GET", "/01/{gtin}/21/{serial}", EVERYONE, |w, _, _| {
            req(format!("/01/{}/21/{}", w.a.gtin, w.serial))
        }),
        row(
            "GET",
            "/01/{gtin}/10/{lot}/21/{serial}",
            EVERYONE,
            |w, _, _| req(format!("/01/{}/10/L1/21/{}", w.a.gtin, w.serial)),
        ),
        row(
            "GET",
            "/.well-known/ppetrace-answer-key",
            EVERYONE,
            |_, _, _| req("/.well-known/ppetrace-answer-key"),
        ),
        row("GET", "/api/v1/verify", EVERYONE, |w, _, _| {
            req(format!(
                "/api/v1/verify?code={}",
                testkit::urlencode(&w.codes[2])
            ))
        }),
        row("GET", "/api/v1/status", EVERYONE, |w, _, _| {
            req(format!(
                "/api/v1/status?code={}",
                testkit::urlencode(&w.codes[2])
            ))
        }),
        row("GET", "/log/checkpoint", EVERYONE, |_, _, _| {
            req("/log/checkpoint")
        }),
        row("GET", "/log/key", EVERYONE, |_, _, _| req("/log/key")),
        row("GET", "/log/tile/{*path}", EVERYONE, |_, _, _| {
            req("/log/tile/0/000.p/1")
        }),
        row("GET", "/log/proof/{index}", EVERYONE, |_, _, _| {
            req("/log/proof/0?size=2")
        }),
        row("GET", "/log/consistency", EVERYONE, |_, _, _| {
            req("/log/consistency?old=1&new=2")
        }),
        row("GET", "/log/receipt/{entry_sha256}", EVERYONE, |_, _, _| {
            req(format!("/log/receipt/{}", "00".repeat(32)))
        }),
        row("GET", "/log/entry/{index}", EVERYONE, |_, _, _| {
            req("/log/entry/0")
        }),
        // ---- the public transparency portal and the API description
        row("GET", "/openapi.json", EVERYONE, |_, _, _| {
            req("/openapi.json")
        }),
        row("GET", "/portal", EVERYONE, |_, _, _| req("/portal")),
        row("GET", "/portal/organizations", EVERYONE, |_, _, _| {
            req("/portal/organizations")
        }),
        row("GET", "/portal/organizations/{id}", EVERYONE, |w, _, _| {
            req(format!("/portal/organizations/{}", w.a.org_id))
        }),
        row("GET", "/portal/products", EVERYONE, |_, _, _| {
            req("/portal/products")
        }),
        row("GET", "/portal/products/{gtin}", EVERYONE, |w, _, _| {
            req(format!("/portal/products/{}", w.a.gtin))
        }),
        row("GET", "/portal/recalls", EVERYONE, |_, _, _| {
            req("/portal/recalls")
        }),
        row("GET", "/portal/inspections", EVERYONE, |_, _, _| {
            req("/portal/inspections")
        }),
        row("GET", "/portal/cases", EVERYONE, |_, _, _| {
            req("/portal/cases")
        }),
        row("GET", "/portal/statistics", EVERYONE, |_, _, _| {
            req("/portal/statistics")
        }),
        row("GET", "/portal/log", EVERYONE, |_, _, _| req("/portal/log")),
        // ---- registry
        row("POST", "/api/v1/organizations", &[Admin], |_, _, n| {
            req("/api/v1/organizations")
                .json(json!({"name": format!("New org {n}"), "roles": ["distributor"]}))
        }),
        row("GET", "/api/v1/organizations", EVERYONE, |_, _, _| {
            req("/api/v1/organizations")
        }),
        row("GET", "/api/v1/organizations/{id}", EVERYONE, |w, _, _| {
            req(format!("/api/v1/organizations/{}", w.a.org_id))
        }),
        row(
            "POST",
            "/api/v1/organizations/{id}/keys",
            &[MakerA, Admin],
            |w, _, n| {
                req(format!("/api/v1/organizations/{}/keys", w.a.org_id))
                    .json(json!({"label": format!("k{n}")}))
            },
        ),
        row(
            "POST",
            "/api/v1/organizations/{id}/sites",
            &[MakerA, Admin],
            |w, _, n| {
                req(format!("/api/v1/organizations/{}/sites", w.a.org_id)).json(json!({
                "gln": with_check(&format!("{}{:05}", w.a_prefix, 100 + n)), "name": "Plant", "city": "Anshan"}))
            },
        ),
        row(
            "GET",
            "/api/v1/organizations/{id}/sites",
            EVERYONE,
            |w, _, _| req(format!("/api/v1/organizations/{}/sites", w.a.org_id)),
        ),
        Row {
            deny: Deny::Field("gtin"),
            ..row("POST", "/api/v1/products", &[MakerA, Admin], |w, _, n| {
                req("/api/v1/products").json(json!({
                "gtin": with_check(&format!("0{}{:05}", w.a_prefix, 100 + n)), "name": "Helmet",
                "category": "head", "standard": "GB 2811-2019", "service_life_months": 30}))
            })
        },
        row("GET", "/api/v1/products", EVERYONE, |_, _, _| {
            req("/api/v1/products")
        }),
        row("GET", "/api/v1/products/{gtin}", EVERYONE, |w, _, _| {
            req(format!("/api/v1/products/{}", w.a.gtin))
        }),
        row(
            "GET",
            "/api/v1/products/{gtin}/certificates",
            EVERYONE,
            |w, _, _| req(format!("/api/v1/products/{}/certificates", w.a.gtin)),
        ),
        row(
            "GET",
            "/api/v1/products/{gtin}/batches",
            EVERYONE,
            |w, _, _| req(format!("/api/v1/products/{}/batches", w.a.gtin)),
        ),
        row(
            "POST",
            "/api/v1/certificates",
            &[MakerA, Inspector, CaseHandler, Regulator, Admin],
            |w, _, n| {
                req("/api/v1/certificates").json(json!({
                "gtin": w.a.gtin, "kind": "la_mark", "number": format!("23-02-{n:06}"), "issuer": "LA centre",
                "valid_from": "2025-01-01", "valid_until": "2028-12-31"}))
            },
        ),
        row("POST", "/api/v1/batches", &[MakerA, Admin], |w, _, n| {
            req("/api/v1/batches").json(
                json!({"gtin": w.a.gtin, "lot": format!("M{n}"), "production_date": "2026-11-01"}),
            )
        }),
        row("GET", "/api/v1/batches/{id}", EVERYONE, |w, _, _| {
            req(format!("/api/v1/batches/{}", w.a.batch_id))
        }),
        // ---- codes
        row(
            "POST",
            "/api/v1/batches/{id}/codes",
            &[MakerA, Admin],
            |w, _, _| {
                req(format!("/api/v1/batches/{}/codes", w.a.batch_id)).json(json!({"count": 2}))
            },
        ),
        row(
            "GET",
            "/api/v1/batches/{id}/codes.csv",
            &[MakerA, Admin],
            |w, _, _| req(format!("/api/v1/batches/{}/codes.csv", w.a.batch_id)),
        ),
        // ---- lifecycle
        row("POST", "/api/v1/steps", &[MakerA], |w, _, _| {
            req("/api/v1/steps")
                .json(json!({"step": "shipping", "items": [w.codes[1]], "site_gln": w.a.site_gln}))
        }),
        row(
            "POST",
            "/api/v1/batches/{id}/release",
            &[MakerA],
            |w, _, _| {
                req(format!("/api/v1/batches/{}/release", w.batch2))
                    .json(json!({"site_gln": w.a.site_gln}))
            },
        ),
        row(
            "POST",
            "/api/v1/batches/{id}/recall",
            &[MakerA, Inspector, CaseHandler, Regulator, Admin],
            |w, _, _| {
                req(format!("/api/v1/batches/{}/recall", w.batch2))
                    .json(json!({"reason": "authz matrix"}))
            },
        ),
        row(
            "GET",
            "/api/v1/items/history",
            &[MakerA, Inspector, CaseHandler, Regulator, Admin],
            |w, _, _| {
                req(format!(
                    "/api/v1/items/history?code={}",
                    testkit::urlencode(&w.codes[0])
                ))
            },
        ),
        row("GET", "/api/v1/recall-notices", KEYED, |_, _, _| {
            req("/api/v1/recall-notices")
        }),
        // ---- golden eyes
        row(
            "GET",
            "/api/v1/alerts",
            &[MakerA, MakerB, Inspector, CaseHandler, Regulator, Admin],
            |_, _, _| req("/api/v1/alerts"),
        ),
        row(
            "GET",
            "/api/v1/alerts/counts",
            &[MakerA, MakerB, Inspector, CaseHandler, Regulator, Admin],
            |_, _, _| req("/api/v1/alerts/counts"),
        ),
        hidden(
            "POST",
            "/api/v1/alerts/{id}",
            &[MakerA, Inspector, CaseHandler, Regulator, Admin],
            |w, _, _| {
                req(format!("/api/v1/alerts/{}", w.alert_id))
                    .json(json!({"status": "investigating"}))
            },
        ),
        // ---- EPCIS: any key; visibility filters what each sees
        row("POST", "/capture", KEYED, |w, _, n| {
            req("/capture").raw("application/ld+json", epcis_doc(w, n))
        }),
        row("GET", "/capture", KEYED, |_, _, _| req("/capture")),
        row("OPTIONS", "/capture", EVERYONE, |_, _, _| req("/capture")),
        hidden(
            "GET",
            "/capture/{id}",
            &[MakerA, Inspector, CaseHandler, Regulator, Admin],
            |w, _, _| req(format!("/capture/{}", w.capture_id)),
        ),
        row("GET", "/events", KEYED, |_, _, _| req("/events")),
        row("POST", "/events", KEYED, |w, _, n| {
            req("/events").raw("application/ld+json", {
                let mut e = epcis_event(w, 1000 + n);
                e["@context"] = json!(CTX);
                e.to_string()
            })
        }),
        row("OPTIONS", "/events", EVERYONE, |_, _, _| req("/events")),
        hidden(
            "GET",
            "/events/{event_id}",
            &[MakerA, Inspector, CaseHandler, Regulator, Admin],
            |w, _, _| req(format!("/events/{}", testkit::urlencode(&w.event_id))),
        ),
        row("GET", "/eventTypes", KEYED, |_, _, _| req("/eventTypes")),
        row("GET", "/eventTypes/{t}/events", KEYED, |_, _, _| {
            req("/eventTypes/ObjectEvent/events")
        }),
        row("GET", "/epcs/{v}/events", KEYED, |w, _, _| {
            req(format!("/epcs/{}/events", testkit::urlencode(&w.codes[0])))
        }),
        row("GET", "/bizSteps/{v}/events", KEYED, |_, _, _| {
            req("/bizSteps/shipping/events")
        }),
        row("GET", "/bizLocations/{v}/events", KEYED, |w, _, _| {
            req(format!(
                "/bizLocations/{}/events",
                testkit::urlencode(&format!("urn:epc:id:sgln:{}.00001.0", w.a_prefix))
            ))
        }),
        row("GET", "/readPoints/{v}/events", KEYED, |w, _, _| {
            req(format!(
                "/readPoints/{}/events",
                testkit::urlencode(&format!("urn:epc:id:sgln:{}.00001.0", w.a_prefix))
            ))
        }),
        row("GET", "/dispositions/{v}/events", KEYED, |_, _, _| {
            req("/dispositions/in_transit/events")
        }),
        row("POST", "/queries", KEYED, |_, _, n| {
            req("/queries")
                .json(json!({"name": format!("q{n}"), "query": {"eventType": ["ObjectEvent"]}}))
        }),
        row("GET", "/queries", KEYED, |_, _, _| req("/queries")),
        row("GET", "/queries/{name}", KEYED, |_, _, _| {
            req("/queries/shipped-a")
        }),
        row("GET", "/queries/{name}/events", KEYED, |_, _, _| {
            req("/queries/shipped-a/events")
        }),
        row("DELETE", "/queries/{name}", &[MakerA, Admin], |_, _, _| {
            req("/queries/shipped-a")
        }),
        row("GET", "/api/v1/trace/items", KEYED, |w, _, _| {
            req(format!(
                "/api/v1/trace/items?code={}",
                testkit::urlencode(&w.codes[0])
            ))
        }),
        row(
            "GET",
            "/api/v1/trace/lots/{gtin}/{lot}",
            KEYED,
            |w, _, _| req(format!("/api/v1/trace/lots/{}/L1", w.a.gtin)),
        ),
        // ---- draws and inspections
        row(
            "POST",
            "/api/v1/inspection-targets",
            REGULATOR,
            |_, _, n| {
                req("/api/v1/inspection-targets").json(json!({"code": format!("X{n}"), "name": "Works", "risk_class": "B", "region": "north"}))
            },
        ),
        row("GET", "/api/v1/inspection-targets", REGULATOR, |_, _, _| {
            req("/api/v1/inspection-targets")
        }),
        row("POST", "/api/v1/inspectors", REGULATOR, |_, _, n| {
            req("/api/v1/inspectors").json(
                json!({"code": format!("J{n}"), "name": "Inspector", "region": "east",
                "public_key": hex(SigningKey::from_bytes(&[9; 32]).verifying_key().as_bytes())}),
            )
        }),
        row("GET", "/api/v1/inspectors", REGULATOR, |_, _, _| {
            req("/api/v1/inspectors")
        }),
        row("POST", "/api/v1/item-lists", REGULATOR, |_, _, n| {
            req("/api/v1/item-lists").json(json!({"code": format!("L-{n}"), "title": "List", "items": [{"code": "c1", "text": "Helmets"}]}))
        }),
        row("GET", "/api/v1/item-lists", EVERYONE, |_, _, _| {
            req("/api/v1/item-lists")
        }),
        row("GET", "/api/v1/item-lists/{code}", EVERYONE, |_, _, _| {
            req("/api/v1/item-lists/PPE-2026")
        }),
        row("POST", "/api/v1/draws", REGULATOR, |_, _, n| {
            req("/api/v1/draws").json(plan(&format!("P-{n}"), 30))
        }),
        row("GET", "/api/v1/draws", EVERYONE, |_, _, _| {
            req("/api/v1/draws")
        }),
        row("GET", "/api/v1/draws/{id}", EVERYONE, |w, _, _| {
            req(format!("/api/v1/draws/{}", w.draw1))
        }),
        row("POST", "/api/v1/draws/{id}/seed", REGULATOR, |w, _, _| {
            req(format!("/api/v1/draws/{}/seed", w.draw2)).json(seed_body())
        }),
        row("POST", "/api/v1/draws/{id}/run", REGULATOR, |w, _, _| {
            req(format!("/api/v1/draws/{}/run", w.draw2)).json(json!({}))
        }),
        row(
            "GET",
            "/api/v1/draws/{id}/assignments",
            &[Inspector, CaseHandler, Regulator],
            |w, _, _| req(format!("/api/v1/draws/{}/assignments", w.draw1)),
        ),
        row(
            "GET",
            "/api/v1/draws/{id}/published.json",
            EVERYONE,
            |w, _, _| req(format!("/api/v1/draws/{}/published.json", w.draw1)),
        ),
        row("POST", "/api/v1/inspections", &[Inspector], |w, _, _| {
            req("/api/v1/inspections").json(w.signed_record.clone())
        }),
        row(
            "GET",
            "/api/v1/inspections",
            &[Inspector, CaseHandler, Regulator],
            |_, _, _| req("/api/v1/inspections"),
        ),
        row(
            "GET",
            "/api/v1/targets/{code}/results",
            EVERYONE,
            |_, _, _| req("/api/v1/targets/T1/results"),
        ),
        row(
            "GET",
            "/api/v1/inspection-analytics",
            REGULATOR,
            |_, _, _| req("/api/v1/inspection-analytics"),
        ),
        row("GET", "/draws", EVERYONE, |_, _, _| req("/draws")),
        row("GET", "/draws/{id}", EVERYONE, |w, _, _| {
            req(format!("/draws/{}", w.draw1))
        }),
        row("GET", "/targets/{code}/inspections", EVERYONE, |_, _, _| {
            req("/targets/T1/inspections")
        }),
        // ---- mailbox: reporters are anonymous; handlers use registered keys
        row("GET", "/mailbox", EVERYONE, |_, _, _| req("/mailbox")),
        row("POST", "/mailbox/report", EVERYONE, |_, _, _| Req {
            url: "/mailbox/report".into(),
            body: Body::Multipart(vec![("category", "bribery".into()), ("text", "x".into())]),
            headers: Vec::new(),
        }),
        row("GET", "/mailbox/return", EVERYONE, |_, _, _| {
            req("/mailbox/return")
        }),
        row("POST", "/mailbox/return", EVERYONE, |w, _, _| Req {
            url: "/mailbox/return".into(),
            body: Body::Form(vec![("receipt", w.receipt.clone())]),
            headers: Vec::new(),
        }),
        row("POST", "/mailbox/return/add", EVERYONE, |w, _, _| Req {
            url: "/mailbox/return/add".into(),
            body: Body::Multipart(vec![
                ("receipt", w.receipt.clone()),
                ("text", "more".into()),
            ]),
            headers: Vec::new(),
        }),
        row("GET", "/mailbox/published", EVERYONE, |_, _, _| {
            req("/mailbox/published")
        }),
        row("GET", "/api/v1/mailbox/challenge", EVERYONE, |_, _, _| {
            req("/api/v1/mailbox/challenge")
        }),
        row("POST", "/api/v1/mailbox/reports", EVERYONE, |_, _, _| {
            req("/api/v1/mailbox/reports").json(json!({"category": "bribery", "text": "x", "pow": {"challenge": "x", "nonce": "0"}}))
        }),
        // The receipt is the reporter's credential: whoever holds it is let in.
        row("POST", "/api/v1/mailbox/receipt", EVERYONE, |w, _, _| {
            req("/api/v1/mailbox/receipt").json(json!({"receipt": w.receipt}))
        }),
        row(
            "POST",
            "/api/v1/mailbox/receipt/messages",
            EVERYONE,
            |w, _, _| {
                req("/api/v1/mailbox/receipt/messages")
                    .json(json!({"receipt": w.receipt, "text": "more"}))
            },
        ),
        row("GET", "/api/v1/mailbox/stats", EVERYONE, |_, _, _| {
            req("/api/v1/mailbox/stats")
        }),
        row("GET", "/api/v1/mailbox/published", EVERYONE, |_, _, _| {
            req("/api/v1/mailbox/published")
        }),
        row("GET", "/api/v1/mailbox/cases", &[CaseHandler], |_, _, _| {
            req("/api/v1/mailbox/cases")
        }),
        row(
            "GET",
            "/api/v1/mailbox/cases/{id}",
            &[CaseHandler],
            |w, _, _| req(format!("/api/v1/mailbox/cases/{}", w.case_id)),
        ),
        row(
            "POST",
            "/api/v1/mailbox/cases/{id}/messages",
            &[CaseHandler],
            |w, _, _| {
                req(format!("/api/v1/mailbox/cases/{}/messages", w.case_id))
                    .json(json!({"kind": "note", "text": "checked"}))
            },
        ),
        row(
            "POST",
            "/api/v1/mailbox/cases/{id}/state",
            &[CaseHandler],
            |w, _, _| {
                req(format!("/api/v1/mailbox/cases/{}/state", w.case_id))
                    .json(json!({"to": "acknowledged"}))
            },
        ),
        row(
            "POST",
            "/api/v1/mailbox/cases/{id}/assign",
            &[CaseHandler],
            |w, _, _| {
                req(format!("/api/v1/mailbox/cases/{}/assign", w.case_id))
                    .json(json!({"handler_key_id": w.handler_key_id}))
            },
        ),
        row(
            "POST",
            "/api/v1/mailbox/cases/{id}/publish",
            &[CaseHandler],
            |w, _, _| {
                req(format!("/api/v1/mailbox/cases/{}/publish", w.case_id))
                    .json(json!({"summary": "Forged certificates"}))
            },
        ),
        // Last: registering makes the caller a case handler for the rows above.
        // An inspector's key is a regulator's key and may register (see THREAT_MODEL.md).
        row(
            "POST",
            "/api/v1/mailbox/handlers",
            &[Inspector, CaseHandler, Regulator, Admin],
            |w, _, _| req("/api/v1/mailbox/handlers").json(json!({"recipient": w.age_recipient})),
        ),
        row("POST", "/api/v1/mailbox/purge", &[Admin], |_, _, _| {
            req("/api/v1/mailbox/purge")
        }),
        // ---- console users (the organization's key or an administrator)
        row(
            "POST",
            "/api/v1/organizations/{id}/users",
            &[MakerA, Admin],
            |w, _, n| {
                req(format!("/api/v1/organizations/{}/users", w.a.org_id)).json(
                    json!({"username": format!("user-{n}"), "password": PASSWORD, "roles": ["manufacturer"]}),
                )
            },
        ),
        row("GET", "/assets/console.js", EVERYONE, |_, _, _| {
            req("/assets/console.js")
        }),
        // The case page's and the signing page's scripts (keys stay in the browser).
        row("GET", "/assets/age.js", EVERYONE, |_, _, _| {
            req("/assets/age.js")
        }),
        row("GET", "/assets/age.js.LICENSE.txt", EVERYONE, |_, _, _| {
            req("/assets/age.js.LICENSE.txt")
        }),
        row("GET", "/assets/case.js", EVERYONE, |_, _, _| {
            req("/assets/case.js")
        }),
        row("GET", "/assets/inspector.js", EVERYONE, |_, _, _| {
            req("/assets/inspector.js")
        }),
        // ---- the consoles: login is open to everyone, every page needs a session
        console("GET", "/console/login", EVERYONE, |_, _, _| {
            req("/console/login")
        }),
        console("POST", "/console/login", EVERYONE, |w, _, _| {
            form(
                "/console/login",
                vec![
                    ("username", w.login_user.clone()),
                    ("password", PASSWORD.into()),
                    ("next", "/console".into()),
                ],
            )
        }),
        console("GET", "/console", CONSOLE_USERS, |_, _, _| req("/console")),
        // An organization's user administrator sees its own organization's users.
        console("GET", "/console/users", &[MakerB, Admin], |_, _, _| {
            req("/console/users")
        }),
        // An organization's user administrator adds users to its own organization
        // (creating further `admin` users takes a platform administrator's API key).
        console("POST", "/console/users", &[MakerB, Admin], |_, _, n| {
            form(
                "/console/users",
                vec![
                    ("username", format!("console-user-{n}")),
                    ("password", PASSWORD.into()),
                    ("roles", "manufacturer".into()),
                ],
            )
        }),
        // ---- manufacturer console: own products only (`authz::manage_products`).
        // Manufacturer B's user also holds the console role `admin` (its
        // organization's user administrator): that gives no power over A's records.
        console(
            "GET",
            "/console/manufacturer",
            &[MakerA, MakerB],
            |_, _, _| req("/console/manufacturer"),
        ),
        console(
            "POST",
            "/console/manufacturer/products",
            &[MakerA, MakerB],
            |w, who, n| {
                let prefix = if who == MakerB {
                    w.b_prefix
                } else {
                    w.a_prefix
                };
                form(
                    "/console/manufacturer/products",
                    vec![
                        ("gtin", with_check(&format!("0{prefix}{:05}", 500 + n))),
                        ("name", "Helmet".into()),
                        ("category", "head".into()),
                        ("standard", "GB 2811-2019".into()),
                        ("service_life_months", "30".into()),
                    ],
                )
            },
        ),
        console(
            "GET",
            "/console/manufacturer/products/{gtin}",
            &[MakerA],
            |w, _, _| req(format!("/console/manufacturer/products/{}", w.a.gtin)),
        ),
        console(
            "POST",
            "/console/manufacturer/products/{gtin}/certificates",
            &[MakerA],
            |w, _, n| {
                form(
                    format!("/console/manufacturer/products/{}/certificates", w.a.gtin),
                    vec![
                        ("kind", "la_mark".into()),
                        ("number", format!("23-03-{n:06}")),
                        ("issuer", "LA centre".into()),
                        ("valid_from", "2025-01-01".into()),
                        ("valid_until", "2028-12-31".into()),
                    ],
                )
            },
        ),
        console(
            "POST",
            "/console/manufacturer/products/{gtin}/batches",
            &[MakerA],
            |w, _, n| {
                form(
                    format!("/console/manufacturer/products/{}/batches", w.a.gtin),
                    vec![
                        ("lot", format!("C{n}")),
                        ("production_date", "2026-11-01".into()),
                    ],
                )
            },
        ),
        console(
            "GET",
            "/console/manufacturer/batches/{id}",
            &[MakerA],
            |w, _, _| req(format!("/console/manufacturer/batches/{}", w.batch3)),
        ),
        console(
            "POST",
            "/console/manufacturer/batches/{id}/codes",
            &[MakerA],
            |w, _, _| {
                form(
                    format!("/console/manufacturer/batches/{}/codes", w.batch3),
                    vec![("count", "2".into())],
                )
            },
        ),
        console(
            "GET",
            "/console/manufacturer/batches/{id}/codes.csv",
            &[MakerA],
            |w, _, _| {
                req(format!(
                    "/console/manufacturer/batches/{}/codes.csv",
                    w.batch3
                ))
            },
        ),
        console(
            "POST",
            "/console/manufacturer/batches/{id}/release",
            &[MakerA],
            |w, _, _| {
                form(
                    format!("/console/manufacturer/batches/{}/release", w.batch3),
                    vec![("site_gln", w.a.site_gln.clone())],
                )
            },
        ),
        // A regulator user may recall too (`authz::recall_batch`).
        console(
            "POST",
            "/console/manufacturer/batches/{id}/recall",
            &[MakerA, Regulator],
            |w, _, _| {
                form(
                    format!("/console/manufacturer/batches/{}/recall", w.batch3),
                    vec![("reason", "authz matrix".into())],
                )
            },
        ),
        console(
            "GET",
            "/console/manufacturer/alerts",
            &[MakerA, MakerB],
            |_, _, _| req("/console/manufacturer/alerts"),
        ),
        // Only A (and the regulator) may update A's alert; others get a 404.
        Row {
            deny: Deny::Hide,
            ..console(
                "POST",
                "/console/alerts/{id}",
                &[MakerA, Regulator],
                |w, _, _| {
                    form(
                        format!("/console/alerts/{}", w.alert_id),
                        vec![
                            ("status", "closed".into()),
                            ("resolution", "counterfeit".into()),
                        ],
                    )
                },
            )
        },
        // ---- employer console: the own ledger only (`authz::manage_ledger`)
        console("GET", "/console/employer", EMPLOYER, |_, _, _| {
            req("/console/employer")
        }),
        console("POST", "/console/employer/receive", EMPLOYER, |w, _, _| {
            form(
                "/console/employer/receive",
                vec![
                    ("site_gln", w.emp_site.clone()),
                    ("codes", w.codes[2].clone()),
                ],
            )
        }),
        console("POST", "/console/employer/workers", EMPLOYER, |_, _, n| {
            form(
                "/console/employer/workers",
                vec![("code", format!("CW-{n}")), ("name", "Worker".into())],
            )
        }),
        console("GET", "/console/employer/ledger", EMPLOYER, |_, _, _| {
            req("/console/employer/ledger")
        }),
        console(
            "POST",
            "/console/employer/items/{id}/accept",
            EMPLOYER,
            |w, _, _| {
                form(
                    format!("/console/employer/items/{}/accept", w.ledger_item),
                    vec![],
                )
            },
        ),
        console(
            "POST",
            "/console/employer/items/{id}/issue",
            EMPLOYER,
            |w, _, _| {
                form(
                    format!("/console/employer/items/{}/issue", w.ledger_item),
                    vec![("worker", "W-1".into())],
                )
            },
        ),
        // ---- regulator, inspector and case-handler consoles
        console("GET", "/console/regulator", &[Regulator], |_, _, _| {
            req("/console/regulator")
        }),
        console(
            "GET",
            "/console/regulator/analytics",
            &[Regulator],
            |_, _, _| req("/console/regulator/analytics"),
        ),
        console("GET", "/console/inspector", &[Inspector], |_, _, _| {
            req("/console/inspector")
        }),
        console(
            "POST",
            "/console/inspector/prepare",
            &[Inspector],
            |w, _, _| {
                form(
                    "/console/inspector/prepare",
                    vec![
                        ("draw_id", w.draw1.to_string()),
                        ("target", "T1".into()),
                        ("started_at", "2026-12-03T09:00".into()),
                        ("ended_at", "2026-12-03T11:00".into()),
                    ],
                )
            },
        ),
        console(
            "POST",
            "/console/inspector/file",
            &[Inspector],
            |w, _, _| {
                form(
                    "/console/inspector/file",
                    vec![
                        ("record", w.console_record["record"].to_string()),
                        (
                            "signature",
                            w.console_record["signature"]
                                .as_str()
                                .unwrap_or_default()
                                .to_string(),
                        ),
                    ],
                )
            },
        ),
        console("GET", "/console/cases", &[CaseHandler], |_, _, _| {
            req("/console/cases")
        }),
        console("GET", "/console/cases/{id}", &[CaseHandler], |w, _, _| {
            req(format!("/console/cases/{}", w.case_id))
        }),
        console(
            "POST",
            "/console/cases/{id}/state",
            &[CaseHandler],
            |w, _, _| {
                form(
                    format!("/console/cases/{}/state", w.case_id),
                    vec![("to", "investigating".into())],
                )
            },
        ),
        console(
            "POST",
            "/console/cases/{id}/messages",
            &[CaseHandler],
            |w, _, _| {
                form(
                    format!("/console/cases/{}/messages", w.case_id),
                    vec![("kind", "note".into()), ("text", "checked".into())],
                )
            },
        ),
        // ---- the employer's PPE ledger API: the owning employer's key only
        // (`authz::manage_ledger`: not manufacturers, regulators or administrators;
        // other employers are refused in crates/web/tests/it/ledger.rs).
        row("POST", "/api/v1/ledger/receipts", EMPLOYER, |w, _, _| {
            req("/api/v1/ledger/receipts")
                .json(json!({"site_gln": w.emp_site, "items": [w.codes[0]]}))
        }),
        row("GET", "/api/v1/ledger/items", EMPLOYER, |_, _, _| {
            req("/api/v1/ledger/items")
        }),
        row("GET", "/api/v1/ledger/items/lookup", EMPLOYER, |w, _, _| {
            req(format!(
                "/api/v1/ledger/items/lookup?code={}",
                testkit::urlencode(&w.codes[1])
            ))
        }),
        row("GET", "/api/v1/ledger/items/{id}", EMPLOYER, |w, _, _| {
            req(format!("/api/v1/ledger/items/{}", w.ledger_item))
        }),
        row(
            "POST",
            "/api/v1/ledger/items/{id}/accept",
            EMPLOYER,
            |w, _, _| req(format!("/api/v1/ledger/items/{}/accept", w.ledger_item)).json(json!({})),
        ),
        row(
            "POST",
            "/api/v1/ledger/items/{id}/issue",
            EMPLOYER,
            |w, _, _| {
                req(format!("/api/v1/ledger/items/{}/issue", w.ledger_item))
                    .json(json!({"worker": "W-1"}))
            },
        ),
        row(
            "POST",
            "/api/v1/ledger/items/{id}/inspections",
            EMPLOYER,
            |w, _, _| {
                req(format!(
                    "/api/v1/ledger/items/{}/inspections",
                    w.ledger_item
                ))
                .json(json!({"result": "pass"}))
            },
        ),
        row(
            "POST",
            "/api/v1/ledger/items/{id}/replace",
            EMPLOYER,
            |w, _, _| {
                req(format!("/api/v1/ledger/items/{}/replace", w.ledger_item))
                    .json(json!({"new_item": w.ledger_item2}))
            },
        ),
        row(
            "POST",
            "/api/v1/ledger/items/{id}/return",
            EMPLOYER,
            |w, _, _| req(format!("/api/v1/ledger/items/{}/return", w.ledger_item)).json(json!({})),
        ),
        row(
            "POST",
            "/api/v1/ledger/items/{id}/reject",
            EMPLOYER,
            |w, _, _| {
                req(format!("/api/v1/ledger/items/{}/reject", w.ledger_item2))
                    .json(json!({"reason": "damaged"}))
            },
        ),
        row(
            "POST",
            "/api/v1/ledger/items/{id}/scrap",
            EMPLOYER,
            |w, _, _| {
                req(format!("/api/v1/ledger/items/{}/scrap", w.ledger_item))
                    .json(json!({"reason": "worn out"}))
            },
        ),
        row("POST", "/api/v1/ledger/workers", EMPLOYER, |_, _, n| {
            req("/api/v1/ledger/workers").json(json!({"code": format!("W-{n}0"), "name": "Worker"}))
        }),
        row("GET", "/api/v1/ledger/workers", EMPLOYER, |_, _, _| {
            req("/api/v1/ledger/workers")
        }),
        row(
            "GET",
            "/api/v1/ledger/workers/{code}",
            EMPLOYER,
            |_, _, _| req("/api/v1/ledger/workers/W-1"),
        ),
        row(
            "PATCH",
            "/api/v1/ledger/workers/{code}",
            EMPLOYER,
            |_, _, _| req("/api/v1/ledger/workers/W-1").json(json!({"name": "Worker One"})),
        ),
        row(
            "GET",
            "/api/v1/ledger/workers/{code}/history",
            EMPLOYER,
            |_, _, _| req("/api/v1/ledger/workers/W-1/history"),
        ),
        row("GET", "/api/v1/ledger/stock", EMPLOYER, |w, _, _| {
            req(format!("/api/v1/ledger/stock?site={}", w.emp_site))
        }),
        row("GET", "/api/v1/ledger/due", EMPLOYER, |w, _, _| {
            req(format!("/api/v1/ledger/due?site={}&days=30", w.emp_site))
        }),
        row("GET", "/api/v1/ledger/export.csv", EMPLOYER, |_, _, _| {
            req("/api/v1/ledger/export.csv")
        }),
        // Last: logging out ends the session every console row above used.
        console("POST", "/console/logout", CONSOLE_USERS, |_, _, _| {
            form("/console/logout", Vec::new())
        }),
    ]
}

// ------------------------------------------------------------------ routes from the source

/// Every (METHOD, path) registered with `.route(…)` in crates/web/src, with the file.
fn routes_in_source() -> Vec<(String, String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    fn walk(d: &Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(d).expect("read src").flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    walk(&src, &mut files);
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let text = strip_comments(&std::fs::read_to_string(&f).expect("read"));
        let name = f
            .strip_prefix(Path::new(env!("CARGO_MANIFEST_DIR")))
            .unwrap_or(&f)
            .display()
            .to_string();
        for other in [".route_service(", ".nest(", ".nest_service("] {
            assert!(
                !text.contains(other),
                "{name} uses `{other}`: the authorisation matrix only understands `.route(PATH, METHODS)`; \
                 extend routes_in_source in crates/web/tests/it/authz_matrix.rs"
            );
        }
        for (path, methods) in parse_routes(&text) {
            assert!(
                !methods.is_empty(),
                "{name}: route {path}: no method router understood (get/post/put/patch/delete/options/head)"
            );
            for m in methods {
                out.push((m, path.clone(), name.clone()));
            }
        }
    }
    out
}

/// Removes `//` comments (outside string literals), so commented-out routes do not count.
fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let mut in_str = false;
        let mut prev = '\0';
        let mut cut = line.len();
        for (i, c) in line.char_indices() {
            if c == '"' && prev != '\\' {
                in_str = !in_str;
            }
            if !in_str && c == '/' && prev == '/' {
                cut = i - 1;
                break;
            }
            prev = c;
        }
        out.push_str(&line[..cut]);
        out.push('\n');
    }
    out
}

/// Finds `.route("PATH", EXPR)` and the method names called at the top level of
/// EXPR (`get(h).post(h2)` → GET, POST).
fn parse_routes(text: &str) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let b = text.as_bytes();
    let mut at = 0;
    while let Some(i) = text[at..].find(".route(") {
        let mut j = at + i + ".route(".len();
        at = j;
        while b[j].is_ascii_whitespace() {
            j += 1;
        }
        if b[j] != b'"' {
            continue;
        }
        let end = j + 1 + text[j + 1..].find('"').expect("closing quote");
        let path = text[j + 1..end].to_string();
        // The method router: up to the `)` closing `.route(`.
        let mut k = end + 1;
        let mut depth = 0i32;
        let mut methods = Vec::new();
        let mut in_str = false;
        while k < b.len() {
            let c = b[k];
            if in_str {
                if c == b'\\' {
                    k += 1;
                } else if c == b'"' {
                    in_str = false;
                }
            } else if c == b'"' {
                in_str = true;
            } else if c == b'(' {
                if depth == 0 {
                    let mut s = k;
                    while s > 0 && (b[s - 1].is_ascii_alphanumeric() || b[s - 1] == b'_') {
                        s -= 1;
                    }
                    let ident = &text[s..k];
                    if matches!(
                        ident,
                        "get" | "post" | "put" | "patch" | "delete" | "options" | "head"
                    ) {
                        methods.push(ident.to_ascii_uppercase());
                    } else if matches!(ident, "any" | "on" | "trace" | "connect") {
                        panic!(
                            "route {path}: `{ident}(…)` is not understood by the authorisation matrix"
                        );
                    }
                }
                depth += 1;
            } else if c == b')' {
                if depth == 0 {
                    break;
                }
                depth -= 1;
            }
            k += 1;
        }
        out.push((path, methods));
    }
    out
}

#[test]
fn every_route_has_a_rule() {
    let routes = routes_in_source();
    assert!(
        routes.len() > 50,
        "the route scan found only {} routes",
        routes.len()
    );
    let rows: BTreeSet<(String, String)> = matrix()
        .iter()
        .map(|r| (r.method.to_string(), r.route.to_string()))
        .collect();
    let served: BTreeSet<(String, String)> = routes
        .iter()
        .map(|(m, p, _)| (m.clone(), p.clone()))
        .collect();
    let mut missing = Vec::new();
    for (m, p, file) in &routes {
        if !rows.contains(&(m.clone(), p.clone())) {
            missing.push(format!("  {m} {p}   (registered in crates/web/{file})"));
        }
    }
    assert!(
        missing.is_empty(),
        "routes without a row in the authorisation matrix (crates/web/tests/it/authz_matrix.rs, fn matrix): \
         add a row saying which callers may use each, with a request that exercises it:\n{}",
        missing.join("\n")
    );
    let stale: Vec<String> = rows
        .difference(&served)
        .map(|(m, p)| format!("  {m} {p}"))
        .collect();
    assert!(
        stale.is_empty(),
        "rows of the authorisation matrix for routes that are no longer served; remove them:\n{}",
        stale.join("\n")
    );
    let all = matrix();
    assert_eq!(all.len(), rows.len(), "one row per (method, route)");
}

#[test]
fn the_route_scanner_reads_chained_and_multiline_routes() {
    let text = strip_comments(
        r#"Router::new()
        .route("/a", get(h).post(p))
        .route(
            "/b/{id}",
            post(|| async { g("x)") }).delete(d),
        )
        // .route("/commented", get(x))
        .route("/c", get(|| async { "ok\n" }))"#,
    );
    assert_eq!(
        parse_routes(&text),
        vec![
            (
                "/a".to_string(),
                vec!["GET".to_string(), "POST".to_string()]
            ),
            (
                "/b/{id}".to_string(),
                vec!["POST".to_string(), "DELETE".to_string()]
            ),
            ("/c".to_string(), vec!["GET".to_string()]),
        ]
    );
}

// ------------------------------------------------------------------ the world

struct TestClock(Mutex<DateTime<Utc>>);
impl app::Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("clock")
    }
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 8, 0, 0)
        .single()
        .expect("time")
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn beacon_round() -> u64 {
    app::draws::drand_round_after(start() + Duration::hours(1))
}

/// A draw plan whose window opens `days` after the start.
fn plan(id: &str, days: i64) -> Value {
    let ws = start() + Duration::days(days);
    json!({
        "plan_id": id, "item_list": "PPE-2026",
        "quotas": [{"class": "A", "fraction_bp": 10000, "minimum": 1}],
        "inspectors_per_target": 2, "window_start": ws.to_rfc3339(), "window_end": (ws + Duration::days(7)).to_rfc3339(),
        "beacon_round": beacon_round(), "max_assignments_per_inspector": null,
        "contribution_commitments": []
    })
}

fn seed_body() -> Value {
    json!({"beacon": {"round": beacon_round(), "randomness": "7d".repeat(32)}, "reveals": []})
}

/// A logged-in console user: the `Cookie` header value and the CSRF token.
struct Session {
    cookie: String,
    csrf: String,
}

struct World {
    t: TestApp,
    /// Does not follow redirects: a console page's 303 to the login page is an answer.
    client: reqwest::Client,
    keys: HashMap<Who, String>,
    sessions: HashMap<Who, Session>,
    a: Maker,
    a_prefix: &'static str,
    b_prefix: &'static str,
    /// A console user everyone may try to log in as.
    login_user: String,
    batch3: i64,
    emp_site: String,
    ledger_item: i64,
    /// A second item in the ledger (the replacement).
    ledger_item2: i64,
    /// A record of inspector I2 (the inspector's console user), signed.
    console_record: Value,
    codes: Vec<String>,
    serial: String,
    batch2: i64,
    alert_id: i64,
    capture_id: String,
    event_id: String,
    draw1: i64,
    draw2: i64,
    signed_record: Value,
    age_recipient: String,
    case_id: i64,
    handler_key_id: i64,
    receipt: String,
}

const PASSWORD: &str = "correct horse battery";

/// Creates a console user with the organization's key; returns the user's own key id.
async fn console_user(t: &TestApp, org_id: i64, key: &str, username: &str, roles: &[&str]) -> i64 {
    let u = created(
        t.post(
            &format!("/api/v1/organizations/{org_id}/users"),
            Some(key),
            json!({"username": username, "password": PASSWORD, "roles": roles}),
        )
        .await,
        "console user",
    )
    .await;
    u["key_id"].as_i64().expect("the user's key id")
}

/// Logs a console user in; the session cookie and the CSRF token of its forms.
async fn login(t: &TestApp, client: &reqwest::Client, username: &str) -> Session {
    let r = client
        .post(t.url("/console/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "username={}&password={}&next=%2Fconsole",
            testkit::urlencode(username),
            testkit::urlencode(PASSWORD)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "login {username}");
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let html = client
        .get(t.url("/console"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let at = html.find("name=\"csrf\" value=\"").expect("a CSRF token") + 19;
    Session {
        cookie,
        csrf: html[at..at + 64].to_string(),
    }
}

async fn created(r: reqwest::Response, what: &str) -> Value {
    let s = r.status();
    let body = r.text().await.unwrap_or_default();
    assert!(s.is_success(), "{what}: {s} {body}");
    serde_json::from_str(&body).unwrap_or(Value::Null)
}

async fn world(backend: store::Backend) -> World {
    let clock = Arc::new(TestClock(Mutex::new(start())));
    let c2 = clock.clone();
    let t = testkit::spawn_app_with(backend, move |mut a| {
        Arc::make_mut(&mut a.config).mailbox.pow_bits = 4;
        a.with_clock(c2)
    })
    .await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let (a_prefix, b_prefix) = ("6901234", "6905678");
    let a = register_maker(&t, a_prefix, "Maker A").await;
    let b = register_maker(&t, b_prefix, "Maker B").await;
    let codes = issue_codes(&t, &a, 4).await;
    testkit::release(&t, &a).await;
    let serial = codes[0].rsplit('/').next().unwrap().to_string();
    let (dist_id, dist_key) = register_org(
        &t,
        "Distributor",
        &["distributor"],
        &with_check("690999900000"),
        &[],
    )
    .await;
    register_site(
        &t,
        dist_id,
        &dist_key,
        &with_check("690999900001"),
        "Wuhan",
        30.59,
        114.3,
    )
    .await;
    let (emp_id, emp_key) = register_org(
        &t,
        "Steel Works",
        &["employer"],
        &with_check("690888800000"),
        &[],
    )
    .await;
    register_site(
        &t,
        emp_id,
        &emp_key,
        &with_check("690888800001"),
        "Shenyang",
        41.8,
        123.4,
    )
    .await;
    let (reg_id, reg_key) = register_org(
        &t,
        "Safety Bureau",
        &["regulator"],
        &with_check("690777700000"),
        &[],
    )
    .await;
    let new_key = |label: &'static str| {
        let (t, reg_key) = (&t, reg_key.clone());
        async move {
            let k = created(
                t.post(
                    &format!("/api/v1/organizations/{reg_id}/keys"),
                    Some(&reg_key),
                    json!({"label": label}),
                )
                .await,
                "regulator key",
            )
            .await;
            (
                k["id"].as_i64().unwrap(),
                k["key"].as_str().unwrap().to_string(),
            )
        }
    };
    let (insp_key_id, insp_key) = new_key("inspector").await;
    let (handler_key_id, handler_key) = new_key("handler").await;

    // Console users, one per caller that can have one (see the module comment);
    // only a platform administrator may create a user with the console role `admin`.
    let mut users: Vec<(Who, &str)> = Vec::new();
    for (who, org, key, name, roles) in [
        (MakerA, a.org_id, &a.key, "maker-a", &["manufacturer"][..]),
        (
            MakerB,
            b.org_id,
            &t.admin_key,
            "maker-b",
            &["manufacturer", "admin"][..],
        ),
        (Employer, emp_id, &emp_key, "employer", &["employer"][..]),
        (Regulator, reg_id, &reg_key, "regulator", &["regulator"][..]),
    ] {
        console_user(&t, org, key, name, roles).await;
        users.push((who, name));
    }
    let console_inspector = console_user(&t, reg_id, &reg_key, "inspector", &["inspector"]).await;
    users.push((Inspector, "inspector"));
    let console_handler = console_user(&t, reg_id, &reg_key, "handler", &["case_handler"]).await;
    users.push((CaseHandler, "handler"));
    t.app
        .mailbox_register_handler(
            &domain::authz::Actor {
                key_id: console_handler,
                org_id: reg_id,
                roles: vec![domain::org::Role::Regulator],
                admin: false,
            },
            &age::x25519::Identity::generate().to_public().to_string(),
            None,
        )
        .await
        .expect("console handler");
    let orgs = created(t.get("/api/v1/organizations", None).await, "orgs").await;
    let operator = orgs
        .as_array()
        .or_else(|| orgs["organizations"].as_array())
        .and_then(|v| v.iter().find(|o| o["name"] == "operator"))
        .and_then(|o| o["id"].as_i64())
        .unwrap_or_else(|| panic!("the operator's organization: {orgs}"));
    console_user(&t, operator, &t.admin_key, "admin", &["admin"]).await;
    users.push((Admin, "admin"));

    // A second batch of A, for release and recall.
    let batch2 = created(
        t.post(
            "/api/v1/batches",
            Some(&a.key),
            json!({"gtin": a.gtin, "lot": "L2", "production_date": "2026-11-01"}),
        )
        .await,
        "batch 2",
    )
    .await["id"]
        .as_i64()
        .unwrap();

    // A third batch of A, for the console's release and recall.
    let batch3 = created(
        t.post(
            "/api/v1/batches",
            Some(&a.key),
            json!({"gtin": a.gtin, "lot": "L3", "production_date": "2026-11-01"}),
        )
        .await,
        "batch 3",
    )
    .await["id"]
        .as_i64()
        .unwrap();

    // An event of A, a capture job of A, a named query of A.
    let ev = created(
        t.post(
            "/api/v1/steps",
            Some(&a.key),
            json!({"step": "commissioning", "items": [codes[0]], "site_gln": a.site_gln}),
        )
        .await,
        "step",
    )
    .await;
    let event_id = ev["event_id"].as_str().unwrap().to_string();
    let r = t
        .client
        .post(t.url("/capture"))
        .bearer_auth(&a.key)
        .header("content-type", "application/ld+json")
        .body(
            json!({"@context": CTX, "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-03-01T08:00:00Z",
                "epcisBody": {"eventList": [{"type": "ObjectEvent", "eventTime": "2026-02-01T08:00:00Z", "eventTimeZoneOffset": "+08:00",
                    "epcList": [codes[3]], "action": "OBSERVE", "bizStep": "inspecting"}]}})
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    let capture_id = created(r, "capture").await["captureID"]
        .as_str()
        .map(String::from)
        .unwrap_or_default();
    assert!(!capture_id.is_empty());
    created(
        t.post(
            "/queries",
            Some(&a.key),
            json!({"name": "shipped-a", "query": {"EQ_bizStep": ["shipping"]}}),
        )
        .await,
        "named query",
    )
    .await;

    // An alert on A's code: the same code in Wuhan, then minutes later in Urumqi.
    let scan =
        |lat: f64, lon: f64, city: &str| format!("{}?lat={lat}&lon={lon}&city={city}", codes[2]);
    for url in [scan(30.59, 114.30, "Wuhan")] {
        testkit::verdict(&t, &url).await;
    }
    t.app.flush_scans().await;
    testkit::verdict(&t, &scan(43.83, 87.62, "Urumqi")).await;
    let alerts = created(t.get("/api/v1/alerts", Some(&a.key)).await, "alerts").await;
    let alert_id = alerts["alerts"][0]["id"].as_i64().expect("an alert");

    // Draws: a target (the employer), an inspector with a key, an item list, a draw
    // seeded and run whose window is open, and a second one only published.
    let signer = SigningKey::from_bytes(&[7; 32]);
    created(
        t.post(
            "/api/v1/inspectors",
            Some(&reg_key),
            json!({
            "code": "I1", "name": "Inspector 1", "region": "east", "api_key_id": insp_key_id,
            "public_key": hex(signer.verifying_key().as_bytes())}),
        )
        .await,
        "inspector",
    )
    .await;
    created(
        t.post(
            "/api/v1/inspectors",
            Some(&reg_key),
            json!({
            "code": "I2", "name": "Inspector 2", "region": "west", "api_key_id": console_inspector,
            "public_key": hex(SigningKey::from_bytes(&[8; 32]).verifying_key().as_bytes())}),
        )
        .await,
        "inspector 2",
    )
    .await;
    created(
        t.post("/api/v1/inspection-targets", Some(&reg_key), json!({
            "code": "T1", "name": "Steel Works", "org_id": emp_id, "risk_class": "A", "region": "north", "complaint_count": 1}))
            .await,
        "target",
    )
    .await;
    created(
        t.post("/api/v1/item-lists", Some(&reg_key), json!({
            "code": "PPE-2026", "title": "PPE issue and use", "items": [{"code": "c1", "text": "Helmets certified"}]}))
            .await,
        "item list",
    )
    .await;
    let draw1 = created(
        t.post("/api/v1/draws", Some(&reg_key), plan("D1", 2)).await,
        "draw 1",
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let draw2 = created(
        t.post("/api/v1/draws", Some(&reg_key), plan("D2", 20))
            .await,
        "draw 2",
    )
    .await["id"]
        .as_i64()
        .unwrap();
    *clock.0.lock().unwrap() = start() + Duration::hours(2);
    created(
        t.post(
            &format!("/api/v1/draws/{draw1}/seed"),
            Some(&reg_key),
            seed_body(),
        )
        .await,
        "seed",
    )
    .await;
    created(
        t.post(
            &format!("/api/v1/draws/{draw1}/run"),
            Some(&reg_key),
            json!({}),
        )
        .await,
        "run",
    )
    .await;
    let ws = start() + Duration::days(2);
    *clock.0.lock().unwrap() = ws + Duration::hours(4);
    let record = json!({
        "kind": "inspection", "draw_id": draw1, "target": "T1", "inspector": "I1",
        "site_gln": with_check("690888800001"), "started_at": (ws + Duration::hours(1)).to_rfc3339(),
        "ended_at": (ws + Duration::hours(3)).to_rfc3339(),
        "checklist": [{"item": "c1", "result": "pass"}], "findings": [], "hazards": [], "photos": []
    });
    let canonical = domain::log_entry::canonical_json(&record);
    let signed_record =
        json!({"record": record, "signature": hex(&signer.sign(canonical.as_bytes()).to_bytes())});
    let mut record2 = record.clone();
    record2["inspector"] = json!("I2");
    let canonical2 = domain::log_entry::canonical_json(&record2);
    let console_record = json!({"record": record2, "signature": hex(
        &SigningKey::from_bytes(&[8; 32]).sign(canonical2.as_bytes()).to_bytes())});

    // The mailbox: the handler key registered, one report.
    let identity = age::x25519::Identity::generate();
    let age_recipient = identity.to_public().to_string();
    created(
        t.post(
            "/api/v1/mailbox/handlers",
            Some(&handler_key),
            json!({"recipient": age_recipient}),
        )
        .await,
        "handler",
    )
    .await;
    let ch = created(t.get("/api/v1/mailbox/challenge", None).await, "challenge").await;
    let challenge = ch["challenge"].as_str().unwrap().to_string();
    let nonce =
        app::mailbox::pow::solve(&challenge, ch["bits"].as_u64().unwrap() as u32).to_string();
    let receipt = created(
        t.post(
            "/api/v1/mailbox/reports",
            None,
            json!({"category": "fake_certificate", "text": "forged",
            "pow": {"challenge": challenge, "nonce": nonce}}),
        )
        .await,
        "report",
    )
    .await["receipt"]
        .as_str()
        .expect("receipt")
        .to_string();
    let cases = created(
        t.get("/api/v1/mailbox/cases", Some(&handler_key)).await,
        "cases",
    )
    .await;
    let case_id = cases
        .as_array()
        .or_else(|| cases["cases"].as_array())
        .and_then(|c| c.first())
        .and_then(|c| c["id"].as_i64())
        .unwrap_or_else(|| panic!("a case: {cases}"));

    // The employer's ledger: two items received, one worker.
    let emp_site = with_check("690888800001");
    let ledger_receipt = created(
        t.post(
            "/api/v1/ledger/receipts",
            Some(&emp_key),
            json!({"site_gln": emp_site, "items": [codes[1], codes[3]]}),
        )
        .await,
        "ledger receipt",
    )
    .await;
    let ledger_item = ledger_receipt["received"][0]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("a received item: {ledger_receipt}"));
    let ledger_item2 = ledger_receipt["received"][1]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("a second received item: {ledger_receipt}"));
    created(
        t.post(
            "/api/v1/ledger/workers",
            Some(&emp_key),
            json!({"code": "W-1", "name": "Worker 1"}),
        )
        .await,
        "worker",
    )
    .await;

    // Sessions last after the clock's last move above.
    let mut sessions = HashMap::new();
    for (who, name) in users {
        sessions.insert(who, login(&t, &client, name).await);
    }

    let mut keys = HashMap::new();
    keys.insert(MakerA, a.key.clone());
    keys.insert(MakerB, b.key.clone());
    keys.insert(Distributor, dist_key);
    keys.insert(Employer, emp_key);
    keys.insert(Inspector, insp_key);
    keys.insert(CaseHandler, handler_key);
    keys.insert(Regulator, reg_key);
    keys.insert(Admin, t.admin_key.clone());
    World {
        t,
        client,
        keys,
        sessions,
        a,
        a_prefix,
        b_prefix,
        login_user: "maker-a".into(),
        batch3,
        emp_site,
        ledger_item,
        ledger_item2,
        console_record,
        codes,
        serial,
        batch2,
        alert_id,
        capture_id,
        event_id,
        draw1,
        draw2,
        signed_record,
        age_recipient,
        case_id,
        handler_key_id,
        receipt,
    }
}

// ------------------------------------------------------------------ running it

static N: AtomicU64 = AtomicU64::new(1);

/// Whether the caller has credentials for a row sent this way.
fn has_credentials(w: &World, via: Via, who: Who) -> bool {
    match via {
        Via::Key => w.keys.contains_key(&who),
        Via::Console => w.sessions.contains_key(&who),
    }
}

/// The status, the start of the body and the `Location` header.
async fn send(w: &World, method: &str, via: Via, who: Who, r: Req) -> (StatusCode, String, String) {
    let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut rb = w.client.request(m, w.t.url(&r.url));
    let mut body = r.body;
    match via {
        Via::Key => {
            if let Some(k) = w.keys.get(&who) {
                rb = rb.bearer_auth(k);
            }
        }
        Via::Console => {
            if let Some(s) = w.sessions.get(&who) {
                rb = rb.header("cookie", &s.cookie);
                if let Body::Form(f) = &mut body {
                    f.insert(0, ("csrf", s.csrf.clone()));
                }
            }
        }
    }
    for (k, v) in r.headers {
        rb = rb.header(k, v);
    }
    rb = match body {
        Body::Empty => rb,
        Body::Json(v) => rb.json(&v),
        Body::Raw(ct, s) => rb.header("content-type", ct).body(s),
        Body::Form(f) => {
            let enc: Vec<String> = f
                .iter()
                .map(|(k, v)| format!("{k}={}", testkit::urlencode(v)))
                .collect();
            rb.header("content-type", "application/x-www-form-urlencoded")
                .body(enc.join("&"))
        }
        Body::Multipart(f) => {
            let boundary = "----authzMatrixBoundary";
            let mut body = String::new();
            for (k, v) in f {
                body.push_str(&format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                ));
            }
            body.push_str(&format!("--{boundary}--\r\n"));
            rb.header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
        }
    };
    let resp = rb.send().await.expect("request");
    let s = resp.status();
    let location = resp
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let text = resp.text().await.unwrap_or_default();
    (s, text.chars().take(300).collect(), location)
}

async fn run_matrix(w: &World, rows: &[Row]) {
    let mut failures = Vec::new();
    for row in rows {
        // Denied callers first: their requests must change nothing for the others.
        let mut order: Vec<Who> = EVERYONE
            .iter()
            .copied()
            .filter(|c| !row.allow.contains(c))
            .collect();
        order.extend(row.allow.iter().copied());
        for who in order {
            let n = N.fetch_add(1, Ordering::SeqCst);
            let r = (row.make)(w, who, n);
            let url = r.url.clone();
            let (s, body, location) = send(w, row.method, row.via, who, r).await;
            let allowed = row.allow.contains(&who);
            let unauthenticated = !has_credentials(w, row.via, who);
            // A console GET without a session is sent to the login page.
            let to_login = s == StatusCode::SEE_OTHER && location.starts_with("/console/login");
            let console_get = row.via == Via::Console && row.method == "GET";
            let ok = if allowed {
                s != StatusCode::UNAUTHORIZED
                    && s != StatusCode::FORBIDDEN
                    && !s.is_server_error()
                    && !(console_get && to_login)
            } else if unauthenticated {
                if console_get {
                    to_login
                } else {
                    s == StatusCode::UNAUTHORIZED
                }
            } else {
                match row.deny {
                    Deny::Forbid => s == StatusCode::FORBIDDEN,
                    Deny::Hide => s == StatusCode::NOT_FOUND || s == StatusCode::FORBIDDEN,
                    Deny::Field(f) => {
                        s == StatusCode::FORBIDDEN
                            || (s == StatusCode::BAD_REQUEST
                                && serde_json::from_str::<Value>(&body)
                                    .is_ok_and(|p| p["field"] == f))
                    }
                }
            };
            if !ok {
                failures.push(format!(
                    "{} {} as {who:?}: expected {}, got {s} {location} ({url}): {body}",
                    row.method,
                    row.route,
                    if allowed {
                        "allowed".to_string()
                    } else if unauthenticated && console_get {
                        "303 to /console/login".to_string()
                    } else if unauthenticated {
                        "401".to_string()
                    } else {
                        format!("{:?}", row.deny)
                    }
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} authorisation mismatches on {:?}:\n{}",
        failures.len(),
        w.t.backend,
        failures.join("\n")
    );
}

async fn authorisation_matrix(backend: store::Backend) {
    let w = world(backend).await;
    run_matrix(&w, &matrix()).await;
}

testkit::both_backends!(authorisation_matrix);
