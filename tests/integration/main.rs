//! The integration test binary: the provider through real `terraform`, the plugin protocol over
//! real connections, and the Alibaba Cloud client against the RAM emulator.

mod client;
mod convergence;
mod ctrl_c;
mod ecosystem;
mod fd_limit;
mod fuzz_props;
mod hostile;
mod lifecycle;
mod one_cause;
mod parity;
mod plan_props;
mod plugin_protocol;
mod practitioner;
mod reliability;
mod security;
mod silent_endpoint;
mod support;
mod terraform_cli;
mod user_day;
