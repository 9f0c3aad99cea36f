//! Import by `ROLE_NAME` or `ROLE_NAME:POLICY_NAME`, through the shared [`super::lookup`].

use super::lookup::{lookup, lookup_failed, Attachment, LookupError, Purpose};
use super::RoleModel;
use crate::alicloud::Client;
use crate::plugin::diagnostics::Diagnostics;
use crate::provider::validation;

/// The role and optional policy name of an import ID, `ROLE_NAME` or `ROLE_NAME:POLICY_NAME`,
/// each a valid RAM name; anything else is refused before any call.
fn parse_import_id(id: &str) -> Result<(&str, Option<&str>), LookupError> {
    let mut parts = id.split(':').map(str::trim);
    let role_name = parts.next().unwrap_or_default();
    let policy_name = parts.next();
    let well_formed = parts.next().is_none()
        && validation::validate_role_name(role_name).is_ok()
        && policy_name.is_none_or(|name| validation::validate_policy_name(name).is_ok());
    if well_formed {
        Ok((role_name, policy_name))
    } else {
        Err(LookupError::InvalidId(id.to_string()))
    }
}

/// Import by `ROLE_NAME` or `ROLE_NAME:POLICY_NAME`. A named policy need not be attached (an
/// interrupted apply leaves them so); the next apply attaches it.
pub(super) async fn import(client: &Client, id: &str) -> Result<RoleModel, Diagnostics> {
    let failed = |error| lookup_failed(error, Purpose::Import);
    let (role_name, explicit_policy) = parse_import_id(id).map_err(failed)?;
    lookup(
        client,
        role_name,
        explicit_policy,
        Attachment::MayBeDetached,
    )
    .await
    .map_err(failed)
}
