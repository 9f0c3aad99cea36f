//! The `alicr_custom_oss_role` data source: schema, typed model, validation, and the read that
//! looks an existing role and its policy up in RAM (through the lookup the resource's import uses).

use std::collections::{BTreeMap, BTreeSet};

use crate::alicloud::Client;
use crate::plugin::diagnostics::{AttributePath, Diagnostics};
use crate::plugin::schema::Schema;
use crate::plugin::typed::object_model;
use crate::plugin::value::Tri;
use crate::provider::registry;
use crate::provider::role::lookup::{lookup, lookup_failed, Attachment, Purpose};
use crate::provider::role::{self, RoleModel};

pub(crate) const TYPE_NAME: &str = "alicr_custom_oss_role";

/// The data source as the registry knows it.
pub(crate) struct CustomOssRoleData;

#[async_trait::async_trait]
impl registry::DataSource for CustomOssRoleData {
    type Model = DataSourceModel;

    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate(&self, config: &DataSourceModel) -> Diagnostics {
        config.validate()
    }

    fn time_limit(&self) -> std::time::Duration {
        role::DEFAULT_READ_TIMEOUT
    }

    async fn read(
        &self,
        client: &Client,
        config: &DataSourceModel,
    ) -> Result<(DataSourceModel, Diagnostics), Diagnostics> {
        read(client, config).await
    }
}

pub(crate) fn schema() -> Schema {
    Schema {
        version: 0,
        block: DataSourceModel::block("Reads an existing Container Registry custom OSS bucket role from RAM: the role, its trust policy, and the custom policy attached to it, with the buckets that policy grants."),
    }
}

object_model! {
    /// One `data "alicr_custom_oss_role"`, as configured or as read.
    pub(crate) struct DataSourceModel {
        attributes {
            role_name: String = Required("Name of the RAM role to read, for example `AliyunContainerRegistryCustomizedOSSBucketRole`.");
            policy_name: String = OptionalComputed("Name of the custom policy to read. When omitted: `AliyunContainerRegistryCustomizedOSSBucketRolePolicy` if it is attached to the role, else the only custom policy attached; anything else is an error that lists the candidates.");
            id: String = Computed("The role name.");
            bucket_names: BTreeSet<String> = Computed("OSS buckets the attached policy grants, parsed from its default version. Null, with a warning, when the policy does not follow the Container Registry template (read `policy_document` then).");
            description: String = Computed("Description of the role (null when it has none).");
            max_session_duration: i64 = Computed("Maximum session duration of the role in seconds.");
            policy_description: String = Computed("Description of the custom policy (null when it has none).");
            tags: BTreeMap<String, String> = Computed("Tags of the role (null when it has none).");
            arn: String = Computed("ARN of the role, `acs:ram::<account>:role/<name>`.");
            role_id: String = Computed("RAM's ID of the role.");
            create_date: String = Computed("When the role was created (UTC, RFC 3339).");
            policy_document: String = Computed("The custom policy's default document (JSON), as RAM holds it.");
            assume_role_policy_document: String = Computed("The role's trust policy (JSON), as RAM holds it.");
            policy_version: String = Computed("The policy's default version (`v1`, `v2`, ...).");
        }
    }
}

impl DataSourceModel {
    /// Checks the known names; unknown ones are checked when Terraform reads the data source.
    pub(crate) fn validate(&self) -> Diagnostics {
        let mut diags = Diagnostics::new();
        role::check_names(&mut diags, &self.role_name, &self.policy_name);
        diags
    }

    /// The role and (optional) policy names to look up, once validated and known.
    fn lookup_names(&self) -> Result<(String, Option<String>), Diagnostics> {
        let diags = self.validate();
        if diags.has_errors() {
            return Err(diags);
        }
        match (&self.role_name, &self.policy_name) {
            (Tri::Known(role), Tri::Known(policy)) => Ok((role.clone(), Some(policy.clone()))),
            (Tri::Known(role), Tri::Null) => Ok((role.clone(), None)),
            _ => {
                let mut diags = Diagnostics::new();
                diags.error(
                    "Value not known when reading the data source",
                    "role_name and policy_name must be known when data.alicr_custom_oss_role is read",
                );
                Err(diags)
            }
        }
    }

    /// The configured names plus everything RAM reported.
    fn with_found(&self, found: RoleModel) -> DataSourceModel {
        DataSourceModel {
            role_name: self.role_name.clone(),
            policy_name: found.policy_name,
            id: found.id,
            bucket_names: found.bucket_names,
            description: found.description,
            max_session_duration: found.max_session_duration,
            policy_description: found.policy_description,
            tags: found.tags,
            arn: found.arn,
            role_id: found.role_id,
            create_date: found.create_date,
            policy_document: found.policy_document,
            assume_role_policy_document: found.assume_role_policy_document,
            policy_version: found.policy_version,
        }
    }
}

/// Reads the role and its policy from RAM with the import lookup: `GetRole`, `GetPolicy` and
/// `ListPoliciesForRole` concurrently (one more `GetPolicy` when the policy had to be
/// discovered), then both objects' tags.
/// Reads the role; the diagnostics that come with a result are warnings.
async fn read(
    client: &Client,
    config: &DataSourceModel,
) -> Result<(DataSourceModel, Diagnostics), Diagnostics> {
    let (role_name, policy_name) = config.lookup_names()?;
    let found = lookup(
        client,
        &role_name,
        policy_name.as_deref(),
        Attachment::Required,
    )
    .await
    .map(|found| config.with_found(found))
    .map_err(|e| lookup_failed(e, Purpose::DataSource))?;
    let warnings = not_a_template_warning(&found);
    Ok((found, warnings))
}

/// `bucket_names` is null both for "no buckets" and for a policy that does not follow the ACR
/// template (say `oss:*` on `*`); the warning tells them apart.
fn not_a_template_warning(found: &DataSourceModel) -> Diagnostics {
    let mut diags = Diagnostics::new();
    if let (Tri::Null, Tri::Known(document)) = (&found.bucket_names, &found.policy_document) {
        diags.warning_at(
            AttributePath::root("bucket_names"),
            "Policy does not follow the Container Registry template",
            format!(
                "The policy {} attached to role {} is not the custom OSS bucket policy this \
                 provider writes, so no bucket names can be read from it and bucket_names is \
                 null. That does not mean the role can use no bucket: read policy_document to \
                 see what it grants ({} characters).",
                found
                    .policy_name
                    .as_known()
                    .map_or("(unknown)", String::as_str),
                found
                    .role_name
                    .as_known()
                    .map_or("(unknown)", String::as_str),
                document.len()
            ),
        );
    }
    diags
}

#[cfg(test)]
mod tests {
    use super::*;

    fn configured(role: &str, policy: Option<&str>) -> DataSourceModel {
        DataSourceModel {
            role_name: Tri::Known(role.to_string()),
            policy_name: policy.map_or(Tri::Null, |p| Tri::Known(p.to_string())),
            ..Default::default()
        }
    }

    #[test]
    fn lookup_names_are_the_configured_ones() {
        assert_eq!(
            configured("Role", None).lookup_names().ok(),
            Some(("Role".into(), None))
        );
        assert_eq!(
            configured("Role", Some("Policy")).lookup_names().ok(),
            Some(("Role".into(), Some("Policy".into())))
        );
        let unknown = DataSourceModel {
            role_name: Tri::Unknown,
            ..Default::default()
        };
        assert!(unknown.lookup_names().is_err());
    }

    #[test]
    fn invalid_names_are_errors_on_their_attribute() {
        let diags = configured("bad name", Some("bad:policy")).validate();
        let paths: Vec<_> = diags.iter().filter_map(|d| d.path.clone()).collect();
        assert_eq!(
            paths,
            vec![
                AttributePath::root("role_name"),
                AttributePath::root("policy_name")
            ]
        );
        assert!(configured("bad:name", None).lookup_names().is_err());
        assert!(configured("Good.Role-1", None).validate().is_empty());
    }

    #[test]
    fn the_value_round_trips_through_the_schema_type() {
        let model = DataSourceModel {
            bucket_names: Tri::Known(["bucket-a".to_string()].into()),
            max_session_duration: Tri::Known(3600),
            arn: Tri::Unknown,
            ..configured("Role", Some("Policy"))
        };
        let ty = schema().value_type();
        let bytes = crate::plugin::value::encode_msgpack(&model.to_value(), &ty).expect("encode");
        let back = crate::plugin::value::decode_msgpack(&bytes, &ty).expect("decode");
        assert_eq!(DataSourceModel::from_value(&back).expect("model"), model);
    }
}
