//! CBV 2.0 / GS1 vocabulary: bare-string values allowed in JSON-LD and their URIs.

/// Which vocabulary a field draws its bare values from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vocab {
    /// `bizStep`
    BizStep,
    /// `disposition`, `persistentDisposition`
    Disposition,
    /// bizTransaction `type`
    BizTransactionType,
    /// source / destination `type`
    SourceDestType,
    /// errorDeclaration `reason`
    ErrorReason,
    /// sensorReport `type`
    MeasurementType,
    /// sensorReport `exception`
    SensorAlertType,
    /// sensorReport `component`
    Component,
}

pub const BIZ_STEPS: &[&str] = &[
    "accepting",
    "arriving",
    "assembling",
    "collecting",
    "commissioning",
    "consigning",
    "creating_class_instance",
    "cycle_counting",
    "decommissioning",
    "departing",
    "destroying",
    "disassembling",
    "dispensing",
    "encoding",
    "entering_exiting",
    "holding",
    "inspecting",
    "installing",
    "killing",
    "loading",
    "other",
    "packing",
    "picking",
    "receiving",
    "removing",
    "repackaging",
    "repairing",
    "replacing",
    "reserving",
    "retail_selling",
    "shipping",
    "staging_outbound",
    "stock_taking",
    "stocking",
    "storing",
    "transporting",
    "unloading",
    "unpacking",
    "void_shipping",
    "sensor_reporting",
    "sampling",
];

pub const DISPOSITIONS: &[&str] = &[
    "active",
    "container_closed",
    "damaged",
    "destroyed",
    "dispensed",
    "disposed",
    "encoded",
    "expired",
    "in_progress",
    "in_transit",
    "inactive",
    "no_pedigree_match",
    "non_sellable_other",
    "partially_dispensed",
    "recalled",
    "reserved",
    "retail_sold",
    "returned",
    "sellable_accessible",
    "sellable_not_accessible",
    "stolen",
    "unknown",
    "available",
    "completeness_verified",
    "completeness_inferred",
    "conformant",
    "container_open",
    "mismatch_instance",
    "mismatch_class",
    "mismatch_quantity",
    "needs_replacement",
    "non_conformant",
    "unavailable",
];

pub const BIZ_TRANSACTION_TYPES: &[&str] = &[
    "bol",
    "cert",
    "desadv",
    "inv",
    "pedigree",
    "po",
    "poc",
    "prodorder",
    "recadv",
    "rma",
    "testprd",
    "testres",
    "upevt",
];

pub const SOURCE_DEST_TYPES: &[&str] = &["owning_party", "possessing_party", "location"];

pub const ERROR_REASONS: &[&str] = &["did_not_occur", "incorrect_data"];

pub const SENSOR_ALERT_TYPES: &[&str] = &["ALARM_CONDITION", "ERROR_CONDITION"];

pub const COMPONENTS: &[&str] = &[
    "x",
    "y",
    "z",
    "axial_distance",
    "azimuth",
    "height",
    "spherical_radius",
    "polar_angle",
    "elevation_angle",
    "easting",
    "northing",
    "latitude",
    "longitude",
    "altitude",
];

pub const MEASUREMENT_TYPES: &[&str] = &[
    "AbsoluteHumidity",
    "AbsorbedDose",
    "AbsorbedDoseRate",
    "Acceleration",
    "Radioactivity",
    "Altitude",
    "AmountOfSubstance",
    "AmountOfSubstancePerUnitVolume",
    "Angle",
    "AngularAcceleration",
    "AngularMomentum",
    "AngularVelocity",
    "Area",
    "Capacitance",
    "Conductance",
    "Conductivity",
    "Count",
    "Density",
    "Dimensionless",
    "DoseEquivalent",
    "DoseEquivalentRate",
    "DynamicViscosity",
    "ElectricCharge",
    "ElectricCurrent",
    "ElectricCurrentDensity",
    "ElectricFieldStrength",
    "Energy",
    "Exposure",
    "Force",
    "Frequency",
    "Illuminance",
    "Inductance",
    "Irradiance",
    "KinematicViscosity",
    "Length",
    "LinearMomentum",
    "Luminance",
    "LuminousFlux",
    "LuminousIntensity",
    "MagneticFlux",
    "MagneticFluxDensity",
    "MagneticVectorPotential",
    "Mass",
    "MassConcentration",
    "MassFlowRate",
    "MassPerAreaTime",
    "MemoryCapacity",
    "MolalityOfSolute",
    "MolarEnergy",
    "MolarMass",
    "MolarVolume",
    "Power",
    "Pressure",
    "RadiantFlux",
    "RadiantIntensity",
    "RelativeHumidity",
    "Resistance",
    "Resistivity",
    "SolidAngle",
    "SpecificVolume",
    "Speed",
    "SurfaceDensity",
    "SurfaceTension",
    "Temperature",
    "Time",
    "Torque",
    "Voltage",
    "Volume",
    "VolumeFlowRate",
    "VolumeFraction",
    "VolumetricFlux",
    "Wavenumber",
];

/// CBV namespace for web-vocabulary URIs.
pub const CBV_NS: &str = "https://ref.gs1.org/cbv/";
/// GS1 web vocabulary namespace as used by the event hash.
pub const GS1_VOC_HASH_NS: &str = "https://ref.gs1.org/voc/";

impl Vocab {
    /// The bare values CBV / GS1 define for this vocabulary.
    pub fn bare_values(self) -> &'static [&'static str] {
        match self {
            Vocab::BizStep => BIZ_STEPS,
            Vocab::Disposition => DISPOSITIONS,
            Vocab::BizTransactionType => BIZ_TRANSACTION_TYPES,
            Vocab::SourceDestType => SOURCE_DEST_TYPES,
            Vocab::ErrorReason => ERROR_REASONS,
            Vocab::MeasurementType => MEASUREMENT_TYPES,
            Vocab::SensorAlertType => SENSOR_ALERT_TYPES,
            Vocab::Component => COMPONENTS,
        }
    }

    /// Is `s` one of the bare values of this vocabulary?
    pub fn is_bare(self, s: &str) -> bool {
        self.bare_values().contains(&s)
    }

    /// Prefix of the URI form of the CBV vocabulary (`https://ref.gs1.org/cbv/BizStep-`), if CBV.
    pub fn cbv_uri_prefix(self) -> Option<&'static str> {
        Some(match self {
            Vocab::BizStep => "https://ref.gs1.org/cbv/BizStep-",
            Vocab::Disposition => "https://ref.gs1.org/cbv/Disp-",
            Vocab::BizTransactionType => "https://ref.gs1.org/cbv/BTT-",
            Vocab::SourceDestType => "https://ref.gs1.org/cbv/SDT-",
            Vocab::ErrorReason => "https://ref.gs1.org/cbv/ER-",
            Vocab::Component => "https://ref.gs1.org/cbv/Comp-",
            Vocab::MeasurementType | Vocab::SensorAlertType => return None,
        })
    }

    /// Legacy EPCIS 1.x URN prefix (`urn:epcglobal:cbv:bizstep:`), if any.
    pub fn urn_prefix(self) -> Option<&'static str> {
        Some(match self {
            Vocab::BizStep => "urn:epcglobal:cbv:bizstep:",
            Vocab::Disposition => "urn:epcglobal:cbv:disp:",
            Vocab::BizTransactionType => "urn:epcglobal:cbv:btt:",
            Vocab::SourceDestType => "urn:epcglobal:cbv:sdt:",
            Vocab::ErrorReason => "urn:epcglobal:cbv:er:",
            _ => return None,
        })
    }

    /// The full URI of a bare value (as used by the event hash), or `None` if `s` is not bare.
    pub fn expand_bare(self, s: &str) -> Option<String> {
        if !self.is_bare(s) {
            return None;
        }
        Some(match self {
            Vocab::MeasurementType => format!("{GS1_VOC_HASH_NS}{s}"),
            Vocab::SensorAlertType => format!("{GS1_VOC_HASH_NS}{s}"),
            _ => format!("{}{s}", self.cbv_uri_prefix().unwrap_or(CBV_NS)),
        })
    }

    /// Map a URI / URN / CURIE form back to the bare JSON-LD value when it is a CBV value
    /// (used by the XML reader so that both syntaxes give the same model).
    pub fn to_bare(self, s: &str) -> Option<&'static str> {
        let mut candidates: Vec<&str> = Vec::new();
        if let Some(p) = self.urn_prefix()
            && let Some(r) = s.strip_prefix(p)
        {
            candidates.push(r);
        }
        if let Some(p) = self.cbv_uri_prefix() {
            if let Some(r) = s.strip_prefix(p) {
                candidates.push(r);
            }
            if let Some(local) = p.strip_prefix(CBV_NS)
                && let Some(r) = s.strip_prefix("cbv:").and_then(|r| r.strip_prefix(local))
            {
                candidates.push(r);
            }
        }
        if s.is_empty() {
            return None;
        }
        candidates
            .into_iter()
            .find_map(|c| self.bare_values().iter().find(|b| **b == c).copied())
    }
}
