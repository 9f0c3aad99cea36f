# Terraform 1.5+: adopt an existing role during plan and apply. The ID is the
# role name, or ROLE_NAME:POLICY_NAME to name the policy as well.
import {
  to = alicr_custom_oss_role.registry
  id = "AliyunContainerRegistryCustomizedOSSBucketRole"
}
