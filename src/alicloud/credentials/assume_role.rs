//! Temporary credentials from STS `AssumeRole`, called with a base set of credentials (any
//! other provider, including another assumed role).

use async_trait::async_trait;

use super::{Credentials, Fetch};
use crate::alicloud::client::Client;
use crate::alicloud::error::Error;
use crate::alicloud::sts::AssumeRoleRequest;

/// The session name used when none is configured.
pub(crate) const DEFAULT_SESSION_NAME: &str = "terraform-provider-alicr";
/// The session lifetime used when none is configured, in seconds.
pub(crate) const DEFAULT_SESSION_SECONDS: u64 = 3600;

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
pub(crate) struct AssumeRoleProvider {
    client: Client,
    params: AssumeRoleParams,
}

impl AssumeRoleProvider {
    /// `client` must sign with the base credentials.
    pub(crate) fn new(client: Client, params: AssumeRoleParams) -> Self {
        AssumeRoleProvider { client, params }
    }
}

impl AssumeRoleProvider {
    /// The error of the `AssumeRole` call, marked as this role's (see [`Self::marked`]). A
    /// failure of the base credentials (themselves an assumed role, or ECS metadata) is already
    /// marked and stays as it is: that is where the cause lies.
    fn failed(&self, error: Error) -> Error {
        if error.is_credential_failure() {
            return error;
        }
        self.marked(error)
    }

    /// `error`, marked as this role's `AssumeRole` failing, so that whoever reports it can say
    /// whose credentials are at stake rather than blame the call that needed them.
    fn marked(&self, error: Error) -> Error {
        Error::AssumeRole {
            role_arn: self.params.role_arn.clone(),
            base: self.client.credential_provider().describe(),
            error: Box::new(error),
        }
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
        let answer = self
            .client
            .assume_role(&request)
            .await
            .map_err(|error| self.failed(error))?;
        answer
            .credentials
            .to_credentials()
            .map_err(|error| self.marked(error))
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::alicloud::client::ClientConfig;
    use crate::alicloud::credentials::{NoCredentials, StaticProvider};
    use crate::alicloud::retry::RetryPolicy;

    fn params() -> AssumeRoleParams {
        AssumeRoleParams {
            role_arn: "acs:ram::1:role/deployer".into(),
            session_name: DEFAULT_SESSION_NAME.into(),
            duration_seconds: DEFAULT_SESSION_SECONDS,
            external_id: None,
            policy: None,
        }
    }

    /// A client for an STS endpoint nothing listens on, which gives up after one attempt.
    fn unreachable_sts() -> Client {
        Client::new(ClientConfig {
            ram_endpoint: Some("http://127.0.0.1:1".into()),
            sts_endpoint: Some("http://127.0.0.1:1".into()),
            retry: RetryPolicy {
                max_retries: 0,
                ..RetryPolicy::default()
            },
            ..ClientConfig::default()
        })
        .expect("client")
    }

    #[tokio::test]
    async fn a_failed_assume_role_is_marked_with_the_role_and_the_base_identity() {
        let base = Arc::new(StaticProvider::new(
            Credentials::new("BASEID", "base-secret"),
            "the provider configuration",
        ));
        let provider = AssumeRoleProvider::new(unreachable_sts().with_credentials(base), params());
        let err = provider.fetch().await.expect_err("nothing listens");
        match &err {
            Error::AssumeRole {
                role_arn,
                base,
                error,
            } => {
                assert_eq!(role_arn, "acs:ram::1:role/deployer");
                assert!(base.contains("BASEID"), "{base}");
                assert!(matches!(**error, Error::Transport { .. }), "{error:?}");
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(!err.to_string().contains("base-secret"));
    }

    #[tokio::test]
    async fn a_failure_of_the_base_credentials_stays_the_bases() {
        let base = Arc::new(NoCredentials(
            "the ECS metadata service did not answer".into(),
        ));
        let provider = AssumeRoleProvider::new(unreachable_sts().with_credentials(base), params());
        let err = provider.fetch().await.expect_err("no base credentials");
        assert!(
            matches!(&err, Error::Credentials(m) if m.contains("ECS metadata")),
            "{err:?}"
        );
    }
}
