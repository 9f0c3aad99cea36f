# Import by role name (the policy is found among those attached to the role) ...
terraform import alicr_custom_oss_role.registry AliyunContainerRegistryCustomizedOSSBucketRole

# ... or name the policy explicitly as ROLE_NAME:POLICY_NAME.
terraform import alicr_custom_oss_role.registry AliyunContainerRegistryCustomizedOSSBucketRole:AliyunContainerRegistryCustomizedOSSBucketRolePolicy
