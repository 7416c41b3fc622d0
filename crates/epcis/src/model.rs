//! Typed model of EPCIS 2.0 documents and events.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

/// Prefix → namespace IRI, from the standard context plus the document's own `@context` maps.
pub type Namespaces = BTreeMap<String, String>;

/// The five EPCIS event types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventType {
    /// `ObjectEvent`
    ObjectEvent,
    /// `AggregationEvent`
    AggregationEvent,
    /// `TransactionEvent`
    TransactionEvent,
    /// `TransformationEvent`
    TransformationEvent,
    /// `AssociationEvent`
    AssociationEvent,
}

impl EventType {
    /// All event types.
    pub const ALL: [EventType; 5] = [
        EventType::ObjectEvent,
        EventType::AggregationEvent,
        EventType::TransactionEvent,
        EventType::TransformationEvent,
        EventType::AssociationEvent,
    ];

    /// The JSON-LD / XML name.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::ObjectEvent => "ObjectEvent",
            EventType::AggregationEvent => "AggregationEvent",
            EventType::TransactionEvent => "TransactionEvent",
            EventType::TransformationEvent => "TransformationEvent",
            EventType::AssociationEvent => "AssociationEvent",
        }
    }

    /// Parse the JSON-LD / XML name.
    pub fn parse(s: &str) -> Option<Self> {
        EventType::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `action` of Object/Aggregation/Transaction/Association events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// `ADD`
    Add,
    /// `OBSERVE`
    Observe,
    /// `DELETE`
    Delete,
}

impl Action {
    /// `ADD` / `OBSERVE` / `DELETE`.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Add => "ADD",
            Action::Observe => "OBSERVE",
            Action::Delete => "DELETE",
        }
    }

    /// Parse `ADD` / `OBSERVE` / `DELETE`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ADD" => Some(Action::Add),
            "OBSERVE" => Some(Action::Observe),
            "DELETE" => Some(Action::Delete),
            _ => None,
        }
    }
}

/// A user extension: a namespaced key with an arbitrary JSON value (kept losslessly).
#[derive(Debug, Clone, PartialEq)]
pub struct Extension {
    /// The key exactly as written (`example:myField` or a full IRI).
    pub key: String,
    /// Namespace IRI the prefix resolves to (from `@context`), if it resolves.
    pub namespace: Option<String>,
    /// Local name (the part after the prefix).
    pub local: String,
    /// The value as JSON (nested keys keep their prefixes).
    pub value: Value,
}

/// A quantity element (`quantityList`, `childQuantityList`, ...).
#[derive(Debug, Clone, PartialEq)]
pub struct QuantityElement {
    /// `epcClass`
    pub epc_class: String,
    /// `quantity`
    pub quantity: Option<f64>,
    /// `uom` (UN/ECE Rec 20 code)
    pub uom: Option<String>,
}

/// `readPoint` / `bizLocation`.
#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    /// `id`
    pub id: String,
    /// Extension fields inside the location.
    pub extensions: Vec<Extension>,
}

/// An entry of `bizTransactionList`.
#[derive(Debug, Clone, PartialEq)]
pub struct BizTransaction {
    /// `type` (bare CBV value or URI)
    pub kind: Option<String>,
    /// `bizTransaction` (URI)
    pub value: String,
}

/// An entry of `sourceList` / `destinationList`.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceDest {
    /// `type` (bare CBV value or URI)
    pub kind: String,
    /// `source` / `destination` (URI)
    pub value: String,
}

/// `persistentDisposition`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PersistentDisposition {
    /// `set`
    pub set: Option<Vec<String>>,
    /// `unset`
    pub unset: Option<Vec<String>>,
}

/// `errorDeclaration`.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorDeclaration {
    /// `declarationTime`
    pub declaration_time: String,
    /// `reason`
    pub reason: Option<String>,
    /// `correctiveEventIDs`
    pub corrective_event_ids: Option<Vec<String>>,
    /// Extension fields.
    pub extensions: Vec<Extension>,
}

/// `sensorMetadata`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SensorMetadata {
    /// `time`
    pub time: Option<String>,
    /// `startTime`
    pub start_time: Option<String>,
    /// `endTime`
    pub end_time: Option<String>,
    /// `deviceID`
    pub device_id: Option<String>,
    /// `deviceMetadata`
    pub device_metadata: Option<String>,
    /// `rawData`
    pub raw_data: Option<String>,
    /// `dataProcessingMethod`
    pub data_processing_method: Option<String>,
    /// `bizRules`
    pub biz_rules: Option<String>,
    /// Extension attributes.
    pub extensions: Vec<Extension>,
}

/// `sensorReport` entry.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SensorReport {
    /// `type` (measurement type: bare GS1 name or URI)
    pub kind: Option<String>,
    /// `exception` (`ALARM_CONDITION`, `ERROR_CONDITION` or URI)
    pub exception: Option<String>,
    /// `deviceID`
    pub device_id: Option<String>,
    /// `deviceMetadata`
    pub device_metadata: Option<String>,
    /// `rawData`
    pub raw_data: Option<String>,
    /// `dataProcessingMethod`
    pub data_processing_method: Option<String>,
    /// `bizRules`
    pub biz_rules: Option<String>,
    /// `time`
    pub time: Option<String>,
    /// `microorganism`
    pub microorganism: Option<String>,
    /// `chemicalSubstance`
    pub chemical_substance: Option<String>,
    /// `value`
    pub value: Option<f64>,
    /// `component`
    pub component: Option<String>,
    /// `stringValue`
    pub string_value: Option<String>,
    /// `booleanValue`
    pub boolean_value: Option<bool>,
    /// `hexBinaryValue`
    pub hex_binary_value: Option<String>,
    /// `uriValue`
    pub uri_value: Option<String>,
    /// `minValue`
    pub min_value: Option<f64>,
    /// `maxValue`
    pub max_value: Option<f64>,
    /// `meanValue`
    pub mean_value: Option<f64>,
    /// `sDev`
    pub s_dev: Option<f64>,
    /// `percRank`
    pub perc_rank: Option<f64>,
    /// `percValue`
    pub perc_value: Option<f64>,
    /// `uom`
    pub uom: Option<String>,
    /// `coordinateReferenceSystem`
    pub coordinate_reference_system: Option<String>,
    /// Extension attributes.
    pub extensions: Vec<Extension>,
}

/// `sensorElementList` entry.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SensorElement {
    /// `sensorMetadata`
    pub metadata: Option<SensorMetadata>,
    /// `sensorReport`
    pub reports: Vec<SensorReport>,
    /// Extension fields of the sensor element.
    pub extensions: Vec<Extension>,
}

/// One EPCIS event of any of the five types.
///
/// List fields are `Option<Vec<_>>` so that "absent" and "present but empty" stay distinct.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// `type`
    pub event_type: EventType,
    /// `eventTime` as written
    pub event_time: String,
    /// `eventTimeZoneOffset`
    pub event_time_zone_offset: String,
    /// `recordTime`
    pub record_time: Option<String>,
    /// `eventID`
    pub event_id: Option<String>,
    /// `errorDeclaration`
    pub error_declaration: Option<ErrorDeclaration>,
    /// `certificationInfo` (a string or an array of strings in JSON)
    pub certification_info: Option<Vec<String>>,
    /// `epcList`
    pub epc_list: Option<Vec<String>>,
    /// `parentID`
    pub parent_id: Option<String>,
    /// `childEPCs`
    pub child_epcs: Option<Vec<String>>,
    /// `inputEPCList`
    pub input_epc_list: Option<Vec<String>>,
    /// `outputEPCList`
    pub output_epc_list: Option<Vec<String>>,
    /// `quantityList`
    pub quantity_list: Option<Vec<QuantityElement>>,
    /// `childQuantityList`
    pub child_quantity_list: Option<Vec<QuantityElement>>,
    /// `inputQuantityList`
    pub input_quantity_list: Option<Vec<QuantityElement>>,
    /// `outputQuantityList`
    pub output_quantity_list: Option<Vec<QuantityElement>>,
    /// `action`
    pub action: Option<Action>,
    /// `transformationID`
    pub transformation_id: Option<String>,
    /// `bizStep`
    pub biz_step: Option<String>,
    /// `disposition`
    pub disposition: Option<String>,
    /// `persistentDisposition`
    pub persistent_disposition: Option<PersistentDisposition>,
    /// `readPoint`
    pub read_point: Option<Location>,
    /// `bizLocation`
    pub biz_location: Option<Location>,
    /// `bizTransactionList`
    pub biz_transaction_list: Option<Vec<BizTransaction>>,
    /// `sourceList`
    pub source_list: Option<Vec<SourceDest>>,
    /// `destinationList`
    pub destination_list: Option<Vec<SourceDest>>,
    /// `sensorElementList`
    pub sensor_element_list: Option<Vec<SensorElement>>,
    /// `ilmd` (its fields are all extensions)
    pub ilmd: Option<Vec<Extension>>,
    /// Top-level user extensions.
    pub extensions: Vec<Extension>,
    /// Namespace prefixes in force for this event (standard + document + event `@context`).
    pub namespaces: Arc<Namespaces>,
    /// The event exactly as received (JSON form; for XML input, the JSON-LD form built from it).
    pub original: Value,
}

impl Event {
    /// A new event with only the mandatory fields set.
    pub fn new(event_type: EventType, event_time: &str, offset: &str) -> Self {
        Event {
            event_type,
            event_time: event_time.to_string(),
            event_time_zone_offset: offset.to_string(),
            record_time: None,
            event_id: None,
            error_declaration: None,
            certification_info: None,
            epc_list: None,
            parent_id: None,
            child_epcs: None,
            input_epc_list: None,
            output_epc_list: None,
            quantity_list: None,
            child_quantity_list: None,
            input_quantity_list: None,
            output_quantity_list: None,
            action: None,
            transformation_id: None,
            biz_step: None,
            disposition: None,
            persistent_disposition: None,
            read_point: None,
            biz_location: None,
            biz_transaction_list: None,
            source_list: None,
            destination_list: None,
            sensor_element_list: None,
            ilmd: None,
            extensions: Vec::new(),
            namespaces: Arc::new(crate::context::standard_namespaces()),
            original: Value::Null,
        }
    }

    /// `eventTime` parsed and converted to UTC.
    pub fn event_time_utc(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        crate::time::parse_utc(&self.event_time)
    }

    /// `recordTime` parsed and converted to UTC.
    pub fn record_time_utc(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.record_time.as_deref().and_then(crate::time::parse_utc)
    }

    /// Every instance-level identifier of the event (epcList, childEPCs, parentID, inputs, outputs).
    pub fn all_epcs(&self) -> impl Iterator<Item = &str> {
        self.epc_list
            .iter()
            .chain(self.child_epcs.iter())
            .chain(self.input_epc_list.iter())
            .chain(self.output_epc_list.iter())
            .flatten()
            .map(String::as_str)
            .chain(self.parent_id.as_deref())
    }

    /// Every quantity element of the event (all four quantity lists).
    pub fn all_quantities(&self) -> impl Iterator<Item = &QuantityElement> {
        self.quantity_list
            .iter()
            .chain(self.child_quantity_list.iter())
            .chain(self.input_quantity_list.iter())
            .chain(self.output_quantity_list.iter())
            .flatten()
    }
}

/// What kind of document was parsed.
#[derive(Debug, Clone, PartialEq)]
pub enum DocumentKind {
    /// `EPCISDocument` (capture).
    Capture,
    /// `EPCISQueryDocument` (query result).
    Query {
        /// `epcisBody.queryResults.subscriptionID`
        subscription_id: Option<String>,
        /// `epcisBody.queryResults.queryName`
        query_name: Option<String>,
    },
}

/// An `EPCISDocument` or `EPCISQueryDocument`.
#[derive(Debug, Clone, PartialEq)]
pub struct EpcisDocument {
    /// Capture or query document.
    pub kind: DocumentKind,
    /// `@context` as written.
    pub context: Value,
    /// Namespaces from the context.
    pub namespaces: Arc<Namespaces>,
    /// `id`
    pub id: Option<String>,
    /// `schemaVersion`
    pub schema_version: String,
    /// `creationDate`
    pub creation_date: String,
    /// `epcisHeader` (kept as JSON)
    pub header: Option<Value>,
    /// Other top-level fields (`sender`, `receiver`, `instanceIdentifier`, extensions...).
    pub other: serde_json::Map<String, Value>,
    /// The events.
    pub events: Vec<Event>,
}
