//! Credentials for member accounts: sts:AssumeRole of `organization.member_role` with
//! `{account_id}` substituted, cached per account and refreshed before expiry.
//!
//! The caller's own account uses the caller's credentials (the standard chain); this
//! module only deals with the roles trailform assumes. It never prints credentials.

use std::time::{Duration, SystemTime};

use aws_credential_types::provider::{
    error::CredentialsError, future, ProvideCredentials, SharedCredentialsProvider,
};
use aws_credential_types::Credentials;
use std::sync::Arc;
use tokio::sync::Mutex;

use super::AwsError;
use crate::spec::OrganizationSpec;

/// Refresh assumed credentials this long before they expire.
const REFRESH_BEFORE_EXPIRY: Duration = Duration::from_secs(5 * 60);

/// How trailform reaches member accounts (from the spec's `organization` block).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberAccess {
    /// Role ARN template; `{account_id}` is substituted.
    pub member_role: String,
    /// Optional external id passed to sts:AssumeRole.
    pub external_id: Option<String>,
    /// RoleSessionName, identifying trailform in CloudTrail logs of the member.
    pub session_name: String,
}

impl MemberAccess {
    /// From the spec's organization block; the session name is `trailform-<pid>`.
    #[must_use]
    pub fn from_spec(org: &OrganizationSpec) -> Self {
        Self {
            member_role: org.member_role.clone(),
            external_id: org.external_id.clone(),
            session_name: format!("trailform-{}", std::process::id()),
        }
    }

    /// The role ARN for one account.
    #[must_use]
    pub fn role_arn(&self, account_id: &str) -> String {
        self.member_role.replace("{account_id}", account_id)
    }
}

/// One account's assumed role: single-flight refresh under a mutex, cached until
/// shortly before expiry.
#[derive(Debug)]
pub(super) struct AssumedRole {
    sts: aws_sdk_sts::Client,
    role_arn: String,
    external_id: Option<String>,
    session_name: String,
    cached: Mutex<Option<Credentials>>,
}

impl AssumedRole {
    pub(super) fn new(sts: aws_sdk_sts::Client, role_arn: String, access: &MemberAccess) -> Self {
        Self {
            sts,
            role_arn,
            external_id: access.external_id.clone(),
            session_name: access.session_name.clone(),
            cached: Mutex::new(None),
        }
    }

    /// Valid credentials, assuming the role only when none are cached or they are
    /// about to expire.
    pub(super) async fn resolve(&self) -> Result<Credentials, AwsError> {
        let mut cached = self.cached.lock().await;
        if let Some(creds) = cached.as_ref() {
            let fresh = creds
                .expiry()
                .is_none_or(|exp| exp > SystemTime::now() + REFRESH_BEFORE_EXPIRY);
            if fresh {
                return Ok(creds.clone());
            }
        }
        let out = self
            .sts
            .assume_role()
            .role_arn(&self.role_arn)
            .role_session_name(&self.session_name)
            .set_external_id(self.external_id.clone())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("AssumeRole", &e))?;
        let missing = || AwsError {
            operation: "AssumeRole".to_owned(),
            code: "MissingCredentials".to_owned(),
            message: format!("AssumeRole of {} answered no credentials", self.role_arn),
        };
        let c = out.credentials().ok_or_else(missing)?;
        let expiry = SystemTime::try_from(*c.expiration()).ok();
        let creds = Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_owned()),
            expiry,
            "trailform-assume-role",
        );
        *cached = Some(creds.clone());
        Ok(creds)
    }

    /// A provider for SDK clients that shares this cache (one AssumeRole per account
    /// for every region's client).
    pub(super) fn shared_provider(self: &Arc<Self>) -> SharedCredentialsProvider {
        SharedCredentialsProvider::new(Provider(Arc::clone(self)))
    }
}

#[derive(Debug)]
struct Provider(Arc<AssumedRole>);

impl ProvideCredentials for Provider {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            self.0
                .resolve()
                .await
                .map_err(CredentialsError::provider_error)
        })
    }
}
