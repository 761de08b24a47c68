//! The facts about CloudTrail and AWS that the validator checks a spec against, in one
//! table with the page each fact comes from.
//!
//! Owns constants only: no logic beyond lookups. When AWS changes a limit or adds a
//! region or resource type, this is the one file to edit. Must not depend on the spec
//! types, so the diff engine and the AWS reader can use it too.

// ---------------------------------------------------------------------------------------
// Trails
// https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_CreateTrail.html
// (Name: "Contain only ASCII letters (a-z, A-Z), numbers (0-9), periods (.), underscores
// (_), or dashes (-); start with a letter or number, and end with a letter or number; be
// between 3 and 128 characters; have no adjacent periods, underscores or dashes; not be
// in IP address format"; S3KeyPrefix: maximum length of 200.)
// ---------------------------------------------------------------------------------------

/// Shortest trail name CreateTrail accepts.
pub const TRAIL_NAME_MIN: usize = 3;
/// Longest trail name CreateTrail accepts.
pub const TRAIL_NAME_MAX: usize = 128;
/// Longest `S3KeyPrefix` CreateTrail accepts.
pub const S3_KEY_PREFIX_MAX: usize = 200;

// https://docs.aws.amazon.com/awscloudtrail/latest/userguide/WhatIsCloudTrail-Limits.html
// ("Trails per region: 5 ... This limit cannot be increased.")
/// Trails one account may have in one region (a multi-region trail counts in every region).
pub const MAX_TRAILS_PER_REGION: usize = 5;

// ---------------------------------------------------------------------------------------
// Classic event selectors
// https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_PutEventSelectors.html
// ("You can configure up to five event selectors for each trail"; "a maximum of 250 data
// resources ... across all event selectors")
// https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_DataResource.html
// (basic event selector resource types: AWS::DynamoDB::Table, AWS::Lambda::Function,
// AWS::S3::Object)
// https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_EventSelector.html
// (ExcludeManagementEventSources: "kms.amazonaws.com or rdsdata.amazonaws.com")
// ---------------------------------------------------------------------------------------

/// Classic event selectors per trail.
pub const MAX_CLASSIC_SELECTORS: usize = 5;
/// Data resource values across all classic selectors of a trail.
pub const MAX_CLASSIC_DATA_RESOURCES: usize = 250;
/// Resource types a classic (basic) event selector accepts.
pub const CLASSIC_DATA_RESOURCE_TYPES: &[&str] = &[
    "AWS::DynamoDB::Table",
    "AWS::Lambda::Function",
    "AWS::S3::Object",
];
/// The only management event sources CloudTrail lets a trail exclude (classic
/// `ExcludeManagementEventSources`, advanced `eventSource` `NotEquals`).
pub const EXCLUDABLE_MANAGEMENT_SOURCES: &[&str] = &["kms.amazonaws.com", "rdsdata.amazonaws.com"];

// ---------------------------------------------------------------------------------------
// Advanced event selectors
// https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_AdvancedFieldSelector.html
// (Field: length 1-1000; operator arrays: at least 1 item, each value length 1-2048;
// "Equals ... is the only valid operator that you can use with the readOnly,
// eventCategory, and resources.type fields"; eventCategory values for trails Management,
// Data, NetworkActivity; readOnly true/false; eventSource for management events only
// NotEquals kms.amazonaws.com / rdsdata.amazonaws.com; "Selectors don't support the use
// of wildcards like *"; "You can have only one resources.type field per selector")
// https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_AdvancedEventSelector.html
// (fields for trails: management events eventCategory, eventSource, readOnly; data events
// eventCategory, eventName, eventSource, eventType, resources.ARN, resources.type,
// readOnly, sessionCredentialFromConsole, userIdentity.arn; network activity events
// eventCategory, eventSource, eventName, errorCode, vpcEndpointId, userIdentity.arn)
// https://docs.aws.amazon.com/awscloudtrail/latest/userguide/WhatIsCloudTrail-Limits.html
// ("500 conditions": values across all conditions and selectors of a trail)
// ---------------------------------------------------------------------------------------

/// Values across all conditions of all advanced selectors of one trail.
pub const MAX_ADVANCED_VALUES: usize = 500;
/// Longest value of an advanced condition.
pub const ADVANCED_VALUE_MAX: usize = 2048;
/// Longest advanced selector name.
pub const ADVANCED_SELECTOR_NAME_MAX: usize = 1000;

/// How an advanced field may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdvancedField {
    /// The field name as the API spells it.
    pub name: &'static str,
    /// Only the `equals` operator is accepted.
    pub equals_only: bool,
    /// When non-empty, every value must be one of these.
    pub values: &'static [&'static str],
}

/// Every field a trail's advanced field selector may name.
pub const ADVANCED_FIELDS: &[AdvancedField] = &[
    AdvancedField {
        name: "eventCategory",
        equals_only: true,
        values: &["Management", "Data", "NetworkActivity"],
    },
    AdvancedField {
        name: "readOnly",
        equals_only: true,
        values: &["true", "false"],
    },
    AdvancedField {
        name: "resources.type",
        equals_only: true,
        values: &[],
    },
    AdvancedField {
        name: "resources.ARN",
        equals_only: false,
        values: &[],
    },
    AdvancedField {
        name: "eventSource",
        equals_only: false,
        values: &[],
    },
    AdvancedField {
        name: "eventName",
        equals_only: false,
        values: &[],
    },
    AdvancedField {
        name: "eventType",
        equals_only: false,
        values: &[],
    },
    AdvancedField {
        name: "sessionCredentialFromConsole",
        equals_only: false,
        values: &["true", "false"],
    },
    AdvancedField {
        name: "userIdentity.arn",
        equals_only: false,
        values: &[],
    },
    AdvancedField {
        name: "errorCode",
        equals_only: false,
        values: &["VpceAccessDenied"],
    },
    AdvancedField {
        name: "vpcEndpointId",
        equals_only: false,
        values: &[],
    },
];

/// Looks up an advanced field by its API name (case-sensitive, as the API is).
#[must_use]
pub fn advanced_field(name: &str) -> Option<&'static AdvancedField> {
    ADVANCED_FIELDS.iter().find(|f| f.name == name)
}

/// Data event resource types (`resources.type`) CloudTrail accepts in advanced selectors.
/// Source: the AdvancedFieldSelector reference above (resources.type list). AWS adds
/// types over time: add them here (an unknown type is a validation error).
pub const DATA_RESOURCE_TYPES: &[&str] = &[
    "AWS::B2BI::Transformer",
    "AWS::Bedrock::AgentAlias",
    "AWS::Bedrock::KnowledgeBase",
    "AWS::Cassandra::Table",
    "AWS::CloudFront::KeyValueStore",
    "AWS::CloudTrail::Channel",
    "AWS::CodeWhisperer::Customization",
    "AWS::CodeWhisperer::Profile",
    "AWS::Cognito::IdentityPool",
    "AWS::DynamoDB::Stream",
    "AWS::DynamoDB::Table",
    "AWS::EC2::Snapshot",
    "AWS::EMRWAL::Workspace",
    "AWS::FinSpace::Environment",
    "AWS::Glue::Table",
    "AWS::GreengrassV2::ComponentVersion",
    "AWS::GreengrassV2::Deployment",
    "AWS::GuardDuty::Detector",
    "AWS::IoTTwinMaker::Entity",
    "AWS::IoTTwinMaker::Workspace",
    "AWS::KendraRanking::ExecutionPlan",
    "AWS::KinesisVideo::Stream",
    "AWS::Lambda::Function",
    "AWS::ManagedBlockchain::Network",
    "AWS::ManagedBlockchain::Node",
    "AWS::MedicalImaging::Datastore",
    "AWS::NeptuneGraph::Graph",
    "AWS::PCAConnectorAD::Connector",
    "AWS::QBusiness::Application",
    "AWS::QBusiness::DataSource",
    "AWS::QBusiness::Index",
    "AWS::QBusiness::WebExperience",
    "AWS::RDS::DBCluster",
    "AWS::S3::AccessPoint",
    "AWS::S3::Object",
    "AWS::S3ObjectLambda::AccessPoint",
    "AWS::S3Outposts::Object",
    "AWS::SageMaker::Endpoint",
    "AWS::SageMaker::ExperimentTrialComponent",
    "AWS::SageMaker::FeatureGroup",
    "AWS::SCN::Instance",
    "AWS::ServiceDiscovery::Namespace",
    "AWS::ServiceDiscovery::Service",
    "AWS::SNS::PlatformEndpoint",
    "AWS::SNS::Topic",
    "AWS::SQS::Queue",
    "AWS::SSMMessages::ControlChannel",
    "AWS::ThinClient::Device",
    "AWS::ThinClient::Environment",
    "AWS::Timestream::Database",
    "AWS::Timestream::Table",
    "AWS::VerifiedPermissions::PolicyStore",
];

/// The S3 object data resource type: the one whose selectors can cover a trail's bucket.
pub const S3_OBJECT: &str = "AWS::S3::Object";

// ---------------------------------------------------------------------------------------
// Tags
// https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_AddTags.html
// ("up to 50 tags" per trail)
// https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_Tag.html
// (Key: length 1-128; Value: length 0-256)
// https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html
// (the `aws:` prefix is reserved for AWS use)
// ---------------------------------------------------------------------------------------

/// Tags per trail.
pub const MAX_TAGS: usize = 50;
/// Longest tag key.
pub const TAG_KEY_MAX: usize = 128;
/// Longest tag value.
pub const TAG_VALUE_MAX: usize = 256;
/// Tag keys may not start with this.
pub const RESERVED_TAG_PREFIX: &str = "aws:";

// ---------------------------------------------------------------------------------------
// Regions: commercial, GovCloud and China partitions.
// https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html
// ---------------------------------------------------------------------------------------

/// Every region name trailform knows, with its partition.
pub const REGIONS: &[(&str, &str)] = &[
    ("af-south-1", "aws"),
    ("ap-east-1", "aws"),
    ("ap-east-2", "aws"),
    ("ap-northeast-1", "aws"),
    ("ap-northeast-2", "aws"),
    ("ap-northeast-3", "aws"),
    ("ap-south-1", "aws"),
    ("ap-south-2", "aws"),
    ("ap-southeast-1", "aws"),
    ("ap-southeast-2", "aws"),
    ("ap-southeast-3", "aws"),
    ("ap-southeast-4", "aws"),
    ("ap-southeast-5", "aws"),
    ("ap-southeast-6", "aws"),
    ("ap-southeast-7", "aws"),
    ("ca-central-1", "aws"),
    ("ca-west-1", "aws"),
    ("eu-central-1", "aws"),
    ("eu-central-2", "aws"),
    ("eu-north-1", "aws"),
    ("eu-south-1", "aws"),
    ("eu-south-2", "aws"),
    ("eu-west-1", "aws"),
    ("eu-west-2", "aws"),
    ("eu-west-3", "aws"),
    ("il-central-1", "aws"),
    ("me-central-1", "aws"),
    ("me-south-1", "aws"),
    ("mx-central-1", "aws"),
    ("sa-east-1", "aws"),
    ("us-east-1", "aws"),
    ("us-east-2", "aws"),
    ("us-west-1", "aws"),
    ("us-west-2", "aws"),
    ("us-gov-east-1", "aws-us-gov"),
    ("us-gov-west-1", "aws-us-gov"),
    ("cn-north-1", "aws-cn"),
    ("cn-northwest-1", "aws-cn"),
];

/// Whether `name` is a region trailform knows.
#[must_use]
pub fn is_known_region(name: &str) -> bool {
    REGIONS.iter().any(|(r, _)| *r == name)
}

/// The ARN partitions of the regions above.
pub const PARTITIONS: &[&str] = &["aws", "aws-us-gov", "aws-cn"];
