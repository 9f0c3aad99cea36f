resource "alicr_custom_oss_role" "registry" {
  bucket_names = ["acr-images-prod", "acr-images-staging"]
}
