//! Rust types generated from `proto/`: the tfplugin6 provider service and go-plugin's
//! controller and stdio services.

#![allow(clippy::all, missing_docs)]

/// Terraform plugin protocol 6.
pub mod tfplugin6 {
    tonic::include_proto!("tfplugin6");
}

/// go-plugin's host-side services (package `plugin`).
pub mod go_plugin {
    tonic::include_proto!("plugin");
}
