//! The AWS edge: the only module that names `aws_sdk_*`, `aws_config` or `aws_smithy_*`.
//!
//! Owns how trailform talks to AWS: one [`AwsContext`] per command, built once from the
//! standard configuration chain (AWS_PROFILE, AWS_REGION, env keys, SSO,
//! AWS_ENDPOINT_URL, ... — never flags of our own), with
//! - the SDK's standard retry, made configurable through [`AwsSettings`];
//! - one global concurrency limit that every AWS call acquires (`--concurrency`);
//! - a request-counting interceptor (per operation name) for tests and benchmarks;
//! - clients built once per (account, region) and cached, and assumed-role credentials
//!   cached per account ([`credentials`]).
//!
//! Everything it returns is plain data from [`crate::live`] / [`crate::spec`] or the
//! typed [`AwsError`]; SDK types never leave this module. It must not decide anything:
//! which accounts and trails to read is [`crate::org`]'s and [`reader`]'s business.

pub mod cloudtrail;
mod credentials;
pub mod organizations;
pub mod reader;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_cloudtrail::config::retry::RetryPartition;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::{HttpResponse, Metadata};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use tokio::sync::{OnceCell, Semaphore, SemaphorePermit};

pub use cloudtrail::{PutSelectors, TrailClient, TrailParams};
pub use credentials::MemberAccess;

/// Region used for global services (Organizations, STS) when the chain names none.
const FALLBACK_REGION: &str = "us-east-1";

/// How trailform calls AWS: retries and concurrency. Tests set `max_attempts: 1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsSettings {
    /// Attempts per call, the first included (SDK standard retry; 1 disables retries).
    pub max_attempts: u32,
    /// First retry backoff (exponential with jitter from here).
    pub initial_backoff: Duration,
    /// Longest backoff between two attempts.
    pub max_backoff: Duration,
    /// AWS calls in flight at once across the whole command (`--concurrency`).
    pub concurrency: usize,
}

impl Default for AwsSettings {
    /// Throttling is normal at organization scale (design.md §3): more attempts than the
    /// SDK's default of 3, with its standard backoff.
    fn default() -> Self {
        Self {
            max_attempts: 8,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(20),
            concurrency: 16,
        }
    }
}

impl AwsSettings {
    /// Settings without retries, for tests that probe error paths.
    #[must_use]
    pub fn no_retries() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }
}

/// An explicit endpoint, region and static keys instead of the standard chain's: for
/// tests and benchmarks against a local AWS API (moto), where several servers run in
/// one process and the process environment cannot name each one. Not a CLI option.
#[derive(Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Endpoint URL for every service.
    pub url: String,
    /// Default region (Organizations, STS).
    pub region: String,
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: String,
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print keys (design.md §4).
        f.debug_struct("Endpoint")
            .field("url", &self.url)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

/// An AWS call that failed: the operation, the AWS error code and message.
///
/// Errors that never reached AWS (no connection, timeout, unparsable answer) carry a
/// code of trailform's own naming them (`DispatchFailure`, `TimeoutError`,
/// `ResponseError`, `ConstructionFailure`, `CredentialsError`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{operation} failed: {code}: {message}")]
pub struct AwsError {
    /// API operation, e.g. `DescribeTrails`.
    pub operation: String,
    /// AWS error code, e.g. `AccessDenied`, `TrailNotFoundException`.
    pub code: String,
    /// AWS error message.
    pub message: String,
}

impl AwsError {
    fn from_sdk<E>(operation: &str, err: &SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let (code, message) = match err {
            SdkError::ServiceError(service) => {
                let e = service.err();
                let status = service.raw().status().as_u16();
                (
                    // An answer with no error code (a bare 5xx from a proxy, say) is
                    // named by its HTTP status.
                    e.code()
                        .map_or_else(|| format!("HTTP{status}"), str::to_owned),
                    e.message().map_or_else(
                        || format!("HTTP status {status} with no error message"),
                        str::to_owned,
                    ),
                )
            }
            SdkError::ConstructionFailure(_) => ("ConstructionFailure".to_owned(), chain(err)),
            SdkError::TimeoutError(_) => ("TimeoutError".to_owned(), chain(err)),
            SdkError::DispatchFailure(_) => ("DispatchFailure".to_owned(), chain(err)),
            SdkError::ResponseError(_) => ("ResponseError".to_owned(), chain(err)),
            _ => ("Unknown".to_owned(), chain(err)),
        };
        Self {
            operation: operation.to_owned(),
            code,
            message,
        }
    }

    /// True for the error code AWS uses for a missing trail.
    #[must_use]
    pub fn is_trail_not_found(&self) -> bool {
        self.code == "TrailNotFoundException"
    }
}

/// The CloudTrail client configuration for one account and region.
///
/// Its retry partition, and so the SDK's retry quota (a token bucket, 500 tokens, 5 a
/// retry), is its own: AWS throttles each account and region separately, and the SDK's
/// default partition (`cloudtrail-<region>`, shared by every client of that region)
/// would let a retry storm in a few accounts use up the retries of all the others.
fn trail_config(
    sdk: &SdkConfig,
    account_id: &str,
    region: &str,
) -> aws_sdk_cloudtrail::config::Builder {
    aws_sdk_cloudtrail::config::Builder::from(sdk)
        .region(Region::new(region.to_owned()))
        .retry_partition(RetryPartition::new(format!(
            "trailform-cloudtrail-{account_id}-{region}"
        )))
}

/// An error and its sources, each said once, joined by `: `: what
/// `DisplayErrorContext` says without the `Debug` dump it appends.
fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(err);
    while let Some(e) = next {
        let text = e.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p == &text) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

/// Counts requests sent (each attempt) per operation name.
#[derive(Debug, Clone, Default)]
struct RequestCounter(Arc<Mutex<BTreeMap<String, u64>>>);

impl Intercept for RequestCounter {
    fn name(&self) -> &'static str {
        "trailform::RequestCounter"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let name = cfg
            .load::<Metadata>()
            .map_or("unknown", Metadata::name)
            .to_owned();
        let mut counts = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        *counts.entry(name).or_insert(0) += 1;
        Ok(())
    }
}

/// Everything trailform needs to call AWS for one command. Build once; clones are cheap
/// and share the clients, credentials, counters and the concurrency limit.
#[derive(Clone)]
pub struct AwsContext(Arc<Inner>);

struct Inner {
    sdk: SdkConfig,
    limit: Semaphore,
    counter: RequestCounter,
    caller: OnceCell<String>,
    trail_clients: Mutex<HashMap<(String, String), TrailClientCore>>,
    member_creds: Mutex<HashMap<(String, String), Arc<credentials::AssumedRole>>>,
    organizations: aws_sdk_organizations::Client,
    sts: aws_sdk_sts::Client,
}

/// The cached part of a [`TrailClient`].
#[derive(Clone)]
struct TrailClientCore(aws_sdk_cloudtrail::Client);

impl fmt::Debug for AwsContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsContext")
            .field("region", &self.0.sdk.region())
            .field("free_permits", &self.0.limit.available_permits())
            .finish_non_exhaustive()
    }
}

impl AwsContext {
    /// The region of the loaded configuration (AWS_REGION, the profile, or the fallback).
    #[must_use]
    pub fn region(&self) -> String {
        self.0
            .sdk
            .region()
            .map_or_else(|| FALLBACK_REGION.to_owned(), |r| r.as_ref().to_owned())
    }

    /// Loads the standard AWS configuration chain (AWS_PROFILE, AWS_REGION, env keys,
    /// SSO, AWS_ENDPOINT_URL, ...) and applies `settings`.
    pub async fn from_env(settings: &AwsSettings) -> Self {
        Self::load(settings, None).await
    }

    /// Like [`Self::from_env`] with the endpoint, region and keys of `endpoint`.
    pub async fn with_endpoint(settings: &AwsSettings, endpoint: &Endpoint) -> Self {
        Self::load(settings, Some(endpoint)).await
    }

    async fn load(settings: &AwsSettings, endpoint: Option<&Endpoint>) -> Self {
        let retry = RetryConfig::standard()
            .with_max_attempts(settings.max_attempts.max(1))
            .with_initial_backoff(settings.initial_backoff)
            .with_max_backoff(settings.max_backoff);
        let mut loader = aws_config::defaults(BehaviorVersion::latest()).retry_config(retry);
        if let Some(e) = endpoint {
            loader = loader
                .endpoint_url(&e.url)
                .region(Region::new(e.region.clone()))
                .credentials_provider(aws_credential_types::Credentials::new(
                    &e.access_key_id,
                    &e.secret_access_key,
                    None,
                    None,
                    "trailform-endpoint",
                ));
        }
        let loaded = loader.load().await;
        let sdk = if loaded.region().is_some() {
            loaded
        } else {
            loaded
                .into_builder()
                .region(Region::new(FALLBACK_REGION))
                .build()
        };
        let counter = RequestCounter::default();
        let organizations = aws_sdk_organizations::Client::from_conf(
            aws_sdk_organizations::config::Builder::from(&sdk)
                .interceptor(counter.clone())
                .build(),
        );
        let sts = aws_sdk_sts::Client::from_conf(
            aws_sdk_sts::config::Builder::from(&sdk)
                .interceptor(counter.clone())
                .build(),
        );
        Self(Arc::new(Inner {
            limit: Semaphore::new(settings.concurrency.max(1)),
            counter,
            caller: OnceCell::new(),
            trail_clients: Mutex::new(HashMap::new()),
            member_creds: Mutex::new(HashMap::new()),
            organizations,
            sts,
            sdk,
        }))
    }

    /// Requests sent so far, per operation name (`DescribeTrails`, `AssumeRole`, ...).
    #[must_use]
    pub fn request_counts(&self) -> BTreeMap<String, u64> {
        self.0
            .counter
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Forgets the counts (benchmarks measure one phase at a time).
    pub fn reset_request_counts(&self) {
        self.0
            .counter
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// Waits for a slot under the global concurrency limit. The semaphore is never
    /// closed, so this is always `Some`; holding `None` would only lift the limit.
    async fn permit(&self) -> Option<SemaphorePermit<'_>> {
        self.0.limit.acquire().await.ok()
    }

    /// The account whose credentials trailform runs with (sts:GetCallerIdentity, once).
    pub async fn caller_account_id(&self) -> Result<String, AwsError> {
        self.0
            .caller
            .get_or_try_init(|| async {
                let _permit = self.permit().await;
                let out = self
                    .0
                    .sts
                    .get_caller_identity()
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("GetCallerIdentity", &e))?;
                out.account().map(str::to_owned).ok_or_else(|| AwsError {
                    operation: "GetCallerIdentity".to_owned(),
                    code: "MissingAccount".to_owned(),
                    message: "GetCallerIdentity answered no account".to_owned(),
                })
            })
            .await
            .cloned()
    }

    /// A CloudTrail client for `account_id` in `region`: the caller's credentials for
    /// the caller's own account, else the member role assumed through `access`.
    ///
    /// Assumes the role (once per account, cached and refreshed before expiry) before
    /// returning, so an account whose role cannot be assumed fails here, with
    /// operation `AssumeRole` and AWS's code and message, and no CloudTrail call is
    /// attempted in it.
    pub async fn trail_client(
        &self,
        account_id: &str,
        region: &str,
        access: &MemberAccess,
    ) -> Result<TrailClient, AwsError> {
        let caller = self.caller_account_id().await?;
        let key = (account_id.to_owned(), region.to_owned());
        let creds = if account_id == caller {
            None
        } else {
            let role = self.member_role(account_id, access);
            {
                let _permit = self.permit().await;
                role.resolve().await?;
            }
            Some(role)
        };
        let cached = self
            .0
            .trail_clients
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
            .cloned();
        let core = if let Some(core) = cached {
            core
        } else {
            let mut builder =
                trail_config(&self.0.sdk, account_id, region).interceptor(self.0.counter.clone());
            if let Some(role) = creds {
                builder = builder.credentials_provider(role.shared_provider());
            }
            let core = TrailClientCore(aws_sdk_cloudtrail::Client::from_conf(builder.build()));
            self.0
                .trail_clients
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(key)
                .or_insert(core)
                .clone()
        };
        Ok(TrailClient {
            ctx: self.clone(),
            client: core.0,
            account_id: account_id.to_owned(),
            region: region.to_owned(),
        })
    }

    fn member_role(
        &self,
        account_id: &str,
        access: &MemberAccess,
    ) -> Arc<credentials::AssumedRole> {
        let role_arn = access.role_arn(account_id);
        let mut map = self
            .0
            .member_creds
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        map.entry((account_id.to_owned(), role_arn.clone()))
            .or_insert_with(|| {
                Arc::new(credentials::AssumedRole::new(
                    self.0.sts.clone(),
                    role_arn,
                    access,
                ))
            })
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::{trail_config, SdkConfig};

    fn partition(account: &str, region: &str) -> String {
        let config = trail_config(&SdkConfig::builder().build(), account, region).build();
        config
            .retry_partition()
            .map(ToString::to_string)
            .unwrap_or_default()
    }

    #[test]
    fn each_account_and_region_has_its_own_retry_quota() {
        let a = partition("111111111111", "us-east-1");
        assert_eq!(a, partition("111111111111", "us-east-1"));
        assert_ne!(a, partition("222222222222", "us-east-1"));
        assert_ne!(a, partition("111111111111", "eu-west-1"));
        // Not the SDK's default, which every client of the region would share.
        assert_ne!(a, "cloudtrail-us-east-1");
    }
}
