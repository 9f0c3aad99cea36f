//! `alicr-emulator`: an Alibaba Cloud RAM / STS / ECS-metadata emulator that speaks the real wire
//! protocol (RPC style, HMAC-SHA1 and ACS3-HMAC-SHA256 signatures, real JSON shapes and error
//! codes), for testing terraform-provider-alicr without reaching Alibaba Cloud.
//!
//! Run it in-process with [`start`] (or [`serve`] on your own listener and shutdown signal), or
//! as the `alicr-emulator` binary.
//!
//! # Layout
//!
//! - [`config`]: [`Config`], [`Credential`], [`FailRule`] and their command-line spellings.
//! - `server`: the HTTP server, routing, connection resets and graceful shutdown ([`serve`],
//!   [`start`], [`Running`]).
//! - `api`: the RPC pipeline: count, inject faults, authenticate, dispatch, render.
//! - `wire`: decoding RPC requests (query + form body) and typed parameter access.
//! - [`signature`]: the signing math (RPC 1.0 HMAC-SHA1, ACS3-HMAC-SHA256) as pure functions.
//! - `auth`: request verification: signatures, timestamp skew, nonce replay, STS tokens.
//! - `ram`: RAM actions on roles, policies, versions and attachments.
//! - `sts`: STS `AssumeRole` (trust policy checks, temporary keys) and `GetCallerIdentity`.
//! - `metadata`: the ECS metadata service (tokens, role credentials).
//! - `admin`: the unsigned `/_emulator/` API (state, calls, reset, faults).
//! - `store`: the shared state handle (`Arc<Mutex<…>>`) with write-through persistence.
//! - `persist`: the state file (load, atomic replace).
//! - `model`: account entities and the system policy catalogue.
//! - `validate`: RAM's name, length, duration and policy-document rules.
//! - `faults`: fault decisions and call counters.
//! - `error`: the API error type and code-to-status mapping.
//! - `reply`, `xml`, `clock`, `ids`: answers, XML rendering, API dates, random identifiers.

mod admin;
mod api;
mod auth;
mod clock;
pub mod config;
mod error;
mod faults;
mod ids;
mod metadata;
mod model;
mod persist;
mod ram;
mod reply;
mod server;
pub mod signature;
mod store;
mod sts;
mod tags;
mod validate;
mod wire;
mod xml;

pub use config::{Config, Credential, FailRule};
pub use server::{serve, start, Running};
