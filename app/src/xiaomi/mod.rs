//! The Xiaomi cloud: request crypto (crypto.rs), and — in later slices — the account login
//! with captcha and two-factor verification, the signed device list, and syncing cameras.

pub mod crypto;
pub mod store;
