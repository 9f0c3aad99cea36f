//! Typed STS (Security Token Service, API 2015-04-01) operations: `AssumeRole`, which hands out
//! temporary credentials, and `GetCallerIdentity`.

use serde::Deserialize;
use time::OffsetDateTime;

use super::client::{Client, Params, Service};
use super::credentials::{Credentials, Secret};
use super::error::Error;
use super::lenient;

/// `AssumeRole` input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssumeRoleRequest {
    /// `acs:ram::<account>:role/<name>`.
    pub role_arn: String,
    /// A name for the session (2-64 of `A-Za-z0-9.@-_`).
    pub role_session_name: String,
    /// Lifetime of the credentials in seconds (900 up to the role's maximum).
    pub duration_seconds: Option<u64>,
    /// An inline policy that further restricts the session.
    pub policy: Option<String>,
    /// The external id the role's trust policy may require.
    pub external_id: Option<String>,
}

/// The identity the temporary credentials act as.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct AssumedRoleUser {
    /// `acs:ram::<account>:role/<role>/<session>`.
    #[serde(deserialize_with = "lenient::string")]
    pub arn: String,
    /// `<role id>:<session>`.
    #[serde(deserialize_with = "lenient::string")]
    pub assumed_role_id: String,
}

/// Temporary credentials as STS returns them. `Debug` redacts the secret and token.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct StsCredentials {
    /// `STS.`-prefixed AccessKey ID.
    #[serde(deserialize_with = "lenient::string")]
    pub access_key_id: String,
    /// The AccessKey secret.
    pub access_key_secret: Secret,
    /// The security token.
    pub security_token: Secret,
    /// Expiry, ISO 8601 UTC.
    #[serde(deserialize_with = "lenient::string")]
    pub expiration: String,
}

impl StsCredentials {
    /// Converts to signing credentials, parsing the expiry.
    pub fn to_credentials(&self) -> Result<Credentials, Error> {
        if self.access_key_id.is_empty()
            || self.access_key_secret.is_empty()
            || self.security_token.is_empty()
        {
            return Err(Error::Credentials(
                "STS returned incomplete temporary credentials".into(),
            ));
        }
        Ok(Credentials {
            access_key_id: self.access_key_id.clone(),
            access_key_secret: self.access_key_secret.clone(),
            security_token: Some(self.security_token.clone()),
            expiration: Some(parse_expiration(&self.expiration)?),
        })
    }
}

/// Parses an ISO 8601 / RFC 3339 expiry such as `2015-04-09T11:52:19Z`.
pub(crate) fn parse_expiration(text: &str) -> Result<OffsetDateTime, Error> {
    OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc3339)
        .map_err(|_| Error::Credentials(format!("cannot parse the credential expiry {text:?}")))
}

/// `AssumeRole` output.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct AssumeRoleResponse {
    /// The request id.
    #[serde(deserialize_with = "lenient::string")]
    pub request_id: String,
    /// Who the session is.
    pub assumed_role_user: AssumedRoleUser,
    /// The temporary credentials.
    pub credentials: StsCredentials,
}

/// `GetCallerIdentity` output.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct GetCallerIdentityResponse {
    /// The request id.
    #[serde(deserialize_with = "lenient::string")]
    pub request_id: String,
    /// The account id.
    #[serde(deserialize_with = "lenient::string")]
    pub account_id: String,
    /// The caller's user id (or role session id).
    #[serde(deserialize_with = "lenient::string")]
    pub user_id: String,
    /// The caller's ARN.
    #[serde(deserialize_with = "lenient::string")]
    pub arn: String,
    /// The principal id.
    #[serde(deserialize_with = "lenient::string")]
    pub principal_id: String,
    /// `Account`, `RAMUser` or `AssumedRoleUser`.
    #[serde(deserialize_with = "lenient::string")]
    pub identity_type: String,
    /// The role id, for assumed roles.
    #[serde(deserialize_with = "lenient::string")]
    pub role_id: String,
}

/// STS actions.
impl Client {
    /// `AssumeRole`.
    pub async fn assume_role(&self, req: &AssumeRoleRequest) -> Result<AssumeRoleResponse, Error> {
        let params = Params::new()
            .set("RoleArn", &req.role_arn)
            .set("RoleSessionName", &req.role_session_name)
            .set_opt("DurationSeconds", req.duration_seconds)
            .set_opt("Policy", req.policy.as_ref())
            .set_opt("ExternalId", req.external_id.as_ref());
        self.call(Service::Sts, "AssumeRole", params).await
    }

    /// `GetCallerIdentity`.
    pub async fn get_caller_identity(&self) -> Result<GetCallerIdentityResponse, Error> {
        self.call(Service::Sts, "GetCallerIdentity", Params::new())
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANSWER: &str = r#"{"RequestId":"6894B13B-6D71-4EF5-88FA-F32781734A7F",
        "AssumedRoleUser":{"Arn":"acs:ram::123:role/r/s","AssumedRoleId":"344584339364951186:s"},
        "Credentials":{"SecurityToken":"CAESrAIIARKAA-token","AccessKeySecret":"wyLTSmsyPGP1ohvvw8xYgB29dlGI8KMiH2pK",
        "Expiration":"2015-04-09T11:52:19Z","AccessKeyId":"STS.L4aBSCSJVMuKg5U1vFDw"}}"#;

    #[test]
    fn assume_role_answer_parses_and_redacts() {
        let r: AssumeRoleResponse = serde_json::from_str(ANSWER).expect("parse");
        assert_eq!(r.assumed_role_user.assumed_role_id, "344584339364951186:s");
        let c = r.credentials.to_credentials().expect("creds");
        assert_eq!(c.access_key_id, "STS.L4aBSCSJVMuKg5U1vFDw");
        assert_eq!(
            c.expiration,
            Some(time::macros::datetime!(2015-04-09 11:52:19 UTC))
        );
        let shown = format!("{r:?} {c:?}");
        assert!(!shown.contains("wyLTSmsy"));
        assert!(!shown.contains("CAESrAIIARKAA"));
    }

    #[test]
    fn incomplete_or_bad_expiry_is_an_error() {
        let mut r: AssumeRoleResponse = serde_json::from_str(ANSWER).expect("parse");
        r.credentials.expiration = "tomorrow".into();
        assert!(r.credentials.to_credentials().is_err());
        r.credentials.security_token = Secret::default();
        assert!(r.credentials.to_credentials().is_err());
    }

    #[test]
    fn caller_identity_parses() {
        let r: GetCallerIdentityResponse = serde_json::from_str(
            r#"{"IdentityType":"RAMUser","AccountId":"123","RequestId":"R","PrincipalId":"p","UserId":"u","Arn":"acs:ram::123:user/x"}"#,
        )
        .expect("parse");
        assert_eq!(r.identity_type, "RAMUser");
        assert_eq!(r.account_id, "123");
    }
}
