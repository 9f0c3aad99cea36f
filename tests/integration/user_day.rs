//! A user's day, scenario by scenario: what a real configuration does (values from other
//! resources, limits) and what changes outside Terraform, what the next plan shows and what
//! apply does, each through real `terraform` against the RAM emulator.
