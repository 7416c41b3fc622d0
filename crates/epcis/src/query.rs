//! The standard `GET /events` query parameters (EPCIS 2.0 §8.2.7.1 / REST binding) parsed into
//! a typed [`Query`], plus an in-memory evaluator [`matches`] that is the reference semantics
//! for the SQL implementations.
//!
//! Values of list parameters are pipe-delimited (`EQ_bizStep=shipping|receiving`). Parameter
//! values must already be percent-decoded when given to [`Query::from_pairs`];
//! [`Query::parse_query_string`] decodes a raw query string itself (`+` is kept literally, so
//! time zone offsets such as `+01:00` survive).

use chrono::{DateTime, Utc};

use crate::error::EpcisError;
use crate::hash::canonical_value;
use crate::ident::to_hash_canonical;
use crate::model::*;
use crate::vocab::Vocab;

/// A numeric / time comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    /// `EQ_`
    Eq,
    /// `GT_`
    Gt,
    /// `GE_`
    Ge,
    /// `LT_`
    Lt,
    /// `LE_`
    Le,
}

impl Cmp {
    fn parse(p: &str) -> Option<Self> {
        Some(match p {
            "EQ" => Cmp::Eq,
            "GT" => Cmp::Gt,
            "GE" => Cmp::Ge,
            "LT" => Cmp::Lt,
            "LE" => Cmp::Le,
            _ => return None,
        })
    }

    /// Apply to two ordered values (`lhs` is the event's value).
    pub fn test<T: PartialOrd>(self, lhs: &T, rhs: &T) -> bool {
        match self {
            Cmp::Eq => lhs == rhs,
            Cmp::Gt => lhs > rhs,
            Cmp::Ge => lhs >= rhs,
            Cmp::Lt => lhs < rhs,
            Cmp::Le => lhs <= rhs,
        }
    }
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OrderDirection {
    /// `ASC`
    Asc,
    /// `DESC` (the default)
    #[default]
    Desc,
}

/// `orderBy` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderBy {
    /// `eventTime`
    EventTime,
    /// `recordTime`
    RecordTime,
    /// A user extension field (as written, e.g. `example:weight`).
    Extension(String),
}

/// Sensor report attribute compared by a `<OP>_<attr>_<type>` parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SensorAttr {
    /// `value`
    Value,
    /// `minValue`
    MinValue,
    /// `maxValue`
    MaxValue,
    /// `meanValue`
    MeanValue,
    /// `sDev`
    SDev,
    /// `percValue`
    PercValue,
}

impl SensorAttr {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "value" => SensorAttr::Value,
            "minValue" => SensorAttr::MinValue,
            "maxValue" => SensorAttr::MaxValue,
            "meanValue" => SensorAttr::MeanValue,
            "sDev" => SensorAttr::SDev,
            "percValue" => SensorAttr::PercValue,
            _ => return None,
        })
    }

    fn get(self, r: &SensorReport) -> Option<f64> {
        match self {
            SensorAttr::Value => r.value,
            SensorAttr::MinValue => r.min_value,
            SensorAttr::MaxValue => r.max_value,
            SensorAttr::MeanValue => r.mean_value,
            SensorAttr::SDev => r.s_dev,
            SensorAttr::PercValue => r.perc_value,
        }
    }
}

/// `<OP>_<attr>_<measurementType>`: some sensor report of that type has `attr OP value`.
#[derive(Debug, Clone, PartialEq)]
pub struct SensorValueFilter {
    /// Which attribute.
    pub attr: SensorAttr,
    /// Measurement type (bare GS1 name or URI), compared after normalisation.
    pub measurement_type: String,
    /// Operator.
    pub cmp: Cmp,
    /// Operand.
    pub value: f64,
}

/// Where an extension-field filter looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtScope {
    /// Top-level event extension (`EQ_ex:f`).
    Event,
    /// Inside `ilmd` (`EQ_ILMD_ex:f`).
    Ilmd,
    /// Nested at any depth inside top-level extensions (`EQ_INNER_ex:f`).
    Inner,
    /// Nested at any depth inside `ilmd` (`EQ_INNER_ILMD_ex:f`).
    InnerIlmd,
}

/// The test an extension-field filter applies.
#[derive(Debug, Clone, PartialEq)]
pub enum ExtTest {
    /// `EQ_`: the value equals one of these (strings, numbers or times compared as such).
    OneOf(Vec<String>),
    /// `GT_`/`GE_`/`LT_`/`LE_`: numeric or time comparison.
    Compare(Cmp, String),
    /// `EXISTS_`
    Exists,
}

/// A filter on a user extension field.
#[derive(Debug, Clone, PartialEq)]
pub struct ExtFilter {
    /// Where to look.
    pub scope: ExtScope,
    /// Field name as given (CURIE such as `example:weight`, or `namespace#local`).
    pub field: String,
    /// The test.
    pub test: ExtTest,
}

/// Sensor-data filters.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SensorQuery {
    /// `EXISTS_sensorElementList`
    pub exists_sensor_element_list: bool,
    /// `GE_time` / `LT_time` (sensorMetadata.time or sensorReport.time)
    pub ge_time: Option<DateTime<Utc>>,
    /// `LT_time`
    pub lt_time: Option<DateTime<Utc>>,
    /// `GE_startTime`
    pub ge_start_time: Option<DateTime<Utc>>,
    /// `LT_startTime`
    pub lt_start_time: Option<DateTime<Utc>>,
    /// `GE_endTime`
    pub ge_end_time: Option<DateTime<Utc>>,
    /// `LT_endTime`
    pub lt_end_time: Option<DateTime<Utc>>,
    /// `EQ_type`
    pub eq_type: Option<Vec<String>>,
    /// `EQ_deviceID`
    pub eq_device_id: Option<Vec<String>>,
    /// `EQ_dataProcessingMethod`
    pub eq_data_processing_method: Option<Vec<String>>,
    /// `EQ_microorganism`
    pub eq_microorganism: Option<Vec<String>>,
    /// `EQ_chemicalSubstance`
    pub eq_chemical_substance: Option<Vec<String>>,
    /// `EQ_bizRules`
    pub eq_biz_rules: Option<Vec<String>>,
    /// `EQ_stringValue`
    pub eq_string_value: Option<Vec<String>>,
    /// `EQ_booleanValue`
    pub eq_boolean_value: Option<bool>,
    /// `EQ_hexBinaryValue`
    pub eq_hex_binary_value: Option<Vec<String>>,
    /// `EQ_uriValue`
    pub eq_uri_value: Option<Vec<String>>,
    /// `GT_percRank` etc.
    pub perc_rank: Vec<(Cmp, f64)>,
    /// `<OP>_<attr>_<type>` value filters.
    pub values: Vec<SensorValueFilter>,
}

impl SensorQuery {
    fn is_empty(&self) -> bool {
        *self == SensorQuery::default()
    }
}

/// Typed `GET /events` query.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Query {
    /// `eventType`
    pub event_types: Option<Vec<EventType>>,
    /// `GE_eventTime`
    pub ge_event_time: Option<DateTime<Utc>>,
    /// `LT_eventTime`
    pub lt_event_time: Option<DateTime<Utc>>,
    /// `GE_recordTime`
    pub ge_record_time: Option<DateTime<Utc>>,
    /// `LT_recordTime`
    pub lt_record_time: Option<DateTime<Utc>>,
    /// `EQ_action`
    pub eq_action: Option<Vec<Action>>,
    /// `EQ_bizStep`
    pub eq_biz_step: Option<Vec<String>>,
    /// `EQ_disposition`
    pub eq_disposition: Option<Vec<String>>,
    /// `EQ_persistentDisposition_set`
    pub eq_persistent_disposition_set: Option<Vec<String>>,
    /// `EQ_persistentDisposition_unset`
    pub eq_persistent_disposition_unset: Option<Vec<String>>,
    /// `EQ_readPoint`
    pub eq_read_point: Option<Vec<String>>,
    /// `WD_readPoint`
    pub wd_read_point: Option<Vec<String>>,
    /// `EQ_bizLocation`
    pub eq_biz_location: Option<Vec<String>>,
    /// `WD_bizLocation`
    pub wd_biz_location: Option<Vec<String>>,
    /// `EQ_transformationID`
    pub eq_transformation_id: Option<Vec<String>>,
    /// `MATCH_epc` (epcList, childEPCs)
    pub match_epc: Option<Vec<String>>,
    /// `MATCH_parentID`
    pub match_parent_id: Option<Vec<String>>,
    /// `MATCH_inputEPC`
    pub match_input_epc: Option<Vec<String>>,
    /// `MATCH_outputEPC`
    pub match_output_epc: Option<Vec<String>>,
    /// `MATCH_anyEPC` (epcList, childEPCs, inputEPCList, outputEPCList, parentID)
    pub match_any_epc: Option<Vec<String>>,
    /// `MATCH_epcClass` (quantityList, childQuantityList)
    pub match_epc_class: Option<Vec<String>>,
    /// `MATCH_inputEPCClass`
    pub match_input_epc_class: Option<Vec<String>>,
    /// `MATCH_outputEPCClass`
    pub match_output_epc_class: Option<Vec<String>>,
    /// `MATCH_anyEPCClass`
    pub match_any_epc_class: Option<Vec<String>>,
    /// `EQ_quantity` (any of)
    pub eq_quantity: Option<Vec<f64>>,
    /// `GT_quantity`, `GE_quantity`, `LT_quantity`, `LE_quantity`
    pub quantity: Vec<(Cmp, f64)>,
    /// `EQ_eventID`
    pub eq_event_id: Option<Vec<String>>,
    /// `EXISTS_errorDeclaration`
    pub exists_error_declaration: bool,
    /// `GE_errorDeclarationTime`
    pub ge_error_declaration_time: Option<DateTime<Utc>>,
    /// `LT_errorDeclarationTime`
    pub lt_error_declaration_time: Option<DateTime<Utc>>,
    /// `EQ_errorReason`
    pub eq_error_reason: Option<Vec<String>>,
    /// `EQ_correctiveEventID`
    pub eq_corrective_event_id: Option<Vec<String>>,
    /// `EQ_bizTransaction_<type>`: (type, values)
    pub eq_biz_transaction: Vec<(String, Vec<String>)>,
    /// `EQ_source_<type>`
    pub eq_source: Vec<(String, Vec<String>)>,
    /// `EQ_destination_<type>`
    pub eq_destination: Vec<(String, Vec<String>)>,
    /// Sensor filters.
    pub sensor: SensorQuery,
    /// User extension filters (`EQ_ex:f`, `GT_ILMD_ex:f`, `EXISTS_INNER_ex:f`, ...).
    pub extensions: Vec<ExtFilter>,
    /// `orderBy`
    pub order_by: Option<OrderBy>,
    /// `orderDirection` (default DESC)
    pub order_direction: OrderDirection,
    /// `eventCountLimit`
    pub event_count_limit: Option<u64>,
    /// `maxEventCount`
    pub max_event_count: Option<u64>,
    /// `perPage`
    pub per_page: Option<u64>,
    /// `nextPageToken`
    pub next_page_token: Option<String>,
}

fn qerr(name: &str, message: impl Into<String>) -> EpcisError {
    EpcisError::Query {
        name: name.to_string(),
        message: message.into(),
    }
}

fn list(name: &str, v: &str) -> Result<Vec<String>, EpcisError> {
    let items: Vec<String> = v.split('|').map(|s| s.trim().to_string()).collect();
    if items.iter().any(String::is_empty) {
        return Err(qerr(name, "empty value in list"));
    }
    Ok(items)
}

fn uri_list(name: &str, v: &str) -> Result<Vec<String>, EpcisError> {
    let items = list(name, v)?;
    for i in &items {
        if !crate::ident::is_uri(i) {
            return Err(qerr(name, format!("{i:?} is not a URI")));
        }
    }
    Ok(items)
}

fn vocab_list(name: &str, v: &str, vocab: Vocab) -> Result<Vec<String>, EpcisError> {
    let items = list(name, v)?;
    for i in &items {
        if !vocab.is_bare(i) && !crate::ident::is_uri(i) {
            return Err(qerr(
                name,
                format!("{i:?} is neither a CBV value nor a URI"),
            ));
        }
    }
    Ok(items)
}

fn time_param(name: &str, v: &str) -> Result<DateTime<Utc>, EpcisError> {
    // a literal '+' may have been decoded to a space by a form decoder
    let fixed = v.trim().replacen(' ', "+", 1);
    crate::time::parse_utc(&fixed)
        .ok_or_else(|| qerr(name, format!("{v:?} is not an RFC 3339 date-time")))
}

fn number(name: &str, v: &str) -> Result<f64, EpcisError> {
    v.trim()
        .parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .ok_or_else(|| qerr(name, format!("{v:?} is not a number")))
}

fn count(name: &str, v: &str) -> Result<u64, EpcisError> {
    match v.trim().parse::<u64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(qerr(name, format!("{v:?} must be a positive integer"))),
    }
}

fn is_ext_field(f: &str) -> bool {
    f.contains(':') || f.contains('#')
}

/// Decode `%XX` escapes (invalid escapes are an error); `+` is kept.
pub fn percent_decode(s: &str) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = b
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("invalid percent-escape in {s:?}"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("{s:?} is not UTF-8 after decoding"))
}

impl Query {
    /// Parse a raw query string (`a=b&c=d`, percent-encoded).
    pub fn parse_query_string(qs: &str) -> Result<Query, EpcisError> {
        let mut pairs = Vec::new();
        for part in qs.trim_start_matches('?').split('&') {
            if part.is_empty() {
                continue;
            }
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            let k = percent_decode(k).map_err(|m| qerr(k, m))?;
            let v = percent_decode(v).map_err(|m| qerr(&k, m))?;
            pairs.push((k, v));
        }
        Query::from_pairs(pairs)
    }

    /// Parse decoded (name, value) pairs.
    pub fn from_pairs<I, K, V>(pairs: I) -> Result<Query, EpcisError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut q = Query::default();
        let mut seen = std::collections::HashSet::new();
        let mut order_direction_given = false;
        for (k, v) in pairs {
            let (name, v) = (k.as_ref(), v.as_ref());
            if !seen.insert(name.to_string()) {
                return Err(qerr(
                    name,
                    "given more than once (use | to list several values)",
                ));
            }
            q.apply(name, v, &mut order_direction_given)?;
        }
        if q.event_count_limit.is_some() && q.max_event_count.is_some() {
            return Err(qerr(
                "eventCountLimit",
                "eventCountLimit and maxEventCount are mutually exclusive",
            ));
        }
        if q.event_count_limit.is_some() && q.order_by.is_none() {
            return Err(qerr("eventCountLimit", "requires orderBy"));
        }
        Ok(q)
    }

    fn apply(&mut self, name: &str, v: &str, dir_given: &mut bool) -> Result<(), EpcisError> {
        let s = &mut self.sensor;
        match name {
            "eventType" => {
                let mut out = Vec::new();
                for t in list(name, v)? {
                    out.push(
                        EventType::parse(&t)
                            .ok_or_else(|| qerr(name, format!("unknown event type {t:?}")))?,
                    );
                }
                self.event_types = Some(out);
            }
            "GE_eventTime" => self.ge_event_time = Some(time_param(name, v)?),
            "LT_eventTime" => self.lt_event_time = Some(time_param(name, v)?),
            "GE_recordTime" => self.ge_record_time = Some(time_param(name, v)?),
            "LT_recordTime" => self.lt_record_time = Some(time_param(name, v)?),
            "EQ_action" => {
                let mut out = Vec::new();
                for a in list(name, v)? {
                    out.push(Action::parse(&a).ok_or_else(|| {
                        qerr(name, format!("{a:?} must be ADD, OBSERVE or DELETE"))
                    })?);
                }
                self.eq_action = Some(out);
            }
            "EQ_bizStep" => self.eq_biz_step = Some(vocab_list(name, v, Vocab::BizStep)?),
            "EQ_disposition" => {
                self.eq_disposition = Some(vocab_list(name, v, Vocab::Disposition)?)
            }
            "EQ_persistentDisposition_set" => {
                self.eq_persistent_disposition_set = Some(vocab_list(name, v, Vocab::Disposition)?)
            }
            "EQ_persistentDisposition_unset" => {
                self.eq_persistent_disposition_unset =
                    Some(vocab_list(name, v, Vocab::Disposition)?)
            }
            "EQ_readPoint" => self.eq_read_point = Some(uri_list(name, v)?),
            "WD_readPoint" => self.wd_read_point = Some(uri_list(name, v)?),
            "EQ_bizLocation" => self.eq_biz_location = Some(uri_list(name, v)?),
            "WD_bizLocation" => self.wd_biz_location = Some(uri_list(name, v)?),
            "EQ_transformationID" => self.eq_transformation_id = Some(uri_list(name, v)?),
            "MATCH_epc" => self.match_epc = Some(uri_list(name, v)?),
            "MATCH_parentID" => self.match_parent_id = Some(uri_list(name, v)?),
            "MATCH_inputEPC" => self.match_input_epc = Some(uri_list(name, v)?),
            "MATCH_outputEPC" => self.match_output_epc = Some(uri_list(name, v)?),
            "MATCH_anyEPC" => self.match_any_epc = Some(uri_list(name, v)?),
            "MATCH_epcClass" => self.match_epc_class = Some(uri_list(name, v)?),
            "MATCH_inputEPCClass" => self.match_input_epc_class = Some(uri_list(name, v)?),
            "MATCH_outputEPCClass" => self.match_output_epc_class = Some(uri_list(name, v)?),
            "MATCH_anyEPCClass" => self.match_any_epc_class = Some(uri_list(name, v)?),
            "EQ_quantity" => {
                let mut out = Vec::new();
                for x in list(name, v)? {
                    out.push(number(name, &x)?);
                }
                self.eq_quantity = Some(out);
            }
            "GT_quantity" => self.quantity.push((Cmp::Gt, number(name, v)?)),
            "GE_quantity" => self.quantity.push((Cmp::Ge, number(name, v)?)),
            "LT_quantity" => self.quantity.push((Cmp::Lt, number(name, v)?)),
            "LE_quantity" => self.quantity.push((Cmp::Le, number(name, v)?)),
            "EQ_eventID" => self.eq_event_id = Some(uri_list(name, v)?),
            "EXISTS_errorDeclaration" => self.exists_error_declaration = true,
            "GE_errorDeclarationTime" | "GE_errorDeclaration_Time" => {
                self.ge_error_declaration_time = Some(time_param(name, v)?)
            }
            "LT_errorDeclarationTime" | "LT_errorDeclaration_Time" => {
                self.lt_error_declaration_time = Some(time_param(name, v)?)
            }
            "EQ_errorReason" => {
                self.eq_error_reason = Some(vocab_list(name, v, Vocab::ErrorReason)?)
            }
            "EQ_correctiveEventID" => self.eq_corrective_event_id = Some(uri_list(name, v)?),
            "orderBy" => {
                self.order_by = Some(match v.trim() {
                    "eventTime" => OrderBy::EventTime,
                    "recordTime" => OrderBy::RecordTime,
                    f if is_ext_field(f) => OrderBy::Extension(f.to_string()),
                    other => {
                        return Err(qerr(
                            name,
                            format!(
                                "{other:?}: must be eventTime, recordTime or an extension field"
                            ),
                        ));
                    }
                })
            }
            "orderDirection" => {
                *dir_given = true;
                self.order_direction = match v.trim() {
                    "ASC" => OrderDirection::Asc,
                    "DESC" => OrderDirection::Desc,
                    other => return Err(qerr(name, format!("{other:?}: must be ASC or DESC"))),
                }
            }
            "eventCountLimit" => self.event_count_limit = Some(count(name, v)?),
            "maxEventCount" => self.max_event_count = Some(count(name, v)?),
            "perPage" => self.per_page = Some(count(name, v)?),
            "nextPageToken" => {
                if v.is_empty() {
                    return Err(qerr(name, "empty token"));
                }
                self.next_page_token = Some(v.to_string())
            }
            // sensor data
            "EXISTS_sensorElementList" => s.exists_sensor_element_list = true,
            "GE_time" => s.ge_time = Some(time_param(name, v)?),
            "LT_time" => s.lt_time = Some(time_param(name, v)?),
            "GE_startTime" => s.ge_start_time = Some(time_param(name, v)?),
            "LT_startTime" => s.lt_start_time = Some(time_param(name, v)?),
            "GE_endTime" => s.ge_end_time = Some(time_param(name, v)?),
            "LT_endTime" => s.lt_end_time = Some(time_param(name, v)?),
            "EQ_type" => s.eq_type = Some(vocab_list(name, v, Vocab::MeasurementType)?),
            "EQ_deviceID" => s.eq_device_id = Some(uri_list(name, v)?),
            "EQ_dataProcessingMethod" => s.eq_data_processing_method = Some(uri_list(name, v)?),
            "EQ_microorganism" => s.eq_microorganism = Some(uri_list(name, v)?),
            "EQ_chemicalSubstance" => s.eq_chemical_substance = Some(uri_list(name, v)?),
            "EQ_bizRules" => s.eq_biz_rules = Some(uri_list(name, v)?),
            "EQ_stringValue" => s.eq_string_value = Some(list(name, v)?),
            "EQ_hexBinaryValue" => {
                let l = list(name, v)?;
                if l.iter().any(|h| !h.chars().all(|c| c.is_ascii_hexdigit())) {
                    return Err(qerr(name, "values must be hexadecimal"));
                }
                s.eq_hex_binary_value = Some(l)
            }
            "EQ_uriValue" => s.eq_uri_value = Some(uri_list(name, v)?),
            "EQ_booleanValue" => {
                s.eq_boolean_value = Some(match v.trim() {
                    "true" => true,
                    "false" => false,
                    other => return Err(qerr(name, format!("{other:?}: must be true or false"))),
                })
            }
            _ => return self.apply_pattern(name, v),
        }
        Ok(())
    }

    fn apply_pattern(&mut self, name: &str, v: &str) -> Result<(), EpcisError> {
        if let Some(t) = name.strip_prefix("EQ_bizTransaction_") {
            self.eq_biz_transaction
                .push((non_empty(name, t)?, uri_list(name, v)?));
            return Ok(());
        }
        if let Some(t) = name.strip_prefix("EQ_source_") {
            self.eq_source
                .push((non_empty(name, t)?, uri_list(name, v)?));
            return Ok(());
        }
        if let Some(t) = name.strip_prefix("EQ_destination_") {
            self.eq_destination
                .push((non_empty(name, t)?, uri_list(name, v)?));
            return Ok(());
        }
        let Some((op, rest)) = name.split_once('_') else {
            return Err(qerr(name, "unknown query parameter"));
        };
        if op == "EXISTS" {
            let (scope, field) = ext_scope(rest);
            if is_ext_field(field) {
                self.extensions.push(ExtFilter {
                    scope,
                    field: field.to_string(),
                    test: ExtTest::Exists,
                });
                return Ok(());
            }
            return Err(qerr(name, "unknown query parameter"));
        }
        let Some(cmp) = Cmp::parse(op) else {
            return Err(qerr(name, "unknown query parameter"));
        };
        if rest == "percRank" {
            self.sensor.perc_rank.push((cmp, number(name, v)?));
            return Ok(());
        }
        // <OP>_<attr>_<measurementType>
        if let Some((attr, mtype)) = rest.split_once('_')
            && let Some(attr) = SensorAttr::parse(attr)
        {
            if mtype.is_empty()
                || (!Vocab::MeasurementType.is_bare(mtype) && !crate::ident::is_uri(mtype))
            {
                return Err(qerr(name, format!("{mtype:?} is not a measurement type")));
            }
            self.sensor.values.push(SensorValueFilter {
                attr,
                measurement_type: mtype.to_string(),
                cmp,
                value: number(name, v)?,
            });
            return Ok(());
        }
        let (scope, field) = ext_scope(rest);
        if !is_ext_field(field) {
            return Err(qerr(name, "unknown query parameter"));
        }
        let test = if cmp == Cmp::Eq {
            ExtTest::OneOf(list(name, v)?)
        } else {
            let x = v.trim();
            if x.parse::<f64>().is_err() && crate::time::parse(&x.replacen(' ', "+", 1)).is_none() {
                return Err(qerr(
                    name,
                    format!("{x:?} is neither a number nor a date-time"),
                ));
            }
            ExtTest::Compare(cmp, x.replacen(' ', "+", 1))
        };
        self.extensions.push(ExtFilter {
            scope,
            field: field.to_string(),
            test,
        });
        Ok(())
    }
}

fn non_empty(name: &str, t: &str) -> Result<String, EpcisError> {
    if t.is_empty() {
        Err(qerr(name, "missing type after the prefix"))
    } else {
        Ok(t.to_string())
    }
}

fn ext_scope(rest: &str) -> (ExtScope, &str) {
    if let Some(f) = rest.strip_prefix("INNER_ILMD_") {
        (ExtScope::InnerIlmd, f)
    } else if let Some(f) = rest.strip_prefix("INNER_") {
        (ExtScope::Inner, f)
    } else if let Some(f) = rest.strip_prefix("ILMD_") {
        (ExtScope::Ilmd, f)
    } else {
        (ExtScope::Event, rest)
    }
}

// ------------------------------------------------------------------ evaluation

/// Location hierarchy used by `WD_readPoint` / `WD_bizLocation` (from master data).
pub trait Hierarchy {
    /// Is `child` equal to, or a direct or indirect descendant of, `ancestor`?
    fn is_within(&self, child: &str, ancestor: &str) -> bool;
}

/// Default hierarchy without master data: a location is within itself, and a GLN with an
/// extension (`/414/<gln>/254/<ext>`, `urn:epc:id:sgln:…​.<ext>`) is within the plain GLN.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoMasterData;

impl Hierarchy for NoMasterData {
    fn is_within(&self, child: &str, ancestor: &str) -> bool {
        let c = norm_id(child);
        let a = norm_id(ancestor);
        c == a || (c.starts_with(&a) && c[a.len()..].starts_with("/254/"))
    }
}

/// Normalise an identifier for comparison and indexing: the constrained canonical GS1 Digital
/// Link when it is a GS1 identifier (EPC URN or Digital Link on any domain), else the trimmed
/// input. Stores should index this form so that SQL matching agrees with [`matches`].
pub fn normalise_id(s: &str) -> String {
    to_hash_canonical(s).unwrap_or_else(|| s.trim().to_string())
}

fn norm_id(s: &str) -> String {
    normalise_id(s)
}

/// Normalise a vocabulary value for comparison and indexing: bare CBV/GS1 words and legacy
/// URNs become their full `https://ref.gs1.org/...` URI; other URIs are kept.
pub fn normalise_vocab(s: &str, vocab: Vocab) -> String {
    vocab
        .expand_bare(s.trim())
        .unwrap_or_else(|| canonical_value(s))
}

fn norm_vocab(s: &str, vocab: Vocab) -> String {
    normalise_vocab(s, vocab)
}

fn any_vocab(event_value: Option<&str>, wanted: &[String], vocab: Vocab) -> bool {
    let Some(ev) = event_value else { return false };
    let ev = norm_vocab(ev, vocab);
    wanted.iter().any(|w| norm_vocab(w, vocab) == ev)
}

/// Does an identifier match a query value (exact after normalisation, or an EPC pattern)?
pub fn id_matches(id: &str, pattern: &str) -> bool {
    if pattern.contains('*') {
        if let Some(prefix) = pattern_prefix(pattern) {
            let n = norm_id(id);
            return n == prefix || n.starts_with(&format!("{prefix}/"));
        }
        return urn_pattern_matches(id, pattern);
    }
    norm_id(id) == norm_id(pattern)
}

fn pattern_prefix(pattern: &str) -> Option<String> {
    if pattern.starts_with("urn:epc:idpat:") {
        to_hash_canonical(pattern)
    } else {
        None
    }
}

/// Field-wise `*` matching of EPC URNs (`urn:epc:idpat:sgtin:0614141.*.*` vs
/// `urn:epc:id:sgtin:0614141.107346.2017`).
fn urn_pattern_matches(id: &str, pattern: &str) -> bool {
    let Some(p) = pattern.strip_prefix("urn:epc:idpat:") else {
        return false;
    };
    let Some(i) = id
        .strip_prefix("urn:epc:id:")
        .or_else(|| id.strip_prefix("urn:epc:class:"))
    else {
        return false;
    };
    let (ps, pf) = p.split_once(':').unwrap_or((p, ""));
    let (is, idf) = i.split_once(':').unwrap_or((i, ""));
    let scheme_ok = ps == is || (ps == "sgtin" && is == "lgtin");
    if !scheme_ok {
        return false;
    }
    let pf: Vec<&str> = pf.split('.').collect();
    let idf: Vec<&str> = idf.split('.').collect();
    pf.len() == idf.len() && pf.iter().zip(&idf).all(|(p, i)| *p == "*" || p == i)
}

fn any_id<'a>(ids: impl IntoIterator<Item = &'a str>, wanted: &[String]) -> bool {
    ids.into_iter()
        .any(|id| wanted.iter().any(|w| id_matches(id, w)))
}

fn strs(v: &Option<Vec<String>>) -> impl Iterator<Item = &str> {
    v.iter().flatten().map(String::as_str)
}

fn classes(v: &Option<Vec<QuantityElement>>) -> impl Iterator<Item = &str> {
    v.iter().flatten().map(|q| q.epc_class.as_str())
}

fn in_range(
    t: Option<DateTime<Utc>>,
    ge: Option<DateTime<Utc>>,
    lt: Option<DateTime<Utc>>,
) -> bool {
    if ge.is_none() && lt.is_none() {
        return true;
    }
    let Some(t) = t else { return false };
    ge.is_none_or(|g| t >= g) && lt.is_none_or(|l| t < l)
}

/// Does `ev` satisfy every filter of `q`? (`orderBy`, limits and paging are not filters.)
pub fn matches(q: &Query, ev: &Event) -> bool {
    matches_with(q, ev, &NoMasterData)
}

/// [`matches`] with a location hierarchy for `WD_readPoint` / `WD_bizLocation`.
pub fn matches_with(q: &Query, ev: &Event, h: &dyn Hierarchy) -> bool {
    if let Some(t) = &q.event_types
        && !t.contains(&ev.event_type)
    {
        return false;
    }
    if !in_range(ev.event_time_utc(), q.ge_event_time, q.lt_event_time)
        || !in_range(ev.record_time_utc(), q.ge_record_time, q.lt_record_time)
    {
        return false;
    }
    if let Some(a) = &q.eq_action
        && !ev.action.is_some_and(|x| a.contains(&x))
    {
        return false;
    }
    if let Some(w) = &q.eq_biz_step
        && !any_vocab(ev.biz_step.as_deref(), w, Vocab::BizStep)
    {
        return false;
    }
    if let Some(w) = &q.eq_disposition
        && !any_vocab(ev.disposition.as_deref(), w, Vocab::Disposition)
    {
        return false;
    }
    let pd = ev.persistent_disposition.as_ref();
    for (wanted, list) in [
        (
            &q.eq_persistent_disposition_set,
            pd.and_then(|p| p.set.as_ref()),
        ),
        (
            &q.eq_persistent_disposition_unset,
            pd.and_then(|p| p.unset.as_ref()),
        ),
    ] {
        if let Some(w) = wanted {
            let ok =
                list.is_some_and(|l| l.iter().any(|d| any_vocab(Some(d), w, Vocab::Disposition)));
            if !ok {
                return false;
            }
        }
    }
    for (eq, wd, loc) in [
        (&q.eq_read_point, &q.wd_read_point, &ev.read_point),
        (&q.eq_biz_location, &q.wd_biz_location, &ev.biz_location),
    ] {
        let id = loc.as_ref().map(|l| l.id.as_str());
        if let Some(w) = eq
            && !id.is_some_and(|id| w.iter().any(|x| norm_id(x) == norm_id(id)))
        {
            return false;
        }
        if let Some(w) = wd
            && !id.is_some_and(|id| w.iter().any(|x| h.is_within(id, x)))
        {
            return false;
        }
    }
    if let Some(w) = &q.eq_transformation_id
        && !ev
            .transformation_id
            .as_deref()
            .is_some_and(|t| w.iter().any(|x| norm_id(x) == norm_id(t)))
    {
        return false;
    }
    let epc_filters: [(&Option<Vec<String>>, Vec<&str>); 5] = [
        (
            &q.match_epc,
            strs(&ev.epc_list).chain(strs(&ev.child_epcs)).collect(),
        ),
        (
            &q.match_parent_id,
            ev.parent_id.as_deref().into_iter().collect(),
        ),
        (&q.match_input_epc, strs(&ev.input_epc_list).collect()),
        (&q.match_output_epc, strs(&ev.output_epc_list).collect()),
        (&q.match_any_epc, ev.all_epcs().collect()),
    ];
    for (w, ids) in epc_filters {
        if let Some(w) = w
            && !any_id(ids, w)
        {
            return false;
        }
    }
    let class_filters: [(&Option<Vec<String>>, Vec<&str>); 4] = [
        (
            &q.match_epc_class,
            classes(&ev.quantity_list)
                .chain(classes(&ev.child_quantity_list))
                .collect(),
        ),
        (
            &q.match_input_epc_class,
            classes(&ev.input_quantity_list).collect(),
        ),
        (
            &q.match_output_epc_class,
            classes(&ev.output_quantity_list).collect(),
        ),
        (
            &q.match_any_epc_class,
            ev.all_quantities().map(|x| x.epc_class.as_str()).collect(),
        ),
    ];
    for (w, ids) in class_filters {
        if let Some(w) = w
            && !any_id(ids, w)
        {
            return false;
        }
    }
    if q.eq_quantity.is_some() || !q.quantity.is_empty() {
        let ok = ev.all_quantities().any(|qe| {
            let Some(x) = qe.quantity else { return false };
            q.eq_quantity.as_ref().is_none_or(|l| l.contains(&x))
                && q.quantity.iter().all(|(c, v)| c.test(&x, v))
        });
        if !ok {
            return false;
        }
    }
    if let Some(w) = &q.eq_event_id
        && !ev.event_id.as_ref().is_some_and(|id| w.contains(id))
    {
        return false;
    }
    let ed = ev.error_declaration.as_ref();
    if q.exists_error_declaration && ed.is_none() {
        return false;
    }
    if q.ge_error_declaration_time.is_some() || q.lt_error_declaration_time.is_some() {
        let t = ed.and_then(|e| crate::time::parse_utc(&e.declaration_time));
        if !in_range(t, q.ge_error_declaration_time, q.lt_error_declaration_time) {
            return false;
        }
    }
    if let Some(w) = &q.eq_error_reason
        && !any_vocab(ed.and_then(|e| e.reason.as_deref()), w, Vocab::ErrorReason)
    {
        return false;
    }
    if let Some(w) = &q.eq_corrective_event_id {
        let ok = ed
            .and_then(|e| e.corrective_event_ids.as_ref())
            .is_some_and(|ids| ids.iter().any(|i| w.contains(i)));
        if !ok {
            return false;
        }
    }
    for (t, w) in &q.eq_biz_transaction {
        let ok = ev.biz_transaction_list.iter().flatten().any(|b| {
            b.kind.as_deref().is_some_and(|k| {
                norm_vocab(k, Vocab::BizTransactionType) == norm_vocab(t, Vocab::BizTransactionType)
            }) && w.iter().any(|x| norm_id(x) == norm_id(&b.value))
        });
        if !ok {
            return false;
        }
    }
    for (filters, list) in [
        (&q.eq_source, &ev.source_list),
        (&q.eq_destination, &ev.destination_list),
    ] {
        for (t, w) in filters {
            let ok = list.iter().flatten().any(|s| {
                norm_vocab(&s.kind, Vocab::SourceDestType) == norm_vocab(t, Vocab::SourceDestType)
                    && w.iter().any(|x| norm_id(x) == norm_id(&s.value))
            });
            if !ok {
                return false;
            }
        }
    }
    if !q.sensor.is_empty() && !sensor_matches(&q.sensor, ev) {
        return false;
    }
    q.extensions.iter().all(|f| ext_matches(f, ev))
}

fn any_uri(v: Option<&str>, w: &Option<Vec<String>>) -> bool {
    match w {
        None => true,
        Some(w) => v.is_some_and(|v| w.iter().any(|x| norm_id(x) == norm_id(v))),
    }
}

fn sensor_matches(s: &SensorQuery, ev: &Event) -> bool {
    let Some(els) = ev.sensor_element_list.as_ref().filter(|l| !l.is_empty()) else {
        return false;
    };
    // every criterion must be met by some sensor element / report of the event
    let md = || els.iter().filter_map(|e| e.metadata.as_ref());
    let reports = || els.iter().flat_map(|e| e.reports.iter());
    let t = |x: &Option<String>| x.as_deref().and_then(crate::time::parse_utc);
    if s.ge_time.is_some() || s.lt_time.is_some() {
        let ok = md()
            .map(|m| t(&m.time))
            .chain(reports().map(|r| t(&r.time)))
            .any(|x| x.is_some() && in_range(x, s.ge_time, s.lt_time));
        if !ok {
            return false;
        }
    }
    if (s.ge_start_time.is_some() || s.lt_start_time.is_some())
        && !md().any(|m| {
            t(&m.start_time).is_some()
                && in_range(t(&m.start_time), s.ge_start_time, s.lt_start_time)
        })
    {
        return false;
    }
    if (s.ge_end_time.is_some() || s.lt_end_time.is_some())
        && !md().any(|m| {
            t(&m.end_time).is_some() && in_range(t(&m.end_time), s.ge_end_time, s.lt_end_time)
        })
    {
        return false;
    }
    if let Some(w) = &s.eq_type
        && !reports().any(|r| any_vocab(r.kind.as_deref(), w, Vocab::MeasurementType))
    {
        return false;
    }
    if s.eq_device_id.is_some()
        && !md().any(|m| any_uri(m.device_id.as_deref(), &s.eq_device_id))
        && !reports().any(|r| any_uri(r.device_id.as_deref(), &s.eq_device_id))
    {
        return false;
    }
    if s.eq_data_processing_method.is_some()
        && !md().any(|m| {
            any_uri(
                m.data_processing_method.as_deref(),
                &s.eq_data_processing_method,
            )
        })
        && !reports().any(|r| {
            any_uri(
                r.data_processing_method.as_deref(),
                &s.eq_data_processing_method,
            )
        })
    {
        return false;
    }
    if s.eq_biz_rules.is_some()
        && !md().any(|m| any_uri(m.biz_rules.as_deref(), &s.eq_biz_rules))
        && !reports().any(|r| any_uri(r.biz_rules.as_deref(), &s.eq_biz_rules))
    {
        return false;
    }
    for (w, get) in [
        (
            &s.eq_microorganism,
            (|r: &SensorReport| r.microorganism.clone()) as fn(&SensorReport) -> Option<String>,
        ),
        (&s.eq_chemical_substance, |r: &SensorReport| {
            r.chemical_substance.clone()
        }),
        (&s.eq_uri_value, |r: &SensorReport| r.uri_value.clone()),
    ] {
        if w.is_some() && !reports().any(|r| any_uri(get(r).as_deref(), w)) {
            return false;
        }
    }
    if let Some(w) = &s.eq_string_value
        && !reports().any(|r| r.string_value.as_ref().is_some_and(|v| w.contains(v)))
    {
        return false;
    }
    if let Some(w) = &s.eq_hex_binary_value
        && !reports().any(|r| {
            r.hex_binary_value
                .as_ref()
                .is_some_and(|v| w.iter().any(|x| x.eq_ignore_ascii_case(v)))
        })
    {
        return false;
    }
    if let Some(b) = s.eq_boolean_value
        && !reports().any(|r| r.boolean_value == Some(b))
    {
        return false;
    }
    if !s.perc_rank.is_empty()
        && !reports().any(|r| {
            r.perc_rank
                .is_some_and(|p| s.perc_rank.iter().all(|(c, v)| c.test(&p, v)))
        })
    {
        return false;
    }
    for f in &s.values {
        let wanted = [f.measurement_type.clone()];
        let ok = reports().any(|r| {
            any_vocab(r.kind.as_deref(), &wanted, Vocab::MeasurementType)
                && f.attr.get(r).is_some_and(|x| f.cmp.test(&x, &f.value))
        });
        if !ok {
            return false;
        }
    }
    true
}

fn field_matches(e: &Extension, field: &str) -> bool {
    if e.key == field {
        return true;
    }
    match &e.namespace {
        Some(ns) => {
            let full = format!("{ns}{}", e.local);
            field == full || field == format!("{}#{}", ns.trim_end_matches(['#', '/']), e.local)
        }
        None => false,
    }
}

/// All values reachable from `v` under keys equal to `field` (for INNER scopes), or `v`
/// itself (for top-level scopes).
fn collect_inner<'a>(v: &'a serde_json::Value, field: &str, out: &mut Vec<&'a serde_json::Value>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                if k == field {
                    out.push(x);
                }
                collect_inner(x, field, out);
            }
        }
        serde_json::Value::Array(a) => {
            for x in a {
                collect_inner(x, field, out);
            }
        }
        _ => {}
    }
}

fn scalar_texts(v: &serde_json::Value) -> Vec<String> {
    match v {
        serde_json::Value::String(s) => vec![s.clone()],
        serde_json::Value::Number(n) => vec![n.to_string()],
        serde_json::Value::Bool(b) => vec![b.to_string()],
        serde_json::Value::Array(a) => a.iter().flat_map(scalar_texts).collect(),
        serde_json::Value::Object(m) => m.get("@value").map(scalar_texts).unwrap_or_default(),
        serde_json::Value::Null => Vec::new(),
    }
}

fn compare_text(lhs: &str, cmp: Cmp, rhs: &str) -> bool {
    if let (Ok(a), Ok(b)) = (lhs.trim().parse::<f64>(), rhs.trim().parse::<f64>()) {
        return cmp.test(&a, &b);
    }
    if let (Some(a), Some(b)) = (crate::time::parse_utc(lhs), crate::time::parse_utc(rhs)) {
        return cmp.test(&a, &b);
    }
    false
}

fn eq_text(lhs: &str, rhs: &str) -> bool {
    lhs == rhs || compare_text(lhs, Cmp::Eq, rhs)
}

fn ext_matches(f: &ExtFilter, ev: &Event) -> bool {
    let empty = Vec::new();
    let exts = match f.scope {
        ExtScope::Event | ExtScope::Inner => &ev.extensions,
        ExtScope::Ilmd | ExtScope::InnerIlmd => ev.ilmd.as_ref().unwrap_or(&empty),
    };
    let mut values: Vec<&serde_json::Value> = Vec::new();
    match f.scope {
        ExtScope::Event | ExtScope::Ilmd => values.extend(
            exts.iter()
                .filter(|e| field_matches(e, &f.field))
                .map(|e| &e.value),
        ),
        ExtScope::Inner | ExtScope::InnerIlmd => {
            for e in exts {
                collect_inner(&e.value, &f.field, &mut values);
            }
        }
    }
    match &f.test {
        ExtTest::Exists => !values.is_empty(),
        ExtTest::OneOf(w) => values
            .iter()
            .flat_map(|v| scalar_texts(v))
            .any(|t| w.iter().any(|x| eq_text(&t, x))),
        ExtTest::Compare(c, x) => values
            .iter()
            .flat_map(|v| scalar_texts(v))
            .any(|t| compare_text(&t, *c, x)),
    }
}

/// Sort key for `orderBy` (events lacking the field sort last).
pub fn sort_events(events: &mut [Event], q: &Query) {
    let Some(ob) = &q.order_by else { return };
    let key = |e: &Event| -> Option<String> {
        match ob {
            OrderBy::EventTime => e
                .event_time_utc()
                .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.9f").to_string()),
            OrderBy::RecordTime => e
                .record_time_utc()
                .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.9f").to_string()),
            OrderBy::Extension(f) => e
                .extensions
                .iter()
                .find(|x| field_matches(x, f))
                .and_then(|x| scalar_texts(&x.value).into_iter().next()),
        }
    };
    events.sort_by(|a, b| {
        let (ka, kb) = (key(a), key(b));
        let ord = match (&ka, &kb) {
            (Some(x), Some(y)) => match (x.parse::<f64>(), y.parse::<f64>()) {
                (Ok(p), Ok(q)) => p.partial_cmp(&q).unwrap_or(std::cmp::Ordering::Equal),
                _ => x.cmp(y),
            },
            (Some(_), None) => return std::cmp::Ordering::Less,
            (None, Some(_)) => return std::cmp::Ordering::Greater,
            (None, None) => return std::cmp::Ordering::Equal,
        };
        match q.order_direction {
            OrderDirection::Asc => ord,
            OrderDirection::Desc => ord.reverse(),
        }
    });
}
