//! The Xiaomi cloud: request crypto (crypto.rs), bounded HTTP (http.rs), the account sign-in
//! with captcha and identity verification (account.rs), the signed device list (devices.rs),
//! the encrypted session store (store.rs) and the daemon's state (service.rs). The API and the
//! camera sync are in api/xiaomi.rs.

pub mod account;
pub mod crypto;
pub mod devices;
pub mod http;
pub mod service;
pub mod store;
