//! Temporary credentials from STS `AssumeRole`, called with a base set of credentials (any
//! other provider, including another assumed role).

use async_trait::async_trait;

use super::{Credentials, Fetch};
use crate::alicloud::client::Client;
use crate::alicloud::error::Error;
use crate::alicloud::sts::AssumeRoleRequest;

/// The session name used when none is configured.
pub const DEFAULT_SESSION_NAME: &str = "terraform-provider-alicr";
/// The session lifetime used when none is configured, in seconds.
pub const DEFAULT_SESSION_SECONDS: u64 = 3600;

/// What to assume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumeRoleParams {
    /// The role's ARN.
    pub role_arn: String,
    /// The session name.
    pub session_name: String,
    /// The lifetime in seconds (900-43200, at most the role's maximum).
    pub duration_seconds: u64,
    /// The external id, if the trust policy requires one.
    pub external_id: Option<String>,
    /// An inline policy narrowing the session's permissions.
    pub policy: Option<String>,
}

/// Calls `AssumeRole` through a client signing with the base credentials.
#[derive(Debug, Clone)]
pub struct AssumeRoleProvider {
    client: Client,
    params: AssumeRoleParams,
}

impl AssumeRoleProvider {
    /// `client` must sign with the base credentials.
    pub fn new(client: Client, params: AssumeRoleParams) -> Self {
        AssumeRoleProvider { client, params }
    }
}

#[async_trait]
impl Fetch for AssumeRoleProvider {
    async fn fetch(&self) -> Result<Credentials, Error> {
        let request = AssumeRoleRequest {
            role_arn: self.params.role_arn.clone(),
            role_session_name: self.params.session_name.clone(),
            duration_seconds: Some(self.params.duration_seconds),
            policy: self.params.policy.clone(),
            external_id: self.params.external_id.clone(),
        };
        self.client
            .assume_role(&request)
            .await?
            .credentials
            .to_credentials()
    }

    fn describe(&self) -> String {
        format!(
            "role {} assumed (session {:?}) with {}",
            self.params.role_arn,
            self.params.session_name,
            self.client.credential_provider().describe()
        )
    }
}
