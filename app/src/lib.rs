//! MiBee NVR daemon library: configuration, metadata store, authentication and the HTTP API.
//! `main.rs` is only the command line around `serve`.

pub mod api;
pub mod auth;
pub mod backup;
pub mod clock;
pub mod config;
pub mod db;
pub mod duration;
pub mod error;
pub mod fsutil;
pub mod grow;
pub mod ingest;
pub mod live;
pub mod media;
pub mod metrics;
pub mod net_policy;
pub mod onvif;
pub mod server;
pub mod state;
pub mod storage;
pub mod sysinfo;
pub mod transcode;
pub mod update;
pub mod watchdog;
pub mod xiaomi;
