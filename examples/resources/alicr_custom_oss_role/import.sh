# Import by role name; the policy is the default-named one if it is attached,
# else the only custom policy attached to the role.
terraform import alicr_custom_oss_role.registry AliyunContainerRegistryCustomizedOSSBucketRole

# Or name the policy too, as ROLE_NAME:POLICY_NAME.
terraform import alicr_custom_oss_role.registry AliyunContainerRegistryCustomizedOSSBucketRole:AliyunContainerRegistryCustomizedOSSBucketRolePolicy
