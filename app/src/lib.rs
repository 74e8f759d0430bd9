//! MiBee NVR daemon library: everything the daemon does. Configuration, the metadata
//! database, authentication and the HTTP API (with the embedded web UI); camera ingest,
//! recording storage and live view; ONVIF, the Xiaomi cloud and transcoding; backups, signed
//! firmware updates, the hardware watchdog and the clock. `server::serve` runs the daemon;
//! `main.rs` is the command line around it and the offline commands (check, backup, restore,
//! update, ...).

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
pub mod sync;
pub mod sysinfo;
pub mod transcode;
pub mod update;
pub mod watchdog;
pub mod xiaomi;
